//! One round of a broker's per-log-dir checkpoints (recovery points, log start offsets, high
//! watermarks): the offsets are taken from the logs at one moment, under their locks, and the
//! files are written afterwards, without any lock a request needs. The periodic checkpoint
//! writes its round on an I/O thread, so its fsyncs stall no worker and no request; creating,
//! moving or deleting a partition writes one at once, as today.
//!
//! Two rounds may then be written out of order: a periodic round taken before a partition was
//! deleted could land after the deletion's own round and bring the partition's stale entry
//! back (a later topic of the same name would then trust a recovery point that is not its
//! own). So each round carries the number of the moment it was taken, and a round older than
//! the one already written is dropped.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::checkpoint::write_offsets;
use super::disk::Disk;
use crate::types::TopicPartition;

/// The order of a broker's checkpoint rounds: how many were taken, and the newest written.
#[derive(Debug, Default)]
pub(super) struct RoundOrder {
    taken: AtomicU64,
    /// Held while a round writes its files, so two rounds never write the same file at once.
    written: Mutex<u64>,
}

/// A checkpoint file's path and the offsets it is to hold.
pub(super) type CheckpointFile = (PathBuf, BTreeMap<TopicPartition, i64>);

/// Checkpoint files whose contents were taken at one moment, to write now or on an I/O thread.
pub struct CheckpointRound {
    disk: Arc<dyn Disk>,
    order: Arc<RoundOrder>,
    number: u64,
    files: Vec<CheckpointFile>,
}

impl CheckpointRound {
    /// A round of `files`, numbered after every round taken before it.
    pub(super) fn new(
        disk: Arc<dyn Disk>,
        order: &Arc<RoundOrder>,
        files: Vec<CheckpointFile>,
    ) -> Self {
        let number = order.taken.fetch_add(1, Ordering::SeqCst) + 1;
        let order = order.clone();
        CheckpointRound {
            disk,
            order,
            number,
            files,
        }
    }

    /// Writes every file atomically and durably, unless a newer round was written already.
    /// Blocks on the disk: call it where that stalls nothing (an I/O thread), or where the
    /// caller already waits for it.
    pub fn write(self) -> io::Result<()> {
        let mut written = self
            .order
            .written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *written > self.number {
            return Ok(());
        }
        for (path, offsets) in &self.files {
            write_offsets(&*self.disk, path, offsets)?;
        }
        *written = self.number;
        Ok(())
    }
}
