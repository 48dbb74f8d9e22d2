//! Magic v2 record batch headers, read straight from bytes.
//!
//! The consumer needs what `kafka-protocol`'s decoder does not expose (the max timestamp for
//! LogAppendTime, the control flag before decoding, where a truncated batch at the end of a
//! fetch starts) and `weir dump-log` prints every field. Parsing the fixed 61-byte header here
//! keeps both independent of the decoder; the storage engine's own parser can replace it.

use bytes::{Buf, Bytes};

use crate::limits::{BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES};

/// The CRC covers everything from the attributes field (this offset) to the end of the batch.
const CRC_COVERED_FROM: usize = 21;

/// The fixed fields of a magic v2 batch.
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

/// Why bytes are not a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchError {
    /// Fewer bytes than the header or the announced length: a truncated tail.
    Incomplete { needed: usize, available: usize },
    /// A length that cannot be right.
    InvalidLength { batch_length: i32 },
}

impl BatchHeader {
    /// Parses the header at the start of `bytes` (which may hold more batches after it).
    pub fn parse(bytes: &[u8]) -> Result<Self, BatchError> {
        if bytes.len() < BATCH_HEADER_BYTES {
            return Err(BatchError::Incomplete {
                needed: BATCH_HEADER_BYTES,
                available: bytes.len(),
            });
        }
        let mut buf = &bytes[..BATCH_HEADER_BYTES];
        let header = Self {
            base_offset: buf.get_i64(),
            batch_length: buf.get_i32(),
            partition_leader_epoch: buf.get_i32(),
            magic: buf.get_i8(),
            crc: buf.get_u32(),
            attributes: buf.get_i16(),
            last_offset_delta: buf.get_i32(),
            base_timestamp: buf.get_i64(),
            max_timestamp: buf.get_i64(),
            producer_id: buf.get_i64(),
            producer_epoch: buf.get_i16(),
            base_sequence: buf.get_i32(),
            records_count: buf.get_i32(),
        };
        let min_length = (BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) as i32;
        if header.batch_length < min_length {
            return Err(BatchError::InvalidLength {
                batch_length: header.batch_length,
            });
        }
        Ok(header)
    }

    /// Bytes the whole batch occupies in a log or a fetch response.
    pub fn size_bytes(&self) -> usize {
        self.batch_length.max(0) as usize + BATCH_LOG_OVERHEAD_BYTES
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }

    /// Codec id: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
    pub fn compression_id(&self) -> i16 {
        self.attributes & 0x07
    }

    /// Kafka's name for the codec, as kafka-dump-log prints it.
    pub fn compression_name(&self) -> &'static str {
        match self.compression_id() {
            0 => "none",
            1 => "gzip",
            2 => "snappy",
            3 => "lz4",
            4 => "zstd",
            _ => "unknown",
        }
    }

    pub fn is_log_append_time(&self) -> bool {
        self.attributes & 0x08 != 0
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & 0x10 != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & 0x20 != 0
    }
}

/// Whether the stored CRC-32C matches the batch's bytes (`batch` is exactly one batch).
pub fn crc_is_valid(header: &BatchHeader, batch: &[u8]) -> bool {
    batch.len() >= CRC_COVERED_FROM && crc32c::crc32c(&batch[CRC_COVERED_FROM..]) == header.crc
}

/// Splits a buffer into whole batches. A truncated last batch (a fetch may end mid-batch when
/// it hits `max_bytes`) is left out; the returned count says how many bytes were used.
pub fn split_batches(bytes: &Bytes) -> Result<(Vec<(BatchHeader, Bytes)>, usize), BatchError> {
    let mut batches = Vec::new();
    let mut position = 0;
    while position < bytes.len() {
        let header = match BatchHeader::parse(&bytes[position..]) {
            Ok(header) => header,
            Err(BatchError::Incomplete { .. }) => break,
            Err(error) => return Err(error),
        };
        let end = position + header.size_bytes();
        if end > bytes.len() {
            break;
        }
        batches.push((header, bytes.slice(position..end)));
        position = end;
    }
    Ok((batches, position))
}
