//! `FileDisk`: the [`Disk`] seam on a real file system, the only place in the storage engine
//! that names `std::fs`.
//!
//! Positional IO (`pread`/`pwrite` through `FileExt`) lets readers and the appender share one
//! open file without a seek position to fight over, which is why [`DiskFile`] takes `&self`.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use super::disk::{DirEntry, Disk, DiskFile, OpenMode, ReadFuture, SyncFuture};

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileDisk;

impl FileDisk {
    pub fn new() -> Self {
        Self
    }
}

struct RealFile {
    /// Shared with fsyncs under way on the I/O threads.
    file: Arc<File>,
}

impl Disk for FileDisk {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>> {
        let mut options = OpenOptions::new();
        options.read(true);
        match mode {
            OpenMode::Read => {}
            OpenMode::ReadWrite => {
                options.write(true);
            }
            OpenMode::CreateOrOpen => {
                options.write(true).create(true);
            }
            OpenMode::CreateNew => {
                options.write(true).create_new(true);
            }
            OpenMode::Truncate => {
                options.write(true).create(true).truncate(true);
            }
        }
        Ok(Box::new(RealFile {
            file: Arc::new(options.open(path)?),
        }))
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::create_dir_all(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            // Names that are not UTF-8 cannot be ours (we only write ASCII names); skip them.
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            entries.push(DirEntry {
                name,
                is_dir: entry.file_type()?.is_dir(),
            });
        }
        entries.sort();
        Ok(entries)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir_all(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        // On Linux a directory's entries become durable by fsyncing the directory itself.
        File::open(path)?.sync_all()
    }

    /// On the I/O threads, as a file's `sync_later`.
    fn sync_dir_later(&self, path: &Path) -> SyncFuture {
        let path = path.to_path_buf();
        Box::pin(crate::runtime::io::run(move || {
            File::open(path)?.sync_all()
        }))
    }
}

impl DiskFile for RealFile {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.file.write_all_at(buf, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn sync_later(&self) -> SyncFuture {
        let file = self.file.clone();
        Box::pin(crate::runtime::io::run(move || file.sync_data()))
    }

    /// On the I/O threads: a read that misses the page cache waits there, not on a worker.
    fn read_later(&self, mut buf: Vec<u8>, offset: u64) -> ReadFuture {
        let file = self.file.clone();
        Box::pin(async move {
            let read = crate::runtime::io::run(move || {
                let result = file.read_exact_at(&mut buf, offset);
                Ok((buf, result))
            });
            match read.await {
                Ok(done) => done,
                Err(error) => (Vec::new(), Err(error)),
            }
        })
    }
}
