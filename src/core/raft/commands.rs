//! What crosses the boundary between the Raft core and its runtime: the events it is fed, the
//! commands it emits (in order), and the durable quorum state. This is the runtime's contract,
//! so each command says what the runtime must do and what it must have done before it reports
//! back.

use bytes::Bytes;

use super::messages::Message;
use super::snapshot::SnapshotError;
use super::types::{Entry, Epoch, NodeId, Offset, OffsetAndEpoch};

/// What reaches the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message from another node.
    Received { from: NodeId, message: Message },
    /// Time passed; deadlines are checked against `now_ms`.
    Tick,
    /// A client asks the leader to append `data`.
    Propose { data: Bytes },
    /// The runtime snapshotted the state machine at `id.offset` (everything below is in `data`)
    /// and has made the snapshot durable. `id.offset` must be committed and `id.epoch` must be
    /// the epoch of the entry just before it; otherwise the node answers `SnapshotRejected`
    /// and the runtime discards the snapshot.
    SnapshotTaken { id: OffsetAndEpoch, data: Bytes },
    /// The runtime fsynced the log up to `end_offset`. It sends this for the log as it stands
    /// after the commands it has executed (a flush never speaks for entries a later
    /// `TruncateLog` removed). Only flushed entries count towards a leader's high watermark;
    /// a value above the log end is ignored.
    Flushed { end_offset: Offset },
    /// Stop leading (a controlled shutdown): hand the lead over with EndQuorumEpoch. Ignored by
    /// a node that does not lead.
    Resign,
}

/// What the runtime must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send `message` to `to`. A follower's FetchRequest reports everything it has appended:
    /// the runtime must have flushed every `AppendToLog` before it sends the next fetch.
    Send {
        to: NodeId,
        message: Message,
    },
    /// Write KRaft's `quorum-state` file before sending anything that depends on it.
    PersistQuorumState(QuorumState),
    /// Append to the log (not yet durable: `Event::Flushed` says when it is).
    AppendToLog {
        entries: Vec<Entry>,
    },
    /// Drop every entry at or after `to_offset`.
    TruncateLog {
        to_offset: Offset,
    },
    /// A snapshot at `offset` was accepted: entries below it may be deleted from disk.
    DeleteLogBefore {
        offset: Offset,
    },
    /// A snapshot fetched from the leader is complete: make it durable, load `data` into the
    /// state machine, and replace the log with an empty one starting at `id.offset`.
    InstallSnapshot {
        id: OffsetAndEpoch,
        data: Bytes,
    },
    /// `Event::SnapshotTaken` was refused: discard that snapshot.
    SnapshotRejected {
        id: OffsetAndEpoch,
        error: SnapshotError,
    },
    /// The high watermark advanced: entries below it are committed.
    Committed {
        high_watermark: Offset,
    },
    BecameLeader {
        leader_epoch: Epoch,
    },
    ProposalAccepted {
        leader_epoch: Epoch,
        offset: Offset,
    },
    ProposalRejected(ProposeError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposeError {
    NotLeader { leader: Option<NodeId> },
    TooLarge { bytes: usize, bytes_max: usize },
}

/// The durable part of a node's quorum state: KRaft's `quorum-state` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuorumState {
    pub leader_epoch: Epoch,
    pub voted_for: Option<NodeId>,
    pub leader: Option<NodeId>,
}
