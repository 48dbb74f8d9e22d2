//! `RaftStore`: opening the metadata partition directory, and the operations the runtime runs
//! for the core's commands (persist the quorum state, append, flush, truncate, snapshots).
//!
//! Like [`Log`], it is synchronous and single-writer. Which operations are durable on return
//! is part of each method's contract, because the core's safety depends on it: the quorum
//! state before any message that depends on it is sent, the log end offset only after
//! [`RaftStore::flush`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::commit_point::{CommitPoint, Points};
use super::entry_batch::{self, BATCH_BYTES_MAX};
use super::error::RaftStoreError;
use super::quorum_state::{self, QUORUM_STATE_FILE};
use super::recover::{self, Discarded};
use super::snapshot::{self, SnapshotKey, TMP_SUFFIX};
use crate::core::raft::{Entry, Epoch, Offset, OffsetAndEpoch, QuorumState};
use crate::limits::SEGMENT_BYTES_DEFAULT;
use crate::storage::disk::create_dir_durable;
use crate::storage::{CommittedDataDamaged, Log};
use crate::storage::{Disk, LogConfig, ReadError, TimestampType};

/// The metadata partition's directory under the metadata log dir, as Kafka names it.
pub const METADATA_PARTITION_DIR: &str = "__cluster_metadata-0";

/// Settings of the metadata log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaftStoreConfig {
    /// Kafka's `metadata.log.segment.bytes`: roll to a new segment past this size. Only whole
    /// segments are deleted below a snapshot, so smaller segments free space sooner.
    pub segment_bytes: u64,
    /// What to do with entries found damaged or missing below the recorded commit point.
    /// `false` (the only voter: nobody else has them) refuses to open. `true` (another voter
    /// holds the log) cuts the log where the damage starts, and does the same for damage below
    /// the recorded flushed offset (entries this node may have acknowledged), and reports the
    /// loss in [`Recovered::lost_committed`], for the node to fetch the entries again before it
    /// votes (see `core::raft::repair`).
    pub refetch_lost_commits: bool,
}

impl Default for RaftStoreConfig {
    fn default() -> Self {
        Self {
            segment_bytes: SEGMENT_BYTES_DEFAULT,
            refetch_lost_commits: false,
        }
    }
}

impl RaftStoreConfig {
    /// The storage engine's settings: no time-based rolls, no retention (snapshots bound the
    /// log), no fsync except [`RaftStore::flush`], no timestamps to stamp.
    fn log_config(&self) -> LogConfig {
        LogConfig {
            segment_bytes: self.segment_bytes,
            segment_ms: i64::MAX,
            max_message_bytes: BATCH_BYTES_MAX,
            message_timestamp_type: TimestampType::CreateTime,
            compacted: false,
            flush_messages: u64::MAX,
            flush_ms: i64::MAX,
            retention_ms: -1,
            retention_bytes: -1,
            ..LogConfig::default()
        }
    }
}

/// What a node finds on disk when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// `None` only when the node never persisted one.
    pub quorum_state: Option<QuorumState>,
    /// The newest snapshot that verified, and its data.
    pub snapshot: Option<(OffsetAndEpoch, Bytes)>,
    /// The entries from the snapshot's end offset (0 without one), dense and epoch-ordered.
    pub entries: Vec<Entry>,
    /// Entries dropped because they did not continue the snapshot, with the reason.
    pub discarded: Option<Discarded>,
    /// With `refetch_lost_commits`: the recorded commit point, when the log recovered ends
    /// below it or below the recorded flushed offset (damage was cut, or entries were missing).
    /// The node must fetch from a leader again, at least up to the commit point, before it
    /// votes.
    pub lost_committed: Option<Offset>,
}

/// The durable state of one metadata quorum member.
pub struct RaftStore {
    disk: Arc<dyn Disk>,
    dir: PathBuf,
    log: Log,
    /// Every snapshot file on disk; the last one is in force (it verified on open, or this
    /// process wrote it).
    snapshots: BTreeSet<SnapshotKey>,
    /// The highest offset recorded as committed and durable here, and how far the log was
    /// flushed (`commit_point`).
    commit_point: CommitPoint,
}

impl std::fmt::Debug for RaftStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftStore")
            .field("log", &self.log)
            .field("snapshots", &self.snapshots)
            .finish()
    }
}

impl RaftStore {
    /// Opens (or creates) `<metadata_dir>/__cluster_metadata-0/` and recovers what it holds:
    /// leftover temp files are deleted, the quorum state read (a corrupt one is an error), the
    /// newest valid snapshot chosen, the log recovered by the storage engine (every segment is
    /// verified: the store keeps no recovery point) and its entries checked against the
    /// snapshot. Everything recovered is durable when this returns.
    pub fn open(
        disk: Arc<dyn Disk>,
        metadata_dir: &Path,
        config: RaftStoreConfig,
    ) -> Result<(RaftStore, Recovered), RaftStoreError> {
        let dir = metadata_dir.join(METADATA_PARTITION_DIR);
        create_dir_durable(&*disk, &dir).map_err(RaftStoreError::io(&dir, "create"))?;
        remove_leftover_tmp_files(&*disk, &dir)?;
        let quorum_state = quorum_state::read(&*disk, &dir.join(QUORUM_STATE_FILE))?;
        let snapshot::Loaded {
            files: snapshots,
            latest: snapshot,
        } = snapshot::load_latest(&*disk, &dir)?;
        let commit_point = CommitPoint::open(&*disk, &dir)?;
        let recorded = if crate::canary::is_on(crate::canary::Canary::CommitPointIgnored) {
            Points::default()
        } else {
            commit_point.recorded()
        };
        let committed = recorded.committed;
        // What recovery must not cut silently: committed entries, and where others hold the
        // log, flushed ones too (a leader may have counted them towards a commit).
        let vouched = if config.refetch_lost_commits {
            committed.max(recorded.flushed)
        } else {
            committed
        };
        let open = |committed| {
            Log::open_keeping_committed(disk.clone(), dir.clone(), config.log_config(), committed)
        };
        let mut log = match open(vouched) {
            Ok(log) => log,
            Err(error) => match CommittedDataDamaged::find(&error) {
                Some(damage) if config.refetch_lost_commits => {
                    tracing::error!(
                        %damage,
                        "metadata this node flushed is damaged: cutting the log there; this \
                         node fetches it again from the leader and votes only once it has"
                    );
                    open(0).map_err(RaftStoreError::io(&dir, "recover the log in"))?
                }
                Some(damage) => {
                    return Err(RaftStoreError::CommittedEntryDamaged {
                        damage: damage.clone(),
                    })
                }
                None => return Err(RaftStoreError::io(&dir, "recover the log in")(error)),
            },
        };
        let snapshot_id = snapshot.as_ref().map(|(id, _)| *id);
        let snapshot_offset = snapshot_id.map_or(0, |id| id.offset);
        let held = log.log_end_offset().max(snapshot_offset);
        if held < committed && !config.refetch_lost_commits {
            return Err(RaftStoreError::CommittedEntriesMissing {
                dir,
                offset: log.log_end_offset(),
                committed,
            });
        }
        // What is left below the commit point is still committed and must not be cut.
        let keep = committed.min(held);
        let (entries, discarded) = match recover::recover_entries(&mut log, &dir, snapshot_id, keep)
        {
            // An entry whose batch passed its CRC but does not decode (its epoch, outside
            // the CRC, disagrees with the copy inside): damage like any other, so where
            // others hold the log it is cut there and refetched too.
            Err(RaftStoreError::CorruptEntry { offset, reason, .. })
                if config.refetch_lost_commits =>
            {
                tracing::error!(
                    offset,
                    ?reason,
                    "a metadata entry is damaged: cutting the log there; this node fetches \
                         it again from the leader and votes only once it has"
                );
                log.truncate_to(offset)
                    .map_err(RaftStoreError::io(&dir, "truncate the log in"))?;
                let keep = committed.min(log.log_end_offset().max(snapshot_offset));
                recover::recover_entries(&mut log, &dir, snapshot_id, keep)?
            }
            result => result?,
        };
        let epochs =
            recover::checked_epochs(snapshot_id, log.log_start_offset(), log.epochs(), &entries);
        log.reset_epochs(epochs)
            .map_err(RaftStoreError::io(&dir, "write the leader epoch cache in"))?;
        let held = log.log_end_offset().max(snapshot_offset);
        let lost_committed = (held < vouched).then_some(committed);
        // After a process crash, recovered entries may be in the page cache only, yet the core
        // counts every restored entry as flushed: make that true.
        log.flush()
            .map_err(RaftStoreError::io(&dir, "fsync the log in"))?;
        let store = RaftStore {
            disk,
            dir,
            log,
            snapshots,
            commit_point,
        };
        let recovered = Recovered {
            quorum_state,
            snapshot,
            entries,
            discarded,
            lost_committed,
        };
        Ok((store, recovered))
    }

    /// The metadata partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn log_start_offset(&self) -> Offset {
        self.log.log_start_offset()
    }

    /// The offset the next appended entry must have.
    pub fn log_end_offset(&self) -> Offset {
        self.log.log_end_offset()
    }

    /// Entries below this offset are on disk (fsynced).
    pub fn durable_end_offset(&self) -> Offset {
        self.log.recovery_point()
    }

    /// The snapshot in force.
    pub fn latest_snapshot(&self) -> Option<OffsetAndEpoch> {
        self.snapshots.last().copied().map(snapshot::id)
    }

    /// Replaces `quorum-state`; durable when this returns.
    pub fn persist_quorum_state(&mut self, state: &QuorumState) -> Result<(), RaftStoreError> {
        quorum_state::write(&*self.disk, &self.dir.join(QUORUM_STATE_FILE), state)
    }

    /// Appends entries, which must start at the log end offset, be dense, and not go back in
    /// epoch. Not durable until [`RaftStore::flush`]. Everything is checked before anything
    /// is written; a disk error may leave the entries before the failing one appended (the
    /// log end offset says how far it got).
    pub fn append(&mut self, entries: &[Entry]) -> Result<(), RaftStoreError> {
        self.check_append(entries)?;
        let mut runs = entries.chunk_by(|a, b| a.epoch == b.epoch);
        runs.try_for_each(|run| self.append_run(run))
    }

    /// Dense offsets from the log end, epochs never below the last one (which is never
    /// negative, so neither are theirs).
    fn check_append(&self, entries: &[Entry]) -> Result<(), RaftStoreError> {
        let mut previous_epoch = self.last_epoch();
        for (expected_offset, entry) in (self.log.log_end_offset()..).zip(entries) {
            if entry.offset != expected_offset {
                return Err(RaftStoreError::NonContiguousAppend {
                    dir: self.dir.clone(),
                    expected_offset,
                    offset: entry.offset,
                });
            }
            if entry.epoch < previous_epoch {
                return Err(RaftStoreError::EpochRegression {
                    dir: self.dir.clone(),
                    offset: entry.offset,
                    epoch: entry.epoch,
                    previous_epoch,
                });
            }
            previous_epoch = entry.epoch;
        }
        Ok(())
    }

    /// The epoch of the last entry, or of the snapshot when the log is empty past it.
    fn last_epoch(&self) -> Epoch {
        let snapshot = self.latest_snapshot();
        let log_has_entries = snapshot.is_none_or(|s| self.log.log_end_offset() > s.offset);
        match self.log.latest_epoch() {
            Some(epoch) if log_has_entries => epoch,
            _ => snapshot.map_or(0, |s| s.epoch),
        }
    }

    /// Appends entries of one epoch as one write: one batch per entry.
    fn append_run(&mut self, run: &[Entry]) -> Result<(), RaftStoreError> {
        let mut records = Vec::new();
        for entry in run {
            entry_batch::encode(entry, &mut records).map_err(|bytes| {
                RaftStoreError::EntryTooLarge {
                    dir: self.dir.clone(),
                    offset: entry.offset,
                    bytes,
                    bytes_max: BATCH_BYTES_MAX,
                }
            })?;
        }
        let Some(first) = run.first() else {
            return Ok(());
        };
        let info = self
            .log
            .append_as_leader(&records, first.epoch, 0)
            .map_err(|source| RaftStoreError::LogAppend {
                dir: self.dir.clone(),
                offset: first.offset,
                source,
            })?;
        if info.base_offset != first.offset {
            // The storage engine placed the entries elsewhere than its own log end offset
            // promised (only the simulator's DuplicateOffset canary does that).
            return Err(RaftStoreError::NonContiguousAppend {
                dir: self.dir.clone(),
                expected_offset: info.base_offset,
                offset: first.offset,
            });
        }
        Ok(())
    }

    /// Fsyncs every appended entry; returns the durable end offset (the log end offset).
    pub fn flush(&mut self) -> Result<Offset, RaftStoreError> {
        self.log
            .flush()
            .map_err(RaftStoreError::io(&self.dir, "fsync the log in"))?;
        Ok(self.log.recovery_point())
    }

    /// Records that every entry below `committed` is committed, and how far the log is
    /// flushed, durably when this returns (see `commit_point`); the caller passes no more than
    /// it has flushed, and calls it after every flush, before anything it flushed is
    /// acknowledged. Recovery will refuse to cut anything committed silently, and so will
    /// [`RaftStore::truncate`].
    pub fn record_committed(&mut self, committed: Offset) -> Result<(), RaftStoreError> {
        let flushed = self.log.recovery_point();
        (self.commit_point).record(&*self.disk, Points { committed, flushed })
    }

    /// The commit point recorded so far.
    pub fn recorded_committed(&self) -> Offset {
        self.commit_point.recorded().committed
    }

    /// Drops every entry at or after `to_offset`; durable when this returns. Entries in the
    /// snapshot or below the recorded commit point are committed and can never be truncated.
    pub fn truncate(&mut self, to_offset: Offset) -> Result<(), RaftStoreError> {
        let snapshot_offset = self.latest_snapshot().map_or(0, |s| s.offset);
        let recorded = self.commit_point.recorded();
        let floor = snapshot_offset
            .max(self.log.log_start_offset())
            .max(recorded.committed);
        if to_offset < floor {
            return Err(RaftStoreError::TruncateBelowFloor {
                dir: self.dir.clone(),
                to_offset,
                floor,
            });
        }
        // The entries cut were never committed: no longer vouched for either.
        let flushed = recorded.flushed.min(to_offset);
        (self.commit_point).record(
            &*self.disk,
            Points {
                flushed,
                ..recorded
            },
        )?;
        self.log
            .truncate_to(to_offset)
            .map_err(RaftStoreError::io(&self.dir, "truncate the log in"))
    }

    fn check_snapshot_id(&self, id: OffsetAndEpoch) -> Result<(), RaftStoreError> {
        if id.offset < 0 || id.epoch < 0 {
            let dir = self.dir.clone();
            return Err(RaftStoreError::InvalidSnapshotId { dir, id });
        }
        Ok(())
    }

    /// Saves a snapshot of this node's state up to `id.offset` (exclusive), which the log must
    /// hold: `id.epoch` is checked against the log's entry at `id.offset - 1` when the log
    /// still has it. Durable when this returns; the log is untouched.
    pub fn save_snapshot(&mut self, id: OffsetAndEpoch, data: &[u8]) -> Result<(), RaftStoreError> {
        self.check_snapshot_id(id)?;
        let (start, end) = (self.log.log_start_offset(), self.log.log_end_offset());
        if id.offset < start || id.offset > end {
            return Err(RaftStoreError::SnapshotOutsideLog {
                dir: self.dir.clone(),
                id,
                log_start_offset: start,
                log_end_offset: end,
            });
        }
        if id.offset > start {
            let before = recover::read_entries(&self.log, &self.dir, id.offset - 1, id.offset)?;
            if let Some(entry) = before.first().filter(|e| e.epoch != id.epoch) {
                let (dir, log_epoch) = (self.dir.clone(), entry.epoch);
                return Err(RaftStoreError::SnapshotEpochMismatch { dir, id, log_epoch });
            }
        }
        snapshot::write(&*self.disk, &self.dir, id, data)?;
        self.snapshots.insert(snapshot::key(id));
        Ok(())
    }

    /// Installs a leader's snapshot: saves it, then drops the whole log and restarts it, empty,
    /// at `id.offset`; every other snapshot is deleted (none fits the restarted log). Durable
    /// when this returns. A crash in between leaves the snapshot and the old log, which
    /// opening checks against each other.
    pub fn install_snapshot(
        &mut self,
        id: OffsetAndEpoch,
        data: &[u8],
    ) -> Result<(), RaftStoreError> {
        self.check_snapshot_id(id)?;
        snapshot::write(&*self.disk, &self.dir, id, data)?;
        self.snapshots.insert(snapshot::key(id));
        self.log
            .truncate_fully_and_start_at(id.offset)
            .map_err(RaftStoreError::io(&self.dir, "restart the log in"))?;
        let others: Vec<SnapshotKey> = (self.snapshots.iter())
            .filter(|key| **key != snapshot::key(id))
            .copied()
            .collect();
        self.delete_snapshots(&others)
    }

    /// Deletes whole segments below `offset`, which the latest snapshot must cover, and the
    /// snapshots older than the new log start other than the latest. Returns the log start
    /// offset; entries between the first remaining segment's base and `offset` stay on disk,
    /// so after a restart the log may start below `offset`. Deletions are made durable by the
    /// next flush: one that a crash undoes only leaves entries below the snapshot.
    pub fn delete_log_before(&mut self, offset: Offset) -> Result<Offset, RaftStoreError> {
        let snapshot_offset = self.latest_snapshot().map(|s| s.offset);
        if snapshot_offset.is_none_or(|s| offset > s) {
            return Err(RaftStoreError::DeleteBeyondSnapshot {
                dir: self.dir.clone(),
                offset,
                snapshot_offset,
            });
        }
        // Retention in the storage engine only deletes below its high watermark; every entry
        // below a snapshot is committed.
        self.log.set_high_watermark(self.log.log_end_offset());
        self.log
            .increment_log_start_offset(offset)
            .map_err(|error| match error {
                ReadError::Storage(source) => RaftStoreError::Io {
                    path: self.dir.clone(),
                    operation: "move the log start offset in",
                    source,
                },
                source => RaftStoreError::LogRead {
                    dir: self.dir.clone(),
                    offset,
                    source,
                },
            })?;
        self.log
            .delete_old_segments(0)
            .map_err(RaftStoreError::io(&self.dir, "delete old segments in"))?;
        let start = self.log.log_start_offset();
        let latest = self.snapshots.last().copied();
        let stale: Vec<SnapshotKey> = (self.snapshots.iter())
            .filter(|key| key.0 < start && Some(**key) != latest)
            .copied()
            .collect();
        self.delete_snapshots(&stale)?;
        Ok(start)
    }

    /// Deletes one snapshot (one the core refused after `save_snapshot`); the previous one, if
    /// any, is in force again. Refused if the log no longer reaches back to that previous
    /// one. Durable when this returns; deleting one that does not exist does nothing.
    pub fn delete_snapshot(&mut self, id: OffsetAndEpoch) -> Result<(), RaftStoreError> {
        let key = snapshot::key(id);
        if !self.snapshots.contains(&key) {
            return Ok(());
        }
        let log_start_offset = self.log.log_start_offset();
        let previous_offset = (self.snapshots.iter())
            .rfind(|other| **other != key)
            .map_or(0, |other| other.0);
        if previous_offset < log_start_offset {
            let dir = self.dir.clone();
            return Err(RaftStoreError::SnapshotInUse {
                dir,
                id,
                log_start_offset,
            });
        }
        self.delete_snapshots(&[key])
    }

    fn delete_snapshots(&mut self, keys: &[SnapshotKey]) -> Result<(), RaftStoreError> {
        for key in keys {
            let path = snapshot::path(&self.dir, snapshot::id(*key));
            self.disk
                .remove_file(&path)
                .map_err(RaftStoreError::io(&path, "delete"))?;
            self.snapshots.remove(key);
        }
        if !keys.is_empty() {
            self.disk
                .sync_dir(&self.dir)
                .map_err(RaftStoreError::io(&self.dir, "fsync the directory of"))?;
        }
        Ok(())
    }

    /// A stored snapshot's data (a leader serving FetchSnapshot), verified before it is
    /// returned: a corrupt snapshot is an error, never served.
    pub fn read_snapshot(&self, id: OffsetAndEpoch) -> Result<Bytes, RaftStoreError> {
        snapshot::read(&*self.disk, &self.dir, id)?.map_err(|reason| {
            let path = snapshot::path(&self.dir, id);
            RaftStoreError::CorruptSnapshot { path, reason }
        })
    }
}

/// Deletes what an interrupted write left: a snapshot, `quorum-state` or checkpoint still under
/// its temp name never took effect.
fn remove_leftover_tmp_files(disk: &dyn Disk, dir: &Path) -> Result<(), RaftStoreError> {
    let entries = disk
        .read_dir(dir)
        .map_err(RaftStoreError::io(dir, "list"))?;
    for entry in entries
        .iter()
        .filter(|e| !e.is_dir && e.name.ends_with(TMP_SUFFIX))
    {
        let path = dir.join(&entry.name);
        tracing::warn!(file = %path.display(), "deleting a file left by an interrupted write");
        disk.remove_file(&path)
            .map_err(RaftStoreError::io(&path, "delete"))?;
    }
    Ok(())
}
