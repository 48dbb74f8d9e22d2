//! `SimDisk`: a [`Disk`] with a real kernel's durability rules and seeded faults, so that the
//! simulator tests the broker against what disks actually do rather than what we wish they did.
//!
//! Every file has two views: the page cache, which reads see, and what is durable. Writes and
//! length changes reach the cache at once and become durable when that file's `sync()` succeeds;
//! creates, renames and deletes become durable when their directory is synced. The harness
//! calls [`SimDisk::crash`] when it kills the node: the cache is thrown away and the disk keeps
//! what was durable, plus a seeded subset of what was pending — each pending 4 KiB sector
//! independently, and a prefix of each directory's pending namespace operations (a journaling
//! file system commits them in order). On top of that, seeded faults: `fsync` failing with EIO
//! (with Linux's "fsyncgate" semantics), bits flipped on read or at rest, a full disk, latency.
//! Every fault that fires is counted and written to the run's [`Trace`].
//!
//! Rules the kernel leaves open, decided here:
//! - **Length after a crash.** A pending shrink is one metadata update: it reached the disk or
//!   not, by its own coin. A file grows only as far as its persisted sectors reach (ext4's
//!   ordered mode updates the size after the data), so an extension whose sectors were all lost
//!   leaves the old length; a kept sector past a lost one leaves zeros (a hole) in between.
//! - **Renames** are one atomic operation, pending in the *destination* directory: the old name
//!   disappears exactly when the new one appears, and syncing only the source directory does
//!   not commit it. Only files can be renamed (Weir renames nothing else).
//! - **Handles** behave like file descriptors: they name the file, not the path, so they keep
//!   working after a rename or unlink. After a crash every handle fails: its process is dead.
//! - **fsync EIO** fires only when the file has something to write back (as errors come from
//!   writeback). The pending sectors are then marked clean without being persisted: reads still
//!   see them, a later successful sync persists the length but not them, a crash loses them.
//! - **Latency** applies to operations that reach the device or the journal (open, read, write,
//!   set_len, sync and every namespace change), not to `len`, `exists` and `read_dir`, which
//!   the kernel answers from memory.
//!
//! Everything is deterministic: ordered maps only, one seeded stream per fault kind (so turning
//! one fault on does not reshuffle the others), no clock, no threads, no `std::fs`.

mod crash;
mod faults;
mod file;
mod namespace;
mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weir::storage::{DirEntry, Disk, DiskFile, OpenMode, SyncFuture};

use crate::trace::Trace;
use faults::draw_latency;
pub use faults::DiskFaults;
use file::{live, SimFile};
use state::{delay, lock, normalize, State};

/// What `SimDisk` calls to make an operation take (simulated) time; the harness plugs in
/// madsim's `time::advance`.
pub type LatencyHook = Arc<dyn Fn(Duration) + Send + Sync>;

/// What `SimDisk` awaits to make an fsync requested with `sync_later` take time while other
/// tasks run; the harness plugs in madsim's `time::sleep`.
pub type SleepHook =
    Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// One simulated node's disk; clones share it, and it outlives the node's kills and restarts.
#[derive(Clone)]
pub struct SimDisk {
    state: Arc<Mutex<State>>,
}

impl SimDisk {
    /// An empty disk for `node` (the name its trace lines carry), with faults drawn from `seed`.
    pub fn new(node: &str, seed: u64, faults: DiskFaults, trace: Trace) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new(node, seed, faults, trace))),
        }
    }

    /// Makes operations take time through `hook` (shared by every clone).
    pub fn with_latency_hook(self, hook: LatencyHook) -> Self {
        lock(&self.state).sleeper = hook;
        self
    }

    /// Makes fsyncs requested with `sync_later` take time through `hook`, during which other
    /// tasks run (without one they complete at once).
    pub fn with_sleep_hook(self, hook: SleepHook) -> Self {
        lock(&self.state).sleep = Some(hook);
        self
    }

    /// The fault rates in force.
    pub fn faults(&self) -> DiskFaults {
        lock(&self.state).faults.clone()
    }

    /// Replaces every fault rate, capacity included (the liveness phase heals the disk).
    pub fn set_faults(&self, faults: DiskFaults) {
        lock(&self.state).faults = faults;
    }

    /// Changes the capacity: the nemesis fills the disk, and later frees space.
    pub fn set_capacity(&self, capacity: Option<u64>) {
        lock(&self.state).faults.capacity_bytes = capacity;
    }

    /// How many faults of each kind fired so far (kinds that never fired are absent).
    pub fn fault_counts(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.state).counts.clone()
    }

    /// The node died: every file reverts to its durable content plus whatever pending sectors
    /// and namespace operations the seed lets through, and every open handle goes stale.
    pub fn crash(&self) {
        self.crash_without_flip();
        self.bitflip_at_rest();
    }

    /// The first step of [`Self::crash`], for a caller that reads what the crash left before a
    /// bit may flip at rest: everything but the flip.
    pub fn crash_without_flip(&self) {
        lock(&self.state).crash_without_flip();
    }

    /// The second step of [`Self::crash`]: one bit of one durable file flips with the
    /// probability `DiskFaults::bitflip_at_rest` gives; returns that file's path.
    pub fn bitflip_at_rest(&self) -> Option<PathBuf> {
        lock(&self.state).bitflip_at_rest()
    }

    /// The durable length of the file the durable namespace names `path` (whether or not its
    /// parent directories are durable yet), or `None` if it names no file there.
    pub fn durable_len(&self, path: &Path) -> Option<u64> {
        let state = lock(&self.state);
        state
            .durable_inode(&normalize(path))
            .map(|i| i.durable.len() as u64)
    }

    /// The durable bytes of the file at `path`, under the same rule as [`Self::durable_len`].
    pub fn durable_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let state = lock(&self.state);
        state
            .durable_inode(&normalize(path))
            .map(|i| i.durable.clone())
    }

    /// Every file as reads see them, sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        lock(&self.state).file_paths()
    }

    /// Bytes in use as reads see them (what the capacity limits): every linked or open file.
    pub fn cached_bytes(&self) -> u64 {
        lock(&self.state).cached_bytes()
    }
}

impl Disk for SimDisk {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>> {
        delay(&self.state);
        let mut state = lock(&self.state);
        let inode = state.open(&normalize(path), mode)?;
        Ok(Box::new(SimFile::new(
            self.state.clone(),
            inode,
            state.epoch,
            mode != OpenMode::Read,
        )))
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        delay(&self.state);
        lock(&self.state).create_dir_all(&normalize(path))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        lock(&self.state).read_dir(&normalize(path))
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        Ok(lock(&self.state).exists(&normalize(path)))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        delay(&self.state);
        lock(&self.state).remove_file(&normalize(path))
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        delay(&self.state);
        lock(&self.state).remove_dir_all(&normalize(path))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        delay(&self.state);
        lock(&self.state).rename(&normalize(from), &normalize(to))
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        delay(&self.state);
        lock(&self.state).sync_dir(&normalize(path))
    }

    /// Takes its latency while other tasks run, then commits what the directory has pending
    /// then (a superset of what was pending at the call, as a real journal commit may be).
    fn sync_dir_later(&self, path: &Path) -> SyncFuture {
        let state = self.state.clone();
        let path = normalize(path);
        let (epoch, sleep, latency) = {
            let mut locked = lock(&state);
            let range = locked.faults.latency_us;
            let latency = draw_latency(&mut locked.rng.latency, range);
            (locked.epoch, locked.sleep.clone(), latency)
        };
        Box::pin(async move {
            if let (Some(sleep), Some(latency)) = (sleep, latency) {
                sleep(latency).await;
            }
            live(&state, epoch)?.sync_dir(&path)
        })
    }
}
