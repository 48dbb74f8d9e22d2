//! Reading the metadata log back, and deciding which of its entries continue the snapshot.
//!
//! By the time this runs the storage engine has verified every batch and cut a torn or
//! corrupt tail. What is left must still fit the snapshot in force: the log has to reach the
//! snapshot's end offset without a gap, and the entry just before that offset must have the
//! snapshot's epoch (otherwise the log diverged from the state the snapshot captured, as after
//! a crash in the middle of installing a leader's snapshot). A log that does not fit is
//! discarded and restarted, empty, at the snapshot's end; the core then fetches what it lacks
//! from the leader, as a new follower would. Entries whose epoch goes backwards (only a bug
//! writes them) are cut from the first such entry on, so the core never receives a log its
//! own checks would reject. Each discard is reported with a typed reason.

use std::path::Path;

use super::entry_batch;
use super::error::{EntryCorruption, RaftStoreError};
use crate::core::raft::{Entry, Epoch, Offset, OffsetAndEpoch};
use crate::storage::batch::BatchSplitter;
use crate::storage::{Log, ReadError};

/// Bytes asked of the log per read while loading (whole entries are returned even if larger).
const READ_BYTES: usize = 1024 * 1024;

/// Entries the store dropped while opening, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discarded {
    /// The first offset dropped and the old log end offset: `[from_offset, to_offset)`.
    pub from_offset: Offset,
    pub to_offset: Offset,
    pub reason: DiscardReason,
}

/// Why entries were dropped on open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscardReason {
    /// The log starts after the snapshot's end offset (0 without a snapshot): the entries in
    /// between are gone, so nothing after them can be applied.
    GapAfterSnapshot {
        snapshot_offset: Offset,
        log_start_offset: Offset,
    },
    /// The log ends before the snapshot's end offset (a snapshot written ahead of the flushed
    /// log, or a crash while installing one).
    LogEndsBeforeSnapshot {
        snapshot_offset: Offset,
        log_end_offset: Offset,
    },
    /// The entry at `snapshot.offset - 1` has another epoch: the log diverged from the state
    /// the snapshot holds.
    EpochMismatchAtSnapshot {
        snapshot: OffsetAndEpoch,
        log_epoch: Epoch,
    },
    /// The entry at `offset` has an epoch below its predecessor's.
    EpochRegression {
        offset: Offset,
        epoch: Epoch,
        previous_epoch: Epoch,
    },
}

/// Decodes the whole batches of one read, which start at `from`; the error names the offset.
fn decode_all(bytes: &[u8], from: Offset) -> Result<Vec<Entry>, (Offset, EntryCorruption)> {
    let mut entries = Vec::new();
    let mut next = from;
    for split in BatchSplitter::new(bytes) {
        let batch = split.map_err(|error| (next, EntryCorruption::Batch(error)))?;
        let entry = entry_batch::decode(batch.bytes).map_err(|reason| (next, reason))?;
        // `Log::read` checked that offsets are dense; one entry per batch makes them ours.
        debug_assert_eq!(entry.offset, next);
        next = entry.offset + 1;
        entries.push(entry);
    }
    Ok(entries)
}

/// Reads and decodes the entries in `[from, to)`, which the log must hold. An entry that does
/// not decode is read again once: the epoch copy check can fail on a bit flipped on the way
/// up, and only a failure that persists is corruption.
pub(super) fn read_entries(
    log: &Log,
    dir: &Path,
    from: Offset,
    to: Offset,
) -> Result<Vec<Entry>, RaftStoreError> {
    let mut entries = Vec::new();
    let mut next = from;
    while next < to {
        let read_error = |source| RaftStoreError::LogRead {
            dir: dir.to_path_buf(),
            offset: next,
            source,
        };
        let read = || log.read(next, READ_BYTES, to, true).map_err(read_error);
        let mut decoded = decode_all(&read()?, next);
        if decoded.is_err() {
            decoded = decode_all(&read()?, next);
        }
        let chunk = decoded.map_err(|(offset, reason)| RaftStoreError::CorruptEntry {
            dir: dir.to_path_buf(),
            offset,
            reason,
        })?;
        let Some(last) = chunk.last() else {
            // The log claims to reach `to` but yields nothing at `next`.
            return Err(read_error(ReadError::OffsetOutOfRange {
                log_start_offset: log.log_start_offset(),
                log_end_offset: log.log_end_offset(),
            }));
        };
        next = last.offset + 1;
        entries.extend(chunk);
    }
    Ok(entries)
}

/// Why the log cannot continue `snapshot` (or an empty state without one), if it cannot.
fn mismatch(
    log: &Log,
    dir: &Path,
    snapshot: Option<OffsetAndEpoch>,
) -> Result<Option<DiscardReason>, RaftStoreError> {
    let (start, end) = (log.log_start_offset(), log.log_end_offset());
    let snapshot_offset = snapshot.map_or(0, |s| s.offset);
    if start > snapshot_offset {
        let log_start_offset = start;
        return Ok(Some(DiscardReason::GapAfterSnapshot {
            snapshot_offset,
            log_start_offset,
        }));
    }
    if end < snapshot_offset {
        let log_end_offset = end;
        return Ok(Some(DiscardReason::LogEndsBeforeSnapshot {
            snapshot_offset,
            log_end_offset,
        }));
    }
    let Some(snapshot) = snapshot.filter(|s| s.offset > start) else {
        return Ok(None);
    };
    let before = read_entries(log, dir, snapshot.offset - 1, snapshot.offset)?;
    match before.first() {
        Some(entry) if entry.epoch != snapshot.epoch => {
            let log_epoch = entry.epoch;
            Ok(Some(DiscardReason::EpochMismatchAtSnapshot {
                snapshot,
                log_epoch,
            }))
        }
        _ => Ok(None),
    }
}

fn report(dir: &Path, discarded: &Discarded) {
    let (from, to) = (discarded.from_offset, discarded.to_offset);
    let reason = &discarded.reason;
    tracing::warn!(dir = %dir.display(), from, to, ?reason, "discarding metadata log entries");
    crate::event!(
        "raft store discarded dir={} from={from} to={to} reason={reason:?}",
        dir.display()
    );
}

/// Refuses to drop entries below `committed` (the recorded commit point): those were applied
/// and acknowledged, and a log without them must not be continued.
fn keep_committed(dir: &Path, from: Offset, committed: Offset) -> Result<(), RaftStoreError> {
    if from < committed {
        return Err(RaftStoreError::CommittedEntriesMissing {
            dir: dir.to_path_buf(),
            offset: from,
            committed,
        });
    }
    Ok(())
}

/// The entries after `snapshot` (from offset 0 without one), cutting or restarting the log
/// where it does not continue the snapshot, unless that would drop entries below `committed`.
pub(super) fn recover_entries(
    log: &mut Log,
    dir: &Path,
    snapshot: Option<OffsetAndEpoch>,
    committed: Offset,
) -> Result<(Vec<Entry>, Option<Discarded>), RaftStoreError> {
    let base = snapshot.map_or(0, |s| s.offset);
    let (start, end) = (log.log_start_offset(), log.log_end_offset());
    if let Some(reason) = mismatch(log, dir, snapshot)? {
        // The snapshot holds everything below its offset; what the log held past it is dropped.
        keep_committed(dir, base, committed)?;
        log.truncate_fully_and_start_at(base)
            .map_err(RaftStoreError::io(dir, "restart the log in"))?;
        // An empty log that merely starts elsewhere held nothing worth reporting.
        let discarded = (start < end).then_some(Discarded {
            from_offset: start,
            to_offset: end,
            reason,
        });
        if let Some(discarded) = &discarded {
            report(dir, discarded);
        }
        return Ok((Vec::new(), discarded));
    }
    let mut entries = read_entries(log, dir, base, end)?;
    let mut previous_epoch = snapshot.map_or(0, |s| s.epoch);
    let regression = entries.iter().position(|entry| {
        let regressed = entry.epoch < previous_epoch;
        previous_epoch = previous_epoch.max(entry.epoch);
        regressed
    });
    let Some(index) = regression else {
        return Ok((entries, None));
    };
    let entry = &entries[index];
    keep_committed(dir, entry.offset, committed)?;
    let discarded = Discarded {
        from_offset: entry.offset,
        to_offset: end,
        reason: DiscardReason::EpochRegression {
            offset: entry.offset,
            epoch: entry.epoch,
            // The running maximum stopped at the regressing entry: its predecessor's epoch.
            previous_epoch,
        },
    };
    log.truncate_to(entry.offset)
        .map_err(RaftStoreError::io(dir, "truncate the log in"))?;
    entries.truncate(index);
    report(dir, &discarded);
    Ok((entries, Some(discarded)))
}

/// The leader epoch cache the store can vouch for once `entries` (the checked entries after
/// `snapshot`) are recovered, given the cache the log loaded. Below the snapshot the batches
/// are never decoded and a batch header's epoch lies outside its CRC, so a cache rebuilt from
/// those headers may hold a flipped epoch: there the cached entries are kept only up to the
/// snapshot's epoch (which the entry just before the snapshot has, as recovery checked). From
/// the snapshot on, each epoch starts where the checked entries say. A sound cache comes back
/// unchanged.
pub(super) fn checked_epochs(
    snapshot: Option<OffsetAndEpoch>,
    log_start_offset: Offset,
    cached: &[(Epoch, Offset)],
    entries: &[Entry],
) -> Vec<(Epoch, Offset)> {
    let mut epochs: Vec<(Epoch, Offset)> = Vec::new();
    if let Some(snapshot) = snapshot.filter(|s| s.offset > log_start_offset) {
        let sound = |(epoch, start): &&(Epoch, Offset)| {
            *epoch <= snapshot.epoch && *start <= snapshot.offset
        };
        epochs.extend(cached.iter().take_while(sound));
        if epochs
            .last()
            .is_none_or(|(epoch, _)| *epoch != snapshot.epoch)
        {
            // Where the snapshot's epoch began is unknown; the entry before it is in it.
            let last = snapshot.offset - 1;
            epochs.retain(|(_, start)| *start < last);
            epochs.push((snapshot.epoch, last));
        }
    }
    for entry in entries {
        if epochs.last().is_none_or(|(epoch, _)| entry.epoch > *epoch) {
            epochs.push((entry.epoch, entry.offset));
        }
    }
    epochs
}
