//! The follower's side of snapshot transfer. A fetch answered with `SnapshotId` switches the
//! follower from fetching entries to fetching that snapshot, one chunk per FetchSnapshot
//! request, each asked from where the previous one ended. Once it holds the whole snapshot and
//! its CRC-32C matches, the follower installs it: `InstallSnapshot`, an empty log starting at
//! the snapshot's end, a high watermark at least there, and back to fetching entries.
//!
//! Every chunk is checked against the transfer in progress (snapshot id, position, size, CRC,
//! chunk bound); anything else is dropped and the request is retried on its timeout. The
//! transfer never holds up an election: each valid chunk counts as contact with the leader,
//! and a silent leader still times out as it would during fetches.

use bytes::Bytes;

use super::config::SNAPSHOT_BYTES_MAX;
use super::messages::{
    FetchSnapshotError, FetchSnapshotRequest, FetchSnapshotResponse, FetchSnapshotResult,
};
use super::snapshot::Snapshot;
use super::state::{Command, RaftNode, Role};
use super::types::{Epoch, NodeId, OffsetAndEpoch, EPOCH_NONE};

/// A snapshot being fetched from the leader.
#[derive(Debug, Clone)]
pub(super) struct SnapshotFetch {
    pub id: OffsetAndEpoch,
    /// The snapshot's size and CRC as the first chunk gave them; later chunks must agree.
    pub size: Option<u64>,
    pub snapshot_crc32c: Option<u32>,
    /// The bytes so far, from position 0.
    pub data: Vec<u8>,
}

impl SnapshotFetch {
    fn new(id: OffsetAndEpoch) -> Self {
        Self {
            id,
            size: None,
            snapshot_crc32c: None,
            data: Vec::new(),
        }
    }

    pub(super) fn position(&self) -> u64 {
        self.data.len() as u64
    }

    /// The request for the next chunk.
    pub(super) fn request(&self, leader_epoch: Epoch, max_bytes: u32) -> FetchSnapshotRequest {
        FetchSnapshotRequest {
            leader_epoch,
            snapshot_id: self.id,
            position: self.position(),
            max_bytes,
        }
    }

    /// Whether `bytes` is the next piece of this snapshot, as far as the follower can tell.
    fn accepts(&self, size: u64, crc: u32, bytes: &Bytes, max_bytes: u32) -> bool {
        let position = self.position();
        let len = bytes.len() as u64;
        size <= SNAPSHOT_BYTES_MAX
            && self.size.is_none_or(|known| known == size)
            && self.snapshot_crc32c.is_none_or(|known| known == crc)
            && len <= u64::from(max_bytes)
            && position + len <= size
            // An empty chunk is progress only when it completes an empty snapshot.
            && (len > 0 || position == size)
    }
}

impl RaftNode {
    /// The leader answered our fetch with "fetch this snapshot": start, if the id is one an
    /// honest leader could send (newer than ours, not below what we know is committed, of an
    /// epoch not after ours).
    pub(super) fn start_snapshot_fetch(&mut self, id: OffsetAndEpoch, out: &mut Vec<Command>) {
        let plausible = id.offset > self.log.start_offset()
            && id.offset >= self.high_watermark
            && id.epoch > EPOCH_NONE
            && id.epoch <= self.leader_epoch;
        if !plausible {
            return;
        }
        if let Role::Follower(follower) = &mut self.role {
            follower.snapshot_fetch = Some(SnapshotFetch::new(id));
        }
        self.fetch_now(out);
    }

    pub(super) fn on_fetch_snapshot_response(
        &mut self,
        from: NodeId,
        response: FetchSnapshotResponse,
        out: &mut Vec<Command>,
    ) {
        let (now_ms, max_bytes) = (self.now_ms, self.config.fetch_snapshot_max_bytes);
        let fetch_interval_ms = self.config.fetch_interval_ms;
        let Role::Follower(follower) = &mut self.role else {
            return;
        };
        let Some(fetch) = &mut follower.snapshot_fetch else {
            return;
        };
        // Only the answer to our outstanding request, from our leader, in our epoch, counts.
        let current = response.leader_epoch == self.leader_epoch
            && from == follower.leader
            && response.snapshot_id == fetch.id
            && response.position == fetch.position();
        if !current {
            return;
        }
        match response.result {
            FetchSnapshotResult::Error(
                FetchSnapshotError::NotLeaderOrFollower | FetchSnapshotError::FencedLeaderEpoch,
            ) => {
                // Our leader no longer leads this epoch: keep asking until the fetch timeout.
                follower.fetch_sent_ms = None;
                follower.next_fetch_ms = now_ms + fetch_interval_ms;
            }
            FetchSnapshotResult::Error(
                FetchSnapshotError::SnapshotNotFound | FetchSnapshotError::PositionOutOfRange,
            ) => {
                // The leader moved on to a newer snapshot: fetch entries to learn which.
                follower.last_leader_contact_ms = now_ms;
                follower.snapshot_fetch = None;
                follower.fetch_sent_ms = None;
                self.fetch_now(out);
            }
            FetchSnapshotResult::Chunk {
                size,
                snapshot_crc32c,
                bytes,
            } => {
                if !fetch.accepts(size, snapshot_crc32c, &bytes, max_bytes) {
                    return; // Forged or corrupt: dropped, the request is retried on its timeout.
                }
                fetch.data.extend_from_slice(&bytes);
                fetch.size = Some(size);
                fetch.snapshot_crc32c = Some(snapshot_crc32c);
                follower.last_leader_contact_ms = now_ms;
                follower.fetch_sent_ms = None;
                if fetch.position() == size {
                    self.complete_snapshot_fetch(out);
                } else {
                    self.fetch_now(out);
                }
            }
        }
    }

    /// Installs the fetched snapshot if it arrived intact, else starts the transfer over.
    fn complete_snapshot_fetch(&mut self, out: &mut Vec<Command>) {
        let Role::Follower(follower) = &mut self.role else {
            return;
        };
        let Some(fetch) = follower.snapshot_fetch.take() else {
            return;
        };
        let snapshot = Snapshot::new(fetch.id, Bytes::from(fetch.data));
        let intact = Some(snapshot.crc32c) == fetch.snapshot_crc32c;
        // A snapshot taken here meanwhile may have overtaken it; committed data stays.
        let still_newer = snapshot.id.offset > self.log.start_offset()
            && snapshot.id.offset >= self.high_watermark;
        if !intact {
            follower.snapshot_fetch = Some(SnapshotFetch::new(snapshot.id));
        } else if still_newer {
            self.install_snapshot(snapshot, out);
        }
        self.fetch_now(out);
    }

    fn install_snapshot(&mut self, snapshot: Snapshot, out: &mut Vec<Command>) {
        let id = snapshot.id;
        out.push(Command::InstallSnapshot {
            id,
            data: snapshot.data.clone(),
        });
        self.log.reset_to(id);
        self.flushed_end_offset = id.offset;
        self.snapshot = Some(snapshot);
        if id.offset > self.high_watermark {
            self.high_watermark = id.offset;
            out.push(Command::Committed {
                high_watermark: id.offset,
            });
        }
    }
}
