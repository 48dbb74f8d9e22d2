//! Magic v2 record batches: header parsing, CRC-32C, splitting a record set into whole batches,
//! and the in-place stamps a broker applies on append.
//!
//! Batches are stored exactly as the producer sent them. The broker only overwrites
//! `base_offset` and `partition_leader_epoch`, which sit before the CRC-covered range (the CRC
//! starts at `attributes`, byte 21), so stamping them never touches the checksum. Setting
//! LogAppendTime does change covered bytes and recomputes it. Splitting separates "need more
//! bytes" (a torn tail, or a frame still arriving) from "invalid bytes" (a length or magic that
//! can never become valid), because recovery truncates the first and producers get an error for
//! the second.

use std::fmt;

use crate::limits::{BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES};

/// The only record batch format Weir stores.
pub const MAGIC_V2: i8 = 2;

const LENGTH_OFFSET: usize = 8;
const EPOCH_OFFSET: usize = 12;
pub(crate) const MAGIC_OFFSET: usize = 16;
const CRC_OFFSET: usize = 17;
const ATTRIBUTES_OFFSET: usize = 21;
const MAX_TIMESTAMP_OFFSET: usize = 35;

/// Attribute bits (Kafka's `RecordBatch` constants).
const COMPRESSION_MASK: i16 = 0x07;
const TIMESTAMP_TYPE_BIT: i16 = 0x08;
const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;

/// The smallest legal `batch_length`: the header after the length field, with no records.
pub const BATCH_LENGTH_MIN: i32 = (BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) as i32;

/// Why bytes are not a usable batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// More bytes are needed: the buffer ends inside a batch (a torn tail, or a short read).
    Incomplete { needed: usize, available: usize },
    /// `batch_length` is below the v2 header size: no amount of extra bytes can fix it.
    InvalidLength { batch_length: i32 },
    /// Not a magic v2 batch (v0/v1 message sets also keep their magic at byte 16).
    UnsupportedMagic { magic: i8 },
    /// The stored CRC-32C does not match the bytes.
    CrcMismatch { stored: u32, computed: u32 },
    /// A batch that does not start where the previous one in its segment ended.
    OffsetOrder { base_offset: i64, next_offset: i64 },
    /// A leader epoch later than `latest`, the latest one possible (a follower's leader's own):
    /// the epoch lies outside the CRC, so this is how a flipped bit there shows.
    EpochAhead { epoch: i32, latest: i32 },
}

impl BatchError {
    /// Whether more bytes could turn this into a valid batch.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, BatchError::Incomplete { .. })
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Incomplete { needed, available } => {
                write!(f, "incomplete batch: need {needed} bytes, have {available}")
            }
            BatchError::InvalidLength { batch_length } => {
                write!(f, "invalid batch length {batch_length}")
            }
            BatchError::UnsupportedMagic { magic } => write!(f, "unsupported magic {magic}"),
            BatchError::CrcMismatch { stored, computed } => {
                write!(
                    f,
                    "crc mismatch: stored {stored:#010x}, computed {computed:#010x}"
                )
            }
            BatchError::OffsetOrder {
                base_offset,
                next_offset,
            } => write!(
                f,
                "batch at offset {base_offset} where {next_offset} was expected"
            ),
            BatchError::EpochAhead { epoch, latest } => write!(
                f,
                "batch leader epoch {epoch} is later than the latest possible, {latest}"
            ),
        }
    }
}

impl std::error::Error for BatchError {}

/// The fixed 61-byte header of a magic v2 record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

fn be<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

impl BatchHeader {
    /// Parses the header fields. Checks only that the header is present, that the magic is 2
    /// and that the length is plausible; the CRC is [`verify_crc`]'s job.
    pub fn parse(bytes: &[u8]) -> Result<BatchHeader, BatchError> {
        if bytes.len() <= MAGIC_OFFSET {
            return Err(BatchError::Incomplete {
                needed: BATCH_HEADER_BYTES,
                available: bytes.len(),
            });
        }
        let magic = bytes[MAGIC_OFFSET] as i8;
        if magic != MAGIC_V2 {
            return Err(BatchError::UnsupportedMagic { magic });
        }
        let batch_length = i32::from_be_bytes(be(bytes, LENGTH_OFFSET));
        if batch_length < BATCH_LENGTH_MIN {
            return Err(BatchError::InvalidLength { batch_length });
        }
        if bytes.len() < BATCH_HEADER_BYTES {
            return Err(BatchError::Incomplete {
                needed: BATCH_HEADER_BYTES,
                available: bytes.len(),
            });
        }
        Ok(BatchHeader {
            base_offset: i64::from_be_bytes(be(bytes, 0)),
            batch_length,
            partition_leader_epoch: i32::from_be_bytes(be(bytes, EPOCH_OFFSET)),
            magic,
            crc: u32::from_be_bytes(be(bytes, CRC_OFFSET)),
            attributes: i16::from_be_bytes(be(bytes, ATTRIBUTES_OFFSET)),
            last_offset_delta: i32::from_be_bytes(be(bytes, 23)),
            base_timestamp: i64::from_be_bytes(be(bytes, 27)),
            max_timestamp: i64::from_be_bytes(be(bytes, MAX_TIMESTAMP_OFFSET)),
            producer_id: i64::from_be_bytes(be(bytes, 43)),
            producer_epoch: i16::from_be_bytes(be(bytes, 51)),
            base_sequence: i32::from_be_bytes(be(bytes, 53)),
            records_count: i32::from_be_bytes(be(bytes, 57)),
        })
    }

    /// Bytes the batch occupies in a log: `batch_length` plus the offset and length fields.
    pub fn total_size(&self) -> usize {
        // parse() rejected negative lengths, so the cast cannot wrap.
        self.batch_length as usize + BATCH_LOG_OVERHEAD_BYTES
    }

    /// The offset of the batch's last record.
    pub fn last_offset(&self) -> i64 {
        // Saturating: a corrupt base offset from disk must give an error later, not a panic.
        self.base_offset
            .saturating_add(i64::from(self.last_offset_delta))
    }

    /// The codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
    pub fn compression(&self) -> u8 {
        (self.attributes & COMPRESSION_MASK) as u8
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }

    /// Whether every record's timestamp is the broker's append time, held in `max_timestamp`.
    pub fn is_log_append_time(&self) -> bool {
        self.attributes & TIMESTAMP_TYPE_BIT != 0
    }
}

/// CRC-32C over `attributes` to the end of the batch, as stored in the `crc` field.
pub fn compute_crc(batch: &[u8]) -> u32 {
    crc32c::crc32c(batch.get(ATTRIBUTES_OFFSET..).unwrap_or_default())
}

/// Whether the batch's stored CRC matches its bytes (false for a buffer too short to hold one).
pub fn verify_crc(batch: &[u8]) -> bool {
    batch.len() >= BATCH_HEADER_BYTES
        && u32::from_be_bytes(be(batch, CRC_OFFSET)) == compute_crc(batch)
}

/// Checks a whole batch's CRC, returning both values on a mismatch.
pub fn check_crc(batch: &[u8], header: &BatchHeader) -> Result<(), BatchError> {
    let computed = compute_crc(batch);
    if computed == header.crc {
        Ok(())
    } else {
        Err(BatchError::CrcMismatch {
            stored: header.crc,
            computed,
        })
    }
}

/// Overwrites `base_offset`; outside the CRC's range, so the CRC stays valid.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    batch[..8].copy_from_slice(&base_offset.to_be_bytes());
}

/// Overwrites `partition_leader_epoch`; outside the CRC's range, so the CRC stays valid.
pub fn set_partition_leader_epoch(batch: &mut [u8], leader_epoch: i32) {
    batch[EPOCH_OFFSET..EPOCH_OFFSET + 4].copy_from_slice(&leader_epoch.to_be_bytes());
}

/// Marks the batch LogAppendTime with `max_timestamp = log_append_time_ms`, recomputing the CRC.
pub fn set_log_append_time(batch: &mut [u8], log_append_time_ms: i64) {
    let attributes = i16::from_be_bytes(be(batch, ATTRIBUTES_OFFSET)) | TIMESTAMP_TYPE_BIT;
    batch[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
    batch[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8]
        .copy_from_slice(&log_append_time_ms.to_be_bytes());
    let crc = compute_crc(batch);
    batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

/// The batch with its records section replaced by `records` compressed with `codec`: length,
/// codec bits and CRC rewritten, every other header field kept (offsets, timestamps, producer
/// id and sequence are about the records, not their encoding).
pub fn with_records(batch: &[u8], codec: u8, records: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(BATCH_HEADER_BYTES + records.len());
    out.extend_from_slice(&batch[..BATCH_HEADER_BYTES]);
    out.extend_from_slice(records);
    let length = (out.len() - BATCH_LOG_OVERHEAD_BYTES) as i32;
    out[LENGTH_OFFSET..LENGTH_OFFSET + 4].copy_from_slice(&length.to_be_bytes());
    let attributes = i16::from_be_bytes(be(&out, ATTRIBUTES_OFFSET));
    let attributes = (attributes & !COMPRESSION_MASK) | i16::from(codec) & COMPRESSION_MASK;
    out[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
    let crc = compute_crc(&out);
    out[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    out
}

/// Splits a record set into whole batches, each yielded with its header and its position in the
/// buffer. Iteration stops after the first error; see [`BatchError::is_incomplete`].
pub struct BatchSplitter<'a> {
    buf: &'a [u8],
    position: usize,
    failed: bool,
}

impl<'a> BatchSplitter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            position: 0,
            failed: false,
        }
    }

    /// The position just after the last whole batch yielded.
    pub fn position(&self) -> usize {
        self.position
    }
}

/// One whole batch inside a record set.
#[derive(Debug, Clone, Copy)]
pub struct SplitBatch<'a> {
    pub position: usize,
    pub header: BatchHeader,
    pub bytes: &'a [u8],
}

impl<'a> Iterator for BatchSplitter<'a> {
    type Item = Result<SplitBatch<'a>, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.buf[self.position..];
        if self.failed || rest.is_empty() {
            return None;
        }
        let result = BatchHeader::parse(rest).and_then(|header| {
            let size = header.total_size();
            if rest.len() < size {
                return Err(BatchError::Incomplete {
                    needed: size,
                    available: rest.len(),
                });
            }
            Ok(SplitBatch {
                position: self.position,
                header,
                bytes: &rest[..size],
            })
        });
        match &result {
            Ok(batch) => self.position += batch.bytes.len(),
            Err(_) => self.failed = true,
        }
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-built batch with `records` bytes of (fake) record payload.
    pub(crate) fn raw_batch(records: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&7i64.to_be_bytes()); // base_offset
        b.extend_from_slice(&((BATCH_LENGTH_MIN as usize + records.len()) as i32).to_be_bytes());
        b.extend_from_slice(&(-1i32).to_be_bytes()); // partition_leader_epoch
        b.push(2); // magic
        b.extend_from_slice(&[0; 4]); // crc, filled below
        b.extend_from_slice(&1i16.to_be_bytes()); // attributes: gzip
        b.extend_from_slice(&2i32.to_be_bytes()); // last_offset_delta
        b.extend_from_slice(&1000i64.to_be_bytes()); // base_timestamp
        b.extend_from_slice(&1005i64.to_be_bytes()); // max_timestamp
        b.extend_from_slice(&(-1i64).to_be_bytes()); // producer_id
        b.extend_from_slice(&(-1i16).to_be_bytes()); // producer_epoch
        b.extend_from_slice(&(-1i32).to_be_bytes()); // base_sequence
        b.extend_from_slice(&3i32.to_be_bytes()); // records_count
        b.extend_from_slice(records);
        let crc = compute_crc(&b);
        b[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
        b
    }

    #[test]
    fn parses_every_header_field_at_its_byte_position() {
        let b = raw_batch(&[9; 10]);
        assert_eq!(b.len(), 71);
        let h = BatchHeader::parse(&b).unwrap();
        assert_eq!(h.base_offset, 7);
        assert_eq!(h.batch_length, 59);
        assert_eq!(h.total_size(), 71);
        assert_eq!(h.partition_leader_epoch, -1);
        assert_eq!(h.magic, 2);
        assert_eq!((h.attributes, h.compression()), (1, 1));
        assert_eq!((h.last_offset_delta, h.last_offset()), (2, 9));
        assert_eq!((h.base_timestamp, h.max_timestamp), (1000, 1005));
        assert_eq!(
            (h.producer_id, h.producer_epoch, h.base_sequence),
            (-1, -1, -1)
        );
        assert_eq!(h.records_count, 3);
        assert!(!h.is_transactional() && !h.is_control() && !h.is_log_append_time());
        assert!(verify_crc(&b));
    }

    #[test]
    fn crc_covers_attributes_onward_but_not_offset_or_epoch() {
        let mut b = raw_batch(&[1, 2, 3]);
        set_base_offset(&mut b, 1 << 40);
        set_partition_leader_epoch(&mut b, 17);
        assert!(verify_crc(&b));
        assert_eq!(&b[..8], &(1i64 << 40).to_be_bytes());
        assert_eq!(&b[12..16], &17i32.to_be_bytes());
        b[62] ^= 0x10;
        assert!(!verify_crc(&b));
        let h = BatchHeader::parse(&b).unwrap();
        assert!(matches!(
            check_crc(&b, &h),
            Err(BatchError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn log_append_time_sets_bit_and_max_timestamp_and_recomputes_crc() {
        let mut b = raw_batch(&[]);
        set_log_append_time(&mut b, 42);
        let h = BatchHeader::parse(&b).unwrap();
        assert!(h.is_log_append_time());
        assert_eq!(h.attributes, 1 | 8);
        assert_eq!(h.max_timestamp, 42);
        assert!(verify_crc(&b));
    }

    #[test]
    fn splitter_tells_incomplete_from_invalid() {
        let one = raw_batch(&[5; 4]);
        let mut set = one.clone();
        set.extend_from_slice(&one);
        let batches: Vec<_> = BatchSplitter::new(&set).collect::<Result<_, _>>().unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[1].position, one.len());

        let torn = &set[..set.len() - 1];
        let mut split = BatchSplitter::new(torn);
        assert!(split.next().unwrap().is_ok());
        let err = split.next().unwrap().unwrap_err();
        assert_eq!(
            err,
            BatchError::Incomplete {
                needed: 65,
                available: 64
            }
        );
        assert!(split.next().is_none());
        assert_eq!(split.position(), one.len());

        let mut short = one.clone();
        short[8..12].copy_from_slice(&48i32.to_be_bytes());
        let err = BatchSplitter::new(&short).next().unwrap().unwrap_err();
        assert_eq!(err, BatchError::InvalidLength { batch_length: 48 });

        let mut v1 = one.clone();
        v1[16] = 1;
        let err = BatchSplitter::new(&v1).next().unwrap().unwrap_err();
        assert_eq!(err, BatchError::UnsupportedMagic { magic: 1 });
        assert!(BatchSplitter::new(&one[..10])
            .next()
            .unwrap()
            .unwrap_err()
            .is_incomplete());
    }
}
