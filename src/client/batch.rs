//! Splitting a fetched record set into whole batches, as zero-copy `Bytes` slices. Header
//! parsing and CRC checks are storage's ([`crate::storage::batch`]): one parser for the broker,
//! the consumer and `dump-log`.

use bytes::Bytes;

pub use crate::storage::batch::{BatchError, BatchHeader};

/// Splits a buffer into whole batches. A truncated last batch (a fetch may end mid-batch when
/// it hits `max_bytes`) is left out; the returned count says how many bytes were used.
pub fn split_batches(bytes: &Bytes) -> Result<(Vec<(BatchHeader, Bytes)>, usize), BatchError> {
    let mut batches = Vec::new();
    let mut position = 0;
    while position < bytes.len() {
        let header = match BatchHeader::parse(&bytes[position..]) {
            Ok(header) => header,
            Err(error) if error.is_incomplete() => break,
            Err(error) => return Err(error),
        };
        let end = position + header.total_size();
        if end > bytes.len() {
            break;
        }
        batches.push((header, bytes.slice(position..end)));
        position = end;
    }
    Ok((batches, position))
}
