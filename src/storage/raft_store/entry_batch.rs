//! One Raft entry as one magic v2 record batch, so the metadata log is an ordinary Kafka log
//! that recovery, indexes, the leader epoch checkpoint and `weir dump-log` understand.
//!
//! The batch's base offset is the entry's offset and its partition leader epoch the entry's
//! epoch; it holds one uncompressed record whose value is the entry's data (an empty value for
//! empty data). A LeaderChange entry is a control batch whose record key is Kafka's control key
//! for LEADER_CHANGE (version 0, type 2), as KRaft writes it. Timestamps are -1 (Kafka's
//! NO_TIMESTAMP): the quorum's entries carry no time, and the store reads no clock.
//!
//! The batch CRC does not cover the partition leader epoch, and Raft's safety rests on entry
//! epochs (a follower's log matches the leader's up to an offset iff the epochs there agree).
//! So the record also carries the epoch in a `leader_epoch` record header, which the CRC does
//! cover, and decoding requires the two to agree: a flipped bit in the epoch, on the medium or
//! on the way up, is an error instead of a silently different log.
//!
//! The decoder walks exactly the layout the encoder writes, bounds-checking every length
//! against the bytes present: bad bytes give an error, never a panic or a large allocation.

use bytes::Bytes;

use super::error::EntryCorruption;
use crate::core::raft::{Entry, EntryKind};
use crate::limits::{BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES, SEGMENT_BYTES_MAX};
use crate::storage::batch::{check_crc, compute_crc, BatchHeader, MAGIC_V2};

/// Kafka's `RecordBatch` attribute bit for control batches.
const CONTROL_ATTRIBUTE: i16 = 0x20;
/// Kafka's `ControlRecordType.LEADER_CHANGE` and the control key's version.
const LEADER_CHANGE_TYPE: i16 = 2;
const CONTROL_KEY_VERSION: i16 = 0;
/// The record header carrying the CRC-covered copy of the epoch.
pub(super) const EPOCH_HEADER_KEY: &[u8] = b"leader_epoch";
/// Kafka's NO_TIMESTAMP, and the producer fields of a batch without a producer.
const NO_TIMESTAMP: i64 = -1;
const NO_PRODUCER_ID: i64 = -1;
const NO_PRODUCER_EPOCH: i16 = -1;
const NO_SEQUENCE: i32 = -1;
/// Where the CRC field sits in a batch.
const CRC_POSITION: usize = 17;

/// The largest batch: its length field is an `i32` and a segment holds positions as 32 bits.
pub(crate) const BATCH_BYTES_MAX: usize = SEGMENT_BYTES_MAX as usize;

/// The control key of a LeaderChange record: version, then type, both big-endian `int16`.
fn leader_change_key() -> [u8; 4] {
    let mut key = [0; 4];
    key[..2].copy_from_slice(&CONTROL_KEY_VERSION.to_be_bytes());
    key[2..].copy_from_slice(&LEADER_CHANGE_TYPE.to_be_bytes());
    key
}

/// Zig-zag varint, as Kafka's record fields use.
fn put_varint(out: &mut Vec<u8>, value: i64) {
    let mut raw = ((value << 1) ^ (value >> 63)) as u64;
    while raw >= 0x80 {
        out.push((raw as u8 & 0x7f) | 0x80);
        raw >>= 7;
    }
    out.push(raw as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            put_varint(out, bytes.len() as i64);
            out.extend_from_slice(bytes);
        }
        None => put_varint(out, -1),
    }
}

/// Appends `entry` as one batch to `out`; `Err` is the batch's size when it exceeds
/// [`BATCH_BYTES_MAX`] (nothing is written then).
pub(crate) fn encode(entry: &Entry, out: &mut Vec<u8>) -> Result<(), usize> {
    encode_within(entry, out, BATCH_BYTES_MAX)
}

fn encode_within(entry: &Entry, out: &mut Vec<u8>, bytes_max: usize) -> Result<(), usize> {
    // The record around its value, so the size is known before the value is copied.
    let control_key = leader_change_key();
    let key = (entry.kind == EntryKind::LeaderChange).then_some(&control_key[..]);
    let mut before_value = Vec::with_capacity(16);
    before_value.push(0); // record attributes: unused in v2
    put_varint(&mut before_value, 0); // timestamp delta
    put_varint(&mut before_value, 0); // offset delta
    put_bytes(&mut before_value, key);
    put_varint(&mut before_value, entry.data.len() as i64);
    let mut after_value = Vec::with_capacity(24);
    put_varint(&mut after_value, 1); // header count
    put_bytes(&mut after_value, Some(EPOCH_HEADER_KEY));
    put_bytes(&mut after_value, Some(&entry.epoch.to_be_bytes()));
    let record_bytes = before_value.len() + entry.data.len() + after_value.len();
    let mut length_prefix = Vec::with_capacity(5);
    put_varint(&mut length_prefix, record_bytes as i64);
    let total = BATCH_HEADER_BYTES + length_prefix.len() + record_bytes;
    if total > bytes_max {
        return Err(total);
    }
    let attributes = match entry.kind {
        EntryKind::Data => 0,
        EntryKind::LeaderChange => CONTROL_ATTRIBUTE,
    };
    let start = out.len();
    out.reserve(total);
    out.extend_from_slice(&entry.offset.to_be_bytes());
    out.extend_from_slice(&((total - BATCH_LOG_OVERHEAD_BYTES) as i32).to_be_bytes());
    out.extend_from_slice(&entry.epoch.to_be_bytes());
    out.push(MAGIC_V2 as u8);
    out.extend_from_slice(&[0; 4]); // crc, set below
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // last offset delta
    out.extend_from_slice(&NO_TIMESTAMP.to_be_bytes()); // base timestamp
    out.extend_from_slice(&NO_TIMESTAMP.to_be_bytes()); // max timestamp
    out.extend_from_slice(&NO_PRODUCER_ID.to_be_bytes());
    out.extend_from_slice(&NO_PRODUCER_EPOCH.to_be_bytes());
    out.extend_from_slice(&NO_SEQUENCE.to_be_bytes());
    out.extend_from_slice(&1i32.to_be_bytes()); // records count
    out.extend_from_slice(&length_prefix);
    out.extend_from_slice(&before_value);
    out.extend_from_slice(&entry.data);
    out.extend_from_slice(&after_value);
    let crc = compute_crc(&out[start..]);
    out[start + CRC_POSITION..start + CRC_POSITION + 4].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

/// A bounds-checked reader over a record's bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn malformed(field: &'static str) -> EntryCorruption {
        EntryCorruption::Malformed { field }
    }

    fn varint(&mut self, field: &'static str) -> Result<i64, EntryCorruption> {
        let mut raw: u64 = 0;
        for (i, byte) in self.rest.iter().take(10).enumerate() {
            raw |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.rest = &self.rest[i + 1..];
                return Ok((raw >> 1) as i64 ^ -((raw & 1) as i64));
            }
        }
        Err(Self::malformed(field))
    }

    fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], EntryCorruption> {
        if len > self.rest.len() {
            return Err(Self::malformed(field));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    /// A length-prefixed byte string; `None` for length -1.
    fn bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, EntryCorruption> {
        match self.varint(field)? {
            -1 => Ok(None),
            len => {
                let len = usize::try_from(len).map_err(|_| Self::malformed(field))?;
                self.take(len, field).map(Some)
            }
        }
    }

    fn expect(&mut self, field: &'static str, wanted: i64) -> Result<(), EntryCorruption> {
        match self.varint(field)? {
            value if value == wanted => Ok(()),
            _ => Err(Self::malformed(field)),
        }
    }
}

/// Checks the batch header: whole, CRC, uncompressed, one record, not transactional, epoch.
fn check_header(batch: &[u8]) -> Result<BatchHeader, EntryCorruption> {
    let header = BatchHeader::parse(batch).map_err(EntryCorruption::Batch)?;
    if header.total_size() != batch.len() {
        let (needed, available) = (header.total_size(), batch.len());
        let error = crate::storage::BatchError::Incomplete { needed, available };
        return Err(EntryCorruption::Batch(error));
    }
    check_crc(batch, &header).map_err(EntryCorruption::Batch)?;
    if header.compression() != 0 {
        let codec = header.compression();
        return Err(EntryCorruption::Compressed { codec });
    }
    if header.is_transactional() {
        return Err(EntryCorruption::Transactional);
    }
    if header.records_count != 1 || header.last_offset_delta != 0 {
        return Err(EntryCorruption::RecordCount {
            records_count: header.records_count,
            last_offset_delta: header.last_offset_delta,
        });
    }
    if header.partition_leader_epoch < 0 {
        let epoch = header.partition_leader_epoch;
        return Err(EntryCorruption::NegativeEpoch { epoch });
    }
    Ok(header)
}

/// The entry's kind, from the batch's control bit and the record's key.
fn kind(header: &BatchHeader, key: Option<&[u8]>) -> Result<EntryKind, EntryCorruption> {
    match (header.is_control(), key) {
        (false, None) => Ok(EntryKind::Data),
        (false, Some(_)) => Err(EntryCorruption::UnexpectedKey),
        (true, Some(key)) if key == leader_change_key() => Ok(EntryKind::LeaderChange),
        (true, Some(key)) if key.len() == 4 => Err(EntryCorruption::UnknownControlRecord {
            version: i16::from_be_bytes([key[0], key[1]]),
            control_type: i16::from_be_bytes([key[2], key[3]]),
        }),
        (true, _) => Err(EntryCorruption::Malformed {
            field: "control key",
        }),
    }
}

/// Decodes a whole batch written by [`encode`].
pub(crate) fn decode(batch: &[u8]) -> Result<Entry, EntryCorruption> {
    let header = check_header(batch)?;
    let mut outer = Reader {
        rest: &batch[BATCH_HEADER_BYTES..],
    };
    let length = outer.varint("record length")?;
    let length = usize::try_from(length).map_err(|_| Reader::malformed("record length"))?;
    let mut record = Reader {
        rest: outer.take(length, "record length")?,
    };
    if !outer.rest.is_empty() {
        return Err(Reader::malformed("bytes after the record"));
    }
    record.take(1, "record attributes")?;
    record.expect("timestamp delta", 0)?;
    record.expect("offset delta", 0)?;
    let key = record.bytes("key")?;
    let kind = kind(&header, key)?;
    let value = record.bytes("value")?.ok_or(Reader::malformed("value"))?;
    record.expect("header count", 1)?;
    if record.bytes("header key")? != Some(EPOCH_HEADER_KEY) {
        return Err(Reader::malformed("header key"));
    }
    let epoch_bytes = record.bytes("header value")?;
    let record_epoch = epoch_bytes
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
        .map(i32::from_be_bytes)
        .ok_or(Reader::malformed("header value"))?;
    if !record.rest.is_empty() {
        return Err(Reader::malformed("bytes after the headers"));
    }
    if record_epoch != header.partition_leader_epoch {
        return Err(EntryCorruption::EpochMismatch {
            batch_epoch: header.partition_leader_epoch,
            record_epoch,
        });
    }
    Ok(Entry {
        epoch: header.partition_leader_epoch,
        offset: header.base_offset,
        kind,
        data: Bytes::copy_from_slice(value),
    })
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::RecordBatchDecoder;

    use super::*;
    use crate::storage::batch::{set_partition_leader_epoch, verify_crc};

    fn entry(epoch: i32, offset: i64, kind: EntryKind, data: &[u8]) -> Entry {
        Entry {
            epoch,
            offset,
            kind,
            data: Bytes::copy_from_slice(data),
        }
    }

    fn encoded(entry: &Entry) -> Vec<u8> {
        let mut out = Vec::new();
        encode(entry, &mut out).unwrap();
        out
    }

    #[test]
    fn entries_round_trip_with_their_kind_and_any_data_size() {
        for size in [0, 1, 63, 64, 127, 128, 8191, 8192, 70_000] {
            for kind in [EntryKind::Data, EntryKind::LeaderChange] {
                let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
                let original = entry(3, 1 << 33, kind, &data);
                let bytes = encoded(&original);
                assert!(verify_crc(&bytes));
                assert_eq!(decode(&bytes).unwrap(), original, "size {size} {kind:?}");
            }
        }
    }

    #[test]
    fn the_batch_is_a_kafka_batch_that_kafka_protocol_decodes() {
        let leader_change = entry(9, 41, EntryKind::LeaderChange, b"lc");
        let data = entry(9, 42, EntryKind::Data, b"");
        let mut bytes = encoded(&leader_change);
        bytes.extend_from_slice(&encoded(&data));
        let header = BatchHeader::parse(&bytes).unwrap();
        assert_eq!((header.base_offset, header.partition_leader_epoch), (41, 9));
        assert!(header.is_control() && header.records_count == 1);
        let mut buf = BytesMut::from(&bytes[..]).freeze();
        let records = RecordBatchDecoder::decode(&mut buf).unwrap().records;
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert!(record.control);
        assert_eq!((record.offset, record.partition_leader_epoch), (41, 9));
        assert_eq!(record.key.as_deref(), Some(&[0, 0, 0, 2][..]));
        assert_eq!(record.value.as_deref(), Some(&b"lc"[..]));
        let key = StrBytes::from_static_str("leader_epoch");
        let epoch = record.headers.get(&key).cloned().flatten();
        assert_eq!(epoch.as_deref(), Some(&9i32.to_be_bytes()[..]));
        let records = RecordBatchDecoder::decode(&mut buf).unwrap().records;
        assert!(!records[0].control && records[0].key.is_none());
        assert_eq!(records[0].value.as_deref(), Some(&b""[..]));
    }

    #[test]
    fn an_epoch_changed_outside_the_crc_is_caught() {
        let mut bytes = encoded(&entry(4, 0, EntryKind::Data, b"x"));
        set_partition_leader_epoch(&mut bytes, 5);
        assert!(verify_crc(&bytes), "the batch CRC does not cover the epoch");
        assert_eq!(
            decode(&bytes),
            Err(EntryCorruption::EpochMismatch {
                batch_epoch: 5,
                record_epoch: 4
            })
        );
        set_partition_leader_epoch(&mut bytes, -1);
        assert_eq!(
            decode(&bytes),
            Err(EntryCorruption::NegativeEpoch { epoch: -1 })
        );
    }

    /// Re-signs a batch after a test changed CRC-covered bytes.
    fn resign(bytes: &mut [u8]) {
        let crc = compute_crc(bytes);
        bytes[CRC_POSITION..CRC_POSITION + 4].copy_from_slice(&crc.to_be_bytes());
    }

    #[test]
    fn batches_this_store_never_writes_are_refused_by_name() {
        let good = encoded(&entry(1, 0, EntryKind::LeaderChange, b"abc"));
        let refused = |mutate: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = good.clone();
            mutate(&mut bytes);
            resign(&mut bytes);
            decode(&bytes).unwrap_err()
        };
        assert_eq!(
            refused(&|b| b[22] |= 0x01),
            EntryCorruption::Compressed { codec: 1 }
        );
        assert_eq!(refused(&|b| b[22] |= 0x10), EntryCorruption::Transactional);
        assert_eq!(
            refused(&|b| b[60] = 2),
            EntryCorruption::RecordCount {
                records_count: 2,
                last_offset_delta: 0
            }
        );
        // The control key's type (last key byte) says COMMIT instead of LEADER_CHANGE.
        let key_end = BATCH_HEADER_BYTES + 1 + 3 + 1 + 4;
        assert_eq!(
            refused(&|b| b[key_end - 1] = 1),
            EntryCorruption::UnknownControlRecord {
                version: 0,
                control_type: 1
            }
        );
        // A data batch whose record has the control key.
        assert_eq!(refused(&|b| b[22] &= !0x20), EntryCorruption::UnexpectedKey);
        let mut torn = good.clone();
        torn.pop();
        assert!(matches!(decode(&torn), Err(EntryCorruption::Batch(_))));
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(decode(&flipped), Err(EntryCorruption::Batch(_))));
    }

    #[test]
    fn resigned_random_damage_never_panics_the_decoder() {
        let good = encoded(&entry(2, 5, EntryKind::Data, &[7; 40]));
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mut bytes = good.clone();
            // Damage only the record section and re-sign, so the decoder itself is exercised.
            let position = BATCH_HEADER_BYTES + (state >> 33) as usize % (good.len() - 61);
            bytes[position] = (state >> 13) as u8;
            resign(&mut bytes);
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn oversized_entries_are_refused_before_writing() {
        let big = entry(1, 0, EntryKind::Data, &[0; 100]);
        let size = encoded(&big).len();
        let mut out = vec![1, 2, 3];
        assert_eq!(encode_within(&big, &mut out, size - 1), Err(size));
        assert_eq!(out, vec![1, 2, 3]);
        encode_within(&big, &mut out, size).unwrap();
        assert_eq!(out.len(), 3 + size);
    }
}
