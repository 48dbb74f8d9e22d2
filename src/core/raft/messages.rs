//! The quorum's messages, modelled on KRaft's RPCs as plain data: Vote (with KIP-996's
//! `pre_vote` flag), BeginQuorumEpoch, EndQuorumEpoch, the pull-based Fetch and FetchSnapshot.
//! The sender's id travels beside the message (see [`super::Event::Received`]), as the replica
//! id does in Kafka's headers.
//!
//! Every message carries an epoch, because "a higher epoch seen in any message makes the node
//! step down" is the rule that keeps at most one leader per epoch.

use bytes::Bytes;

use super::types::{Entry, Epoch, NodeId, Offset, OffsetAndEpoch};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    VoteRequest(VoteRequest),
    VoteResponse(VoteResponse),
    BeginQuorumEpoch(BeginQuorumEpoch),
    EndQuorumEpoch(EndQuorumEpoch),
    FetchRequest(FetchRequest),
    FetchResponse(FetchResponse),
    FetchSnapshotRequest(FetchSnapshotRequest),
    FetchSnapshotResponse(FetchSnapshotResponse),
}

/// Asks for a vote (or, with `pre_vote`, asks whether a vote would be granted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteRequest {
    /// The epoch the candidate runs in; for a pre-vote, the epoch it would run in (its own + 1),
    /// which the voter does not adopt.
    pub candidate_epoch: Epoch,
    /// The candidate's last entry (`last_offset` is its log end offset), for the log check.
    pub last_offset_epoch: Epoch,
    pub last_offset: Offset,
    pub pre_vote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteResponse {
    /// The voter's epoch after handling the request.
    pub leader_epoch: Epoch,
    pub vote_granted: bool,
    pub pre_vote: bool,
}

/// The new leader announces itself to the voters (the sender is the leader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeginQuorumEpoch {
    pub leader_epoch: Epoch,
}

/// The leader steps down (the sender is the leader of `leader_epoch`): the voters should elect
/// a successor now rather than after a fetch timeout. `preferred_successors` are the other
/// voters, most up to date first; the first campaigns at once, the others back off by rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndQuorumEpoch {
    pub leader_epoch: Epoch,
    pub preferred_successors: Vec<NodeId>,
}

/// A replica pulls the log from the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// The epoch the fetcher believes is current (`current_leader_epoch`).
    pub leader_epoch: Epoch,
    /// The fetcher's log end offset.
    pub fetch_offset: Offset,
    /// The epoch of the entry just before `fetch_offset`, so the leader can check the fetcher's
    /// log agrees with its own up to there.
    pub last_fetched_epoch: Epoch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    /// The responder's epoch.
    pub leader_epoch: Epoch,
    /// The leader the responder knows of in `leader_epoch`, if any.
    pub leader: Option<NodeId>,
    /// The request's `fetch_offset`, echoed so a stale answer is recognised and dropped.
    pub fetch_offset: Offset,
    pub result: FetchResult,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchResult {
    /// Entries from `fetch_offset` on (possibly none) and the leader's high watermark.
    Records {
        entries: Vec<Entry>,
        high_watermark: Offset,
    },
    /// The fetcher's log diverges from the leader's: this is the largest epoch not above
    /// `last_fetched_epoch` in the leader's log and where it ends. The fetcher truncates and
    /// fetches again (KRaft's `DivergingEpoch`).
    DivergingEpoch(OffsetAndEpoch),
    /// The leader no longer holds the entries the fetcher needs (they are below its log start)
    /// or cannot tell where the logs diverge without them: fetch this snapshot first (KRaft's
    /// `SnapshotId`).
    SnapshotId(OffsetAndEpoch),
    /// The responder is not the leader of the fetcher's epoch (`NOT_LEADER_OR_FOLLOWER`), or the
    /// fetcher's epoch is stale (`FENCED_LEADER_EPOCH`); `leader_epoch` and `leader` say where
    /// to go instead.
    Error(FetchError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    NotLeaderOrFollower,
    FencedLeaderEpoch,
}

/// A follower pulls a piece of the leader's snapshot (KRaft's FetchSnapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSnapshotRequest {
    pub leader_epoch: Epoch,
    pub snapshot_id: OffsetAndEpoch,
    /// The byte offset in the snapshot to read from: how much the follower already has.
    pub position: u64,
    /// At most this many bytes in the answer; the leader also caps it at its own limit.
    pub max_bytes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSnapshotResponse {
    /// The responder's epoch.
    pub leader_epoch: Epoch,
    /// The leader the responder knows of in `leader_epoch`, if any.
    pub leader: Option<NodeId>,
    /// The request's snapshot id and position, echoed so a stale answer is recognised.
    pub snapshot_id: OffsetAndEpoch,
    pub position: u64,
    pub result: FetchSnapshotResult,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchSnapshotResult {
    /// `bytes` of the snapshot from `position` on; `size` is the whole snapshot's length and
    /// `snapshot_crc32c` its CRC-32C, the same in every chunk, so the follower checks the
    /// assembled snapshot before installing it.
    Chunk {
        size: u64,
        snapshot_crc32c: u32,
        bytes: Bytes,
    },
    Error(FetchSnapshotError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchSnapshotError {
    NotLeaderOrFollower,
    FencedLeaderEpoch,
    /// The leader no longer has this snapshot (it took a newer one): fetch again to learn it.
    SnapshotNotFound,
    PositionOutOfRange,
}

impl Message {
    /// The epoch the message speaks for. For a pre-vote request this is the epoch the candidate
    /// would run in, which the receiver must not adopt.
    pub fn epoch(&self) -> Epoch {
        match self {
            Message::VoteRequest(m) => m.candidate_epoch,
            Message::VoteResponse(m) => m.leader_epoch,
            Message::BeginQuorumEpoch(m) => m.leader_epoch,
            Message::EndQuorumEpoch(m) => m.leader_epoch,
            Message::FetchRequest(m) => m.leader_epoch,
            Message::FetchResponse(m) => m.leader_epoch,
            Message::FetchSnapshotRequest(m) => m.leader_epoch,
            Message::FetchSnapshotResponse(m) => m.leader_epoch,
        }
    }
}
