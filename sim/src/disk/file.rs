//! `SimFile`: an open file, which like a file descriptor names the file rather than a path.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use weir::storage::DiskFile;

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

    /// The shared state, unless this handle outlived a crash.
    fn live(&self) -> io::Result<MutexGuard<'_, State>> {
        let state = lock(&self.state);
        if state.epoch != self.epoch {
            return Err(io::Error::other(
                "ESTALE: file handle opened before the disk crashed",
            ));
        }
        Ok(state)
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
