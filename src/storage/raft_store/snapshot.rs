//! Snapshot files: `<20-digit end offset>-<10-digit epoch>.checkpoint`, Kafka's names, each
//! holding opaque snapshot bytes behind a small checksummed header.
//!
//! A snapshot id is KRaft's: `offset` is the snapshot's end offset (it holds the state after
//! every entry below it) and `epoch` the epoch of the entry at `offset - 1`. Kafka's snapshot
//! files are record batches; ours hold the bytes the state machine gave us, because the
//! metadata image's format is not settled. The header (big-endian):
//!
//! ```text
//! crc32c u32 | version u16 = 0 | end offset i64 | epoch i32 | data length u64 | data
//! ```
//!
//! The CRC-32C covers everything after itself, including the id, so a file renamed by a
//! flipped bit in a directory entry, or torn, never passes. A snapshot is written under a
//! `.tmp` name, fsynced, renamed into place and the directory fsynced: a crash at any point
//! leaves either no new snapshot (and a `.tmp` file that opening deletes) or a whole one.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::error::{RaftStoreError, SnapshotCorruption};
use crate::core::raft::{Epoch, Offset, OffsetAndEpoch};
use crate::storage::disk::{Disk, OpenMode};

pub(super) const SNAPSHOT_SUFFIX: &str = ".checkpoint";
/// What `write_atomic` and [`write`] append to a file's name while writing it.
pub(super) const TMP_SUFFIX: &str = ".tmp";
const FORMAT_VERSION: u16 = 0;
const CRC_BYTES: usize = 4;
const HEADER_BYTES: usize = CRC_BYTES + 2 + 8 + 4 + 8;

/// Snapshots ordered as Kafka orders snapshot ids: by end offset, then epoch. (The core's
/// `OffsetAndEpoch` orders by epoch first, which answers a different question.)
pub(super) type SnapshotKey = (Offset, Epoch);

pub(super) fn key(id: OffsetAndEpoch) -> SnapshotKey {
    (id.offset, id.epoch)
}

pub(super) fn id((offset, epoch): SnapshotKey) -> OffsetAndEpoch {
    OffsetAndEpoch { epoch, offset }
}

/// `00000000000000000100-0000000003.checkpoint` for end offset 100, epoch 3.
pub(super) fn file_name(id: OffsetAndEpoch) -> String {
    format!("{:020}-{:010}{SNAPSHOT_SUFFIX}", id.offset, id.epoch)
}

/// The id a snapshot file name stands for; `None` for every other name.
pub(super) fn parse_file_name(name: &str) -> Option<OffsetAndEpoch> {
    let stem = name.strip_suffix(SNAPSHOT_SUFFIX)?;
    let (offset, epoch) = stem.split_once('-')?;
    let digits = |s: &str, len| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(offset, 20) || !digits(epoch, 10) {
        return None;
    }
    Some(OffsetAndEpoch {
        offset: offset.parse().ok()?,
        epoch: epoch.parse().ok()?,
    })
}

pub(super) fn path(dir: &Path, id: OffsetAndEpoch) -> PathBuf {
    dir.join(file_name(id))
}

fn header(id: OffsetAndEpoch, data: &[u8]) -> [u8; HEADER_BYTES] {
    let mut header = [0; HEADER_BYTES];
    header[4..6].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
    header[6..14].copy_from_slice(&id.offset.to_be_bytes());
    header[14..18].copy_from_slice(&id.epoch.to_be_bytes());
    header[18..26].copy_from_slice(&(data.len() as u64).to_be_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&header[CRC_BYTES..]), data);
    header[..CRC_BYTES].copy_from_slice(&crc.to_be_bytes());
    header
}

/// The file's bytes; for tests that stage what a crash would leave behind.
#[cfg(test)]
pub(super) fn encode(id: OffsetAndEpoch, data: &[u8]) -> Vec<u8> {
    let mut bytes = header(id, data).to_vec();
    bytes.extend_from_slice(data);
    bytes
}

/// Writes a snapshot durably: temp file, fsync, rename, fsync the directory.
pub(super) fn write(
    disk: &dyn Disk,
    dir: &Path,
    id: OffsetAndEpoch,
    data: &[u8],
) -> Result<(), RaftStoreError> {
    let path = path(dir, id);
    let mut tmp_name = file_name(id);
    tmp_name.push_str(TMP_SUFFIX);
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let file = disk.open(&tmp, OpenMode::Truncate)?;
        file.write_at(&header(id, data), 0)?;
        file.write_at(data, HEADER_BYTES as u64)?;
        file.sync()
    })();
    if let Err(error) = written {
        // Best effort: opening deletes leftovers anyway.
        let _ = disk.remove_file(&tmp);
        return Err(RaftStoreError::io(&tmp, "write")(error));
    }
    disk.rename(&tmp, &path)
        .map_err(RaftStoreError::io(&path, "rename into place"))?;
    disk.sync_dir(dir)
        .map_err(RaftStoreError::io(dir, "fsync the directory of"))
}

/// `N` big-endian bytes at `at` of a header (every caller's range lies inside it).
fn field<const N: usize>(head: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&head[at..at + N]);
    out
}

/// Checks a snapshot file's bytes against the id its name gives.
pub(super) fn verify(bytes: &[u8], named: OffsetAndEpoch) -> Result<(), SnapshotCorruption> {
    let len = bytes.len() as u64;
    let Some((head, data)) = bytes.split_at_checked(HEADER_BYTES) else {
        return Err(SnapshotCorruption::TooShort { len });
    };
    let stored = u32::from_be_bytes(field(head, 0));
    let computed = crc32c::crc32c_append(crc32c::crc32c(&head[CRC_BYTES..]), data);
    if stored != computed {
        return Err(SnapshotCorruption::Checksum { stored, computed });
    }
    let version = u16::from_be_bytes(field(head, 4));
    if version != FORMAT_VERSION {
        return Err(SnapshotCorruption::UnsupportedVersion { version });
    }
    let stored_id = OffsetAndEpoch {
        offset: i64::from_be_bytes(field(head, 6)),
        epoch: i32::from_be_bytes(field(head, 14)),
    };
    if stored_id != named {
        return Err(SnapshotCorruption::IdMismatch {
            named,
            stored: stored_id,
        });
    }
    let stored_len = u64::from_be_bytes(field(head, 18));
    if stored_len != data.len() as u64 {
        return Err(SnapshotCorruption::LengthMismatch {
            stored: stored_len,
            actual: data.len() as u64,
        });
    }
    Ok(())
}

fn read_once(disk: &dyn Disk, path: &Path) -> io::Result<Vec<u8>> {
    let file = disk.open(path, OpenMode::Read)?;
    let len = usize::try_from(file.len()?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file too large to read whole"))?;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, 0)?;
    Ok(bytes)
}

/// Reads and verifies a snapshot's data. A failed check is read again once, so a bit flipped
/// on the way up (not on the medium) does not condemn a good snapshot; the outer error is IO,
/// the inner one corruption.
pub(super) fn read(
    disk: &dyn Disk,
    dir: &Path,
    id: OffsetAndEpoch,
) -> Result<Result<Bytes, SnapshotCorruption>, RaftStoreError> {
    let path = path(dir, id);
    let mut verdict = Ok(());
    for attempt in 0..2 {
        let bytes = read_once(disk, &path).map_err(RaftStoreError::io(&path, "read"))?;
        verdict = verify(&bytes, id);
        if verdict.is_ok() {
            if attempt > 0 {
                crate::event!(
                    "snapshot read caught transient corruption file={}",
                    path.display()
                );
            }
            return Ok(Ok(Bytes::from(bytes).slice(HEADER_BYTES..)));
        }
    }
    Ok(verdict.map(|()| Bytes::new()))
}

/// Every snapshot file in `dir`, by [`SnapshotKey`].
pub(super) fn list(disk: &dyn Disk, dir: &Path) -> Result<BTreeSet<SnapshotKey>, RaftStoreError> {
    let entries = disk
        .read_dir(dir)
        .map_err(RaftStoreError::io(dir, "list"))?;
    Ok(entries
        .iter()
        .filter(|entry| !entry.is_dir)
        .filter_map(|entry| parse_file_name(&entry.name))
        .map(key)
        .collect())
}

/// The snapshots found on open.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Loaded {
    /// Every snapshot file left on disk.
    pub files: BTreeSet<SnapshotKey>,
    /// The newest one, which verified, with its data.
    pub latest: Option<(OffsetAndEpoch, Bytes)>,
}

/// Finds the newest snapshot that verifies, deleting newer ones that do not (they can never be
/// served, and must not shadow a good one on the next start).
pub(super) fn load_latest(disk: &dyn Disk, dir: &Path) -> Result<Loaded, RaftStoreError> {
    let mut files = list(disk, dir)?;
    while let Some(&newest) = files.last() {
        let id = id(newest);
        match read(disk, dir, id)? {
            Ok(data) => {
                let latest = Some((id, data));
                return Ok(Loaded { files, latest });
            }
            Err(reason) => {
                let path = path(dir, id);
                tracing::warn!(file = %path.display(), %reason, "deleting corrupt snapshot");
                crate::event!(
                    "deleted corrupt snapshot file={} reason={reason}",
                    path.display()
                );
                disk.remove_file(&path)
                    .map_err(RaftStoreError::io(&path, "delete corrupt snapshot"))?;
                files.remove(&newest);
            }
        }
    }
    Ok(Loaded {
        files,
        latest: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;

    fn id(offset: Offset, epoch: Epoch) -> OffsetAndEpoch {
        OffsetAndEpoch { epoch, offset }
    }

    #[test]
    fn names_are_kafkas() {
        let name = file_name(id(100, 3));
        assert_eq!(name, "00000000000000000100-0000000003.checkpoint");
        assert_eq!(parse_file_name(&name), Some(id(100, 3)));
        let max = id(i64::MAX, i32::MAX);
        assert_eq!(parse_file_name(&file_name(max)), Some(max));
        for other in [
            "00000000000000000100-0000000003.checkpoint.tmp",
            "00000000000000000100.log",
            "0000000000000000010-0000000003.checkpoint",
            "00000000000000000100-9999999999.checkpoint",
            "0000000000000000010a-0000000003.checkpoint",
            "quorum-state",
        ] {
            assert_eq!(parse_file_name(other), None, "{other}");
        }
    }

    #[test]
    fn every_flip_truncation_or_rename_is_caught() {
        let data = b"the metadata image".to_vec();
        let bytes = encode(id(7, 2), &data);
        assert_eq!(verify(&bytes, id(7, 2)), Ok(()));
        for position in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[position] ^= 1 << bit;
                assert!(verify(&flipped, id(7, 2)).is_err(), "{position} {bit}");
            }
        }
        for len in 0..bytes.len() {
            assert!(verify(&bytes[..len], id(7, 2)).is_err(), "{len}");
        }
        assert_eq!(
            verify(&bytes, id(8, 2)),
            Err(SnapshotCorruption::IdMismatch {
                named: id(8, 2),
                stored: id(7, 2)
            })
        );
        assert_eq!(
            verify(&bytes[..3], id(7, 2)),
            Err(SnapshotCorruption::TooShort { len: 3 })
        );
    }

    #[test]
    fn the_newest_good_snapshot_wins_and_bad_newer_ones_are_deleted() {
        let disk = MemDisk::new();
        let dir = Path::new("/meta");
        disk.create_dir_all(dir).unwrap();
        write(&disk, dir, id(5, 1), b"five").unwrap();
        write(&disk, dir, id(9, 2), b"nine").unwrap();
        write(&disk, dir, id(12, 2), b"twelve").unwrap();
        let twelve = path(dir, id(12, 2));
        assert!(disk.flip_bit(&twelve, HEADER_BYTES + 1, 0));
        let Loaded { files, latest } = load_latest(&disk, dir).unwrap();
        assert_eq!(files, BTreeSet::from([(5, 1), (9, 2)]));
        let (latest_id, data) = latest.unwrap();
        assert_eq!((latest_id, &data[..]), (id(9, 2), &b"nine"[..]));
        assert!(disk.file_bytes(&twelve).is_none());
        assert_eq!(
            read(&disk, dir, id(5, 1)).unwrap().unwrap(),
            Bytes::from_static(b"five")
        );
        let empty = Path::new("/empty");
        disk.create_dir_all(empty).unwrap();
        let nothing = Loaded {
            files: BTreeSet::new(),
            latest: None,
        };
        assert_eq!(load_latest(&disk, empty).unwrap(), nothing);
    }
}
