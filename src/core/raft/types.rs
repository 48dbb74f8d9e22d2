//! The vocabulary of the metadata quorum: node ids, epochs, offsets and log entries.
//!
//! They are plain aliases rather than newtypes because the quorum code is arithmetic on them
//! everywhere (majorities, `end_offset - 1`, `epoch + 1`); names such as `leader_epoch` and
//! `fetch_offset` carry the meaning, as they do in Kafka's KRaft code.

use bytes::Bytes;

/// A quorum member's `node.id`.
pub type NodeId = i32;
/// A leader epoch: bumped by every election, at most one leader per value.
pub type Epoch = i32;
/// A position in the metadata log; the first entry has offset 0.
pub type Offset = i64;

/// The epoch of an empty log prefix: no election has ever happened before epoch 1.
pub const EPOCH_NONE: Epoch = 0;

/// What an entry carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A client proposal (a metadata record batch, later).
    Data,
    /// KRaft's LeaderChange control record: the first entry of every leader's epoch, so that the
    /// leader has an entry of its own epoch to commit (a leader may only commit by counting
    /// replicas for entries of its own epoch, Raft section 5.4.2).
    LeaderChange,
}

/// One entry of the metadata log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The epoch of the leader that appended it.
    pub epoch: Epoch,
    pub offset: Offset,
    pub kind: EntryKind,
    pub data: Bytes,
}

/// A log position named by its epoch: KRaft's `OffsetAndEpoch`, used for "how up to date is
/// this log" (ordered by epoch first, then offset) and for diverging-epoch answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OffsetAndEpoch {
    // Field order matters: the derived `Ord` compares `epoch` before `offset`.
    pub epoch: Epoch,
    pub offset: Offset,
}

/// The smallest number of voters out of `voters` that forms a majority.
pub fn majority(voters: usize) -> usize {
    voters / 2 + 1
}
