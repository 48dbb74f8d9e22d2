//! The `commit-point` file: the highest offset this node knows to be committed and holds
//! durably, and how far its log was flushed (and so may have been acknowledged to a leader), so
//! that recovery can tell a torn tail (cut it, as always) from damage to entries this node
//! vouched for. Committed entries are never cut: a node that replaced them would commit
//! different metadata at offsets it already applied and acknowledged, a Raft safety violation.
//! Flushed entries past the commit point may have been counted by a leader towards a commit
//! this node never heard of: a voter that lost them must fetch them back before it votes (see
//! `core::raft::repair`), or its vote could elect a leader without them.
//!
//! Kafka's KRaft keeps no such record (its high watermark lives in memory), so a torn tail and
//! a flipped bit in the last committed batch look the same to it. The file is small and written
//! in place rather than replaced: two slots, [`SLOT_SPACING`] bytes apart so that no sector
//! holds both, each `magic, sequence, committed, flushed, crc32c`. A write goes to the slot
//! that does not hold the newest record and is fsynced before the caller goes on, so a torn
//! write can only damage the slot being written; the other one still holds the previous
//! record. Reading takes the slot with the highest sequence that checks out. The committed
//! offset only grows, so an older record is a valid lower bound for it; the flushed offset goes
//! down when the log is truncated, and an older record's higher value only makes recovery more
//! careful. One write and one fsync per flush, which for the metadata log (a handful of
//! entries a second at most) costs little.

use std::path::{Path, PathBuf};

use super::error::RaftStoreError;
use crate::core::raft::Offset;
use crate::storage::{Disk, DiskFile, OpenMode};

/// The file's name in the metadata partition directory.
pub const COMMIT_POINT_FILE: &str = "commit-point";

/// Bytes between the two slots' starts: more than a sector, so one torn write cannot reach
/// both.
const SLOT_SPACING: u64 = 4096;
const MAGIC: &[u8; 4] = b"WCP2";
const SLOT_BYTES: usize = 32;
/// The first format: `magic, committed, crc32c` (nothing recorded of flushes).
const MAGIC_V1: &[u8; 4] = b"WCP1";
const SLOT_V1_BYTES: usize = 16;
/// Reads of a slot that does not check out before it counts as damaged: a bit flipped on the
/// way up from the disk must not count as damage at rest.
const READ_ATTEMPTS: usize = 3;

/// What one record says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Points {
    /// Every entry below it is committed and durable here.
    pub committed: Offset,
    /// Every entry below it was flushed here (and may have been acknowledged).
    pub flushed: Offset,
}

/// The records on disk and the slot the next write goes to.
pub(super) struct CommitPoint {
    path: PathBuf,
    /// Open once the file exists (it is created by the first write).
    file: Option<Box<dyn DiskFile>>,
    recorded: Points,
    sequence: u64,
    next_slot: u64,
}

fn encode(sequence: u64, points: Points) -> [u8; SLOT_BYTES] {
    let mut slot = [0; SLOT_BYTES];
    slot[..4].copy_from_slice(MAGIC);
    slot[4..12].copy_from_slice(&sequence.to_be_bytes());
    slot[12..20].copy_from_slice(&points.committed.to_be_bytes());
    slot[20..28].copy_from_slice(&points.flushed.to_be_bytes());
    let crc = crc32c::crc32c(&slot[..28]);
    slot[28..].copy_from_slice(&crc.to_be_bytes());
    slot
}

/// The sequence and record in `slot`, if it checks out (a first-format slot has sequence 0).
fn decode(slot: &[u8]) -> Option<(u64, Points)> {
    let be =
        |range: std::ops::Range<usize>| -> Option<[u8; 8]> { slot.get(range)?.try_into().ok() };
    if slot.starts_with(MAGIC_V1) {
        let crc = u32::from_be_bytes(slot.get(12..16)?.try_into().ok()?);
        let committed = Offset::from_be_bytes(be(4..12)?);
        let valid = crc == crc32c::crc32c(&slot[..12]) && committed >= 0;
        let points = Points {
            committed,
            flushed: committed,
        };
        return valid.then_some((0, points));
    }
    let crc = u32::from_be_bytes(slot.get(28..32)?.try_into().ok()?);
    let sequence = u64::from_be_bytes(be(4..12)?);
    let committed = Offset::from_be_bytes(be(12..20)?);
    let flushed = Offset::from_be_bytes(be(20..28)?);
    let valid = slot.starts_with(MAGIC)
        && crc == crc32c::crc32c(&slot[..28])
        && committed >= 0
        && flushed >= 0;
    valid.then_some((sequence, Points { committed, flushed }))
}

/// Each slot's record (`None`: absent or damaged), re-reading a slot that does not check out.
fn read_slots(file: &dyn DiskFile) -> std::io::Result<[Option<(u64, Points)>; 2]> {
    let len = file.len()?;
    let mut slots = [None; 2];
    for (index, value) in slots.iter_mut().enumerate() {
        let at = index as u64 * SLOT_SPACING;
        let available = len.saturating_sub(at).min(SLOT_BYTES as u64) as usize;
        if available < SLOT_V1_BYTES {
            continue;
        }
        for _ in 0..READ_ATTEMPTS {
            let mut bytes = [0; SLOT_BYTES];
            file.read_exact_at(&mut bytes[..available], at)?;
            *value = decode(&bytes[..available]);
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
                recorded: Points::default(),
                sequence: 0,
                next_slot: 0,
            });
        }
        let file = disk.open(&path, OpenMode::ReadWrite).map_err(io("open"))?;
        let slots = read_slots(&*file).map_err(io("read"))?;
        let ((sequence, recorded), next_slot) = match slots {
            // The newer record wins; between two first-format slots, the higher offset.
            [Some(first), Some(second)]
                if (second.0, second.1.committed) > (first.0, first.1.committed) =>
            {
                (second, 0)
            }
            [Some(first), Some(_)] => (first, 1),
            [Some(first), None] => (first, 1),
            [None, Some(second)] => (second, 0),
            // Only the first slot was ever being written, and that write was torn: it never
            // took effect (the caller goes on only after the fsync), so nothing was recorded.
            [None, None] if file.len().map_err(io("read"))? < SLOT_SPACING => {
                ((0, Points::default()), 0)
            }
            [None, None] => return Err(RaftStoreError::CorruptCommitPoint { path }),
        };
        Ok(CommitPoint {
            path,
            file: Some(file),
            recorded,
            sequence,
            next_slot,
        })
    }

    /// What is recorded (0s: nothing).
    pub(super) fn recorded(&self) -> Points {
        self.recorded
    }

    /// Records `points`, durably when this returns; the committed offset never goes down (a
    /// lower one is already covered). Writes nothing when nothing changes.
    pub(super) fn record(&mut self, disk: &dyn Disk, points: Points) -> Result<(), RaftStoreError> {
        let points = Points {
            committed: points.committed.max(self.recorded.committed),
            flushed: points.flushed,
        };
        if points == self.recorded {
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
        let sequence = self.sequence + 1;
        file.write_at(&encode(sequence, points), self.next_slot * SLOT_SPACING)
            .map_err(io("write"))?;
        file.sync().map_err(io("fsync"))?;
        if created {
            let dir = self.path.parent().unwrap_or(Path::new("."));
            disk.sync_dir(dir).map_err(io("fsync the directory of"))?;
        }
        self.recorded = points;
        self.sequence = sequence;
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

    fn points(committed: Offset, flushed: Offset) -> Points {
        Points { committed, flushed }
    }

    fn reopened(disk: &Arc<dyn Disk>) -> Points {
        CommitPoint::open(&**disk, &dir()).unwrap().recorded()
    }

    #[test]
    fn absent_means_nothing_recorded_and_records_persist() {
        let disk = disk();
        let mut point = CommitPoint::open(&*disk, &dir()).unwrap();
        assert_eq!(point.recorded(), points(0, 0));
        assert!(!disk.exists(&dir().join(COMMIT_POINT_FILE)).unwrap());
        for (committed, flushed) in [(3, 4), (2, 6), (7, 9), (9, 9)] {
            point.record(&*disk, points(committed, flushed)).unwrap();
        }
        assert_eq!(point.recorded(), points(9, 9));
        assert_eq!(reopened(&disk), points(9, 9));
    }

    #[test]
    fn the_committed_offset_never_goes_down_the_flushed_one_does() {
        let disk = disk();
        let mut point = CommitPoint::open(&*disk, &dir()).unwrap();
        point.record(&*disk, points(5, 9)).unwrap();
        // A truncation of uncommitted entries lowers the flushed offset; an older commit
        // point is already covered.
        point.record(&*disk, points(3, 6)).unwrap();
        assert_eq!(point.recorded(), points(5, 6));
        assert_eq!(
            reopened(&disk),
            points(5, 6),
            "the newer slot wins, not the higher"
        );
    }

    #[test]
    fn a_damaged_slot_falls_back_to_the_other_and_both_damaged_is_an_error() {
        let disk = disk();
        let mut point = CommitPoint::open(&*disk, &dir()).unwrap();
        point.record(&*disk, points(5, 5)).unwrap(); // slot 0
        point.record(&*disk, points(8, 8)).unwrap(); // slot 1
        let path = dir().join(COMMIT_POINT_FILE);
        let file = disk.open(&path, OpenMode::ReadWrite).unwrap();
        file.write_at(&[0xff], SLOT_SPACING + 14).unwrap();
        let mut reopened_once = CommitPoint::open(&*disk, &dir()).unwrap();
        let older = points(5, 5);
        assert_eq!(
            reopened_once.recorded(),
            older,
            "the older slot is a valid lower bound"
        );
        // The next write replaces the damaged slot, not the good one.
        reopened_once.record(&*disk, points(11, 12)).unwrap();
        assert_eq!(reopened(&disk), points(11, 12));
        file.write_at(&[0xff], 14).unwrap();
        file.write_at(&[0xff], SLOT_SPACING + 14).unwrap();
        let error = CommitPoint::open(&*disk, &dir()).err().unwrap().to_string();
        assert!(error.contains("commit-point"), "{error}");
    }

    #[test]
    fn a_torn_first_write_recorded_nothing() {
        let disk = disk();
        let path = dir().join(COMMIT_POINT_FILE);
        let file = disk.open(&path, OpenMode::CreateOrOpen).unwrap();
        file.write_at(&encode(1, points(4, 4))[..7], 0).unwrap();
        assert_eq!(reopened(&disk), points(0, 0));
    }

    #[test]
    fn a_file_of_the_first_format_reads_as_committed_and_flushed_and_is_carried_on() {
        fn v1(offset: Offset) -> Vec<u8> {
            let mut slot = MAGIC_V1.to_vec();
            slot.extend_from_slice(&offset.to_be_bytes());
            let crc = crc32c::crc32c(&slot);
            slot.extend_from_slice(&crc.to_be_bytes());
            slot
        }
        let disk = disk();
        let path = dir().join(COMMIT_POINT_FILE);
        let file = disk.open(&path, OpenMode::CreateOrOpen).unwrap();
        file.write_at(&v1(4), 0).unwrap();
        file.write_at(&v1(6), SLOT_SPACING).unwrap();
        let mut point = CommitPoint::open(&*disk, &dir()).unwrap();
        assert_eq!(point.recorded(), points(6, 6));
        point.record(&*disk, points(7, 8)).unwrap();
        assert_eq!(
            reopened(&disk),
            points(7, 8),
            "written over the older first-format slot"
        );
    }
}
