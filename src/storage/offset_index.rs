//! The `.index` file: a sparse map from offset to the byte position of a batch in the segment's
//! `.log`, so a fetch finds its batch without scanning the segment from the start.
//!
//! Entries are Kafka's: a big-endian u32 offset relative to the segment's base offset, then a
//! big-endian u32 position. As in Kafka, an entry holds the LAST offset of the batch that starts
//! at its position, and one is written per `index.interval.bytes` of log. A lookup returns the
//! position of the last entry at or below the target; the caller scans batch headers forward
//! from there.

use std::io;
use std::path::Path;

use super::disk::{Disk, SyncFuture};
use super::index_file::{Entry, EntryFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OffsetEntry {
    pub relative_offset: u32,
    pub position: u32,
}

impl Entry for OffsetEntry {
    const SIZE: usize = 8;

    fn encode(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.relative_offset.to_be_bytes());
        out[4..8].copy_from_slice(&self.position.to_be_bytes());
    }

    fn decode(bytes: &[u8]) -> Self {
        let word = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        Self {
            relative_offset: word(0),
            position: word(4),
        }
    }
}

pub(crate) struct OffsetIndex {
    base_offset: i64,
    file: EntryFile<OffsetEntry>,
}

impl OffsetIndex {
    /// Opens the index; the flag is false when the file was missing or had a partial entry.
    pub fn open(disk: &dyn Disk, path: &Path, base_offset: i64) -> io::Result<(Self, bool)> {
        let (file, whole) = EntryFile::open(disk, path)?;
        Ok((Self { base_offset, file }, whole))
    }

    /// Whether entries strictly increase and point inside a log of `log_size` bytes: Kafka's
    /// sanity check, run before an index is trusted.
    pub fn is_consistent(&self, log_size: u64) -> bool {
        let entries = self.file.entries();
        let increasing = entries
            .windows(2)
            .all(|w| w[0].relative_offset < w[1].relative_offset && w[0].position < w[1].position);
        increasing && entries.iter().all(|e| u64::from(e.position) < log_size)
    }

    /// Records that the batch at `position` ends at `last_offset`. Out-of-order or
    /// unrepresentable entries are skipped: a sparse index may miss entries, never lie.
    pub fn append(&mut self, last_offset: i64, position: u64) -> io::Result<()> {
        let (Ok(relative_offset), Ok(position)) = (
            u32::try_from(last_offset - self.base_offset),
            u32::try_from(position),
        ) else {
            return Ok(());
        };
        if let Some(last) = self.file.last() {
            if relative_offset <= last.relative_offset || position <= last.position {
                return Ok(());
            }
        }
        self.file.append(OffsetEntry {
            relative_offset,
            position,
        })
    }

    /// The position to start scanning from for `offset`: the last entry whose offset is at or
    /// below it, or the start of the segment.
    pub fn lookup(&self, offset: i64) -> u64 {
        let entries = self.file.entries();
        let below =
            entries.partition_point(|e| self.base_offset + i64::from(e.relative_offset) <= offset);
        match below.checked_sub(1) {
            Some(i) => u64::from(entries[i].position),
            None => 0,
        }
    }

    /// The last offset of the batch at `position`, if an entry names that batch.
    pub fn entry_at(&self, position: u64) -> Option<i64> {
        let entries = self.file.entries();
        let at = entries.partition_point(|e| u64::from(e.position) < position);
        (entries.get(at))
            .filter(|e| u64::from(e.position) == position)
            .map(|e| self.base_offset + i64::from(e.relative_offset))
    }

    /// The position of the last entry (0 if none), where a scan for the segment's end starts.
    pub fn last_position(&self) -> u64 {
        self.file.last().map_or(0, |e| u64::from(e.position))
    }

    /// Drops entries for batches at or after `position` (the log is being truncated there).
    pub fn truncate_to_position(&mut self, position: u64) -> io::Result<()> {
        let keep = self
            .file
            .entries()
            .partition_point(|e| u64::from(e.position) < position);
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

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.file.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;
    use std::path::PathBuf;

    #[test]
    fn entries_are_big_endian_relative_offset_then_position() {
        let disk = MemDisk::new();
        disk.create_dir_all(Path::new("/d")).unwrap();
        let path = PathBuf::from("/d/00000000000000000100.index");
        let (mut index, whole) = OffsetIndex::open(&disk, &path, 100).unwrap();
        assert!(!whole);
        index.append(104, 0).unwrap();
        index.append(110, 4200).unwrap();
        index.append(109, 9000).unwrap(); // out of order: skipped
        assert_eq!(
            disk.file_bytes(&path).unwrap(),
            [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0x10, 0x68]
        );
        assert_eq!(index.lookup(99), 0);
        assert_eq!(index.lookup(105), 0);
        assert_eq!(index.lookup(110), 4200);
        assert_eq!(index.lookup(1 << 40), 4200);
        assert!(index.is_consistent(4201));
        assert!(!index.is_consistent(4200));

        let (reopened, whole) = OffsetIndex::open(&disk, &path, 100).unwrap();
        assert!(whole);
        assert_eq!(reopened.lookup(111), 4200);
        index.truncate_to_position(4200).unwrap();
        assert_eq!(disk.file_bytes(&path).unwrap().len(), 8);

        let mut bytes = disk.file_bytes(&path).unwrap();
        bytes.push(1);
        disk.set_file_bytes(&path, bytes);
        assert!(!OffsetIndex::open(&disk, &path, 100).unwrap().1);
    }
}
