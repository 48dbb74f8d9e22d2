//! Walking the records inside a batch: decompress (with a ceiling, `codec.rs`), then read each
//! record's offset delta, timestamp delta and key presence.
//!
//! We walk records ourselves instead of calling `RecordBatchDecoder::decode`, because that
//! decoder reserves `records_count` entries up front: a corrupt or hostile count would make it
//! allocate gigabytes before noticing. Here every field is bounds-checked against the bytes
//! actually present, so bad bytes give an error, never a panic or a huge allocation.

use std::fmt;

use super::batch::BatchHeader;
use super::codec::{self, CodecError};
use crate::limits::{BATCH_DECOMPRESSED_BYTES_MAX, BATCH_HEADER_BYTES};
use bytes::{Buf, Bytes};

/// What a record walk needs from one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInfo {
    pub offset: i64,
    pub offset_delta: i64,
    /// The record's timestamp, or the batch's `max_timestamp` for a LogAppendTime batch.
    pub timestamp: i64,
    pub has_key: bool,
    /// How many headers the record carries (each backed by at least two bytes).
    pub headers: usize,
}

/// Why a batch's records could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The records section does not decompress, or inflates past the ceiling.
    Codec(CodecError),
    /// Record `index` is cut short or has an impossible length.
    Malformed { index: usize },
    /// The batch holds a different number of records than `records_count` says.
    CountMismatch { records_count: i32, found: usize },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Codec(error) => write!(f, "{error}"),
            RecordError::Malformed { index } => write!(f, "record {index} is malformed"),
            RecordError::CountMismatch {
                records_count,
                found,
            } => write!(f, "records_count {records_count} but {found} records"),
        }
    }
}

impl std::error::Error for RecordError {}

/// Decompresses the records section of a whole batch, up to the broker's ceiling.
pub fn records_bytes(batch: &[u8], header: &BatchHeader) -> Result<Bytes, RecordError> {
    let raw = batch.get(BATCH_HEADER_BYTES..).unwrap_or_default();
    codec::decompress(header.compression(), raw, BATCH_DECOMPRESSED_BYTES_MAX)
        .map_err(RecordError::Codec)
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
        headers,
    })
}

/// Calls `visit` for every record of a whole (CRC-checked) batch, in order; `visit` returns
/// false to stop early. Checks the count against `records_count` when the walk completes.
pub fn for_each_record(
    batch: &[u8],
    header: &BatchHeader,
    visit: impl FnMut(RecordInfo) -> bool,
) -> Result<(), RecordError> {
    for_each_record_in(records_bytes(batch, header)?, header, visit)
}

/// [`for_each_record`] over a records section already decompressed by [`records_bytes`].
pub fn for_each_record_in(
    mut buf: Bytes,
    header: &BatchHeader,
    mut visit: impl FnMut(RecordInfo) -> bool,
) -> Result<(), RecordError> {
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
