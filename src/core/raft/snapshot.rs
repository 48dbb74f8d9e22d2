//! Snapshots, KRaft's way simplified: the runtime snapshots the state machine at a committed
//! offset and hands it over (`Event::SnapshotTaken`); the node keeps the latest one in memory
//! (metadata images are small), moves its log start to the snapshot's end and tells the runtime
//! to delete the entries below. A leader serves the snapshot in bounded chunks to followers that
//! need entries it no longer holds (FetchSnapshot); the follower's side is in
//! `snapshot_fetch.rs`.
//!
//! A snapshot id is KRaft's: `offset` is the snapshot's end (the first offset not in it) and
//! `epoch` the epoch of the entry just before it, so the id says exactly which log prefix it
//! replaces and the log checks (votes, diverging epochs) can continue from it.

use bytes::Bytes;

use super::config::{SNAPSHOT_BYTES_MAX, SNAPSHOT_CHUNK_BYTES_MAX};
use super::messages::{
    FetchSnapshotError, FetchSnapshotRequest, FetchSnapshotResponse, FetchSnapshotResult, Message,
};
use super::state::{Command, RaftNode, Role};
use super::types::{Epoch, NodeId, Offset, OffsetAndEpoch};

/// A snapshot of the state machine: everything below `id.offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub id: OffsetAndEpoch,
    pub data: Bytes,
    /// CRC-32C of `data`, computed once and sent with every chunk so a follower checks the
    /// snapshot it assembled before installing it.
    pub crc32c: u32,
}

impl Snapshot {
    pub fn new(id: OffsetAndEpoch, data: Bytes) -> Self {
        let crc32c = crc32c::crc32c(&data);
        Self { id, data, crc32c }
    }
}

/// Why `Event::SnapshotTaken` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotError {
    TooLarge {
        bytes: u64,
        bytes_max: u64,
    },
    /// Not past the current log start: an older or the same snapshot.
    NotAfterLogStart {
        offset: Offset,
        log_start_offset: Offset,
    },
    /// A snapshot may only hold committed entries.
    NotCommitted {
        offset: Offset,
        high_watermark: Offset,
    },
    /// `id.epoch` is not the epoch of the entry before `id.offset` in this log.
    EpochMismatch {
        offset: Offset,
        epoch: Epoch,
        log_epoch: Option<Epoch>,
    },
}

impl RaftNode {
    pub(super) fn on_snapshot_taken(
        &mut self,
        id: OffsetAndEpoch,
        data: Bytes,
        out: &mut Vec<Command>,
    ) {
        if let Err(error) = self.check_snapshot_taken(id, data.len()) {
            out.push(Command::SnapshotRejected { id, error });
            return;
        }
        self.log.delete_before(id);
        // What the snapshot holds is durable with it, flushed or not.
        self.flushed_end_offset = self.flushed_end_offset.max(id.offset);
        self.snapshot = Some(Snapshot::new(id, data));
        out.push(Command::DeleteLogBefore { offset: id.offset });
    }

    fn check_snapshot_taken(&self, id: OffsetAndEpoch, bytes: usize) -> Result<(), SnapshotError> {
        let bytes = bytes as u64;
        if bytes > SNAPSHOT_BYTES_MAX {
            let bytes_max = SNAPSHOT_BYTES_MAX;
            return Err(SnapshotError::TooLarge { bytes, bytes_max });
        }
        let log_start_offset = self.log.start_offset();
        if id.offset <= log_start_offset {
            let offset = id.offset;
            return Err(SnapshotError::NotAfterLogStart {
                offset,
                log_start_offset,
            });
        }
        if id.offset > self.high_watermark {
            return Err(SnapshotError::NotCommitted {
                offset: id.offset,
                high_watermark: self.high_watermark,
            });
        }
        let log_epoch = self.log.epoch_before(id.offset);
        if log_epoch != Some(id.epoch) {
            return Err(SnapshotError::EpochMismatch {
                offset: id.offset,
                epoch: id.epoch,
                log_epoch,
            });
        }
        Ok(())
    }

    /// KRaft's rule for answering a fetch with a snapshot: the fetcher is below the log start,
    /// or at it with another epoch, or its last epoch is older than the snapshot's (then the
    /// diverging-epoch answer would point into the snapshot).
    pub(super) fn snapshot_needed_by(
        &self,
        fetch_offset: Offset,
        last_fetched_epoch: Epoch,
    ) -> Option<OffsetAndEpoch> {
        let id = self.snapshot.as_ref()?.id;
        let needed = fetch_offset < id.offset
            || (fetch_offset == id.offset && last_fetched_epoch != id.epoch)
            || last_fetched_epoch < id.epoch;
        needed.then_some(id)
    }

    pub(super) fn on_fetch_snapshot_request(
        &mut self,
        from: NodeId,
        request: FetchSnapshotRequest,
        out: &mut Vec<Command>,
    ) {
        let result = if !matches!(self.role, Role::Leader(_)) {
            FetchSnapshotResult::Error(FetchSnapshotError::NotLeaderOrFollower)
        } else if request.leader_epoch < self.leader_epoch {
            FetchSnapshotResult::Error(FetchSnapshotError::FencedLeaderEpoch)
        } else {
            // A follower fetching a snapshot is in touch, however long the transfer takes.
            self.record_fetch_contact(from);
            self.snapshot_chunk(&request)
        };
        let response = FetchSnapshotResponse {
            leader_epoch: self.leader_epoch,
            leader: self.leader(),
            snapshot_id: request.snapshot_id,
            position: request.position,
            result,
        };
        self.send(from, Message::FetchSnapshotResponse(response), out);
    }

    /// The requested piece of our snapshot: at most the smaller of the follower's and our own
    /// chunk limit, shared with the snapshot's buffer rather than copied.
    fn snapshot_chunk(&self, request: &FetchSnapshotRequest) -> FetchSnapshotResult {
        let snapshot = match &self.snapshot {
            Some(snapshot) if snapshot.id == request.snapshot_id => snapshot,
            _ => return FetchSnapshotResult::Error(FetchSnapshotError::SnapshotNotFound),
        };
        let size = snapshot.data.len() as u64;
        if request.position > size {
            return FetchSnapshotResult::Error(FetchSnapshotError::PositionOutOfRange);
        }
        let max_bytes = request.max_bytes.min(SNAPSHOT_CHUNK_BYTES_MAX);
        let len = u64::from(max_bytes).min(size - request.position);
        // Both are within `data.len()`, a usize, so the casts are exact.
        let start = request.position as usize;
        FetchSnapshotResult::Chunk {
            size,
            snapshot_crc32c: snapshot.crc32c,
            bytes: snapshot.data.slice(start..start + len as usize),
        }
    }
}
