//! `MemDisk`: an in-memory [`Disk`] for unit tests, with helpers to corrupt, truncate or delete
//! files behind the log's back.
//!
//! It has no crash model (every write is immediately "durable"); the simulator's `SimDisk` owns
//! that. What it adds over a temp dir is speed, determinism and direct access to file bytes, so a
//! test can flip one bit at an exact position and assert what recovery does with it.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::disk::{DirEntry, Disk, DiskFile, OpenMode};
use super::path_key::{KeyPath, PathKey};

type Contents = Arc<Mutex<Vec<u8>>>;

#[derive(Default)]
struct State {
    files: BTreeMap<PathKey, Contents>,
    dirs: BTreeSet<PathKey>,
    syncs: u64,
    /// Fail every `write_at` and `sync` with EIO, like a dying disk.
    fail_writes: bool,
}

/// An in-memory file system; clones share the same files.
#[derive(Clone, Default)]
pub struct MemDisk {
    state: Arc<Mutex<State>>,
}

struct MemFile {
    contents: Contents,
    writable: bool,
    state: Arc<Mutex<State>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock already failed; keep going for its report.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} not found", path.display()),
    )
}

impl MemDisk {
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes of a file, or `None` if it does not exist.
    pub fn file_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let state = lock(&self.state);
        state
            .files
            .get(&*KeyPath::of(path))
            .map(|c| lock(c).clone())
    }

    /// Replaces (or creates) a file's bytes, as a corruption or a torn write would.
    pub fn set_file_bytes(&self, path: &Path, bytes: Vec<u8>) {
        let mut state = lock(&self.state);
        match state.files.get(&*KeyPath::of(path)) {
            Some(contents) => *lock(contents) = bytes,
            None => {
                state
                    .files
                    .insert(PathKey::new(path), Arc::new(Mutex::new(bytes)));
            }
        }
    }

    /// Flips one bit of a file; returns false if the file or position does not exist.
    pub fn flip_bit(&self, path: &Path, position: usize, bit: u8) -> bool {
        let state = lock(&self.state);
        let Some(contents) = state.files.get(&*KeyPath::of(path)) else {
            return false;
        };
        let mut bytes = lock(contents);
        match bytes.get_mut(position) {
            Some(byte) => {
                *byte ^= 1 << (bit % 8);
                true
            }
            None => false,
        }
    }

    /// Every file path, sorted.
    pub fn file_paths(&self) -> Vec<PathBuf> {
        (lock(&self.state).files.keys())
            .map(|key| key.to_path_buf())
            .collect()
    }

    /// How many file and directory fsyncs happened so far.
    pub fn sync_count(&self) -> u64 {
        lock(&self.state).syncs
    }

    /// Makes every file write and fsync fail (or work again), to test error paths.
    pub fn set_fail_writes(&self, fail: bool) {
        lock(&self.state).fail_writes = fail;
    }

    fn check_writable(&self) -> io::Result<()> {
        if lock(&self.state).fail_writes {
            return Err(io::Error::other("injected write failure"));
        }
        Ok(())
    }

    fn parent_exists(state: &State, path: &Path) -> bool {
        match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => {
                state.dirs.contains(&*KeyPath::of(parent))
            }
            _ => true,
        }
    }
}

impl Disk for MemDisk {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>> {
        let mut state = lock(&self.state);
        let existing = state.files.get(&*KeyPath::of(path)).cloned();
        let contents = match (mode, existing) {
            (OpenMode::CreateNew, Some(_)) => {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"));
            }
            (OpenMode::Truncate, Some(contents)) => {
                lock(&contents).clear();
                contents
            }
            (_, Some(contents)) => contents,
            (OpenMode::Read | OpenMode::ReadWrite, None) => return Err(not_found(path)),
            (_, None) => {
                if !Self::parent_exists(&state, path) {
                    return Err(not_found(path));
                }
                let contents: Contents = Arc::default();
                state.files.insert(PathKey::new(path), contents.clone());
                contents
            }
        };
        Ok(Box::new(MemFile {
            contents,
            writable: mode != OpenMode::Read,
            state: self.state.clone(),
        }))
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = lock(&self.state);
        for ancestor in path.ancestors() {
            if !ancestor.as_os_str().is_empty() {
                state.dirs.insert(PathKey::new(ancestor));
            }
        }
        Ok(())
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let state = lock(&self.state);
        if !state.dirs.contains(&*KeyPath::of(path)) {
            return Err(not_found(path));
        }
        let child = |p: &PathKey| -> Option<String> {
            (p.parent() == Some(path)).then(|| p.file_name()?.to_str().map(str::to_owned))?
        };
        let mut entries: Vec<DirEntry> = (state.files.keys())
            .filter_map(|p| {
                child(p).map(|name| DirEntry {
                    name,
                    is_dir: false,
                })
            })
            .chain(
                (state.dirs.iter())
                    .filter_map(|p| child(p).map(|name| DirEntry { name, is_dir: true })),
            )
            .collect();
        entries.sort();
        Ok(entries)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let state = lock(&self.state);
        let key = KeyPath::of(path);
        Ok(state.files.contains_key(&*key) || state.dirs.contains(&*key))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = lock(&self.state);
        state
            .files
            .remove(&*KeyPath::of(path))
            .map(drop)
            .ok_or_else(|| not_found(path))
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = lock(&self.state);
        if !state.dirs.contains(&*KeyPath::of(path)) {
            return Err(not_found(path));
        }
        state.files.retain(|p, _| !p.starts_with(path));
        state.dirs.retain(|p| !p.starts_with(path));
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = lock(&self.state);
        let contents = (state.files.remove(&*KeyPath::of(from))).ok_or_else(|| not_found(from))?;
        state.files.insert(PathKey::new(to), contents);
        Ok(())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.check_writable()?;
        let mut state = lock(&self.state);
        if !state.dirs.contains(&*KeyPath::of(path)) {
            return Err(not_found(path));
        }
        state.syncs += 1;
        Ok(())
    }
}

impl DiskFile for MemFile {
    fn len(&self) -> io::Result<u64> {
        Ok(lock(&self.contents).len() as u64)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let contents = lock(&self.contents);
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(contents.len());
        let n = buf.len().min(contents.len() - start);
        buf[..n].copy_from_slice(&contents[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "opened read only",
            ));
        }
        if lock(&self.state).fail_writes {
            return Err(io::Error::other("injected write failure"));
        }
        let start = usize::try_from(offset)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        let mut contents = lock(&self.contents);
        if contents.len() < start + buf.len() {
            contents.resize(start + buf.len(), 0);
        }
        contents[start..start + buf.len()].copy_from_slice(buf);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "length too large"))?;
        lock(&self.contents).resize(len, 0);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = lock(&self.state);
        if state.fail_writes {
            return Err(io::Error::other("injected fsync failure"));
        }
        state.syncs += 1;
        Ok(())
    }
}
