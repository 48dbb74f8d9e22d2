//! What every clone of one `SimDisk` shares: files (inodes) with their cached and durable bytes,
//! the namespace as reads see it and as it is durable, and each directory's pending namespace
//! operations. File data operations live here; namespace ones in `namespace.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::io;
use std::ops::{Bound, Range};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use weir::storage::path_key::{KeyPath, PathKey};

use super::faults::{draw_latency, fires, DiskFaults, Rngs};
use super::{LatencyHook, SleepHook};
use crate::trace::Trace;

/// The unit a disk writes atomically: a crash keeps or loses whole sectors.
pub(super) const SECTOR: usize = 4096;

/// The largest simulated file: a write past it is EFBIG rather than a huge allocation.
const MAX_FILE_LEN: u64 = 1 << 30;

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Entry {
    File(u64),
    Dir,
}

/// Path → entry, sorted, so a directory's descendants follow it contiguously. Keyed by
/// [`PathKey`], whose comparisons are plain byte compares: this map is searched on every open,
/// rename and sync, and `PathBuf`'s component-by-component order was the costliest part of a
/// simulated cluster run. Each file's name is also indexed by inode (a file has one name at
/// most), so finding or dropping a file's entry does not scan every entry.
#[derive(Debug, Clone, Default)]
pub(super) struct Namespace {
    entries: BTreeMap<PathKey, Entry>,
    names: BTreeMap<u64, PathKey>,
}

impl Namespace {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, path: &Path) -> Option<&Entry> {
        self.entries.get(&*KeyPath::of(path))
    }

    pub fn contains_key(&self, path: &Path) -> bool {
        self.entries.contains_key(&*KeyPath::of(path))
    }

    pub fn insert(&mut self, path: PathBuf, entry: Entry) {
        let key = PathKey::from(path);
        if let Entry::File(id) = entry {
            let previous = self.names.insert(id, key.clone());
            debug_assert!(previous.is_none_or(|p| p == key), "file {id} has two names");
        }
        if let Some(Entry::File(old)) = self.entries.insert(key, entry) {
            if entry != Entry::File(old) {
                self.names.remove(&old);
            }
        }
    }

    pub fn remove(&mut self, path: &Path) -> Option<Entry> {
        let removed = self.entries.remove(&*KeyPath::of(path));
        if let Some(Entry::File(id)) = removed {
            self.names.remove(&id);
        }
        removed
    }

    /// Where file `id` is named, if anywhere.
    pub fn name_of(&self, id: u64) -> Option<&Path> {
        self.names.get(&id).map(|key| &**key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Path, &Entry)> {
        self.entries.iter().map(|(key, entry)| (&**key, entry))
    }

    /// Every entry that sorts after `path`, in order.
    pub fn after<'a>(&'a self, path: &Path) -> impl Iterator<Item = (&'a Path, &'a Entry)> {
        let bound = Bound::Excluded(&*KeyPath::of(path));
        (self.entries.range::<KeyPath, _>((bound, Bound::Unbounded)))
            .map(|(key, entry)| (&**key, entry))
    }

    pub fn into_entries(self) -> impl Iterator<Item = (PathBuf, Entry)> {
        self.entries
            .into_iter()
            .map(|(key, entry)| (key.into_path_buf(), entry))
    }
}

/// A namespace change that is visible but not yet durable.
#[derive(Debug, Clone)]
pub(super) enum NsOp {
    Create {
        path: PathBuf,
        inode: u64,
    },
    Mkdir {
        path: PathBuf,
    },
    Unlink {
        path: PathBuf,
        inode: u64,
    },
    RemoveAll {
        path: PathBuf,
    },
    Rename {
        from: PathBuf,
        to: PathBuf,
        inode: u64,
    },
}

/// A pending operation and its place in the order every directory's operations happened in.
#[derive(Debug)]
pub(super) struct PendingOp {
    pub seq: u64,
    pub op: NsOp,
}

/// One file, independent of its names.
pub(super) struct Inode {
    /// Its latest name as reads see it (kept after an unlink, for messages).
    pub name: PathBuf,
    /// Whether the cached namespace names it.
    pub linked: bool,
    pub cache: Vec<u8>,
    pub durable: Vec<u8>,
    /// Sectors written (or zeroed by a length change) since the last fsync.
    pub dirty: BTreeSet<u64>,
    /// Sectors a failed fsync marked clean without persisting them.
    pub dropped: BTreeSet<u64>,
    /// The `seq` of the last namespace operation applied to the durable namespace for it, so
    /// that committing an older operation later cannot move it back.
    pub placed_seq: u64,
    /// Open handles.
    pub open: u32,
}

pub(super) struct State {
    pub node: String,
    pub trace: Trace,
    pub faults: DiskFaults,
    pub rng: Rngs,
    pub sleeper: LatencyHook,
    pub sleep: Option<SleepHook>,
    pub counts: BTreeMap<&'static str, u64>,
    pub inodes: BTreeMap<u64, Inode>,
    /// The inodes whose `linked` is false: the only ones a sweep can drop.
    pub unlinked: BTreeSet<u64>,
    pub next_inode: u64,
    pub cached: Namespace,
    pub durable: Namespace,
    /// Pending operations by the directory whose sync commits them.
    pub pending: BTreeMap<PathKey, Vec<PendingOp>>,
    pub next_seq: u64,
    /// Bumped by each crash; handles from an older epoch are stale.
    pub epoch: u64,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock already failed; keep going for its report.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes one operation take time. The hook runs without the lock held, so that it may do
/// anything (madsim's `advance` only moves the clock, but nothing here depends on that).
pub(super) fn delay(state: &Mutex<State>) {
    let (hook, duration) = {
        let mut state = lock(state);
        let range = state.faults.latency_us;
        match draw_latency(&mut state.rng.latency, range) {
            Some(duration) => (state.sleeper.clone(), duration),
            None => return,
        }
    };
    hook(duration);
}

/// One spelling per path: `./a` and `a` name the same file, `.` is the relative root.
pub(super) fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// `/` or `` (the working directory): always a directory, never created or removed.
pub(super) fn is_root(path: &Path) -> bool {
    !path
        .components()
        .any(|c| matches!(c, Component::Normal(_) | Component::ParentDir))
}

/// The directory whose sync commits a change to `path`'s entry.
pub(super) fn parent_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A path as trace lines and messages show it (the relative root as `.`).
pub(super) fn show(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        ".".to_string()
    } else {
        path.display().to_string()
    }
}

pub(super) fn error(kind: io::ErrorKind, path: &Path, what: &str) -> io::Error {
    io::Error::new(kind, format!("{}: {what}", show(path)))
}

pub(super) fn not_found(path: &Path) -> io::Error {
    error(io::ErrorKind::NotFound, path, "not found")
}

/// The byte range of `sector` within a file of `len` bytes, if the sector holds any.
pub(super) fn sector_range(sector: u64, len: usize) -> Option<Range<usize>> {
    let start = usize::try_from(sector).ok()?.checked_mul(SECTOR)?;
    (start < len).then(|| start..len.min(start + SECTOR))
}

impl Inode {
    fn new(name: &Path) -> Self {
        Self {
            name: name.to_path_buf(),
            linked: true,
            cache: Vec::new(),
            durable: Vec::new(),
            dirty: BTreeSet::new(),
            dropped: BTreeSet::new(),
            placed_seq: 0,
            open: 0,
        }
    }

    /// Marks every sector overlapping bytes `start..end` as pending.
    fn mark(&mut self, start: usize, end: usize) {
        if start < end {
            let (first, last) = (start / SECTOR, (end - 1) / SECTOR);
            self.dirty.extend((first as u64)..=(last as u64));
        }
    }

    pub fn read(&self, buf: &mut [u8], offset: u64) -> usize {
        let len = self.cache.len();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
        let n = buf.len().min(len - start);
        buf[..n].copy_from_slice(&self.cache[start..start + n]);
        n
    }

    /// `end` was checked against `MAX_FILE_LEN`.
    fn write(&mut self, buf: &[u8], offset: usize, end: usize) {
        let old_len = self.cache.len();
        if end > old_len {
            self.cache.resize(end, 0);
        }
        self.cache[offset..end].copy_from_slice(buf);
        // A write past the end also turns the gap into zeros: those sectors changed too.
        self.mark(offset.min(old_len), end);
    }

    fn set_len(&mut self, len: usize) {
        let old_len = self.cache.len();
        self.cache.resize(len, 0);
        self.mark(len.min(old_len), len.max(old_len));
    }

    /// Whether an fsync has anything to write back.
    fn has_pending(&self) -> bool {
        !self.dirty.is_empty() || self.cache.len() != self.durable.len()
    }

    /// A successful fsync: the length and every dirty sector reach the disk; sectors a failed
    /// fsync dropped do not (the kernel thinks they are clean).
    fn persist(&mut self) {
        self.durable.resize(self.cache.len(), 0);
        for sector in std::mem::take(&mut self.dirty) {
            if let Some(range) = sector_range(sector, self.cache.len()) {
                self.durable[range.clone()].copy_from_slice(&self.cache[range]);
            }
            self.dropped.remove(&sector);
        }
    }

    /// A failed fsync: Linux marks the pages clean although they never reached the disk.
    fn drop_pending(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        self.dropped.extend(dirty);
    }
}

impl State {
    pub fn new(node: &str, seed: u64, faults: DiskFaults, trace: Trace) -> Self {
        Self {
            node: node.to_string(),
            trace,
            faults,
            rng: Rngs::new(seed, node),
            sleeper: Arc::new(|_| {}),
            sleep: None,
            counts: BTreeMap::new(),
            inodes: BTreeMap::new(),
            unlinked: BTreeSet::new(),
            next_inode: 1,
            cached: Namespace::new(),
            durable: Namespace::new(),
            pending: BTreeMap::new(),
            next_seq: 1,
            epoch: 0,
        }
    }

    /// Counts a fault and returns its trace line's text (crash defers its lines).
    pub fn fault_line(&mut self, kind: &'static str, details: impl Display) -> String {
        *self.counts.entry(kind).or_default() += 1;
        format!("disk fault={kind} {details}")
    }

    /// Counts a fault and traces it.
    pub fn fault(&mut self, kind: &'static str, details: impl Display) {
        let line = self.fault_line(kind, details);
        self.trace.event(&self.node, line);
    }

    pub fn new_inode(&mut self, name: &Path) -> u64 {
        let id = self.next_inode;
        self.next_inode += 1;
        self.inodes.insert(id, Inode::new(name));
        id
    }

    pub fn inode(&mut self, id: u64) -> io::Result<&mut Inode> {
        // Open handles keep their inode alive, so this only fails on a bug; say so, don't panic.
        (self.inodes.get_mut(&id)).ok_or_else(|| io::Error::other("simdisk: inode vanished"))
    }

    pub fn durable_inode(&self, path: &Path) -> Option<&Inode> {
        match self.durable.get(path) {
            Some(Entry::File(id)) => self.inodes.get(id),
            _ => None,
        }
    }

    pub fn file_paths(&self) -> Vec<PathBuf> {
        (self.cached.iter())
            .filter(|(_, entry)| matches!(entry, Entry::File(_)))
            .map(|(path, _)| path.to_path_buf())
            .collect()
    }

    pub fn cached_bytes(&self) -> u64 {
        (self.inodes.values())
            .filter(|inode| inode.linked || inode.open > 0)
            .map(|inode| inode.cache.len() as u64)
            .sum()
    }

    /// Drops inodes nothing can reach any more: no name in either namespace, no pending
    /// operation, no open handle. Only an unlinked inode (no name in the cached namespace) can
    /// be one, so only those are looked at.
    pub fn sweep(&mut self) {
        let unreachable: Vec<u64> = (self.unlinked.iter().copied())
            .filter(|id| {
                self.inodes.get(id).is_none_or(|inode| inode.open == 0)
                    && self.durable.name_of(*id).is_none()
                    && !(self.pending.values().flatten()).any(|p| p.op.inode() == Some(*id))
            })
            .collect();
        for id in unreachable {
            self.inodes.remove(&id);
            self.unlinked.remove(&id);
        }
    }

    /// Records that the cached namespace no longer names file `id`.
    pub fn unlink(&mut self, id: u64) -> io::Result<()> {
        self.inode(id)?.linked = false;
        self.unlinked.insert(id);
        Ok(())
    }

    /// The end offset of a write or new length, if the file may be that long.
    fn checked_end(&self, id: u64, offset: u64, len: usize) -> io::Result<usize> {
        match offset.checked_add(len as u64) {
            Some(end) if end <= MAX_FILE_LEN => Ok(end as usize),
            _ => {
                let name = self
                    .inodes
                    .get(&id)
                    .map(|i| i.name.clone())
                    .unwrap_or_default();
                Err(error(
                    io::ErrorKind::FileTooLarge,
                    &name,
                    "EFBIG: file too large",
                ))
            }
        }
    }

    /// ENOSPC if growing file `id` to `new_len` would use more than the capacity.
    fn ensure_space(&mut self, id: u64, new_len: usize) -> io::Result<()> {
        let Some(capacity) = self.faults.capacity_bytes else {
            return Ok(());
        };
        let inode = self.inode(id)?;
        let (name, growth) = (
            inode.name.clone(),
            new_len.saturating_sub(inode.cache.len()),
        );
        let used = self.cached_bytes();
        if growth == 0 || used.saturating_add(growth as u64) <= capacity {
            return Ok(());
        }
        let file = show(&name);
        self.fault(
            "enospc",
            format_args!("file={file} need={growth} used={used} capacity={capacity}"),
        );
        let message = format!("ENOSPC: no space left on device for {growth} bytes of {file}");
        Err(io::Error::new(io::ErrorKind::StorageFull, message))
    }

    pub fn write(&mut self, id: u64, buf: &[u8], offset: u64) -> io::Result<()> {
        let end = self.checked_end(id, offset, buf.len())?;
        if buf.is_empty() {
            return Ok(());
        }
        self.ensure_space(id, end)?;
        self.inode(id)?.write(buf, end - buf.len(), end);
        Ok(())
    }

    pub fn set_len(&mut self, id: u64, len: u64) -> io::Result<()> {
        let len = self.checked_end(id, len, 0)?;
        self.ensure_space(id, len)?;
        self.inode(id)?.set_len(len);
        Ok(())
    }

    pub fn read(&mut self, id: u64, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let inode = self.inode(id)?;
        let (n, name) = (inode.read(buf, offset), inode.name.clone());
        if n > 0 && fires(&mut self.rng.read, self.faults.read_bitflip) {
            let bit = self.rng.read.below(n as u64 * 8) as usize;
            buf[bit / 8] ^= 1 << (bit % 8);
            let at = offset + (bit / 8) as u64;
            let details = format_args!("file={} offset={at} bit={}", show(&name), bit % 8);
            self.fault("read-bitflip", details);
        }
        Ok(n)
    }

    pub fn sync(&mut self, id: u64) -> io::Result<()> {
        let p = self.faults.fsync_eio;
        let inode = self.inode(id)?;
        if !inode.has_pending() {
            return Ok(());
        }
        let name = inode.name.clone();
        if !fires(&mut self.rng.fsync, p) {
            self.inode(id)?.persist();
            return Ok(());
        }
        let inode = self.inode(id)?;
        let sectors = inode.dirty.len();
        inode.drop_pending();
        let file = show(&name);
        self.fault(
            "fsync-eio",
            format_args!("file={file} dropped_sectors={sectors}"),
        );
        Err(io::Error::other(format!(
            "EIO: fsync of {file} failed; its unsynced writes are lost"
        )))
    }
}

impl NsOp {
    /// The file this operation names, if it names one.
    pub fn inode(&self) -> Option<u64> {
        match self {
            NsOp::Create { inode, .. } | NsOp::Unlink { inode, .. } => Some(*inode),
            NsOp::Rename { inode, .. } => Some(*inode),
            NsOp::Mkdir { .. } | NsOp::RemoveAll { .. } => None,
        }
    }

    /// How trace lines describe it.
    pub fn describe(&self) -> String {
        match self {
            NsOp::Create { path, .. } => format!("op=create path={}", show(path)),
            NsOp::Mkdir { path } => format!("op=mkdir path={}", show(path)),
            NsOp::Unlink { path, .. } => format!("op=unlink path={}", show(path)),
            NsOp::RemoveAll { path } => format!("op=remove-dir-all path={}", show(path)),
            NsOp::Rename { from, to, .. } => {
                format!("op=rename from={} to={}", show(from), show(to))
            }
        }
    }
}
