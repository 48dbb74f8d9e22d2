//! The state machine's in-memory mirror of the metadata log, with an epoch cache like Kafka's
//! `leader-epoch-checkpoint` so "where does epoch E end" is answered without a scan.
//!
//! The runtime owns durability: every change made here is also emitted as a command
//! (`AppendToLog`, `TruncateLog`) for it to apply to disk. Entries are validated by the callers
//! (a fetch response is checked before anything is appended); the asserts here are for
//! programmer errors only.

use super::types::{Entry, Epoch, Offset, OffsetAndEpoch, EPOCH_NONE};

#[derive(Debug, Clone, Default)]
pub struct RaftLog {
    entries: Vec<Entry>,
    /// `(epoch, start_offset)` for every epoch present in the log, strictly increasing in both.
    epoch_starts: Vec<(Epoch, Offset)>,
}

impl RaftLog {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The offset the next entry gets (Kafka's log end offset).
    pub fn end_offset(&self) -> Offset {
        self.entries.len() as Offset
    }

    /// The epoch of the last entry, or `EPOCH_NONE` for an empty log.
    pub fn last_epoch(&self) -> Epoch {
        self.epoch_starts
            .last()
            .map_or(EPOCH_NONE, |&(epoch, _)| epoch)
    }

    /// Where this log ends, for the vote log check.
    pub fn last_offset_and_epoch(&self) -> OffsetAndEpoch {
        OffsetAndEpoch {
            epoch: self.last_epoch(),
            offset: self.end_offset(),
        }
    }

    /// The epoch of the entry at `offset`, if the log holds one.
    pub fn epoch_at(&self, offset: Offset) -> Option<Epoch> {
        let index = usize::try_from(offset).ok()?;
        self.entries.get(index).map(|entry| entry.epoch)
    }

    /// The largest epoch not above `epoch` in this log and the end offset of that epoch (KRaft's
    /// `endOffsetForEpoch`); `(EPOCH_NONE, 0)` when the log has nothing that old.
    pub fn end_offset_for_epoch(&self, epoch: Epoch) -> OffsetAndEpoch {
        let found = self.epoch_starts.partition_point(|&(e, _)| e <= epoch);
        if found == 0 {
            return OffsetAndEpoch {
                epoch: EPOCH_NONE,
                offset: 0,
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

    /// Entries from `from` on, at most `count_max` of them.
    pub fn read(&self, from: Offset, count_max: usize) -> Vec<Entry> {
        let start = usize::try_from(from)
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
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
        if entry.epoch > self.last_epoch() {
            self.epoch_starts.push((entry.epoch, entry.offset));
        }
        self.entries.push(entry);
    }

    /// Drops every entry at or after `to_offset`.
    pub fn truncate(&mut self, to_offset: Offset) {
        let keep = usize::try_from(to_offset.max(0)).unwrap_or(usize::MAX);
        self.entries.truncate(keep);
        let end = self.end_offset();
        self.epoch_starts.retain(|&(_, start)| start < end);
    }

    /// Whether the epoch cache agrees with the entries (checked by the invariants).
    pub fn is_consistent(&self) -> bool {
        let offsets_contiguous = self.entries.iter().zip(0..).all(|(e, i)| e.offset == i);
        let mut expected = Vec::new();
        for entry in &self.entries {
            if expected
                .last()
                .is_none_or(|&(epoch, _)| entry.epoch > epoch)
            {
                expected.push((entry.epoch, entry.offset));
            } else if expected
                .last()
                .is_some_and(|&(epoch, _)| entry.epoch < epoch)
            {
                return false;
            }
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
            entries,
            epoch_starts,
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
}
