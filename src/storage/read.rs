//! Reads: Fetch (whole batches from an offset), ListOffsets by timestamp, and the record with
//! the largest timestamp.
//!
//! A fetch that lands inside a batch returns that whole batch; clients skip the records before
//! their offset (a broker that dropped such batches made clients hang). Reads stop at a segment
//! boundary: the client simply fetches again from where the response ended.

use bytes::Bytes;

use super::batch::{check_crc, set_partition_leader_epoch, BatchError, BatchHeader, BatchSplitter};
use super::disk::ReadFuture;
use super::error::ReadError;
use super::log::Log;
use super::read_buffers::ReadBuffers;
use super::records::{for_each_record, RecordInfo};
use super::segment::Segment;

impl Log {
    /// Whole batches starting with the one containing `fetch_offset`, stopping before any batch
    /// whose base offset is at or above `max_offset` and within `max_bytes` (except that with
    /// `min_one_batch` the first batch is returned whole even if bigger).
    ///
    /// Every batch is checked before it is served (CRC, offsets following on from
    /// `fetch_offset`; a leader epoch the log never had is served as the one it had), so a
    /// bit flipped on disk or on the way up reaches neither consumers nor followers. A failed
    /// check is retried once (a flip during the read is transient); if it persists, the
    /// response ends before the bad batch, or is an error if that is the first.
    pub fn read(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        max_offset: i64,
        min_one_batch: bool,
    ) -> Result<Bytes, ReadError> {
        match self.locate(fetch_offset, max_bytes, max_offset, min_one_batch)? {
            Some(span) => self.read_span(span, fetch_offset, max_bytes, max_offset, min_one_batch),
            None => Ok(Bytes::new()),
        }
    }

    /// [`Self::read`], except that a read of an older segment (which may have left the page
    /// cache) is handed back to be awaited without the log's lock: a slow disk then delays
    /// only that fetch. Reads of the active segment, where consumers that keep up read, are
    /// done at once.
    pub fn plan_read(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        max_offset: i64,
        min_one_batch: bool,
    ) -> PlannedRead {
        let span = match self.locate(fetch_offset, max_bytes, max_offset, min_one_batch) {
            Ok(Some(span)) => span,
            Ok(None) => return PlannedRead::Done(Ok(Bytes::new())),
            Err(error) => return PlannedRead::Done(Err(error)),
        };
        if span.segment.base_offset() >= self.active().base_offset() {
            let read = self.read_span(span, fetch_offset, max_bytes, max_offset, min_one_batch);
            return PlannedRead::Done(read);
        }
        // The pool's buffer may be longer than the span; the read fills exactly the span.
        let mut buffer = self.read_buffers.take(span.len);
        let taken = buffer.len();
        buffer.truncate(span.len);
        PlannedRead::Cold(ColdRead {
            read: span.segment.read_later(span.start, buffer),
            taken,
            len: span.len,
            first: span.first,
            fetch_offset,
            max_offset,
            epochs: self.epoch_view().map(<[_]>::to_vec),
            buffers: self.read_buffers.clone(),
        })
    }

    /// The leader epoch cache reads check batches against: no batch in this log carries an
    /// epoch above the latest one the cache holds (every append records its batches' epochs,
    /// and recovery those of the batches it kept), so a read batch that does had a bit flipped
    /// in its leader epoch, which its CRC does not cover. Served, it would plant a bogus epoch
    /// in a follower's cache and a consumer's position; the read serves the epoch the cache
    /// holds for its offsets.
    fn epoch_view(&self) -> Option<&[(i32, i64)]> {
        let entries = self.epochs();
        (self.epochs_bound_reads && !entries.is_empty()).then_some(entries)
    }

    /// Reads and verifies `span`; a failed check is retried once, from the index lookup on.
    fn read_span(
        &self,
        span: Span<'_>,
        fetch_offset: i64,
        max_bytes: usize,
        max_offset: i64,
        min_one_batch: bool,
    ) -> Result<Bytes, ReadError> {
        let first_try = self
            .read_located(span, max_offset)
            .and_then(|bytes| verified_prefix(bytes, fetch_offset, self.epoch_view()));
        match first_try {
            Err(error) if error.is_corruption() => {
                let dir = self.dir.display();
                tracing::warn!(%dir, fetch_offset, %error, "corrupt read; retrying once");
                crate::event!("read caught corruption dir={dir} fetch_offset={fetch_offset}");
                match self.locate(fetch_offset, max_bytes, max_offset, min_one_batch)? {
                    Some(span) => {
                        let bytes = self.read_located(span, max_offset)?;
                        verified_prefix(bytes, fetch_offset, self.epoch_view())
                    }
                    None => Ok(Bytes::new()),
                }
            }
            result => result,
        }
    }

    /// The whole batches of `span` below `max_offset`, unverified.
    fn read_located(&self, span: Span<'_>, max_offset: i64) -> Result<Bytes, ReadError> {
        let mut buffer = self.read_buffers.take(span.len);
        span.segment
            .read_into(span.start, &mut buffer[..span.len])?;
        let end = whole_batches(&buffer[..span.len], span.first, max_offset);
        Ok(self.read_buffers.share(buffer, end))
    }

    /// Where a read's bytes are: the segment, position and length of one read for the whole
    /// response (a header read per batch made consumers pay one syscall per 16 KiB), and the
    /// size of the first batch, which is kept whatever its header reads as then
    /// (`verified_prefix` reports it if corrupt). `None`: nothing to read.
    fn locate(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        max_offset: i64,
        min_one_batch: bool,
    ) -> Result<Option<Span<'_>>, ReadError> {
        let log_end_offset = self.log_end_offset();
        if fetch_offset < self.log_start_offset || fetch_offset > log_end_offset {
            return Err(ReadError::OffsetOutOfRange {
                log_start_offset: self.log_start_offset,
                log_end_offset,
            });
        }
        let Some((segment, start, header)) = self.find_batch(fetch_offset)? else {
            return Ok(None);
        };
        let first = header.total_size();
        let limit = if min_one_batch {
            max_bytes.max(first)
        } else {
            max_bytes
        };
        if header.base_offset >= max_offset || first > limit {
            return Ok(None);
        }
        let available = segment.size().saturating_sub(start);
        let len = usize::try_from(available).map_or(limit, |available| available.min(limit));
        Ok(Some(Span {
            segment,
            start,
            len,
            first,
        }))
    }

    /// ListOffsets by time: the offset and timestamp of the first record (at or after the log
    /// start offset) whose timestamp is at or above `timestamp_ms`.
    pub fn offset_for_timestamp(&self, timestamp_ms: i64) -> Result<Option<(i64, i64)>, ReadError> {
        for segment in self.segments.values() {
            if segment.max_timestamp() < timestamp_ms {
                continue;
            }
            let from = segment.time_lookup(timestamp_ms).max(self.log_start_offset);
            let found = first_record_where(segment, from, |header, record| {
                header.max_timestamp >= timestamp_ms
                    && record.is_none_or(|r| {
                        r.timestamp >= timestamp_ms && r.offset >= self.log_start_offset
                    })
            })?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// ListOffsets MAX_TIMESTAMP (-3): the first record carrying the largest timestamp.
    pub fn max_timestamp_entry(&self) -> Result<Option<(i64, i64)>, ReadError> {
        let mut best: Option<&Segment> = None;
        for segment in self.segments.values() {
            if segment.max_timestamp() >= 0
                && best.is_none_or(|b| segment.max_timestamp() > b.max_timestamp())
            {
                best = Some(segment);
            }
        }
        let Some(segment) = best else {
            return Ok(None);
        };
        let max = segment.max_timestamp();
        let matches = |header: &BatchHeader, record: Option<&RecordInfo>| {
            header.max_timestamp == max && record.is_none_or(|r| r.timestamp == max)
        };
        // The segment remembers the batch that first reached its max; scan from the start only
        // if that hint is stale.
        match first_record_where(segment, segment.offset_of_max_timestamp(), matches)? {
            Some(found) => Ok(Some(found)),
            None => first_record_where(segment, segment.base_offset(), matches),
        }
    }
}

/// A fetch's read, planned under the log's lock ([`Log::plan_read`]).
pub enum PlannedRead {
    /// Read already, or nothing to read, or an error.
    Done(Result<Bytes, ReadError>),
    /// A read of an older segment, to await without the log's lock.
    Cold(ColdRead),
}

/// A read of an older segment under way.
pub struct ColdRead {
    read: ReadFuture,
    /// The buffer's length as the pool gave it, restored before it goes back.
    taken: usize,
    len: usize,
    first: usize,
    fetch_offset: i64,
    max_offset: i64,
    /// See `Log::epoch_view`.
    epochs: Option<Vec<(i32, i64)>>,
    buffers: ReadBuffers,
}

impl ColdRead {
    /// The whole, verified batches read. A corrupt first batch is an error, which the caller
    /// retries once with [`Log::read`] (a bit flipped on the way up is transient).
    pub async fn finish(self) -> Result<Bytes, ReadError> {
        let (mut buffer, read) = self.read.await;
        read?;
        let end = whole_batches(&buffer[..self.len], self.first, self.max_offset);
        buffer.resize(self.taken, 0);
        let bytes = self.buffers.share(buffer, end);
        verified_prefix(bytes, self.fetch_offset, self.epochs.as_deref())
    }
}

/// Where a read's bytes are (see `Log::locate`).
struct Span<'a> {
    segment: &'a Segment,
    start: u64,
    len: usize,
    first: usize,
}

/// The length of the whole batches at the start of `block` that begin below `max_offset`; the
/// first (`first` bytes) is always kept.
fn whole_batches(block: &[u8], first: usize, max_offset: i64) -> usize {
    let mut end = first;
    while let Ok(next) = BatchHeader::parse(&block[end..]) {
        let size = next.total_size();
        if next.base_offset >= max_offset || size > block.len() - end {
            break;
        }
        end += size;
    }
    end
}

/// Scans `segment` from the batch holding `from`: the first record for which `wanted` holds.
/// `wanted` is asked first with the header alone (`None`), to skip batches without decoding.
fn first_record_where(
    segment: &Segment,
    from: i64,
    wanted: impl Fn(&BatchHeader, Option<&RecordInfo>) -> bool,
) -> Result<Option<(i64, i64)>, ReadError> {
    let Some((mut position, _)) = segment.find_batch(from)? else {
        return Ok(None);
    };
    while let Some(header) = segment.read_header_at(position)? {
        if wanted(&header, None) {
            let batch = segment.read(position, header.total_size())?;
            let mut found = None;
            for_each_record(&batch, &header, |record| {
                if wanted(&header, Some(&record)) {
                    found = Some((record.offset, record.timestamp));
                }
                found.is_none()
            })
            .map_err(|error| ReadError::CorruptBatch {
                base_offset: header.base_offset,
                error,
            })?;
            if found.is_some() {
                return Ok(found);
            }
        }
        position += header.total_size() as u64;
    }
    Ok(None)
}

/// The longest prefix of `bytes` whose batches pass their CRC and continue the offsets from
/// `fetch_offset` densely; an error if not even the first batch does. A batch whose leader
/// epoch is above the latest in `epochs` (see `Log::epoch_view`) is served with the epoch
/// `epochs` holds for its offsets instead.
fn verified_prefix(
    bytes: Bytes,
    fetch_offset: i64,
    epochs: Option<&[(i32, i64)]>,
) -> Result<Bytes, ReadError> {
    let latest = epochs.and_then(<[_]>::last).map(|&(epoch, _)| epoch);
    let mut good = 0;
    let mut epoch_ahead = false;
    let mut next_offset: Option<i64> = None;
    for split in BatchSplitter::new(&bytes) {
        let checked = split.and_then(|batch| {
            check_crc(batch.bytes, &batch.header)?;
            let header = batch.header;
            let in_order = match next_offset {
                None => header.base_offset <= fetch_offset && fetch_offset <= header.last_offset(),
                Some(next) => header.base_offset == next,
            };
            if !in_order {
                return Err(BatchError::OffsetOrder {
                    base_offset: header.base_offset,
                    next_offset: next_offset.unwrap_or(fetch_offset),
                });
            }
            Ok(batch)
        });
        match checked {
            Ok(batch) => {
                good = batch.position + batch.bytes.len();
                next_offset = Some(batch.header.last_offset() + 1);
                epoch_ahead |= latest.is_some_and(|l| batch.header.partition_leader_epoch > l);
            }
            Err(error) if good == 0 => {
                return Err(ReadError::Corrupt {
                    fetch_offset,
                    error,
                })
            }
            Err(_) => break,
        }
    }
    let verified = bytes.slice(..good);
    match (epoch_ahead, epochs) {
        (true, Some(epochs)) => Ok(with_cached_epochs(&verified, epochs)),
        _ => Ok(verified),
    }
}

/// `batches` (verified whole batches) with each leader epoch above the latest in `epochs` set
/// to the epoch `epochs` holds for the batch's base offset. Rare (a flipped bit), so a copy.
fn with_cached_epochs(batches: &Bytes, epochs: &[(i32, i64)]) -> Bytes {
    let latest = epochs.last().map_or(i32::MAX, |&(epoch, _)| epoch);
    let mut patched = batches.to_vec();
    let mut position = 0;
    while let Ok(header) = BatchHeader::parse(&patched[position..]) {
        let size = header.total_size();
        if header.partition_leader_epoch > latest {
            let in_force = epochs.partition_point(|&(_, start)| start <= header.base_offset);
            let epoch = in_force.checked_sub(1).map_or(epochs[0].0, |i| epochs[i].0);
            crate::event!(
                "read restored a flipped leader epoch offset={} epoch={} to={epoch}",
                header.base_offset,
                header.partition_leader_epoch
            );
            set_partition_leader_epoch(&mut patched[position..position + size], epoch);
        }
        position += size;
    }
    Bytes::from(patched)
}
