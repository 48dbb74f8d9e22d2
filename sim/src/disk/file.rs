//! `SimFile`: an open file, which like a file descriptor names the file rather than a path.

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use weir::storage::{DiskFile, ReadFuture, SyncFuture};

use super::faults::draw_latency;
use super::state::{delay, lock, State};

pub(super) struct SimFile {
    state: Arc<Mutex<State>>,
    inode: u64,
    /// The disk's crash epoch when this was opened: the process that opened it dies with it.
    epoch: u64,
    writable: bool,
}

impl SimFile {
    pub fn new(state: Arc<Mutex<State>>, inode: u64, epoch: u64, writable: bool) -> Self {
        Self {
            state,
            inode,
            epoch,
            writable,
        }
    }

    /// For an operation that completes later (`sync_later`, `read_later`): a handle held
    /// open meanwhile, as a real fsync or read holds its descriptor (the file may be closed
    /// and deleted, a segment past retention, and still be synced or read), and a future that
    /// takes the operation's latency, drawn now in the order requests come, then yields it.
    fn held_open(&self) -> impl Future<Output = io::Result<SimFile>> + Send + 'static {
        let opened = self.live().and_then(|mut state| {
            state.inode(self.inode)?.open += 1;
            let range = state.faults.latency_us;
            Ok((
                state.sleep.clone(),
                draw_latency(&mut state.rng.latency, range),
            ))
        });
        let handle = SimFile::new(self.state.clone(), self.inode, self.epoch, false);
        async move {
            // On an error `handle` never counted as open, and its drop finds nothing to close.
            let (sleep, latency) = opened?;
            if let (Some(sleep), Some(latency)) = (sleep, latency) {
                sleep(latency).await;
            }
            Ok(handle)
        }
    }

    /// The shared state, unless this handle outlived a crash.
    fn live(&self) -> io::Result<MutexGuard<'_, State>> {
        live(&self.state, self.epoch)
    }

    fn live_writable(&self) -> io::Result<MutexGuard<'_, State>> {
        let state = self.live()?;
        if !self.writable {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "opened read only",
            ));
        }
        Ok(state)
    }
}

/// The shared state, unless a crash ended the epoch a handle was opened in.
pub(super) fn live(state: &Mutex<State>, epoch: u64) -> io::Result<MutexGuard<'_, State>> {
    let state = lock(state);
    if state.epoch != epoch {
        return Err(io::Error::other(
            "ESTALE: file handle opened before the disk crashed",
        ));
    }
    Ok(state)
}

impl DiskFile for SimFile {
    fn len(&self) -> io::Result<u64> {
        Ok(self.live()?.inode(self.inode)?.cache.len() as u64)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        delay(&self.state);
        self.live()?.read(self.inode, buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        delay(&self.state);
        self.live_writable()?.write(self.inode, buf, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        delay(&self.state);
        self.live_writable()?.set_len(self.inode, len)
    }

    fn sync(&self) -> io::Result<()> {
        delay(&self.state);
        self.live()?.sync(self.inode)
    }

    /// The fsync takes its latency while other tasks run, and makes durable what was written
    /// when it completes: a crash before then loses it, as a crash during a real fsync may.
    fn sync_later(&self) -> SyncFuture {
        let held = self.held_open();
        Box::pin(async move {
            let handle = held.await?;
            let result = handle.live()?.sync(handle.inode);
            result
        })
    }

    /// The read takes its latency while other tasks run (a cold read on a slow disk delays
    /// only its fetch), then reads what the file holds then, faults and all.
    fn read_later(&self, mut buf: Vec<u8>, offset: u64) -> ReadFuture {
        let held = self.held_open();
        Box::pin(async move {
            let read = match held.await {
                Ok(handle) => handle
                    .live()
                    .and_then(|mut state| state.read(handle.inode, &mut buf, offset)),
                Err(error) => Err(error),
            };
            let result = match read {
                Ok(read) if read < buf.len() => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file ended before the requested range",
                )),
                other => other.map(drop),
            };
            (buf, result)
        })
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        let Ok(mut state) = self.live() else {
            return; // a crash already closed every handle
        };
        let Some(inode) = state.inodes.get_mut(&self.inode) else {
            return;
        };
        inode.open = inode.open.saturating_sub(1);
        if inode.open == 0 && !inode.linked {
            state.sweep();
        }
    }
}
