//! The file behind both sparse indexes: fixed-size big-endian entries appended one after
//! another, mirrored in memory for binary search.
//!
//! Kafka preallocates and memory-maps its index files; we append entries as they are written
//! and keep a copy in a `Vec` instead, because the [`Disk`] seam has no mmap and the copy is tiny
//! (one 8- or 12-byte entry per `index.interval.bytes` of log). A file whose length is not a
//! whole number of entries is reported, not trusted: the caller rebuilds it from the log.

use std::io;
use std::path::{Path, PathBuf};

use super::disk::{read_all, Disk, DiskFile, OpenMode, SyncFuture};

/// One fixed-size index entry.
pub(crate) trait Entry: Copy + std::fmt::Debug {
    const SIZE: usize;
    fn encode(&self, out: &mut [u8]);
    fn decode(bytes: &[u8]) -> Self;
}

/// An index file and its in-memory entries.
pub(crate) struct EntryFile<E: Entry> {
    file: Box<dyn DiskFile>,
    path: PathBuf,
    entries: Vec<E>,
}

impl<E: Entry> EntryFile<E> {
    /// Opens (creating if missing) an index file. The flag says whether its length was a whole
    /// number of entries; when it was not, the partial tail is ignored.
    pub fn open(disk: &dyn Disk, path: &Path) -> io::Result<(Self, bool)> {
        let existed = disk.exists(path)?;
        let file = disk.open(path, OpenMode::CreateOrOpen)?;
        let bytes = if existed {
            read_all(disk, path)?
        } else {
            Vec::new()
        };
        let whole = bytes.len() % E::SIZE == 0;
        let entries = bytes.chunks_exact(E::SIZE).map(E::decode).collect();
        let index = Self {
            file,
            path: path.to_path_buf(),
            entries,
        };
        Ok((index, whole && existed))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entries(&self) -> &[E] {
        &self.entries
    }

    pub fn last(&self) -> Option<E> {
        self.entries.last().copied()
    }

    pub fn append(&mut self, entry: E) -> io::Result<()> {
        let mut buf = vec![0; E::SIZE];
        entry.encode(&mut buf);
        self.file
            .write_at(&buf, (self.entries.len() * E::SIZE) as u64)?;
        self.entries.push(entry);
        Ok(())
    }

    /// Keeps only the first `count` entries, in memory and on disk.
    pub fn truncate(&mut self, count: usize) -> io::Result<()> {
        if count < self.entries.len() {
            self.file.set_len((count * E::SIZE) as u64)?;
            self.entries.truncate(count);
        }
        Ok(())
    }

    /// Empties the index (the file too), before a rebuild.
    pub fn reset(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.entries.clear();
        Ok(())
    }

    pub fn sync(&self) -> io::Result<()> {
        self.file.sync()
    }

    pub fn sync_later(&self) -> SyncFuture {
        self.file.sync_later()
    }
}
