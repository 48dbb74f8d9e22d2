//! Group commit: an append that must be durable before it is acknowledged (`flush.messages`)
//! waits until the log's durable offset (its recovery point) passes it. The first waiter that
//! finds no fsync under way starts one covering everything appended so far and awaits it
//! without the log's lock; appends that arrive meanwhile wait for the next one, which covers
//! them all. One fsync serves a whole group of appends, and the log stays free for appends and
//! reads while the disk works.
//!
//! A failed fsync leaves the page cache untrustworthy (Linux may have dropped the dirty pages),
//! so the log remembers it: every waiter, now and later, gets the error, and the broker halts
//! as it does on any failed fsync.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use super::disk::SyncFuture;
use super::log::Log;
use crate::canary::{self, Canary};

/// An fsync of everything below `end_offset` (and of the directory's first `dir_changes`
/// entry changes), to await without the log's lock, then report to [`Log::finish_flush`].
pub struct FlushJob {
    pub covers: Covers,
    syncs: Vec<SyncFuture>,
}

/// How far a [`FlushJob`] makes the log durable, and how many truncations the log had when
/// it started (after another, the records it covered may have been replaced by new ones that
/// it never synced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covers {
    pub end_offset: i64,
    pub dir_changes: u64,
    pub truncations: u64,
}

impl FlushJob {
    /// Runs every file's fsync side by side; the first error, once all have finished.
    pub async fn run(self) -> io::Result<()> {
        let results = crate::runtime::join_all(self.syncs).await;
        results.into_iter().collect()
    }
}

/// The state of flushes a log keeps between its lock's holders.
#[derive(Debug, Default)]
pub(super) struct GroupCommit {
    /// An fsync is under way (its job knows how far it reaches).
    in_flight: bool,
    /// Why an fsync failed (the log is not to be trusted from then on).
    failed: Option<String>,
    /// Bumped whenever a flush finishes, for waiters to wake on.
    finished: Option<crate::runtime::sync::watch::Sender<u64>>,
}

impl Log {
    /// Starts a flush of everything appended so far, unless one is under way or everything is
    /// durable already (`None`: wait for the flush under way, or for nothing). The directory
    /// is synced alongside the segments when a roll (or a deletion) changed its entries.
    pub fn start_flush(&mut self) -> io::Result<Option<FlushJob>> {
        self.check_flushes()?;
        let end_offset = self.log_end_offset();
        if self.group.in_flight || self.is_durable_to(end_offset) {
            return Ok(None);
        }
        let dir_changes = self.dir_changes;
        let mut syncs: Vec<SyncFuture> = Vec::new();
        if self.dir_synced < dir_changes {
            syncs.push(self.disk.sync_dir_later(&self.dir));
        }
        syncs.extend(self.unflushed_segments().flat_map(|s| s.sync_later()));
        self.group.in_flight = true;
        self.unflushed_messages = 0;
        let covers = Covers {
            end_offset,
            dir_changes,
            truncations: self.truncations,
        };
        Ok(Some(FlushJob { covers, syncs }))
    }

    /// Reports how the flush [`Self::start_flush`] started ended: on success everything below
    /// its end offset (that is still in the log) is durable, and so are the directory entry
    /// changes it covered.
    pub fn finish_flush(&mut self, covers: Covers, result: &io::Result<()>) {
        self.group.in_flight = false;
        match result {
            Ok(()) => {
                if covers.truncations == self.truncations {
                    let durable = covers.end_offset.min(self.log_end_offset());
                    self.recovery_point = self.recovery_point.max(durable);
                }
                self.dir_synced = self.dir_synced.max(covers.dir_changes);
            }
            // The files were deleted or moved under the flush: nothing to trust or distrust.
            Err(_) if self.removed => {}
            Err(error) => self.flush_failed(error),
        }
        if let Some(finished) = &self.group.finished {
            finished.send_modify(|count| *count += 1);
        }
    }

    /// Remembers that an fsync failed: nothing of this log is to be trusted as durable now.
    fn flush_failed(&mut self, error: &io::Error) {
        let why = format!("an fsync of {} failed: {error}", self.dir.display());
        self.group.failed.get_or_insert(why);
    }

    /// Fails if an fsync of this log ever failed, or (with `NotFound`) if the log was deleted
    /// or set aside: its records will never be durable here.
    fn check_flushes(&self) -> io::Result<()> {
        self.refuse_if_removed()?;
        match &self.group.failed {
            Some(why) => Err(io::Error::other(why.clone())),
            None => Ok(()),
        }
    }

    /// Everything below `end_offset` (that the log still holds) is fsynced, and so is every
    /// change to the directory's entries.
    fn is_durable_to(&self, end_offset: i64) -> bool {
        self.recovery_point >= end_offset.min(self.log_end_offset())
            && self.dir_synced >= self.dir_changes
    }

    /// A receiver that wakes when the next flush finishes.
    fn flush_finished(&mut self) -> crate::runtime::sync::watch::Receiver<u64> {
        let finished = self.group.finished.get_or_insert_with(|| {
            let (sender, _) = crate::runtime::sync::watch::channel(0);
            sender
        });
        finished.subscribe()
    }
}

/// Waits until every offset of `log` below `end_offset` is durable, starting flushes when none
/// is under way. Errors if an fsync of the log failed, and with `NotFound` if the log was
/// deleted or set aside meanwhile (not a disk failure). Each flush runs as a task of its own, so
/// a waiter that goes away (its request dropped) never leaves a flush half done.
pub async fn wait_durable(log: &Arc<Mutex<Log>>, end_offset: i64) -> io::Result<()> {
    loop {
        let mut finished = {
            let mut locked = lock_log(log);
            if locked.is_durable_to(end_offset) {
                locked.check_flushes()?;
                return Ok(());
            }
            let finished = locked.flush_finished();
            if let Some(job) = locked.start_flush()? {
                let covers = job.covers;
                let owner = log.clone();
                crate::runtime::spawn(async move {
                    let result = job.run().await;
                    lock_log(&owner).finish_flush(covers, &result);
                });
                if canary::is_on(Canary::AckBeforeFlushCompletes) {
                    return Ok(());
                }
            }
            finished
        };
        // Woken when the flush under way (ours or another's) finishes; then look again.
        let _ = finished.changed().await;
    }
}

/// [`wait_durable`] for several logs at once, their flushes side by side; results in order.
pub async fn wait_all_durable(waits: Vec<(Arc<Mutex<Log>>, i64)>) -> Vec<io::Result<()>> {
    let futures = waits
        .into_iter()
        .map(|(log, end_offset)| {
            let wait = async move { wait_durable(&log, end_offset).await };
            Box::pin(wait) as Pin<Box<dyn Future<Output = io::Result<()>> + Send>>
        })
        .collect();
    crate::runtime::join_all(futures).await
}

/// Locks one partition's log. A holder that panicked left it as consistent as any crash
/// would (every change is one write at a time), so the lock is taken over, not refused.
pub fn lock_log(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
