//! `Log`: one partition's log — an ordered run of segments, the log start and end offsets, the
//! high watermark, the leader epoch cache and the flush policy.
//!
//! Appends go to the last (active) segment; reads find the segment by base offset and the batch
//! through the offset index. This file holds opening, truncation and flushing; appends live in
//! `append.rs` and reads in `read.rs`. The log is synchronous and single-writer: the broker
//! wraps it in a mutex, and nothing here reads a clock (callers pass `now_ms`).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::batch::BatchHeader;
use super::checkpoint::{read_epochs, LEADER_EPOCH_CHECKPOINT};
use super::config::LogConfig;
use super::disk::{create_dir_durable, Disk};
use super::group_commit::GroupCommit;
use super::leader_epoch::LeaderEpochCache;
use super::read_buffers::ReadBuffers;
use super::recovery::load_segments;
use super::segment::Segment;

/// The replica role the broker gave a log. An append or truncation decided from what another
/// lock said checks it again under the log's own lock, so a leadership change in between
/// cannot let a stale decision through (`server::replication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogRole {
    #[default]
    None,
    Leader {
        epoch: i32,
    },
    Follower {
        leader: i32,
        epoch: i32,
    },
}

/// One partition's log.
pub struct Log {
    pub(super) disk: Arc<dyn Disk>,
    pub(super) dir: PathBuf,
    pub(super) config: LogConfig,
    /// Never empty: the last one is the active segment.
    pub(super) segments: BTreeMap<i64, Segment>,
    pub(super) log_start_offset: i64,
    pub(super) high_watermark: i64,
    /// Everything below this offset is known to be fsynced.
    pub(super) recovery_point: i64,
    pub(super) epochs: LeaderEpochCache,
    pub(super) unflushed_messages: u64,
    pub(super) last_flush_ms: i64,
    /// Segment files created or deleted so far, and how many of those changes the directory's
    /// last completed fsync covers: while they differ it needs one. Counts rather than a flag
    /// because a directory fsync may be under way (`group_commit`) when another change comes.
    pub(super) dir_changes: u64,
    pub(super) dir_synced: u64,
    /// Truncations so far: a flush that started before one cannot vouch for what the log
    /// holds after it (`group_commit::Covers`).
    pub(super) truncations: u64,
    /// The partition was deleted or set aside: whoever still holds the log leaves its files
    /// alone (they are gone or moved), and waits for its durability end.
    pub(super) removed: bool,
    /// Where reads get their buffers (shared by every log of a `LogManager`).
    pub(super) read_buffers: ReadBuffers,
    pub(super) scanned_batches: u64,
    /// Flushes run without the lock (`group_commit`).
    pub(super) group: GroupCommit,
    role: LogRole,
    /// Reads refuse a batch whose leader epoch is above the cache's latest (`read`). Off for
    /// the metadata store, which checks each entry's epoch against its records itself and
    /// says which entry is damaged.
    pub(super) epochs_bound_reads: bool,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("dir", &self.dir)
            .field("log_start_offset", &self.log_start_offset)
            .field("log_end_offset", &self.log_end_offset())
            .field("high_watermark", &self.high_watermark)
            .field("recovery_point", &self.recovery_point)
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl Log {
    /// Opens a partition's log after an unclean shutdown (or when unsure): segments holding
    /// offsets at or past `recovery_point` are verified and truncated at the first bad batch.
    pub fn open(
        disk: Arc<dyn Disk>,
        dir: PathBuf,
        config: LogConfig,
        recovery_point: i64,
        log_start_offset: i64,
        now_ms: i64,
    ) -> io::Result<Log> {
        let mut log = Self::load(
            disk,
            dir,
            config,
            Some(recovery_point),
            log_start_offset,
            now_ms,
            0,
        )?;
        log.assign_recovered_epochs(recovery_point)?;
        Ok(log)
    }

    /// Records the leader epochs of the batches from `recovery_point` on that the epoch cache
    /// lacks, as Kafka's segment recovery does: a crash may keep records whose epoch's
    /// checkpoint write it lost (a follower records epochs after its records), and reads hold
    /// every batch to the cache's latest epoch. Each header is read until two reads agree: the
    /// epoch lies outside the CRC, and one flipped on the way up and recorded here made a
    /// leader tell its followers, again and again, that their logs diverged.
    fn assign_recovered_epochs(&mut self, recovery_point: i64) -> io::Result<()> {
        let from = recovery_point.max(self.log_start_offset);
        let mut found = Vec::new();
        for segment in self.segments.values() {
            if segment.next_offset() <= from {
                continue;
            }
            let Some((mut position, _)) = segment.find_batch(from)? else {
                continue;
            };
            while let Some(header) = segment.read_header_agreed(position)? {
                found.push((header.partition_leader_epoch, header.base_offset));
                position += header.total_size() as u64;
            }
        }
        for (epoch, base_offset) in found {
            self.epochs.assign(epoch, base_offset)?;
        }
        Ok(())
    }

    /// Opens a log whose owner recorded that everything below `committed` was committed (the
    /// metadata quorum's store): every segment is verified, as by `open` from offset 0, but
    /// damage below `committed` is an error carrying [`CommittedDataDamaged`] instead of a cut
    /// (see `recovery`), and the files are left as they are for the operator.
    ///
    /// [`CommittedDataDamaged`]: super::CommittedDataDamaged
    pub fn open_keeping_committed(
        disk: Arc<dyn Disk>,
        dir: PathBuf,
        config: LogConfig,
        committed: i64,
    ) -> io::Result<Log> {
        let mut log = Self::load(disk, dir, config, Some(0), 0, 0, committed)?;
        log.epochs_bound_reads = false;
        Ok(log)
    }

    /// Opens a log that was shut down cleanly: nothing is rescanned, only index sanity checked.
    pub fn open_after_clean_shutdown(
        disk: Arc<dyn Disk>,
        dir: PathBuf,
        config: LogConfig,
        log_start_offset: i64,
        now_ms: i64,
    ) -> io::Result<Log> {
        Self::load(disk, dir, config, None, log_start_offset, now_ms, 0)
    }

    /// Makes reads use `pool` (shared with other logs) instead of this log's own.
    pub fn share_read_buffers(&mut self, pool: ReadBuffers) {
        self.read_buffers = pool;
    }

    /// Creates the directory of a new, empty log (or opens what is already there, scanning it).
    pub fn create(
        disk: Arc<dyn Disk>,
        dir: PathBuf,
        config: LogConfig,
        now_ms: i64,
    ) -> io::Result<Log> {
        create_dir_durable(&*disk, &dir)?;
        Self::load(disk, dir, config, Some(0), 0, now_ms, 0)
    }

    fn load(
        disk: Arc<dyn Disk>,
        dir: PathBuf,
        config: LogConfig,
        recovery_point: Option<i64>,
        log_start_offset: i64,
        now_ms: i64,
        committed: i64,
    ) -> io::Result<Log> {
        disk.create_dir_all(&dir)?;
        let loaded = load_segments(&*disk, &dir, &config, recovery_point, committed)?;
        let epoch_path = dir.join(LEADER_EPOCH_CHECKPOINT);
        let epochs = read_epochs(&*disk, &epoch_path).unwrap_or_else(|error| {
            tracing::warn!(%error, "rebuilding the leader epoch cache from the log");
            Vec::new()
        });
        let mut log = Log {
            epochs: LeaderEpochCache::new(disk.clone(), epoch_path, epochs),
            disk,
            dir,
            config,
            segments: loaded.segments,
            log_start_offset,
            high_watermark: 0,
            recovery_point: recovery_point.unwrap_or(i64::MAX),
            unflushed_messages: 0,
            last_flush_ms: now_ms,
            dir_changes: 0,
            dir_synced: 0,
            truncations: 0,
            removed: false,
            read_buffers: ReadBuffers::default(),
            scanned_batches: loaded.scanned_batches,
            group: GroupCommit::default(),
            role: LogRole::None,
            epochs_bound_reads: true,
        };
        log.settle_offsets()?;
        if log.epochs.entries().is_empty() && log.log_end_offset() > log.log_start_offset {
            log.rebuild_epochs()?;
        }
        log.epochs.truncate_from_end(log.log_end_offset())?;
        if let Some(segment) = log.segments.values_mut().next_back() {
            segment.set_first_batch_ms(now_ms);
        }
        Ok(log)
    }

    /// Reconciles the checkpointed offsets with what is on disk: a log start past the end
    /// empties the log there (as Kafka's `truncateFullyAndStartAt`), an empty directory gets
    /// its first segment, and the recovery point and high watermark stay within the log.
    fn settle_offsets(&mut self) -> io::Result<()> {
        let end = self.segments.values().next_back().map(Segment::next_offset);
        match end {
            Some(end) if self.log_start_offset <= end => {}
            _ => self.reset_to(self.log_start_offset.max(0))?,
        }
        let first_base = self.segments.keys().next().copied().unwrap_or(0);
        self.log_start_offset = self.log_start_offset.max(first_base);
        let end = self.log_end_offset();
        self.recovery_point = self.recovery_point.max(self.log_start_offset).min(end);
        self.high_watermark = self.log_start_offset;
        Ok(())
    }

    /// Deletes every segment and starts an empty log at `offset`.
    fn reset_to(&mut self, offset: i64) -> io::Result<()> {
        for (_, segment) in std::mem::take(&mut self.segments) {
            segment.delete(&*self.disk)?;
        }
        self.segments
            .insert(offset, Segment::create(&*self.disk, &self.dir, offset)?);
        self.dir_changes += 1;
        self.truncations += 1;
        self.log_start_offset = offset;
        self.recovery_point = offset;
        Ok(())
    }

    /// Rebuilds the leader epoch cache from the batches' `partition_leader_epoch` fields, when
    /// the checkpoint was missing or corrupt.
    fn rebuild_epochs(&mut self) -> io::Result<()> {
        let mut entries: Vec<(i32, i64)> = Vec::new();
        for segment in self.segments.values() {
            let mut position = 0;
            while let Some(header) = segment.read_header_at(position)? {
                let epoch = header.partition_leader_epoch;
                if epoch >= 0 && entries.last().is_none_or(|last| epoch > last.0) {
                    entries.push((epoch, header.base_offset));
                }
                position += header.total_size() as u64;
            }
        }
        self.epochs.replace(entries)
    }

    /// The leader epoch cache: (epoch, start offset), both increasing.
    pub fn epochs(&self) -> &[(i32, i64)] {
        self.epochs.entries()
    }

    /// Replaces the leader epoch cache with `entries` (epochs and start offsets increasing)
    /// that the caller checked against the records themselves, persisting it only if it
    /// changes. The metadata store does this after recovery: a batch's leader epoch lies
    /// outside its CRC, so a cache rebuilt from batch headers may hold a flipped one.
    pub fn reset_epochs(&mut self, entries: Vec<(i32, i64)>) -> io::Result<()> {
        if self.epochs.entries() == entries.as_slice() {
            return Ok(());
        }
        self.epochs.replace(entries)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Takes effect from the next append or flush decision.
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        self.active().next_offset()
    }

    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    /// Sets the high watermark, clamped to [log_start_offset, log_end_offset].
    pub fn set_high_watermark(&mut self, high_watermark: i64) {
        let end = self.log_end_offset();
        self.high_watermark = high_watermark.max(self.log_start_offset).min(end);
    }

    pub fn role(&self) -> LogRole {
        self.role
    }

    pub fn set_role(&mut self, role: LogRole) {
        self.role = role;
    }

    /// Whether the partition was deleted or set aside (its files are gone or moved).
    pub fn is_removed(&self) -> bool {
        self.removed
    }

    /// Offsets below this are durable on disk.
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    /// The bytes of every segment's log file (what DescribeLogDirs reports as its size).
    pub fn size_bytes(&self) -> u64 {
        self.segments.values().map(|segment| segment.size()).sum()
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.epochs.latest_epoch()
    }

    /// Records that leader epoch `epoch` starts at the log end, as Kafka's new leader does
    /// before it serves a follower (`maybeAssignEpochStartOffset`): a follower whose last epoch
    /// the leader never wrote in (a former leader's unreplicated tail) must learn where the
    /// leader's older epoch ends, not that its own epoch is unknown. Persisted at once.
    pub fn begin_leader_epoch(&mut self, epoch: i32) -> io::Result<()> {
        let end = self.log_end_offset();
        self.epochs.assign(epoch, end)
    }

    /// KIP-101: the largest epoch at or below `epoch` and its end offset; `None` is Kafka's
    /// UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> Option<(i32, i64)> {
        self.epochs.end_offset_for(epoch, self.log_end_offset())
    }

    /// How many batches the last open verified by a full scan (for tests and metrics).
    pub fn recovery_scanned_batches(&self) -> u64 {
        self.scanned_batches
    }

    pub(super) fn active(&self) -> &Segment {
        // Invariant: `segments` is never empty (every constructor and truncation keeps one).
        self.segments
            .values()
            .next_back()
            .expect("a log always has an active segment")
    }

    pub(super) fn active_mut(&mut self) -> &mut Segment {
        self.segments
            .values_mut()
            .next_back()
            .expect("a log always has an active segment")
    }

    /// Starts a new active segment at the log end offset.
    pub(super) fn roll(&mut self, now_ms: i64) -> io::Result<()> {
        let base = self.log_end_offset();
        self.active_mut().seal_time_index()?;
        let mut segment = Segment::create(&*self.disk, &self.dir, base)?;
        segment.set_first_batch_ms(now_ms);
        self.segments.insert(base, segment);
        self.dir_changes += 1;
        Ok(())
    }

    /// Fsyncs every segment that may hold unflushed data (and the directory, if segments were
    /// created or deleted), then moves the recovery point to the log end offset.
    pub fn flush(&mut self) -> io::Result<()> {
        let end = self.log_end_offset();
        for segment in self.unflushed_segments() {
            segment.flush()?;
        }
        self.sync_dir_if_needed()?;
        self.recovery_point = end;
        self.unflushed_messages = 0;
        Ok(())
    }

    /// The segments that may hold data not yet fsynced: from the one holding the recovery
    /// point on.
    pub(super) fn unflushed_segments(&self) -> impl Iterator<Item = &Segment> {
        let first =
            (self.segments.range(..=self.recovery_point).next_back()).map_or(0, |(b, _)| *b);
        self.segments.range(first..).map(|(_, segment)| segment)
    }

    /// Whether `flush.messages` wants what was appended since the last flush made durable.
    pub fn flush_due(&self) -> bool {
        self.unflushed_messages >= self.config.flush_messages
    }

    /// Whether `flush.ms` has passed since the last time-based flush. If so the next period
    /// starts now, and the answer is the offset below which everything is to become durable
    /// (by `group_commit::wait_durable`, which fsyncs without holding the log's lock).
    pub fn take_due_flush(&mut self, now_ms: i64) -> Option<i64> {
        if now_ms.saturating_sub(self.last_flush_ms) < self.config.flush_ms {
            return None;
        }
        self.last_flush_ms = now_ms;
        Some(self.log_end_offset())
    }

    /// Flushes everything and seals the active segment's time index, before a clean shutdown.
    pub fn close(&mut self) -> io::Result<()> {
        self.active_mut().seal_time_index()?;
        self.flush()
    }

    /// Removes every record at or after `offset` (the whole batch containing it, so the log
    /// end offset may end up below `offset`). A follower does this when it diverged from the
    /// leader. Truncating below the log start offset empties the log and restarts it there.
    pub fn truncate_to(&mut self, offset: i64) -> io::Result<()> {
        if offset >= self.log_end_offset() {
            // Nothing to cut, but an epoch may start at the log end without a record in it: a
            // replica that led and was replaced before it appended anything. A new leader that
            // never had that epoch answers for the one before it, ending here, so the entry
            // must go, as Kafka's `truncateTo` drops it; kept, the follower would send it as
            // its last fetched epoch again and truncate to here forever.
            let end = self.log_end_offset();
            if self
                .epochs
                .entries()
                .last()
                .is_some_and(|&(_, start)| start >= end)
            {
                self.refuse_if_removed()?;
                self.epochs.truncate_from_end(end)?;
            }
            return Ok(());
        }
        self.refuse_if_removed()?;
        self.truncations += 1;
        let first_base = self.segments.keys().next().copied().unwrap_or(0);
        if offset <= first_base || offset < self.log_start_offset {
            self.reset_to(offset.max(0))?;
        } else {
            let doomed: Vec<i64> = self.segments.range(offset..).map(|(b, _)| *b).collect();
            for base in doomed {
                if let Some(segment) = self.segments.remove(&base) {
                    segment.delete(&*self.disk)?;
                    self.dir_changes += 1;
                }
            }
            let interval = self.config.index_interval_bytes;
            self.active_mut().truncate_to(offset, interval)?;
        }
        // Make the truncation durable now: if a crash brought the removed batches back, they
        // would pass recovery's checks (valid CRCs, ordered offsets) and resurrect data the
        // leader never had.
        self.active().flush()?;
        self.sync_dir_if_needed()?;
        let end = self.log_end_offset();
        self.high_watermark = self.high_watermark.min(end);
        self.recovery_point = self.recovery_point.min(end);
        self.epochs.truncate_from_end(end)
    }

    /// Deletes every segment and restarts the log, empty, at `offset`, which may lie past the
    /// log end (Kafka's `truncateFullyAndStartAt`): a replica that installs a snapshot beyond
    /// its log does this. The leader epoch cache is cleared, and the change is durable on
    /// return for the reason `truncate_to` gives.
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) -> io::Result<()> {
        self.refuse_if_removed()?;
        self.reset_to(offset.max(0))?;
        self.active().flush()?;
        self.sync_dir_if_needed()?;
        self.high_watermark = self.log_start_offset;
        self.unflushed_messages = 0;
        self.epochs.replace(Vec::new())
    }

    /// Fails (`NotFound`) once the log was deleted or set aside: its files are not to be touched.
    pub(super) fn refuse_if_removed(&self) -> io::Result<()> {
        if self.removed {
            let why = format!("{} was deleted or set aside", self.dir.display());
            return Err(io::Error::new(io::ErrorKind::NotFound, why));
        }
        Ok(())
    }

    /// Marks the log deleted or set aside, before its files are touched: a flush, retention
    /// or a produce that still holds it then leaves them alone (`group_commit`, `retention`).
    /// Returns its directory, for the caller to delete or move.
    pub(super) fn mark_removed(&mut self) -> PathBuf {
        self.removed = true;
        self.dir.clone()
    }

    pub(super) fn sync_dir_if_needed(&mut self) -> io::Result<()> {
        let changes = self.dir_changes;
        if self.dir_synced < changes {
            self.disk.sync_dir(&self.dir)?;
            self.dir_synced = self.dir_synced.max(changes);
        }
        Ok(())
    }

    /// The segment and batch holding `offset`, searching forward from the segment whose base
    /// offset is at or below it (later segments cover gaps left by empty segments).
    pub(super) fn find_batch(
        &self,
        offset: i64,
    ) -> io::Result<Option<(&Segment, u64, BatchHeader)>> {
        let floor = self
            .segments
            .range(..=offset)
            .next_back()
            .map_or(i64::MIN, |(b, _)| *b);
        for segment in self.segments.range(floor..).map(|(_, s)| s) {
            if let Some((position, header)) = segment.find_batch(offset)? {
                return Ok(Some((segment, position, header)));
            }
        }
        Ok(None)
    }
}
