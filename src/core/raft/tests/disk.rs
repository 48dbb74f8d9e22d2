//! The harness's model of one node's runtime storage: what its commands left on "disk". It
//! follows the runtime contract in `commands.rs`: appends are lost in a crash until a flush
//! covers them, snapshots are durable when handed over or installed, the quorum state is
//! durable when persisted. A restart reads the node back from here.

use bytes::Bytes;

use crate::core::raft::restore::Restored;
use crate::core::raft::state::{Command, QuorumState};
use crate::core::raft::types::{Entry, Offset, OffsetAndEpoch};

#[derive(Debug, Clone, Default)]
pub(super) struct Disk {
    pub quorum_state: QuorumState,
    pub snapshot: Option<(OffsetAndEpoch, Bytes)>,
    /// A snapshot the runtime wrote and handed to the node, until the node accepts it.
    pub pending_snapshot: Option<(OffsetAndEpoch, Bytes)>,
    pub log_start_offset: Offset,
    pub entries: Vec<Entry>,
    /// How far the entries were fsynced; a crash loses the rest.
    pub flushed_end_offset: Offset,
}

impl Disk {
    pub fn end_offset(&self) -> Offset {
        self.log_start_offset + self.entries.len() as Offset
    }

    /// Carries out one storage command; other commands leave the disk alone.
    pub fn apply(&mut self, command: &Command) {
        match command {
            Command::PersistQuorumState(state) => self.quorum_state = *state,
            Command::AppendToLog { entries } => {
                for entry in entries {
                    assert_eq!(entry.offset, self.end_offset(), "appends are contiguous");
                    self.entries.push(entry.clone());
                }
            }
            Command::TruncateLog { to_offset } => {
                assert!(
                    *to_offset >= self.log_start_offset,
                    "truncation into a snapshot"
                );
                self.entries
                    .truncate((to_offset - self.log_start_offset) as usize);
                self.flushed_end_offset = self.flushed_end_offset.min(*to_offset);
            }
            Command::DeleteLogBefore { offset } => {
                let snapshot = self
                    .pending_snapshot
                    .take()
                    .expect("a snapshot was handed over");
                assert_eq!(
                    snapshot.0.offset, *offset,
                    "deletes below the accepted snapshot"
                );
                self.entries
                    .drain(..(offset - self.log_start_offset) as usize);
                self.log_start_offset = *offset;
                self.flushed_end_offset = self.flushed_end_offset.max(*offset);
                self.snapshot = Some(snapshot);
            }
            Command::SnapshotRejected { .. } => self.pending_snapshot = None,
            Command::InstallSnapshot { id, data } => {
                self.snapshot = Some((*id, data.clone()));
                self.entries.clear();
                self.log_start_offset = id.offset;
                self.flushed_end_offset = id.offset;
            }
            _ => {}
        }
    }

    /// A crash: unflushed entries are gone.
    pub fn crash(&mut self) {
        let keep = (self.flushed_end_offset - self.log_start_offset).max(0) as usize;
        self.entries.truncate(keep);
        self.pending_snapshot = None;
    }

    /// What a restarted node reads back.
    pub fn restored(&self) -> Restored {
        Restored {
            quorum_state: self.quorum_state,
            snapshot: self.snapshot.clone(),
            entries: self.entries.clone(),
        }
    }
}
