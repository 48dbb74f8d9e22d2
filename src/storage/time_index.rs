//! The `.timeindex` file: a sparse map from timestamp to offset, for ListOffsets by time and
//! time-based retention.
//!
//! Entries are Kafka's 12 bytes: a big-endian i64 timestamp, then a big-endian u32 offset
//! relative to the segment's base offset. An entry `(t, o)` says "the largest timestamp in this
//! segment up to the batch holding offset `o` is `t`, first reached in that batch" (we store the
//! last offset of that batch, as Kafka does; segments written before stored its base offset,
//! which names the same batch). Entries are added at the offset index's intervals, only when the
//! maximum timestamp grew, so timestamps strictly increase. A lookup for `target` returns the
//! offset of the last entry with timestamp at or below it: no record before that batch can have
//! a timestamp at or above `target`, so a forward scan from there finds the first one.

use std::io;
use std::path::Path;

use super::disk::{Disk, SyncFuture};
use super::index_file::{Entry, EntryFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeEntry {
    pub timestamp: i64,
    pub relative_offset: u32,
}

impl Entry for TimeEntry {
    const SIZE: usize = 12;

    fn encode(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.relative_offset.to_be_bytes());
    }

    fn decode(bytes: &[u8]) -> Self {
        let mut ts = [0; 8];
        ts.copy_from_slice(&bytes[..8]);
        let mut rel = [0; 4];
        rel.copy_from_slice(&bytes[8..12]);
        Self {
            timestamp: i64::from_be_bytes(ts),
            relative_offset: u32::from_be_bytes(rel),
        }
    }
}

pub(crate) struct TimeIndex {
    base_offset: i64,
    file: EntryFile<TimeEntry>,
}

impl TimeIndex {
    /// Opens the index; the flag is false when the file was missing or had a partial entry.
    pub fn open(disk: &dyn Disk, path: &Path, base_offset: i64) -> io::Result<(Self, bool)> {
        let (file, whole) = EntryFile::open(disk, path)?;
        Ok((Self { base_offset, file }, whole))
    }

    /// Whether timestamps strictly increase, offsets never decrease and stay below
    /// `next_offset` (the segment's end).
    pub fn is_consistent(&self, next_offset: i64) -> bool {
        let entries = self.file.entries();
        let ordered = entries.windows(2).all(|w| {
            w[0].timestamp < w[1].timestamp && w[0].relative_offset <= w[1].relative_offset
        });
        let inside = |e: &TimeEntry| self.base_offset + i64::from(e.relative_offset) < next_offset;
        ordered && entries.iter().all(inside)
    }

    /// Adds `(timestamp, offset)` if `timestamp` is above the last entry's.
    pub fn maybe_append(&mut self, timestamp: i64, offset: i64) -> io::Result<()> {
        let Ok(relative_offset) = u32::try_from(offset - self.base_offset) else {
            return Ok(());
        };
        if let Some(last) = self.file.last() {
            if timestamp <= last.timestamp || relative_offset < last.relative_offset {
                return Ok(());
            }
        }
        self.file.append(TimeEntry {
            timestamp,
            relative_offset,
        })
    }

    /// The offset to start scanning from for the first record with timestamp >= `target`.
    pub fn lookup(&self, target: i64) -> i64 {
        let entries = self.file.entries();
        let below = entries.partition_point(|e| e.timestamp <= target);
        match below.checked_sub(1) {
            Some(i) => self.base_offset + i64::from(entries[i].relative_offset),
            None => self.base_offset,
        }
    }

    /// The last entry as (timestamp, offset).
    pub fn last_entry(&self) -> Option<(i64, i64)> {
        (self.file.last()).map(|e| (e.timestamp, self.base_offset + i64::from(e.relative_offset)))
    }

    /// Drops entries pointing at `offset` or beyond (the log is being truncated there).
    pub fn truncate_to_offset(&mut self, offset: i64) -> io::Result<()> {
        let base = self.base_offset;
        let keep =
            (self.file.entries()).partition_point(|e| base + i64::from(e.relative_offset) < offset);
        self.file.truncate(keep)
    }

    pub fn reset(&mut self) -> io::Result<()> {
        self.file.reset()
    }

    pub fn sync(&self) -> io::Result<()> {
        self.file.sync()
    }

    pub fn sync_later(&self) -> SyncFuture {
        self.file.sync_later()
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;
    use std::path::PathBuf;

    #[test]
    fn entries_are_timestamp_then_relative_offset_and_only_grow() {
        let disk = MemDisk::new();
        disk.create_dir_all(Path::new("/d")).unwrap();
        let path = PathBuf::from("/d/00000000000000000010.timeindex");
        let (mut index, _) = TimeIndex::open(&disk, &path, 10).unwrap();
        index.maybe_append(1000, 10).unwrap();
        index.maybe_append(999, 12).unwrap(); // not larger: skipped
        index.maybe_append(2000, 15).unwrap();
        let bytes = disk.file_bytes(&path).unwrap();
        assert_eq!(bytes.len(), 24);
        assert_eq!(&bytes[..12], &[0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 0, 0, 0]);
        assert_eq!(&bytes[12..], &[0, 0, 0, 0, 0, 0, 7, 0xd0, 0, 0, 0, 5]);
        assert_eq!(index.lookup(500), 10);
        assert_eq!(index.lookup(1999), 10);
        assert_eq!(index.lookup(2000), 15);
        assert!(index.is_consistent(16));
        assert!(!index.is_consistent(15));
        index.truncate_to_offset(15).unwrap();
        assert_eq!(index.last_entry(), Some((1000, 10)));
    }
}
