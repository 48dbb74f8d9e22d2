//! The leader epoch cache (KIP-101): for each leader epoch, the first offset written in it,
//! persisted in the partition's `leader-epoch-checkpoint`.
//!
//! Followers use it to find where their log diverges from a new leader's: the end offset of an
//! epoch is the start offset of the next larger epoch (or the log end offset for the latest).

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use super::checkpoint::write_epochs;
use super::disk::Disk;

pub(crate) struct LeaderEpochCache {
    disk: Arc<dyn Disk>,
    path: PathBuf,
    /// (epoch, start_offset), both strictly increasing.
    entries: Vec<(i32, i64)>,
}

impl LeaderEpochCache {
    pub fn new(disk: Arc<dyn Disk>, path: PathBuf, entries: Vec<(i32, i64)>) -> Self {
        Self {
            disk,
            path,
            entries,
        }
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.0)
    }

    pub fn entries(&self) -> &[(i32, i64)] {
        &self.entries
    }

    /// Records that `epoch` starts at `start_offset`, if it is newer than the latest epoch,
    /// and persists the cache. The in-memory entry is dropped again if the write fails.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> io::Result<()> {
        if epoch < 0 || self.latest_epoch().is_some_and(|latest| epoch <= latest) {
            return Ok(());
        }
        self.entries.push((epoch, start_offset));
        let result = self.persist();
        if result.is_err() {
            self.entries.pop();
        }
        result
    }

    /// Drops epochs that start at or after `end_offset` (the log was truncated there).
    pub fn truncate_from_end(&mut self, end_offset: i64) -> io::Result<()> {
        let keep = self.entries.partition_point(|e| e.1 < end_offset);
        if keep < self.entries.len() {
            self.entries.truncate(keep);
            self.persist()?;
        }
        Ok(())
    }

    /// Replaces every entry (after rebuilding the cache from the log).
    pub fn replace(&mut self, entries: Vec<(i32, i64)>) -> io::Result<()> {
        self.entries = entries;
        self.persist()
    }

    fn persist(&self) -> io::Result<()> {
        write_epochs(&*self.disk, &self.path, &self.entries)
    }

    /// KIP-101 `OffsetsForLeaderEpoch`: the largest epoch at or below `epoch` and the offset
    /// where it ended. `None` (Kafka's UNDEFINED_EPOCH) when `epoch` is above every known epoch
    /// or nothing is known.
    pub fn end_offset_for(&self, epoch: i32, log_end_offset: i64) -> Option<(i32, i64)> {
        let latest = self.latest_epoch()?;
        if epoch == latest {
            return Some((latest, log_end_offset));
        }
        let higher = self.entries.partition_point(|e| e.0 <= epoch);
        let (_, next_start) = *self.entries.get(higher)?;
        match higher.checked_sub(1) {
            Some(floor) => Some((self.entries[floor].0, next_start)),
            // Below the first known epoch: Kafka answers with the requested epoch.
            None => Some((epoch, next_start)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;
    use std::path::Path;

    #[test]
    fn end_offsets_follow_kip_101() {
        let disk = MemDisk::new();
        disk.create_dir_all(Path::new("/p")).unwrap();
        let mut cache = LeaderEpochCache::new(
            Arc::new(disk.clone()),
            "/p/leader-epoch-checkpoint".into(),
            vec![],
        );
        assert_eq!(cache.end_offset_for(0, 10), None);
        cache.assign(1, 0).unwrap();
        cache.assign(1, 5).unwrap(); // not newer: ignored
        cache.assign(3, 10).unwrap();
        cache.assign(6, 20).unwrap();
        assert_eq!(cache.end_offset_for(6, 25), Some((6, 25)));
        assert_eq!(cache.end_offset_for(3, 25), Some((3, 20)));
        assert_eq!(cache.end_offset_for(4, 25), Some((3, 20)));
        assert_eq!(cache.end_offset_for(1, 25), Some((1, 10)));
        assert_eq!(cache.end_offset_for(0, 25), Some((0, 0)));
        assert_eq!(cache.end_offset_for(7, 25), None);
        cache.truncate_from_end(20).unwrap();
        assert_eq!(cache.latest_epoch(), Some(3));
        let bytes = disk
            .file_bytes(Path::new("/p/leader-epoch-checkpoint"))
            .unwrap();
        assert_eq!(bytes, b"0\n2\n1 0\n3 10\n");
    }
}
