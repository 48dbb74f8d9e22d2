//! One log segment: a `.log` file of record batches plus its `.index` and `.timeindex`, all
//! named by the segment's 20-digit base offset as Kafka names them.
//!
//! The segment owns the mapping between offsets and byte positions. Appends add sparse index
//! entries every `index.interval.bytes`; reads find a batch by index lookup and a short forward
//! scan of 61-byte headers. Two ways to load: [`Segment::recover`] verifies every batch (length,
//! magic, CRC, offset order), truncates from the first bad one and rebuilds both indexes;
//! [`Segment::load_trusted`] (for data below the recovery point) believes the indexes after
//! Kafka's sanity check and only walks headers after the last index entry to find the end.

use std::io;
use std::path::{Path, PathBuf};

mod reads;

use super::batch::{check_crc, BatchError, BatchHeader};
use super::disk::{Disk, DiskFile, OpenMode, ReadFuture, SyncFuture};
use super::offset_index::OffsetIndex;
use super::recovery::CommittedDataDamaged;
use super::time_index::TimeIndex;
use crate::canary::{self, Canary};
use crate::limits::{BATCH_HEADER_BYTES, SEGMENT_OFFSET_SPAN_MAX};
use reads::Expect;

pub(crate) const LOG_SUFFIX: &str = "log";
pub(crate) const INDEX_SUFFIX: &str = "index";
pub(crate) const TIME_INDEX_SUFFIX: &str = "timeindex";

/// `00000000000000000042.log` for base offset 42 and suffix `log`.
pub(crate) fn file_name(base_offset: i64, suffix: &str) -> String {
    format!("{base_offset:020}.{suffix}")
}

/// Parses a segment file name into (base offset, suffix); `None` for anything else.
pub(crate) fn parse_file_name(name: &str) -> Option<(i64, &str)> {
    let (stem, suffix) = name.split_once('.')?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem.parse().ok()?, suffix))
}

/// What a verifying scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ScanOutcome {
    pub batches: u64,
    /// Bytes cut from the end because they were torn or corrupt.
    pub truncated_bytes: u64,
}

pub(crate) struct Segment {
    base_offset: i64,
    log_path: PathBuf,
    log: Box<dyn DiskFile>,
    size: u64,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    bytes_since_last_index_entry: u64,
    /// Largest batch `max_timestamp` so far (-1: none), and the last offset of the batch that
    /// first reached it (what Kafka's time index holds).
    max_timestamp: i64,
    offset_of_max_timestamp: i64,
    next_offset: i64,
    /// When the first batch went in (or the segment was loaded), for `segment.ms`.
    first_batch_ms: Option<i64>,
    /// Recovery refuses to cut a damaged batch below this offset (0: anywhere may be cut): the
    /// owner recorded that everything below it was committed, so damage there is not a torn
    /// tail but lost history, which must not be silently replaced.
    committed: i64,
}

fn corrupt(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Segment {
    /// Creates a new, empty segment, replacing leftovers with the same base offset.
    pub fn create(disk: &dyn Disk, dir: &Path, base_offset: i64) -> io::Result<Segment> {
        for suffix in [INDEX_SUFFIX, TIME_INDEX_SUFFIX] {
            disk.open(
                &dir.join(file_name(base_offset, suffix)),
                OpenMode::Truncate,
            )?;
        }
        let log_path = dir.join(file_name(base_offset, LOG_SUFFIX));
        disk.open(&log_path, OpenMode::Truncate)?;
        Ok(Self::open(disk, dir, base_offset)?.0)
    }

    /// Opens an existing segment's files (creating missing indexes). The flag is false when an
    /// index file was missing or had a partial entry, so it must be rebuilt.
    pub fn open(disk: &dyn Disk, dir: &Path, base_offset: i64) -> io::Result<(Segment, bool)> {
        let log_path = dir.join(file_name(base_offset, LOG_SUFFIX));
        let log = disk.open(&log_path, OpenMode::ReadWrite)?;
        let size = log.len()?;
        let index_path = dir.join(file_name(base_offset, INDEX_SUFFIX));
        let (offset_index, offsets_whole) = OffsetIndex::open(disk, &index_path, base_offset)?;
        let time_path = dir.join(file_name(base_offset, TIME_INDEX_SUFFIX));
        let (time_index, times_whole) = TimeIndex::open(disk, &time_path, base_offset)?;
        let segment = Segment {
            base_offset,
            log_path,
            log,
            size,
            offset_index,
            time_index,
            bytes_since_last_index_entry: 0,
            max_timestamp: -1,
            offset_of_max_timestamp: base_offset,
            next_offset: base_offset,
            first_batch_ms: None,
            committed: 0,
        };
        let whole = size == 0 || (offsets_whole && times_whole);
        Ok((segment, whole))
    }

    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }

    pub fn offset_of_max_timestamp(&self) -> i64 {
        self.offset_of_max_timestamp
    }

    pub fn first_batch_ms(&self) -> Option<i64> {
        self.first_batch_ms
    }

    pub fn set_first_batch_ms(&mut self, now_ms: i64) {
        self.first_batch_ms = Some(now_ms);
    }

    /// Reads the header of the batch at `position`; `None` at the end of the segment. A header
    /// that is cut short or invalid is `InvalidData`: below the recovery point or after a
    /// recovery, that is corruption, not a torn tail.
    pub fn read_header_at(&self, position: u64) -> io::Result<Option<BatchHeader>> {
        if position >= self.size {
            return Ok(None);
        }
        let mut buf = [0; BATCH_HEADER_BYTES];
        let available = usize::try_from(self.size - position).unwrap_or(usize::MAX);
        let len = available.min(BATCH_HEADER_BYTES);
        self.log.read_exact_at(&mut buf[..len], position)?;
        let header = BatchHeader::parse(&buf[..len]).map_err(|_| corrupt("bad batch header"))?;
        if header.total_size() as u64 > self.size - position {
            return Err(corrupt("batch extends past the end of the segment"));
        }
        Ok(Some(header))
    }

    /// The position and header of the first batch whose last offset is at or above `offset`.
    pub fn find_batch(&self, offset: i64) -> io::Result<Option<(u64, BatchHeader)>> {
        let mut position = self.offset_index.lookup(offset);
        let mut expect = self.expect_at(position);
        while let Some(header) = self.read_header_expecting(position, expect)? {
            if header.last_offset() >= offset {
                return Ok(Some((position, header)));
            }
            position += header.total_size() as u64;
            expect = Expect::Starts(header.last_offset() + 1);
        }
        Ok(None)
    }

    /// Fills `buf` from `position`.
    pub fn read_into(&self, position: u64, buf: &mut [u8]) -> io::Result<()> {
        self.log.read_exact_at(buf, position)
    }

    /// Fills `buf` from `position` without holding up the caller (see `DiskFile::read_later`).
    pub fn read_later(&self, position: u64, buf: Vec<u8>) -> ReadFuture {
        self.log.read_later(buf, position)
    }

    /// Reads `len` bytes at `position`.
    pub fn read(&self, position: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len];
        self.read_into(position, &mut buf)?;
        Ok(buf)
    }

    /// Appends a record set whose batches (position within `records`, header) are already
    /// validated and stamped. On failure, the segment is cut back to where it was.
    pub fn append(
        &mut self,
        records: &[u8],
        batches: &[(usize, BatchHeader)],
        index_interval_bytes: u64,
    ) -> io::Result<()> {
        let (start, next_offset) = (self.size, self.next_offset);
        let state = (self.bytes_since_last_index_entry, self.max_timestamp);
        let offset_of_max = self.offset_of_max_timestamp;
        let result = self.append_unchecked(records, batches, index_interval_bytes);
        if result.is_err() {
            // Best effort: if even this fails the log is broken and the caller sees the error.
            // What the segment held before is known: nothing is read back to learn it.
            let _ = self.truncate_to_position(start, next_offset);
            (self.bytes_since_last_index_entry, self.max_timestamp) = state;
            self.offset_of_max_timestamp = offset_of_max;
        }
        result
    }

    fn append_unchecked(
        &mut self,
        records: &[u8],
        batches: &[(usize, BatchHeader)],
        index_interval_bytes: u64,
    ) -> io::Result<()> {
        let start = self.size;
        self.log.write_at(records, start)?;
        self.size = start + records.len() as u64;
        for (position, header) in batches {
            self.index_batch(start + *position as u64, header, index_interval_bytes)?;
        }
        Ok(())
    }

    /// Kafka's indexing rule: update the max timestamp, then, once more than
    /// `index_interval_bytes` were written since the last entry, index this batch.
    fn index_batch(
        &mut self,
        position: u64,
        header: &BatchHeader,
        interval: u64,
    ) -> io::Result<()> {
        if header.max_timestamp > self.max_timestamp {
            self.max_timestamp = header.max_timestamp;
            // Kafka's time index names a batch by its last offset (kafka-dump-log checks it).
            self.offset_of_max_timestamp = header.last_offset();
        }
        if self.bytes_since_last_index_entry > interval {
            self.offset_index.append(header.last_offset(), position)?;
            self.time_index
                .maybe_append(self.max_timestamp, self.offset_of_max_timestamp)?;
            self.bytes_since_last_index_entry = 0;
        }
        self.bytes_since_last_index_entry += header.total_size() as u64;
        self.next_offset = header.last_offset() + 1;
        Ok(())
    }

    /// See the `committed` field.
    pub fn keep_committed(&mut self, committed: i64) {
        self.committed = committed;
    }

    /// Verifies every batch from the start, rebuilding both indexes and cutting the log at the
    /// first torn or corrupt batch, unless that batch is below the committed offset: then the
    /// error is [`CommittedDataDamaged`] and the file is left as it is.
    pub fn recover(&mut self, index_interval_bytes: u64) -> io::Result<ScanOutcome> {
        self.offset_index.reset()?;
        self.time_index.reset()?;
        self.bytes_since_last_index_entry = 0;
        self.max_timestamp = -1;
        self.offset_of_max_timestamp = self.base_offset;
        self.next_offset = self.base_offset;
        let mut outcome = ScanOutcome::default();
        let mut position = 0;
        while position < self.size {
            let verified = self.verify_settled(position)?;
            match verified {
                Ok(header) => {
                    self.index_batch(position, &header, index_interval_bytes)?;
                    position += header.total_size() as u64;
                    outcome.batches += 1;
                }
                Err(error) if self.next_offset < self.committed => {
                    return Err(CommittedDataDamaged {
                        file: self.log_path.clone(),
                        position,
                        offset: self.next_offset,
                        committed: self.committed,
                        reason: error.to_string(),
                    }
                    .into());
                }
                Err(error) => {
                    tracing::warn!(
                        file = %self.log_path.display(), position, %error,
                        "truncating torn or corrupt data from the segment"
                    );
                    crate::event!(
                        "recovery truncated file={} position={position} bytes={} reason={error}",
                        self.log_path.display(),
                        self.size - position
                    );
                    outcome.truncated_bytes = self.size - position;
                    self.log.set_len(position)?;
                    // Durable at once, so a crash cannot bring the bad bytes back under data
                    // appended after them.
                    self.log.sync()?;
                    self.size = position;
                }
            }
        }
        Ok(outcome)
    }

    /// Checks the batch at `position`: complete, magic v2, CRC, and offsets after the previous
    /// batch. IO errors are the outer error; bad bytes are the inner one.
    fn verify_batch_at(&self, position: u64) -> io::Result<Result<BatchHeader, BatchError>> {
        let available = usize::try_from(self.size - position).unwrap_or(usize::MAX);
        let mut head = vec![0; available.min(BATCH_HEADER_BYTES)];
        self.log.read_exact_at(&mut head, position)?;
        let header = match BatchHeader::parse(&head) {
            Ok(header) => header,
            Err(error) => return Ok(Err(error)),
        };
        if header.total_size() > available {
            return Ok(Err(BatchError::Incomplete {
                needed: header.total_size(),
                available,
            }));
        }
        let batch = self.read(position, header.total_size())?;
        // Judge the batch by the bytes whose CRC is checked, not by the earlier header read:
        // a bit flipped in that read (say in last_offset_delta) would otherwise pass the CRC
        // check of the clean second read and set the log end offset.
        let header = match BatchHeader::parse(&batch) {
            Ok(reparsed) if reparsed.total_size() == batch.len() => reparsed,
            Ok(reparsed) => {
                return Ok(Err(BatchError::Incomplete {
                    needed: reparsed.total_size(),
                    available: batch.len(),
                }))
            }
            Err(error) => return Ok(Err(error)),
        };
        if let Err(error) = check_crc(&batch, &header) {
            if !canary::is_on(Canary::SkipRecoveryCrc) {
                return Ok(Err(error));
            }
        }
        let span = header.last_offset().saturating_sub(self.base_offset);
        if header.base_offset != self.next_offset
            || header.last_offset_delta < 0
            || span > SEGMENT_OFFSET_SPAN_MAX
        {
            // Offsets in a segment are dense (there is no compaction yet to leave gaps), and
            // the CRC does not cover `base_offset`: a batch that does not start where the last
            // one ended is a flipped bit or stale data, never something we wrote.
            return Ok(Err(BatchError::OffsetOrder {
                base_offset: header.base_offset,
                next_offset: self.next_offset,
            }));
        }
        Ok(Ok(header))
    }

    /// Loads a segment below the recovery point without verifying CRCs: checks the indexes,
    /// then walks headers after the last offset index entry to find the end and max timestamp.
    /// Falls back to [`Segment::recover`] if the indexes are inconsistent.
    pub fn load_trusted(&mut self, index_interval_bytes: u64) -> io::Result<Option<ScanOutcome>> {
        if !self.offset_index.is_consistent(self.size) {
            tracing::warn!(file = %self.offset_index.path().display(), "rebuilding corrupt index");
            return self.recover(index_interval_bytes).map(Some);
        }
        (self.max_timestamp, self.offset_of_max_timestamp) = (-1, self.base_offset);
        if let Some((timestamp, offset)) = self.time_index.last_entry() {
            (self.max_timestamp, self.offset_of_max_timestamp) = (timestamp, offset);
        }
        let mut position = self.offset_index.last_position();
        let mut expect = self.expect_at(position);
        let mut last = None;
        self.next_offset = self.base_offset;
        loop {
            match self.read_header_expecting(position, expect) {
                Ok(Some(header)) => {
                    if header.max_timestamp > self.max_timestamp {
                        self.max_timestamp = header.max_timestamp;
                        self.offset_of_max_timestamp = header.last_offset();
                    }
                    last = Some((position, header.base_offset));
                    self.next_offset = header.last_offset() + 1;
                    position += header.total_size() as u64;
                    expect = Expect::Starts(self.next_offset);
                }
                Ok(None) => break,
                Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                    tracing::warn!(file = %self.log_path.display(), position, %error,
                        "unreadable batch in a trusted segment; verifying it");
                    return self.recover(index_interval_bytes).map(Some);
                }
                Err(error) => return Err(error),
            }
        }
        // Nothing after the last batch checks where it ends (its `last_offset_delta`, which a
        // flip on the way up may have changed): its CRC, which covers it, does.
        if let Some((position, base_offset)) = last {
            let end = self.next_offset;
            self.next_offset = base_offset;
            match self.verify_settled(position)? {
                Ok(header) => self.next_offset = header.last_offset() + 1,
                Err(error) => {
                    tracing::warn!(file = %self.log_path.display(), position, %error,
                        "the last batch of a trusted segment fails verification; verifying all");
                    return self.recover(index_interval_bytes).map(Some);
                }
            }
            if self.next_offset != end {
                crate::event!(
                    "read caught a misread segment end file={} end={end} verified={}",
                    self.log_path.display(),
                    self.next_offset
                );
            }
        }
        self.bytes_since_last_index_entry = self.size - self.offset_index.last_position();
        if !self.time_index.is_consistent(self.next_offset) {
            tracing::warn!(file = %self.time_index.path().display(), "rebuilding corrupt index");
            return self.recover(index_interval_bytes).map(Some);
        }
        Ok(None)
    }

    /// Removes every batch at or after `offset` (the whole batch containing it, as Kafka does).
    pub fn truncate_to(&mut self, offset: i64, index_interval_bytes: u64) -> io::Result<()> {
        if let Some((position, header)) = self.find_batch(offset)? {
            self.truncate_to_position(position, header.base_offset)?;
            // The max timestamp may have been in the removed part; re-derive it from the
            // indexes and remaining headers. The end is known: the cut batch's start.
            self.load_trusted(index_interval_bytes)?;
            self.next_offset = header.base_offset;
        }
        Ok(())
    }

    /// Cuts the segment at `position`, where the batch starting at `next` began.
    fn truncate_to_position(&mut self, position: u64, next: i64) -> io::Result<()> {
        self.log.set_len(position)?;
        self.size = position;
        self.offset_index.truncate_to_position(position)?;
        self.time_index.truncate_to_offset(next)?;
        self.next_offset = next;
        Ok(())
    }

    /// Adds a final time index entry for the largest timestamp, so a reload without a scan
    /// knows it (Kafka does this when a segment stops being active and on close).
    pub fn seal_time_index(&mut self) -> io::Result<()> {
        if self.max_timestamp >= 0 {
            let offset = self.offset_of_max_timestamp;
            self.time_index.maybe_append(self.max_timestamp, offset)?;
        }
        Ok(())
    }

    /// The offset to start a time search from: see [`TimeIndex::lookup`].
    pub fn time_lookup(&self, timestamp: i64) -> i64 {
        self.time_index.lookup(timestamp)
    }

    pub fn flush(&self) -> io::Result<()> {
        self.log.sync()?;
        self.offset_index.sync()?;
        self.time_index.sync()
    }

    /// [`Self::flush`] as fsyncs to await (see `DiskFile::sync_later`).
    pub fn sync_later(&self) -> [SyncFuture; 3] {
        [
            self.log.sync_later(),
            self.offset_index.sync_later(),
            self.time_index.sync_later(),
        ]
    }

    /// Deletes the segment's three files.
    pub fn delete(self, disk: &dyn Disk) -> io::Result<()> {
        let index_paths = [
            self.offset_index.path().to_path_buf(),
            self.time_index.path().to_path_buf(),
        ];
        disk.remove_file(&self.log_path)?;
        for path in index_paths {
            match disk.remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    #[cfg(test)]
    pub fn offset_index_len(&self) -> usize {
        self.offset_index.len()
    }
}
