//! The `Disk` trait: the only way Weir touches files.
//!
//! madsim simulates sockets and time but not files, so every file operation goes through this
//! seam: [`FileDisk`](super::FileDisk) on a real file system, [`MemDisk`](super::MemDisk) in unit
//! tests, and the simulator's faulty `SimDisk`, which follows a real kernel's durability rules
//! (unsynced writes and directory entries can vanish on a crash, fsync can fail, reads can flip
//! bits). Most of the trait is synchronous: a local-disk operation that blocks briefly is
//! cheaper than a thread hop. An fsync does not block briefly, so [`DiskFile::sync_later`]
//! (and [`Disk::sync_dir_later`]) requests one and returns a future: the real disk runs it on
//! the runtime's I/O threads (`runtime::io`), the simulator's completes it after a simulated
//! latency, and the tasks that do not wait on it go on meanwhile.
//!
//! Paths are absolute or relative to the process's working directory, exactly as the operator
//! wrote them in `log.dirs`.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

/// An fsync under way (see [`DiskFile::sync_later`]).
pub type SyncFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send + 'static>>;

/// A read under way (see [`DiskFile::read_later`]): the buffer back, filled if the read
/// succeeded.
pub type ReadFuture = Pin<Box<dyn Future<Output = (Vec<u8>, io::Result<()>)> + Send + 'static>>;

/// How to open a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read only; the file must exist.
    Read,
    /// Read and write; the file must exist.
    ReadWrite,
    /// Read and write, creating the file if it does not exist (never truncating).
    CreateOrOpen,
    /// Read and write a new empty file; fails with `AlreadyExists` if it exists.
    CreateNew,
    /// Read and write, creating the file or truncating it to empty.
    Truncate,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

/// A file system, real or simulated.
pub trait Disk: Send + Sync + 'static {
    /// Opens (or creates, per `mode`) the file at `path`.
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>>;
    /// Creates `path` and every missing parent directory.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Lists a directory, sorted by name so that callers see a deterministic order.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;
    /// Whether anything exists at `path`.
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Removes a directory and everything under it.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Renames `from` to `to`, replacing `to` if it exists (atomic on a real file system).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the directory's entries (creates, renames, deletes) durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;

    /// [`Self::sync_dir`] without holding up the caller (see [`DiskFile::sync_later`]): every
    /// entry change made before the call is durable once the future returns `Ok`. The default
    /// syncs at once.
    fn sync_dir_later(&self, path: &Path) -> SyncFuture {
        Box::pin(std::future::ready(self.sync_dir(path)))
    }
}

/// An open file. Positional reads and writes take `&self` so that readers of a log segment do
/// not need exclusive access; implementations synchronise internally.
pub trait DiskFile: Send + Sync {
    /// The file's current length in bytes (including writes not yet synced).
    fn len(&self) -> io::Result<u64>;
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Writes all of `buf` at `offset`, growing the file if needed.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Truncates or extends (with zeros) the file to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes every write so far durable (fsync). An error means the data may not be on disk.
    fn sync(&self) -> io::Result<()>;

    /// [`Self::sync`] without holding up the caller: every write so far is durable once the
    /// future returns `Ok`, and not before. The default syncs at once (an in-memory disk has
    /// nothing to wait for).
    fn sync_later(&self) -> SyncFuture {
        Box::pin(std::future::ready(self.sync()))
    }

    /// [`Self::read_exact_at`] of `buf.len()` bytes at `offset` without holding up the caller,
    /// for reads that may miss the page cache. The default reads at once (an in-memory disk
    /// has nothing to wait for).
    fn read_later(&self, mut buf: Vec<u8>, offset: u64) -> ReadFuture {
        let result = self.read_exact_at(&mut buf, offset);
        Box::pin(std::future::ready((buf, result)))
    }

    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Reads exactly `buf.len()` bytes at `offset`, or fails with `UnexpectedEof`.
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            let read = self.read_at(buf, offset)?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file ended before the requested range",
                ));
            }
            buf = &mut buf[read..];
            offset += read as u64;
        }
        Ok(())
    }
}

/// Creates `path` and any missing ancestors durably: each directory created is followed by an
/// fsync of its parent, without which a crash may forget the new directory — and everything
/// fsynced inside it (the simulator found a broker losing its whole `log.dirs` this way).
pub fn create_dir_durable(disk: &dyn Disk, path: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut current = Some(path);
    while let Some(dir) = current.filter(|dir| !dir.as_os_str().is_empty()) {
        if disk.exists(dir)? {
            break;
        }
        missing.push(dir);
        current = dir.parent();
    }
    for dir in missing.into_iter().rev() {
        disk.create_dir_all(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            disk.sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Reads a whole file, twice, until two reads in a row agree. Small metadata files
/// (checkpoints, `meta.properties`, the topic registry) carry no checksum in Kafka's formats,
/// so a bit flipped on the way up from the disk would otherwise be believed: a recovery point
/// or log start offset one digit off hides or exposes data. Segment data has CRCs instead.
pub fn read_all(disk: &dyn Disk, path: &Path) -> io::Result<Vec<u8>> {
    /// Reads before giving up on agreement.
    const READS_MAX: usize = 4;
    let mut previous = read_once(disk, path)?;
    for _ in 1..READS_MAX {
        let current = read_once(disk, path)?;
        if current == previous {
            return Ok(current);
        }
        previous = current;
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{READS_MAX} reads of {} disagree", path.display()),
    ))
}

fn read_once(disk: &dyn Disk, path: &Path) -> io::Result<Vec<u8>> {
    let file = disk.open(path, OpenMode::Read)?;
    let len = usize::try_from(file.len()?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file too large to read whole"))?;
    let mut buf = vec![0; len];
    file.read_exact_at(&mut buf, 0)?;
    Ok(buf)
}

/// Replaces the file at `path` with `contents` atomically and durably: write a temporary file,
/// fsync it, rename it over the target, fsync the directory. A crash leaves either the old or
/// the new contents, never a mix — what every checkpoint file needs.
pub fn write_atomic(disk: &dyn Disk, path: &Path, contents: &[u8]) -> io::Result<()> {
    let tmp = tmp_path(path);
    let file = disk.open(&tmp, OpenMode::Truncate)?;
    file.write_at(contents, 0)?;
    file.sync()?;
    drop(file);
    disk.rename(&tmp, path)?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => disk.sync_dir(dir),
        _ => disk.sync_dir(Path::new(".")),
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}
