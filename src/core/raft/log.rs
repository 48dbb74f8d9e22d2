//! The state machine's in-memory mirror of the metadata log, with an epoch cache like Kafka's
//! `leader-epoch-checkpoint` so "where does epoch E end" is answered without a scan.
//!
//! The log may start after a snapshot: `start` is the snapshot's id (the offset the first held
//! entry has, and the epoch of the entry just before it), `(EPOCH_NONE, 0)` without one. Every
//! question about the log's end falls back to `start` when no entries are held, so an empty log
//! after a snapshot ends at the snapshot id, as in KRaft.
//!
//! The runtime owns durability: every change made here is also emitted as a command
//! (`AppendToLog`, `TruncateLog`, `DeleteLogBefore`, `InstallSnapshot`) for it to apply to disk.
//! Entries are validated by the callers (a fetch response is checked before anything is
//! appended); the asserts here are for programmer errors only.

use super::types::{Entry, Epoch, Offset, OffsetAndEpoch, EPOCH_NONE};

/// Where a log without a snapshot starts.
const LOG_START_NONE: OffsetAndEpoch = OffsetAndEpoch {
    epoch: EPOCH_NONE,
    offset: 0,
};

#[derive(Debug, Clone)]
pub struct RaftLog {
    /// The snapshot id the entries follow on from (`LOG_START_NONE` without a snapshot).
    start: OffsetAndEpoch,
    entries: Vec<Entry>,
    /// `(epoch, first offset held)` for every epoch present in `entries`, strictly increasing in
    /// both. An epoch that began before `start` is listed from `start.offset`.
    epoch_starts: Vec<(Epoch, Offset)>,
    /// Counts every change to the entries or the start, so an observer that samples the log
    /// (the simulator's watcher) can tell an unchanged log without comparing its entries.
    version: u64,
}

impl Default for RaftLog {
    fn default() -> Self {
        Self {
            start: LOG_START_NONE,
            entries: Vec::new(),
            epoch_starts: Vec::new(),
            version: 0,
        }
    }
}

impl RaftLog {
    /// See the `version` field: equal versions of one log mean equal contents.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The entries held, from `start_offset()` on.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The snapshot id the log starts at (`(EPOCH_NONE, 0)` without a snapshot).
    pub fn start(&self) -> OffsetAndEpoch {
        self.start
    }

    /// Kafka's log start offset: the first offset the log holds (or would hold).
    pub fn start_offset(&self) -> Offset {
        self.start.offset
    }

    /// The offset the next entry gets (Kafka's log end offset).
    pub fn end_offset(&self) -> Offset {
        self.start.offset + self.entries.len() as Offset
    }

    /// The epoch of the last entry; the snapshot's epoch for an empty log after a snapshot, or
    /// `EPOCH_NONE` for an empty log without one.
    pub fn last_epoch(&self) -> Epoch {
        self.epoch_starts
            .last()
            .map_or(self.start.epoch, |&(epoch, _)| epoch)
    }

    /// Where this log ends, for the vote log check and fetch requests.
    pub fn last_offset_and_epoch(&self) -> OffsetAndEpoch {
        OffsetAndEpoch {
            epoch: self.last_epoch(),
            offset: self.end_offset(),
        }
    }

    fn index_of(&self, offset: Offset) -> Option<usize> {
        usize::try_from(offset.checked_sub(self.start.offset)?).ok()
    }

    /// The epoch of the entry at `offset`, if the log holds one.
    pub fn epoch_at(&self, offset: Offset) -> Option<Epoch> {
        let index = self.index_of(offset)?;
        self.entries.get(index).map(|entry| entry.epoch)
    }

    /// The epoch of the entry just before `offset`, as a snapshot id at `offset` must name it:
    /// answered from the snapshot id at the log start, from the entries above it.
    pub fn epoch_before(&self, offset: Offset) -> Option<Epoch> {
        if offset == self.start.offset {
            return Some(self.start.epoch);
        }
        self.epoch_at(offset.checked_sub(1)?)
    }

    /// The largest epoch not above `epoch` in this log and the end offset of that epoch (KRaft's
    /// `endOffsetForEpoch`). The snapshot's epoch ends at the log start unless entries continue
    /// it. An epoch older than the snapshot's is no longer known: the answer is then
    /// `(EPOCH_NONE, 0)`, which no caller acts on (a leader answers such fetches with its
    /// snapshot, a follower never truncates below its high watermark).
    pub fn end_offset_for_epoch(&self, epoch: Epoch) -> OffsetAndEpoch {
        let found = self.epoch_starts.partition_point(|&(e, _)| e <= epoch);
        if found == 0 {
            return if epoch >= self.start.epoch {
                self.start
            } else {
                LOG_START_NONE
            };
        }
        let end = match self.epoch_starts.get(found) {
            Some(&(_, next_start)) => next_start,
            None => self.end_offset(),
        };
        OffsetAndEpoch {
            epoch: self.epoch_starts[found - 1].0,
            offset: end,
        }
    }

    /// Entries from `from` on, at most `count_max` of them; none below the log start.
    pub fn read(&self, from: Offset, count_max: usize) -> Vec<Entry> {
        let Some(start) = self.index_of(from) else {
            return Vec::new();
        };
        let start = start.min(self.entries.len());
        let end = start.saturating_add(count_max).min(self.entries.len());
        self.entries[start..end].to_vec()
    }

    /// Appends one entry; it must follow on from the log (callers validate network input).
    pub fn append(&mut self, entry: Entry) {
        assert_eq!(
            entry.offset,
            self.end_offset(),
            "entries are appended contiguously"
        );
        assert!(
            entry.epoch >= self.last_epoch(),
            "epochs never go backwards in a log"
        );
        if self
            .epoch_starts
            .last()
            .is_none_or(|&(e, _)| entry.epoch > e)
        {
            self.epoch_starts.push((entry.epoch, entry.offset));
        }
        self.entries.push(entry);
        self.version += 1;
    }

    /// Drops every entry at or after `to_offset` (never below the log start: the snapshot stays).
    pub fn truncate(&mut self, to_offset: Offset) {
        let keep = self.index_of(to_offset.max(self.start.offset)).unwrap_or(0);
        self.entries.truncate(keep);
        let end = self.end_offset();
        self.epoch_starts.retain(|&(_, start)| start < end);
        self.version += 1;
    }

    /// Drops every entry below `snapshot_id.offset`, which becomes the log start. The id must
    /// name a held position after the current start, with the epoch of the entry before it.
    pub fn delete_before(&mut self, snapshot_id: OffsetAndEpoch) {
        assert!(
            snapshot_id.offset > self.start.offset && snapshot_id.offset <= self.end_offset(),
            "a snapshot moves the log start forward, within the log"
        );
        assert_eq!(
            self.epoch_before(snapshot_id.offset),
            Some(snapshot_id.epoch),
            "a snapshot id names the epoch of the entry before it"
        );
        let drop = self.index_of(snapshot_id.offset).expect("checked above");
        self.entries.drain(..drop);
        self.start = snapshot_id;
        self.epoch_starts
            .retain(|&(_, start)| start > snapshot_id.offset);
        if let Some(first) = self.entries.first() {
            if self
                .epoch_starts
                .first()
                .is_none_or(|&(e, _)| e != first.epoch)
            {
                self.epoch_starts.insert(0, (first.epoch, first.offset));
            }
        }
        self.version += 1;
    }

    /// Drops everything: the log restarts empty at `snapshot_id` (a snapshot was installed).
    pub fn reset_to(&mut self, snapshot_id: OffsetAndEpoch) {
        self.entries.clear();
        self.epoch_starts.clear();
        self.start = snapshot_id;
        self.version += 1;
    }

    /// Whether the entries follow on from the start and the epoch cache agrees with them
    /// (checked by the invariants).
    pub fn is_consistent(&self) -> bool {
        let offsets_contiguous = (self.entries.iter())
            .zip(self.start.offset..)
            .all(|(e, i)| e.offset == i);
        let mut expected: Vec<(Epoch, Offset)> = Vec::new();
        let mut last_epoch = self.start.epoch;
        for entry in &self.entries {
            if entry.epoch < last_epoch {
                return false;
            }
            if expected
                .last()
                .is_none_or(|&(epoch, _)| entry.epoch > epoch)
            {
                expected.push((entry.epoch, entry.offset));
            }
            last_epoch = entry.epoch;
        }
        offsets_contiguous && expected == self.epoch_starts
    }
}

#[cfg(test)]
impl RaftLog {
    /// A log exactly as given, unchecked: for tests that feed the invariants a broken one.
    pub(super) fn from_parts_unchecked(
        entries: Vec<Entry>,
        epoch_starts: Vec<(Epoch, Offset)>,
    ) -> Self {
        Self {
            start: LOG_START_NONE,
            entries,
            epoch_starts,
            version: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::core::raft::types::EntryKind;

    fn log_of(epochs: &[Epoch]) -> RaftLog {
        let mut log = RaftLog::default();
        for (offset, &epoch) in (0..).zip(epochs) {
            let kind = EntryKind::Data;
            let data = Bytes::new();
            log.append(Entry {
                epoch,
                offset,
                kind,
                data,
            });
        }
        log
    }

    #[test]
    fn end_offset_for_epoch_finds_the_largest_epoch_not_above() {
        let log = log_of(&[1, 1, 3, 3, 3, 5]);
        let at = |epoch, offset| OffsetAndEpoch { epoch, offset };
        assert_eq!(log.end_offset_for_epoch(0), at(0, 0));
        assert_eq!(log.end_offset_for_epoch(1), at(1, 2));
        assert_eq!(log.end_offset_for_epoch(2), at(1, 2));
        assert_eq!(log.end_offset_for_epoch(3), at(3, 5));
        assert_eq!(log.end_offset_for_epoch(5), at(5, 6));
        assert_eq!(log.end_offset_for_epoch(9), at(5, 6));
    }

    #[test]
    fn truncate_drops_entries_and_their_epochs() {
        let mut log = log_of(&[1, 1, 3, 3, 5]);
        log.truncate(3);
        assert_eq!(log.end_offset(), 3);
        assert_eq!(log.last_epoch(), 3);
        log.truncate(2);
        assert_eq!(log.last_epoch(), 1);
        assert!(log.is_consistent());
        assert_eq!(log.read(1, 10).len(), 1);
        assert!(log.read(7, 10).is_empty());
        assert!(log.read(-1, 10).is_empty());
    }

    #[test]
    fn consistency_check_catches_holes_and_a_stale_epoch_cache() {
        let good = log_of(&[1, 2, 2]);
        assert!(good.is_consistent());
        let entries = good.entries().to_vec();
        let stale_cache = RaftLog::from_parts_unchecked(entries.clone(), vec![(1, 0)]);
        assert!(!stale_cache.is_consistent());
        let mut holed = entries.clone();
        holed[2].offset = 3;
        let holed = RaftLog::from_parts_unchecked(holed, vec![(1, 0), (2, 1)]);
        assert!(!holed.is_consistent());
        let mut backwards = entries;
        backwards[2].epoch = 1;
        let backwards = RaftLog::from_parts_unchecked(backwards, vec![(1, 0), (2, 1)]);
        assert!(!backwards.is_consistent());
    }

    fn at(epoch: Epoch, offset: Offset) -> OffsetAndEpoch {
        OffsetAndEpoch { epoch, offset }
    }

    #[test]
    fn a_snapshot_moves_the_start_and_keeps_the_epoch_cache_exact() {
        // (epochs, snapshot offset, expected epoch cache after)
        type Case = (&'static [Epoch], Offset, &'static [(Epoch, Offset)]);
        let table: [Case; 4] = [
            (&[1, 1, 3, 3, 5], 3, &[(3, 3), (5, 4)]),
            (&[1, 1, 3, 3, 5], 2, &[(3, 2), (5, 4)]),
            (&[1, 1, 3, 3, 5], 5, &[]),
            (&[2, 2, 2], 1, &[(2, 1)]),
        ];
        for (epochs, offset, cache) in table {
            let mut log = log_of(epochs);
            let epoch = epochs[offset as usize - 1];
            log.delete_before(at(epoch, offset));
            assert_eq!(log.start(), at(epoch, offset), "{epochs:?} at {offset}");
            assert_eq!(log.epoch_starts, cache, "{epochs:?} at {offset}");
            assert!(log.is_consistent(), "{epochs:?} at {offset}");
            assert_eq!(log.end_offset(), epochs.len() as Offset);
            assert_eq!(
                log.entries().first().map(|e| e.offset),
                (offset < 5).then_some(offset)
            );
        }
    }

    #[test]
    fn an_empty_log_after_a_snapshot_ends_at_the_snapshot_id() {
        let mut log = log_of(&[1, 1, 3, 3]);
        log.delete_before(at(3, 4));
        assert_eq!(log.last_offset_and_epoch(), at(3, 4));
        assert_eq!(log.epoch_before(4), Some(3));
        assert_eq!(log.epoch_before(3), None, "below the start is gone");
        assert_eq!(log.end_offset_for_epoch(3), at(3, 4));
        assert_eq!(log.end_offset_for_epoch(7), at(3, 4));
        assert_eq!(
            log.end_offset_for_epoch(1),
            at(0, 0),
            "older than the snapshot: unknown"
        );
        assert!(log.read(2, 10).is_empty());
        log.truncate(1);
        assert_eq!(
            log.start(),
            at(3, 4),
            "truncation never reaches into the snapshot"
        );
        log.reset_to(at(4, 9));
        assert_eq!((log.end_offset(), log.last_epoch()), (9, 4));
    }

    #[test]
    fn end_offset_for_epoch_after_a_snapshot() {
        // Snapshot at (2, 3) over [1, 2, 2]; then entries of epochs 4, 4, 6 at 3, 4, 5.
        let mut log = log_of(&[1, 2, 2, 4, 4, 6]);
        log.delete_before(at(2, 3));
        let table = [
            (2, at(2, 3)),
            (3, at(2, 3)),
            (4, at(4, 5)),
            (5, at(4, 5)),
            (6, at(6, 6)),
        ];
        for (epoch, expected) in table {
            assert_eq!(log.end_offset_for_epoch(epoch), expected, "epoch {epoch}");
        }
        assert_eq!(log.read(4, 10).len(), 2);
        assert_eq!(log.epoch_at(3), Some(4));
        assert_eq!(log.epoch_at(2), None);
    }

    #[test]
    fn consistency_check_catches_entries_not_following_the_start() {
        let mut log = log_of(&[1, 2, 2]);
        log.delete_before(at(1, 1));
        assert!(log.is_consistent());
        let mut shifted = log.clone();
        shifted.start = at(1, 0);
        assert!(
            !shifted.is_consistent(),
            "entries do not follow on from the start"
        );
        let mut older = log.clone();
        older.start = at(3, 1);
        assert!(!older.is_consistent(), "entries older than the snapshot");
    }
}
