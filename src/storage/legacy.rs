//! Message sets v0 and v1 (magic 0 and 1), the record format Produce v0–v2 carries. Kafka
//! stores only v2 batches since 3.0 and converts older messages on append (its LogValidator);
//! Weir does the same, so a log only ever holds v2 batches and every reader sees one format.
//!
//! Each message's CRC-32 (IEEE, where v2 uses CRC-32C) is checked, a compressed wrapper is
//! inflated under the batch ceiling and its inner messages taken, and the whole set becomes
//! one v2 batch compressed with the wrappers' codec. Offsets are assigned on append as for any
//! batch; a v0 message has no timestamp and keeps Kafka's NO_TIMESTAMP (-1). Keys and values
//! are slices of the request (or of the inflated wrapper), never copied until encoded.

use std::fmt;

use bytes::Bytes;
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::records::{Compression, Record, NO_TIMESTAMP};

use super::batch::MAGIC_OFFSET;
use super::codec::{self, CodecError, CODEC_GZIP, CODEC_LZ4, CODEC_NONE, CODEC_SNAPPY};
use super::encode::{encode_batch, plain_record};
use crate::limits::BATCH_LOG_OVERHEAD_BYTES;

/// Ceilings for one partition's message set. A legitimate pre-0.11 producer sends wrappers of at
/// most `max.message.bytes` (1 MiB by default) that inflate a few times over; these leave room
/// for many times that while bounding what one small request can make the broker hold (a gzip
/// wrapper of 260 KB can inflate to 256 MiB of 14-byte messages) to a couple of hundred MiB.
const INFLATED_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Memory the converted records may take beyond the bytes they share (about 150 bytes each).
const DECODED_BYTES_MAX: usize = 128 * 1024 * 1024;

/// Attribute bits of a v0/v1 message.
const CODEC_MASK: u8 = 0x07;
const LOG_APPEND_TIME_BIT: u8 = 0x08;

/// Why a v0/v1 message set cannot be appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyError {
    /// A message cut short, with an impossible size, or whose CRC does not match its bytes
    /// (Kafka's CORRUPT_MESSAGE).
    Corrupt(String),
    /// Well-formed bytes Kafka refuses: nested compression, mixed formats, an empty set, a
    /// wrapper that inflates past the ceiling (INVALID_RECORD).
    Invalid(String),
    /// zstd exists only for magic v2 batches (UNSUPPORTED_COMPRESSION_TYPE).
    UnsupportedCompression,
    /// A v1 timestamp below -1, or timestamps too far apart for v2's deltas
    /// (INVALID_TIMESTAMP).
    InvalidTimestamp(i64),
    /// Wrappers that inflate, or messages that decode, past this module's ceilings
    /// (MESSAGE_TOO_LARGE).
    TooLarge(String),
}

impl fmt::Display for LegacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LegacyError::Corrupt(why) | LegacyError::Invalid(why) | LegacyError::TooLarge(why) => {
                f.write_str(why)
            }
            LegacyError::InvalidTimestamp(timestamp) => {
                write!(
                    f,
                    "message timestamp {timestamp} is invalid (below -1, or out of range)"
                )
            }
            LegacyError::UnsupportedCompression => {
                f.write_str("zstd needs magic v2 record batches (Produce v3 or later)")
            }
        }
    }
}

impl std::error::Error for LegacyError {}

/// Whether `set` starts with a v0/v1 message rather than a v2 batch.
pub fn is_legacy(set: &[u8]) -> bool {
    // The magic byte sits at the same place in a v0/v1 message and in a v2 batch.
    set.get(MAGIC_OFFSET).is_some_and(|&magic| magic < 2)
}

/// One v0/v1 message, its key and value sharing the buffer it was read from.
struct Message {
    magic: u8,
    attributes: u8,
    timestamp: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
}

/// Converts a whole v0/v1 message set into one v2 batch.
pub fn upconvert(set: &Bytes) -> Result<Bytes, LegacyError> {
    let mut converted = Converted::default();
    let mut rest = set.clone();
    while !rest.is_empty() {
        let message = next_message(&mut rest)?;
        let codec = message.attributes & CODEC_MASK;
        if codec == CODEC_NONE {
            converted.push(message)?;
            continue;
        }
        // The last wrapper's codec decides, as Kafka's source compression does.
        converted.codec = codec;
        inflate(&message, codec, &mut converted)?;
    }
    converted.finish()
}

/// The records converted so far, with what they cost.
#[derive(Default)]
struct Converted {
    records: Vec<Record>,
    codec: u8,
    /// Bytes inflated from wrappers, bounded like one batch's records section.
    inflated: usize,
}

impl Converted {
    fn push(&mut self, message: Message) -> Result<(), LegacyError> {
        // Each record costs its struct on top of the bytes it shares: 14-byte messages would
        // otherwise decode to 15 times their size.
        let decoded = (self.records.len() + 1) * std::mem::size_of::<Record>();
        if decoded > DECODED_BYTES_MAX {
            return Err(LegacyError::TooLarge(format!(
                "more than {} messages in one message set",
                self.records.len()
            )));
        }
        if message.magic == 1 && message.timestamp < NO_TIMESTAMP {
            return Err(LegacyError::InvalidTimestamp(message.timestamp));
        }
        let index = self.records.len();
        let record = plain_record(
            index,
            message.timestamp,
            message.key,
            message.value,
            IndexMap::new(),
        );
        self.records.push(record);
        Ok(())
    }

    fn finish(self) -> Result<Bytes, LegacyError> {
        if self.records.is_empty() {
            return Err(LegacyError::Invalid(
                "the message set holds no messages".into(),
            ));
        }
        // v2 stores timestamps as deltas from the first; the encoder subtracts unchecked.
        let first = self.records[0].timestamp;
        let far = self
            .records
            .iter()
            .find(|r| r.timestamp.checked_sub(first).is_none());
        if let Some(far) = far {
            return Err(LegacyError::InvalidTimestamp(far.timestamp));
        }
        let compression = match self.codec {
            CODEC_GZIP => Compression::Gzip,
            CODEC_SNAPPY => Compression::Snappy,
            CODEC_LZ4 => Compression::Lz4,
            _ => Compression::None,
        };
        // Key and value bytes plus a record's framing, to size the encoder's buffer.
        let bytes = |field: &Option<Bytes>| field.as_ref().map_or(0, Bytes::len);
        let size_hint = (self.records.iter())
            .map(|r| bytes(&r.key) + bytes(&r.value) + 24)
            .sum();
        encode_batch(&self.records, compression, size_hint)
            .map_err(|error| LegacyError::Invalid(format!("cannot re-encode as v2: {error}")))
    }
}

/// Reads the message at the front of `rest` and advances past it.
fn next_message(rest: &mut Bytes) -> Result<Message, LegacyError> {
    let corrupt = |why: &str| LegacyError::Corrupt(format!("v0/v1 message set: {why}"));
    let size = rest
        .get(8..BATCH_LOG_OVERHEAD_BYTES)
        .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| corrupt("a message is cut short"))?;
    let size = usize::try_from(size).map_err(|_| corrupt("negative message size"))?;
    if rest.len() - BATCH_LOG_OVERHEAD_BYTES < size {
        return Err(corrupt("a message is cut short"));
    }
    let mut entry = rest
        .split_to(BATCH_LOG_OVERHEAD_BYTES + size)
        .split_off(BATCH_LOG_OVERHEAD_BYTES);
    // crc (4), magic (1), attributes (1): every message has at least these.
    if entry.len() < 6 {
        return Err(corrupt("a message is shorter than its header"));
    }
    let magic = entry[4];
    if magic > 1 {
        return Err(LegacyError::Invalid(format!(
            "a message set mixes magic v{magic} with v0/v1 messages"
        )));
    }
    let stored = u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]);
    let computed = crc32fast::hash(&entry[4..]);
    if stored != computed {
        return Err(LegacyError::Corrupt(format!(
            "message CRC-32 {stored:#010x} does not match its bytes ({computed:#010x})"
        )));
    }
    let attributes = entry[5];
    let mut body = entry.split_off(6);
    let timestamp = if magic == 1 {
        let bytes = body
            .get(..8)
            .ok_or_else(|| corrupt("no room for the timestamp"))?;
        let timestamp = i64::from_be_bytes(bytes.try_into().expect("8 bytes"));
        body = body.split_off(8);
        timestamp
    } else {
        NO_TIMESTAMP
    };
    let key = length_prefixed(&mut body).ok_or_else(|| corrupt("the key runs past the message"))?;
    let value =
        length_prefixed(&mut body).ok_or_else(|| corrupt("the value runs past the message"))?;
    if !body.is_empty() {
        return Err(corrupt("bytes after the value"));
    }
    Ok(Message {
        magic,
        attributes,
        timestamp,
        key,
        value,
    })
}

/// An int32-length-prefixed byte string (-1 is null); `None` if it runs past the end.
fn length_prefixed(buf: &mut Bytes) -> Option<Option<Bytes>> {
    let len = i32::from_be_bytes(buf.get(..4)?.try_into().ok()?);
    *buf = buf.split_off(4);
    if len == -1 {
        return Some(None);
    }
    let len = usize::try_from(len).ok()?;
    (len <= buf.len()).then(|| Some(buf.split_to(len)))
}

/// Adds the inner messages of a compressed wrapper to `converted`, one at a time, so the
/// ceilings apply as they are read. Timestamps come from the inner messages unless the wrapper
/// says LogAppendTime (then the wrapper's, which the broker overwrites anyway).
fn inflate(wrapper: &Message, codec: u8, converted: &mut Converted) -> Result<(), LegacyError> {
    if codec > CODEC_LZ4 {
        return Err(if codec == codec::CODEC_ZSTD {
            LegacyError::UnsupportedCompression
        } else {
            LegacyError::Invalid(format!("unknown compression codec {codec}"))
        });
    }
    let Some(value) = &wrapper.value else {
        return Err(LegacyError::Invalid(
            "a compressed message has no value".into(),
        ));
    };
    let room = INFLATED_BYTES_MAX - converted.inflated;
    let plain = if codec == CODEC_LZ4 && wrapper.magic == 0 {
        lz4_frame_blocks(value, room)
    } else {
        codec::decompress(codec, value, room)
    };
    let mut plain = plain.map_err(|error| match error {
        CodecError::TooLarge { .. } => LegacyError::TooLarge(format!("a wrapper's {error}")),
        _ => LegacyError::Corrupt(format!("a compressed message: {error}")),
    })?;
    converted.inflated += plain.len();
    while !plain.is_empty() {
        let mut message = next_message(&mut plain)?;
        if message.attributes & CODEC_MASK != CODEC_NONE {
            return Err(LegacyError::Invalid(
                "a compressed message holds another compressed message".into(),
            ));
        }
        if message.magic != wrapper.magic {
            return Err(LegacyError::Invalid(format!(
                "an inner message has magic v{} inside a v{} wrapper",
                message.magic, wrapper.magic
            )));
        }
        if wrapper.attributes & LOG_APPEND_TIME_BIT != 0 {
            message.timestamp = wrapper.timestamp;
        }
        converted.push(message)?;
    }
    Ok(())
}

/// Kafka before 0.10 (magic 0) wrote LZ4 frames whose header checksum covers the wrong bytes
/// (KAFKA-3160), which lz4's frame decoder rejects. Those frames are read block by block, as
/// Kafka does for magic 0, skipping that checksum; each block is at most 4 MiB by the format.
fn lz4_frame_blocks(frame: &[u8], limit: usize) -> Result<Bytes, CodecError> {
    const FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
    let corrupt = CodecError::Corrupt { codec: CODEC_LZ4 };
    let rest = frame.strip_prefix(&FRAME_MAGIC).ok_or(corrupt.clone())?;
    let (Some(&flags), Some(&block_descriptor)) = (rest.first(), rest.get(1)) else {
        return Err(corrupt);
    };
    // Version 01, no dictionary, reserved bits clear. Linked blocks are not refused here, but
    // one that refers to the block before it fails to decode (Kafka writes independent ones).
    if flags & 0b1100_0011 != 0b0100_0000 || block_descriptor & 0b1000_1111 != 0 {
        return Err(corrupt);
    }
    let block_max = match block_descriptor >> 4 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        _ => return Err(corrupt),
    };
    let block_checksums = flags & 0x10 != 0;
    // FLG, BD, an optional content size, then the header checksum byte (not checked: wrong in
    // these frames, and the message's CRC-32 covers them anyway).
    let mut at = 2 + if flags & 0x08 != 0 { 8 } else { 0 } + 1;
    let mut out = Vec::new();
    // One scratch block for the whole frame: a fresh zeroed 4 MiB per block would let a frame
    // of tiny blocks cost seconds of CPU.
    let mut scratch = vec![0u8; block_max];
    loop {
        let word = rest.get(at..at + 4).ok_or(corrupt.clone())?;
        let word = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        at += 4;
        if word == 0 {
            break; // the end mark; a content checksum may follow
        }
        let len = (word & 0x7fff_ffff) as usize;
        if len > block_max {
            return Err(corrupt); // no block, compressed or stored, exceeds the block size
        }
        let block = rest.get(at..at + len).ok_or(corrupt.clone())?;
        at += len + if block_checksums { 4 } else { 0 };
        let plain = if word & 0x8000_0000 != 0 {
            block
        } else {
            let size = Some(block_max as i32);
            let written = lz4::block::decompress_to_buffer(block, size, &mut scratch)
                .map_err(|_| corrupt.clone())?;
            &scratch[..written]
        };
        if out.len() + plain.len() > limit {
            return Err(CodecError::TooLarge {
                codec: CODEC_LZ4,
                limit,
            });
        }
        out.extend_from_slice(plain);
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
#[path = "legacy_tests.rs"]
mod tests;
