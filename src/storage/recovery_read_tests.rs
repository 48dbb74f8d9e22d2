//! Recovery and header walks under reads that flip bits on the way up (the medium is fine): a
//! batch is cut only when reads agree it is bad, so transient flips, even several in a row,
//! never cost acknowledged data, while damage on the medium is still cut; and a flip in a
//! header's offsets (outside the CRC) never moves the log end offset.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::*;

/// A `MemDisk` whose `.log` reads flip the bits queued in `flips` (absolute file positions),
/// one per read that covers its position, in order.
#[derive(Clone)]
struct FlakyReads {
    inner: MemDisk,
    flips: Arc<Mutex<VecDeque<u64>>>,
}

struct FlakyFile {
    inner: Box<dyn DiskFile>,
    flips: Option<Arc<Mutex<VecDeque<u64>>>>,
}

impl Disk for FlakyReads {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>> {
        let is_log = path.extension().is_some_and(|e| e == "log");
        Ok(Box::new(FlakyFile {
            inner: self.inner.open(path, mode)?,
            flips: is_log.then(|| self.flips.clone()),
        }))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.read_dir(path)
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.exists(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
}

impl DiskFile for FlakyFile {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let read = self.inner.read_at(buf, offset)?;
        if let Some(flips) = &self.flips {
            let mut flips = flips.lock().unwrap();
            let covered = flips
                .front()
                .is_some_and(|&at| at >= offset && at < offset + read as u64);
            if covered {
                let at = flips.pop_front().unwrap();
                buf[(at - offset) as usize] ^= 0x10;
            }
        }
        Ok(read)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_at(buf, offset)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync(&self) -> io::Result<()> {
        self.inner.sync()
    }
}

fn batch() -> bytes::Bytes {
    use crate::client::records::{encode_batch, ProducerRecord};
    let record = ProducerRecord::new("t", bytes::Bytes::from_static(b"a value of some length"));
    encode_batch(
        &[record],
        &[1_000],
        kafka_protocol::records::Compression::None,
    )
    .unwrap()
}

/// Three batches written and left for recovery (recovery point 0: every batch is scanned).
fn written() -> (FlakyReads, usize) {
    let disk = FlakyReads {
        inner: MemDisk::new(),
        flips: Arc::default(),
    };
    let dir = PathBuf::from("/data/t-0");
    let mut log = Log::create(Arc::new(disk.clone()), dir, LogConfig::default(), 0).unwrap();
    for _ in 0..3 {
        log.append_as_leader(&batch(), 0, 0).unwrap();
    }
    (disk, batch().len())
}

fn recovered(disk: &FlakyReads) -> Log {
    let dir = PathBuf::from("/data/t-0");
    Log::open(Arc::new(disk.clone()), dir, LogConfig::default(), 0, 0, 0).unwrap()
}

#[test]
fn flips_on_the_way_up_in_several_reads_in_a_row_cut_nothing() {
    let (disk, size) = written();
    let second = size as u64;
    // The body of the second batch (CRC mismatch), then its length (a different error), then
    // its body again: three failed reads, no two alike.
    disk.flips
        .lock()
        .unwrap()
        .extend([second + 70, second + 10, second + 72]);
    let log = recovered(&disk);
    assert_eq!(log.log_end_offset(), 3, "every batch survives");
    assert!(disk.flips.lock().unwrap().is_empty(), "every flip was read");
}

#[test]
fn damage_on_the_medium_is_still_cut() {
    let (disk, size) = written();
    assert!(disk.inner.flip_bit(
        &PathBuf::from("/data/t-0/00000000000000000000.log"),
        size + 70,
        2
    ));
    let log = recovered(&disk);
    assert_eq!(log.log_end_offset(), 1, "cut at the damaged batch");
}

#[test]
fn a_failed_append_keeps_the_log_end_whatever_a_read_would_say() {
    let (disk, size) = written();
    let mut log = recovered(&disk);
    assert_eq!(log.log_end_offset(), 3);
    // Any read of the last batch's header would now see its base offset 2^40 ahead.
    disk.flips.lock().unwrap().extend([2 * size as u64 + 2; 8]);
    disk.inner.set_fail_writes(true);
    log.append_as_leader(&batch(), 0, 0).unwrap_err();
    disk.inner.set_fail_writes(false);
    assert_eq!(log.log_end_offset(), 3);
    assert_eq!(log.append_as_leader(&batch(), 0, 0).unwrap().base_offset, 3);
}

#[test]
fn a_header_walk_reads_a_disagreeing_header_again() {
    let (disk, size) = written();
    let mut log = recovered(&disk);
    // The walk to offset 2 reads batch 1's header with its base offset flipped, twice.
    let base = size as u64 + 2;
    disk.flips.lock().unwrap().extend([base, base]);
    log.truncate_to(2).unwrap();
    assert_eq!(log.log_end_offset(), 2);
    assert_eq!(log.append_as_leader(&batch(), 0, 0).unwrap().base_offset, 2);
}

#[test]
fn a_misread_segment_end_does_not_make_a_hole_of_the_next_segment() {
    let disk = FlakyReads {
        inner: MemDisk::new(),
        flips: Arc::default(),
    };
    let size = batch().len();
    let config = LogConfig {
        segment_bytes: 3 * size as u64,
        ..LogConfig::default()
    };
    let dir = PathBuf::from("/data/t-0");
    let mut log = Log::create(Arc::new(disk.clone()), dir.clone(), config.clone(), 0).unwrap();
    for _ in 0..6 {
        log.append_as_leader(&batch(), 0, 0).unwrap();
    }
    assert_eq!(log.segment_count(), 2);
    drop(log);
    // The first segment is below the recovery point, so loaded trusting its headers; the last
    // one's `last_offset_delta` (bytes 23..27, CRC'd but not checked by a header walk) reads
    // 16 too high, which made its end look past the next segment's base.
    disk.flips.lock().unwrap().push_back(2 * size as u64 + 26);
    let log = Log::open(Arc::new(disk.clone()), dir, config, 6, 0, 0).unwrap();
    assert!(disk.flips.lock().unwrap().is_empty(), "the flip was read");
    assert_eq!((log.segment_count(), log.log_end_offset()), (2, 6));
}
