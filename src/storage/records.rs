//! Walking the records inside a batch: decompress with `kafka-protocol`'s codecs, then read each
//! record's offset delta, timestamp delta and key presence.
//!
//! We walk records ourselves instead of calling `RecordBatchDecoder::decode`, because that
//! decoder reserves `records_count` entries up front: a corrupt or hostile count would make it
//! allocate gigabytes before noticing. Here every field is bounds-checked against the bytes
//! actually present, so bad bytes give an error, never a panic or a huge allocation.

use std::fmt;

use bytes::{Buf, Bytes};
use kafka_protocol::compression::{Decompressor, Gzip, Lz4, Snappy, Zstd};

use super::batch::BatchHeader;
use crate::limits::BATCH_HEADER_BYTES;

/// What a record walk needs from one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInfo {
    pub offset: i64,
    pub offset_delta: i64,
    /// The record's timestamp, or the batch's `max_timestamp` for a LogAppendTime batch.
    pub timestamp: i64,
    pub has_key: bool,
}

/// Why a batch's records could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    UnknownCompression {
        codec: u8,
    },
    Decompression {
        codec: u8,
    },
    /// Record `index` is cut short or has an impossible length.
    Malformed {
        index: usize,
    },
    /// The batch holds a different number of records than `records_count` says.
    CountMismatch {
        records_count: i32,
        found: usize,
    },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::UnknownCompression { codec } => write!(f, "unknown codec {codec}"),
            RecordError::Decompression { codec } => write!(f, "cannot decompress codec {codec}"),
            RecordError::Malformed { index } => write!(f, "record {index} is malformed"),
            RecordError::CountMismatch {
                records_count,
                found,
            } => write!(f, "records_count {records_count} but {found} records"),
        }
    }
}

impl std::error::Error for RecordError {}

/// Decompresses the records section of a whole batch.
fn records_bytes(batch: &[u8], header: &BatchHeader) -> Result<Bytes, RecordError> {
    let mut raw = Bytes::copy_from_slice(batch.get(BATCH_HEADER_BYTES..).unwrap_or_default());
    let codec = header.compression();
    let take = |buf: &mut Bytes| Ok(buf.split_off(0));
    let result = match codec {
        0 => return Ok(raw),
        1 => Gzip::decompress(&mut raw, take),
        2 => Snappy::decompress(&mut raw, take),
        3 => Lz4::decompress(&mut raw, take),
        4 => Zstd::decompress(&mut raw, take),
        _ => return Err(RecordError::UnknownCompression { codec }),
    };
    result.map_err(|_| RecordError::Decompression { codec })
}

fn varint(buf: &mut Bytes) -> Option<i64> {
    let mut raw: u64 = 0;
    for shift in (0..70).step_by(7) {
        if !buf.has_remaining() {
            return None;
        }
        let byte = buf.get_u8();
        raw |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            // Zig-zag decoding.
            return Some((raw >> 1) as i64 ^ -((raw & 1) as i64));
        }
    }
    None
}

/// Reads one record (after its length prefix has been split off into `rec`).
fn parse_record(mut rec: Bytes, header: &BatchHeader) -> Option<RecordInfo> {
    rec.has_remaining().then_some(())?;
    rec.advance(1); // record attributes: unused in v2
    let timestamp_delta = varint(&mut rec)?;
    let offset_delta = varint(&mut rec)?;
    let key_len = varint(&mut rec)?;
    let timestamp = if header.is_log_append_time() {
        header.max_timestamp
    } else {
        header.base_timestamp.wrapping_add(timestamp_delta)
    };
    Some(RecordInfo {
        offset: header.base_offset.wrapping_add(offset_delta),
        offset_delta,
        timestamp,
        has_key: key_len >= 0,
    })
}

/// Calls `visit` for every record of a whole (CRC-checked) batch, in order; `visit` returns
/// false to stop early. Checks the count against `records_count` when the walk completes.
pub fn for_each_record(
    batch: &[u8],
    header: &BatchHeader,
    mut visit: impl FnMut(RecordInfo) -> bool,
) -> Result<(), RecordError> {
    let mut buf = records_bytes(batch, header)?;
    let mut index = 0;
    while buf.has_remaining() {
        let malformed = RecordError::Malformed { index };
        let len = varint(&mut buf).ok_or(malformed.clone())?;
        let len = usize::try_from(len).map_err(|_| malformed.clone())?;
        if len > buf.remaining() {
            return Err(malformed);
        }
        let info = parse_record(buf.split_to(len), header).ok_or(malformed)?;
        index += 1;
        if !visit(info) {
            return Ok(());
        }
    }
    if i64::from(header.records_count) != index as i64 {
        return Err(RecordError::CountMismatch {
            records_count: header.records_count,
            found: index,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_zigzag() {
        let mut b = Bytes::from_static(&[0x00, 0x01, 0x02, 0x03, 0xac, 0x02]);
        let got: Vec<_> = std::iter::from_fn(|| varint(&mut b)).collect();
        assert_eq!(got, vec![0, -1, 1, -2, 150]);
        assert_eq!(varint(&mut Bytes::from_static(&[0x80])), None);
        assert_eq!(varint(&mut Bytes::from_static(&[0xff; 11])), None);
    }
}
