//! One node's replica of the metadata log: the Raft core, its durable store and the committed
//! metadata image, glued together synchronously. It executes the core's commands against the
//! store in order, flushes appends before anything that depends on them leaves the node, replays
//! committed entries into the image, and snapshots the image when enough has been committed
//! since the last snapshot (`metadata.log.max.record.bytes.between.snapshots`).
//!
//! It does no networking and reads no clock: messages for other nodes collect in an outbox and
//! time comes in with every call. The async task that owns it (timers, connections) is a thin
//! layer on top, and tests drive several replicas by hand, deterministically.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use crate::core::controller::records::DecodeError;
use crate::core::controller::{decode_batch, encode_batch, MetadataImage, ReplayError};
use crate::core::raft::restore::{RestoreError, Restored};
use crate::core::raft::{
    Command, EntryKind, Epoch, Event, Message, NodeId, Offset, OffsetAndEpoch, ProposeError,
    RaftConfig, RaftNode, RoleKind,
};
use crate::runtime::RngStream;
use crate::storage::raft_store::{RaftStore, RaftStoreConfig, RaftStoreError};
use crate::storage::Disk;

/// Why the replica cannot go on. Every one of these stops the node: continuing with a store or
/// image that disagrees with the quorum would serve wrong metadata.
#[derive(Debug)]
pub enum ReplicaError {
    Store(RaftStoreError),
    Restore(RestoreError),
    /// A committed entry does not decode: the log holds something this build cannot read.
    Decode {
        offset: Offset,
        error: DecodeError,
    },
    /// A committed entry does not fit the image.
    Replay {
        offset: Offset,
        error: ReplayError,
    },
    /// The core asked to truncate committed entries, which Raft never does.
    TruncateCommitted {
        to_offset: Offset,
        applied: Offset,
    },
}

impl std::fmt::Display for ReplicaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplicaError::Store(error) => write!(f, "metadata log: {error}"),
            ReplicaError::Restore(error) => {
                write!(
                    f,
                    "metadata log state on disk cannot be restored: {error:?}"
                )
            }
            ReplicaError::Decode { offset, error } => {
                write!(f, "metadata log entry at offset {offset}: {error}")
            }
            ReplicaError::Replay { offset, error } => {
                write!(
                    f,
                    "metadata log entry at offset {offset} does not apply: {error}"
                )
            }
            ReplicaError::TruncateCommitted { to_offset, applied } => write!(
                f,
                "asked to truncate the metadata log to {to_offset} below committed {applied}"
            ),
        }
    }
}

impl std::error::Error for ReplicaError {}

impl From<RaftStoreError> for ReplicaError {
    fn from(error: RaftStoreError) -> Self {
        ReplicaError::Store(error)
    }
}

/// The replica's settings.
#[derive(Debug, Clone)]
pub struct ReplicaSettings {
    pub raft: RaftConfig,
    pub store: RaftStoreConfig,
    /// Snapshot once this many bytes of entries were committed since the last snapshot.
    pub snapshot_after_bytes: u64,
}

pub struct MetadataReplica {
    node: RaftNode,
    store: RaftStore,
    image: MetadataImage,
    snapshot_after_bytes: u64,
    bytes_since_snapshot: u64,
    outbox: Vec<(NodeId, Message)>,
    /// Events the replica owes the core (a flush), fed before the current call returns.
    pending: Vec<Event>,
    /// A snapshot taken while handling the previous call, told to the core at the start of the
    /// next one: the commit it covers is then visible to observers before the snapshot is.
    snapshot_taken: Option<Event>,
}

impl MetadataReplica {
    /// Opens the store under `metadata_dir` and restores the node and the image from it.
    pub fn open(
        disk: Arc<dyn Disk>,
        metadata_dir: &Path,
        settings: ReplicaSettings,
        rng: RngStream,
        now_ms: i64,
    ) -> Result<Self, ReplicaError> {
        let (store, recovered) = RaftStore::open(disk, metadata_dir, settings.store)?;
        let image = match &recovered.snapshot {
            Some((id, data)) => image_from_snapshot(*id, data)?,
            None => MetadataImage::default(),
        };
        let restored = Restored {
            quorum_state: recovered.quorum_state.unwrap_or_default(),
            snapshot: recovered.snapshot,
            entries: recovered.entries,
        };
        let mut node = RaftNode::restore(settings.raft, rng, now_ms, restored)
            .map_err(ReplicaError::Restore)?;
        if let Some(commit_point) = recovered.lost_committed {
            node.repair_until(commit_point);
        }
        Ok(Self {
            node,
            store,
            image,
            snapshot_after_bytes: settings.snapshot_after_bytes.max(1),
            bytes_since_snapshot: 0,
            outbox: Vec::new(),
            pending: Vec::new(),
            snapshot_taken: None,
        })
    }

    /// Feeds one event (a message from a peer, or a tick) at `now_ms`.
    pub fn handle(&mut self, now_ms: i64, event: Event) -> Result<(), ReplicaError> {
        self.report_snapshot(now_ms)?;
        let commands = self.node.handle(now_ms, event);
        self.execute(now_ms, commands)?;
        Ok(())
    }

    /// Proposes one batch of records (already encoded). The offset it will have is returned
    /// once the leader appended it; it is committed when the image's offset passes it.
    pub fn propose(
        &mut self,
        now_ms: i64,
        data: Bytes,
    ) -> Result<Result<Offset, ProposeError>, ReplicaError> {
        self.report_snapshot(now_ms)?;
        let commands = self.node.handle(now_ms, Event::Propose { data });
        let result = commands.iter().find_map(|command| match command {
            Command::ProposalAccepted { offset, .. } => Some(Ok(*offset)),
            Command::ProposalRejected(error) => Some(Err(*error)),
            _ => None,
        });
        self.execute(now_ms, commands)?;
        Ok(result.unwrap_or(Err(ProposeError::NotLeader { leader: None })))
    }

    /// Hands a controlled shutdown's resignation to the core.
    pub fn resign(&mut self, now_ms: i64) -> Result<(), ReplicaError> {
        self.handle(now_ms, Event::Resign)
    }

    /// Messages for peers produced so far, in order. Every append they depend on is durable.
    pub fn take_outbox(&mut self) -> Vec<(NodeId, Message)> {
        std::mem::take(&mut self.outbox)
    }

    /// The committed metadata.
    pub fn image(&self) -> &MetadataImage {
        &self.image
    }

    pub fn node(&self) -> &RaftNode {
        &self.node
    }

    /// The offset the next proposal will get (only meaningful on the leader).
    pub fn next_offset(&self) -> Offset {
        self.node.log_end_offset()
    }

    /// This node leads, and the image holds everything committed before its epoch (its
    /// LeaderChange entry is applied): an active controller may decide from the image now.
    pub fn leads_with_current_image(&self) -> Option<Epoch> {
        if self.node.role() != RoleKind::Leader {
            return None;
        }
        let epoch = self.node.leader_epoch();
        // Epochs never go down along the log: the first entry of this epoch is found by
        // bisection, not a scan on every controller operation.
        let log = self.node.log();
        let start = log
            .get(log.partition_point(|entry| entry.epoch < epoch))
            .filter(|entry| entry.epoch == epoch)
            .map(|entry| entry.offset);
        let ready = match start {
            Some(start) => self.image.offset > start,
            // Every leader starts its epoch with a LeaderChange entry; if the log no longer
            // holds it, a snapshot covers it, so it is committed and in the image.
            None => self.image.offset >= self.node.log_start_offset(),
        };
        ready.then_some(epoch)
    }

    /// When the next tick can matter ([`RaftNode::next_tick_ms`]); at once while a snapshot
    /// taken waits to be reported, which the next event of any kind does.
    pub fn next_tick_ms(&self) -> i64 {
        if self.snapshot_taken.is_some() {
            return i64::MIN;
        }
        self.node.next_tick_ms()
    }

    fn report_snapshot(&mut self, now_ms: i64) -> Result<(), ReplicaError> {
        match self.snapshot_taken.take() {
            Some(event) => {
                let commands = self.node.handle(now_ms, event);
                self.execute(now_ms, commands)
            }
            None => Ok(()),
        }
    }

    fn execute(&mut self, now_ms: i64, commands: Vec<Command>) -> Result<(), ReplicaError> {
        let mut queue = commands;
        loop {
            let mut appended = false;
            for command in queue {
                appended |= matches!(command, Command::AppendToLog { .. });
                self.apply(command)?;
            }
            if appended {
                let end_offset =
                    if crate::canary::is_on(crate::canary::Canary::MetadataFlushSkipped) {
                        self.store.log_end_offset()
                    } else {
                        self.store.flush()?
                    };
                self.pending.push(Event::Flushed { end_offset });
            }
            if self.pending.is_empty() {
                // A follower learns of commits before it flushes what it fetched: now that it
                // has, its commit point may catch up.
                return self.record_commit_point();
            }
            let event = self.pending.remove(0);
            queue = self.node.handle(now_ms, event);
        }
    }

    fn apply(&mut self, command: Command) -> Result<(), ReplicaError> {
        match command {
            Command::Send { to, message } => self.outbox.push((to, message)),
            Command::PersistQuorumState(state) => self.store.persist_quorum_state(&state)?,
            Command::AppendToLog { entries } => self.store.append(&entries)?,
            Command::TruncateLog { to_offset } => {
                if to_offset < self.image.offset {
                    return Err(ReplicaError::TruncateCommitted {
                        to_offset,
                        applied: self.image.offset,
                    });
                }
                self.store.truncate(to_offset)?;
            }
            Command::DeleteLogBefore { offset } => {
                self.store.delete_log_before(offset)?;
            }
            Command::InstallSnapshot { id, data } => {
                let image = image_from_snapshot(id, &data)?;
                self.store.install_snapshot(id, &data)?;
                self.image = image;
                self.bytes_since_snapshot = 0;
            }
            Command::SnapshotRejected { id, .. } => self.store.delete_snapshot(id)?,
            Command::Committed { high_watermark } => {
                // Durable before anything is applied (and so before any client hears of it):
                // from now on recovery may not cut these entries (`raft_store::commit_point`).
                self.record_commit_point()?;
                self.apply_committed(high_watermark)?;
            }
            Command::BecameLeader { .. }
            | Command::ProposalAccepted { .. }
            | Command::ProposalRejected(_) => {}
        }
        Ok(())
    }

    /// Records what is both committed and flushed here as the store's commit point, and how
    /// far the log is flushed: before the next fetch acknowledges it (see
    /// `raft_store::commit_point`).
    fn record_commit_point(&mut self) -> Result<(), ReplicaError> {
        let committed = (self.node.high_watermark()).min(self.store.durable_end_offset());
        Ok(self.store.record_committed(committed)?)
    }

    /// Replays committed entries the image does not hold yet, then snapshots if due.
    fn apply_committed(&mut self, high_watermark: Offset) -> Result<(), ReplicaError> {
        let start = self.node.log_start_offset();
        let from = self.image.offset.max(start);
        let mut last_epoch = None;
        // Only the newly committed entries, found by bisection: a commit must not walk the
        // whole log.
        let log = self.node.log();
        let lo = log.partition_point(|entry| entry.offset < from);
        let hi = log.partition_point(|entry| entry.offset < high_watermark);
        for entry in &log[lo..hi.max(lo)] {
            match entry.kind {
                EntryKind::LeaderChange => self.image.skip_to(entry.offset),
                EntryKind::Data => {
                    let records =
                        decode_batch(&entry.data).map_err(|error| ReplicaError::Decode {
                            offset: entry.offset,
                            error,
                        })?;
                    self.image
                        .replay_batch(entry.offset, &records)
                        .map_err(|error| ReplicaError::Replay {
                            offset: entry.offset,
                            error,
                        })?;
                }
            }
            self.bytes_since_snapshot += entry.data.len() as u64 + 1;
            last_epoch = Some(entry.epoch);
        }
        if let Some(epoch) = last_epoch {
            if self.bytes_since_snapshot >= self.snapshot_after_bytes {
                self.take_snapshot(epoch)?;
            }
        }
        Ok(())
    }

    /// Writes the image as a snapshot at its offset and tells the core.
    fn take_snapshot(&mut self, epoch: Epoch) -> Result<(), ReplicaError> {
        let id = OffsetAndEpoch {
            epoch,
            offset: self.image.offset,
        };
        let data = encode_batch(&self.image.to_records());
        self.store.save_snapshot(id, &data)?;
        self.bytes_since_snapshot = 0;
        self.snapshot_taken = Some(Event::SnapshotTaken { id, data });
        Ok(())
    }
}

fn image_from_snapshot(id: OffsetAndEpoch, data: &[u8]) -> Result<MetadataImage, ReplicaError> {
    let records = decode_batch(data).map_err(|error| ReplicaError::Decode {
        offset: id.offset,
        error,
    })?;
    MetadataImage::from_snapshot(id.offset, &records).map_err(|error| ReplicaError::Replay {
        offset: id.offset,
        error,
    })
}
