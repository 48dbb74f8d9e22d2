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
use crate::limits::{BATCH_DECOMPRESSED_BYTES_MAX, BATCH_HEADER_BYTES};

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
        2 if snappy_claimed_len(&raw).is_none_or(|len| len > BATCH_DECOMPRESSED_BYTES_MAX) => {
            // The decoder allocates (and zeroes) whatever length the stream claims.
            return Err(RecordError::Decompression { codec });
        }
        2 => Snappy::decompress(&mut raw, take),
        3 => Lz4::decompress(&mut raw, take),
        4 => Zstd::decompress(&mut raw, take),
        _ => return Err(RecordError::UnknownCompression { codec }),
    };
    result.map_err(|_| RecordError::Decompression { codec })
}

/// Xerial's framing (the Java client's snappy format): a 16-byte magic header, then blocks
/// of big-endian u32 length + raw snappy.
const XERIAL_MAGIC: &[u8] = b"\x82SNAPPY\x00";
const XERIAL_HEADER_BYTES: usize = 16;

/// The decompressed length a snappy stream (raw or xerial-framed) claims, summed over blocks;
/// `None` if the framing is broken.
fn snappy_claimed_len(stream: &[u8]) -> Option<usize> {
    if !stream.starts_with(XERIAL_MAGIC) {
        return raw_snappy_len(stream);
    }
    let mut rest = stream.get(XERIAL_HEADER_BYTES..)?;
    let mut total: usize = 0;
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let block = rest.get(4..4usize.checked_add(len)?)?;
        total = total.checked_add(raw_snappy_len(block)?)?;
        rest = &rest[4 + len..];
    }
    Some(total)
}

/// Raw snappy starts with its decompressed length as an unsigned LEB128 varint.
fn raw_snappy_len(block: &[u8]) -> Option<usize> {
    let mut len: u64 = 0;
    for (i, byte) in block.iter().take(5).enumerate() {
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return usize::try_from(len).ok();
        }
    }
    None
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

/// Skips a field of `len` bytes (`-1` is null); `None` if the record is shorter.
fn skip_bytes(rec: &mut Bytes, len: i64) -> Option<()> {
    if len < 0 {
        return (len == -1).then_some(());
    }
    let len = usize::try_from(len).ok()?;
    (len <= rec.remaining()).then(|| rec.advance(len))
}

/// Reads one record (after its length prefix has been split off into `rec`).
fn parse_record(mut rec: Bytes, header: &BatchHeader) -> Option<RecordInfo> {
    rec.has_remaining().then_some(())?;
    rec.advance(1); // record attributes: unused in v2
    let timestamp_delta = varint(&mut rec)?;
    let offset_delta = varint(&mut rec)?;
    let key_len = varint(&mut rec)?;
    // The rest is only checked, not kept: key and value fit in the record, and the header
    // count is one the bytes can hold (each header takes at least two), so a decoder that
    // reserves room for that many headers up front (kafka-protocol's does) stays bounded.
    skip_bytes(&mut rec, key_len)?;
    let value_len = varint(&mut rec)?;
    skip_bytes(&mut rec, value_len)?;
    let headers = usize::try_from(varint(&mut rec)?).ok()?;
    if headers > rec.remaining() / 2 {
        return None;
    }
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

    #[test]
    fn snappy_claims_are_read_before_allocating() {
        assert_eq!(snappy_claimed_len(&[0x96, 0x01, 0xaa]), Some(150));
        let mut xerial = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
        for block_claim in [[0x05u8], [0x7f]] {
            xerial.extend_from_slice(&2u32.to_be_bytes());
            xerial.extend_from_slice(&[block_claim[0], 0]);
        }
        assert_eq!(snappy_claimed_len(&xerial), Some(5 + 127));
        xerial.extend_from_slice(&9u32.to_be_bytes());
        assert_eq!(
            snappy_claimed_len(&xerial),
            None,
            "block longer than the stream"
        );
        assert_eq!(snappy_claimed_len(&[0xff, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
