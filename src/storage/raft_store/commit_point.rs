//! The `commit-point` file: the highest offset this node knows to be committed and holds
//! durably, so that recovery can tell a torn tail (cut it, as always) from damage to committed
//! entries (never cut: a node that replaced them would commit different metadata at offsets it
//! already applied and acknowledged, a Raft safety violation).
//!
//! Kafka's KRaft keeps no such record (its high watermark lives in memory), so a torn tail and
//! a flipped bit in the last committed batch look the same to it. The file is small and written
//! in place rather than replaced: two slots, [`SLOT_SPACING`] bytes apart so that no sector
//! holds both, each `magic, offset, crc32c`. A write goes to the slot that does not hold the
//! newest value and is fsynced before the caller goes on, so a torn write can only damage the
//! slot being written; the other one still holds the previous commit point, a valid (lower)
//! bound. Reading takes the highest slot that checks out. One write and one fsync per advance,
//! which for the metadata log (a handful of entries a second at most) costs nothing.

use std::path::{Path, PathBuf};

use super::error::RaftStoreError;
use crate::core::raft::Offset;
use crate::storage::{Disk, DiskFile, OpenMode};

/// The file's name in the metadata partition directory.
pub const COMMIT_POINT_FILE: &str = "commit-point";

/// Bytes between the two slots' starts: more than a sector, so one torn write cannot reach
/// both.
const SLOT_SPACING: u64 = 4096;
const MAGIC: &[u8; 4] = b"WCP1";
const SLOT_BYTES: usize = 16;
/// Reads of a slot that does not check out before it counts as damaged: a bit flipped on the
/// way up from the disk must not count as damage at rest.
const READ_ATTEMPTS: usize = 3;

/// The commit point on disk and the slot the next write goes to.
pub(super) struct CommitPoint {
    path: PathBuf,
    /// Open once the file exists (it is created by the first write).
    file: Option<Box<dyn DiskFile>>,
    recorded: Offset,
    next_slot: u64,
}

fn encode(offset: Offset) -> [u8; SLOT_BYTES] {
    let mut slot = [0; SLOT_BYTES];
    slot[..4].copy_from_slice(MAGIC);
    slot[4..12].copy_from_slice(&offset.to_be_bytes());
    let crc = crc32c::crc32c(&slot[..12]);
    slot[12..].copy_from_slice(&crc.to_be_bytes());
    slot
}

/// The offset in `slot`, if it checks out.
fn decode(slot: &[u8]) -> Option<Offset> {
    let slot: &[u8; SLOT_BYTES] = slot.try_into().ok()?;
    let crc = u32::from_be_bytes(slot[12..].try_into().ok()?);
    let offset = Offset::from_be_bytes(slot[4..12].try_into().ok()?);
    (&slot[..4] == MAGIC && crc == crc32c::crc32c(&slot[..12]) && offset >= 0).then_some(offset)
}

/// Each slot's offset (`None`: absent or damaged), re-reading a slot that does not check out.
fn read_slots(file: &dyn DiskFile) -> std::io::Result<[Option<Offset>; 2]> {
    let len = file.len()?;
    let mut slots = [None; 2];
    for (index, value) in slots.iter_mut().enumerate() {
        let at = index as u64 * SLOT_SPACING;
        if len < at + SLOT_BYTES as u64 {
            continue;
        }
        for _ in 0..READ_ATTEMPTS {
            let mut bytes = [0; SLOT_BYTES];
            file.read_exact_at(&mut bytes, at)?;
            *value = decode(&bytes);
            if value.is_some() {
                break;
            }
        }
    }
    Ok(slots)
}

impl CommitPoint {
    /// Reads `<dir>/commit-point` (absent: nothing recorded, 0). A file whose slots both fail
    /// their checks, after the first one was written whole, is an error: the node cannot know
    /// what it committed.
    pub(super) fn open(disk: &dyn Disk, dir: &Path) -> Result<CommitPoint, RaftStoreError> {
        let path = dir.join(COMMIT_POINT_FILE);
        let io = |operation| RaftStoreError::io(&path, operation);
        if !disk.exists(&path).map_err(io("check"))? {
            return Ok(CommitPoint {
                path,
                file: None,
                recorded: 0,
                next_slot: 0,
            });
        }
        let file = disk.open(&path, OpenMode::ReadWrite).map_err(io("open"))?;
        let slots = read_slots(&*file).map_err(io("read"))?;
        let (recorded, next_slot) = match slots {
            [Some(first), Some(second)] if second > first => (second, 0),
            [Some(first), Some(_)] => (first, 1),
            [Some(first), None] => (first, 1),
            [None, Some(second)] => (second, 0),
            // Only the first slot was ever being written, and that write was torn: it never
            // took effect (the caller goes on only after the fsync), so nothing was recorded.
            [None, None] if file.len().map_err(io("read"))? < SLOT_SPACING => (0, 0),
            [None, None] => return Err(RaftStoreError::CorruptCommitPoint { path }),
        };
        Ok(CommitPoint {
            path,
            file: Some(file),
            recorded,
            next_slot,
        })
    }

    /// The highest offset recorded as committed (0: none).
    pub(super) fn recorded(&self) -> Offset {
        self.recorded
    }

    /// Records `offset` as committed, durably when this returns; a lower or equal offset is
    /// already covered and writes nothing.
    pub(super) fn advance(
        &mut self,
        disk: &dyn Disk,
        offset: Offset,
    ) -> Result<(), RaftStoreError> {
        if offset <= self.recorded {
            return Ok(());
        }
        let io = |operation| RaftStoreError::io(&self.path, operation);
        let created = self.file.is_none();
        let file = match self.file.take() {
            Some(file) => file,
            None => disk
                .open(&self.path, OpenMode::CreateOrOpen)
                .map_err(io("create"))?,
        };
        let file = self.file.insert(file);
        file.write_at(&encode(offset), self.next_slot * SLOT_SPACING)
            .map_err(io("write"))?;
        file.sync().map_err(io("fsync"))?;
        if created {
            let dir = self.path.parent().unwrap_or(Path::new("."));
            disk.sync_dir(dir).map_err(io("fsync the directory of"))?;
        }
        self.recorded = offset;
        self.next_slot = 1 - self.next_slot;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;
    use std::sync::Arc;

    fn dir() -> PathBuf {
        PathBuf::from("/meta")
    }

    fn disk() -> Arc<dyn Disk> {
        let disk: Arc<dyn Disk> = Arc::new(MemDisk::new());
        disk.create_dir_all(&dir()).unwrap();
        disk
    }

    #[test]
    fn absent_means_nothing_recorded_and_advances_persist() {
        let disk = disk();
        let mut point = CommitPoint::open(&*disk, &dir()).unwrap();
        assert_eq!(point.recorded(), 0);
        assert!(!disk.exists(&dir().join(COMMIT_POINT_FILE)).unwrap());
        for offset in [3, 2, 7, 9] {
            point.advance(&*disk, offset).unwrap();
        }
        assert_eq!(point.recorded(), 9);
        assert_eq!(CommitPoint::open(&*disk, &dir()).unwrap().recorded(), 9);
    }

    #[test]
    fn a_damaged_slot_falls_back_to_the_other_and_both_damaged_is_an_error() {
        let disk = disk();
        let mut point = CommitPoint::open(&*disk, &dir()).unwrap();
        point.advance(&*disk, 5).unwrap(); // slot 0
        point.advance(&*disk, 8).unwrap(); // slot 1
        let path = dir().join(COMMIT_POINT_FILE);
        let file = disk.open(&path, OpenMode::ReadWrite).unwrap();
        file.write_at(&[0xff], SLOT_SPACING + 6).unwrap();
        let mut reopened = CommitPoint::open(&*disk, &dir()).unwrap();
        assert_eq!(
            reopened.recorded(),
            5,
            "the older slot is a valid lower bound"
        );
        // The next write replaces the damaged slot, not the good one.
        reopened.advance(&*disk, 11).unwrap();
        assert_eq!(CommitPoint::open(&*disk, &dir()).unwrap().recorded(), 11);
        file.write_at(&[0xff], 6).unwrap();
        file.write_at(&[0xff], SLOT_SPACING + 6).unwrap();
        let error = CommitPoint::open(&*disk, &dir()).err().unwrap().to_string();
        assert!(error.contains("commit-point"), "{error}");
    }

    #[test]
    fn a_torn_first_write_recorded_nothing() {
        let disk = disk();
        let path = dir().join(COMMIT_POINT_FILE);
        let file = disk.open(&path, OpenMode::CreateOrOpen).unwrap();
        file.write_at(&encode(4)[..7], 0).unwrap();
        assert_eq!(CommitPoint::open(&*disk, &dir()).unwrap().recorded(), 0);
    }
}
