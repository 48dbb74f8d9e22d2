//! Up-conversion of v0/v1 message sets: every codec a v0/v1 wrapper may carry, timestamps,
//! and each way a set can be refused.

use bytes::Bytes;
use kafka_protocol::records::{Compression, RecordBatchDecoder, RecordSet};

use super::codec::compressed;
use super::*;

/// One v0/v1 message as a pre-0.11 producer writes it, at offset 0 (conversion assigns offsets
/// on append and ignores these).
fn message(
    magic: u8,
    attributes: u8,
    timestamp: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) -> Vec<u8> {
    let mut body = vec![magic, attributes];
    if magic == 1 {
        body.extend_from_slice(&timestamp.to_be_bytes());
    }
    for field in [key, value] {
        match field {
            None => body.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(bytes) => {
                body.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                body.extend_from_slice(bytes);
            }
        }
    }
    let mut out = 0i64.to_be_bytes().to_vec();
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Three inner messages in one wrapper.
fn wrapped(magic: u8, codec: u8, wrapper_attributes: u8) -> Vec<u8> {
    let mut inner = Vec::new();
    for i in 0..3u8 {
        let value = [b'v', b'0' + i];
        inner.extend(message(
            magic,
            0,
            1_000 + i64::from(i),
            Some(&[b'k', i]),
            Some(&value),
        ));
    }
    let packed = compressed(codec, &inner);
    message(
        magic,
        codec | wrapper_attributes,
        5_000,
        None,
        Some(&packed),
    )
}

fn decoded(batch: &Bytes) -> RecordSet {
    let set = RecordBatchDecoder::decode(&mut batch.clone()).unwrap();
    assert!(batch.len() > 61, "one whole v2 batch");
    set
}

#[test]
fn uncompressed_v0_and_v1_messages_become_one_v2_batch() {
    let mut set = message(0, 0, 0, Some(b"a"), Some(b"one"));
    set.extend(message(0, 0, 0, None, Some(b"two")));
    set.extend(message(0, 0, 0, Some(b"c"), None));
    let out = decoded(&upconvert(&Bytes::from(set)).unwrap());
    assert_eq!(out.compression, Compression::None);
    let fields: Vec<_> = out
        .records
        .iter()
        .map(|r| {
            (
                r.offset,
                r.timestamp,
                r.key.clone(),
                r.value.clone(),
                r.headers.len(),
            )
        })
        .collect();
    let b = |s: &'static [u8]| Some(Bytes::from_static(s));
    assert_eq!(
        fields,
        vec![
            (0, NO_TIMESTAMP, b(b"a"), b(b"one"), 0),
            (1, NO_TIMESTAMP, None, b(b"two"), 0),
            (2, NO_TIMESTAMP, b(b"c"), None, 0),
        ]
    );
    let mut set = message(1, 0, 1_700_000_000_000, Some(b"k"), Some(b"v"));
    set.extend(message(1, 0, 1_700_000_000_005, Some(b"k"), Some(b"w")));
    let out = decoded(&upconvert(&Bytes::from(set)).unwrap());
    let stamps: Vec<_> = out.records.iter().map(|r| r.timestamp).collect();
    assert_eq!(stamps, vec![1_700_000_000_000, 1_700_000_000_005]);
}

#[test]
fn compressed_wrappers_keep_their_codec_and_inner_messages() {
    for (codec, compression) in [
        (CODEC_GZIP, Compression::Gzip),
        (CODEC_SNAPPY, Compression::Snappy),
        (CODEC_LZ4, Compression::Lz4),
    ] {
        for magic in [0, 1] {
            let out = decoded(&upconvert(&Bytes::from(wrapped(magic, codec, 0))).unwrap());
            assert_eq!(out.compression, compression, "codec {codec} magic {magic}");
            let values: Vec<_> = out
                .records
                .iter()
                .map(|r| r.value.clone().unwrap())
                .collect();
            assert_eq!(
                values,
                vec!["v0", "v1", "v2"],
                "codec {codec} magic {magic}"
            );
            let stamps: Vec<_> = out.records.iter().map(|r| r.timestamp).collect();
            let expected = if magic == 1 {
                vec![1_000, 1_001, 1_002]
            } else {
                vec![-1; 3]
            };
            assert_eq!(stamps, expected, "codec {codec} magic {magic}");
        }
    }
    // A LogAppendTime wrapper's timestamp stands for its inner messages'.
    let out =
        decoded(&upconvert(&Bytes::from(wrapped(1, CODEC_GZIP, LOG_APPEND_TIME_BIT))).unwrap());
    assert!(out.records.iter().all(|r| r.timestamp == 5_000));
}

#[test]
fn magic_0_lz4_frames_with_kafkas_old_header_checksum_are_read() {
    let mut inner = message(0, 0, 0, Some(b"k"), Some(b"old lz4"));
    inner.extend(message(0, 0, 0, None, Some(b"second")));
    let mut frame = compressed(CODEC_LZ4, &inner);
    // The header checksum is the byte after FLG and BD (no content size here); Kafka 0.8/0.9
    // computed it over the magic too, so it differs from lz4's.
    assert_eq!(frame[4] & 0x08, 0, "no content size in this frame");
    frame[6] ^= 0x5a;
    assert!(
        codec::decompress(CODEC_LZ4, &frame, 1 << 20).is_err(),
        "lz4 checks it"
    );
    let set = message(0, CODEC_LZ4, 0, None, Some(&frame));
    let out = decoded(&upconvert(&Bytes::from(set)).unwrap());
    let values: Vec<_> = out
        .records
        .iter()
        .map(|r| r.value.clone().unwrap())
        .collect();
    assert_eq!(values, vec!["old lz4", "second"]);
    assert_eq!(
        lz4_frame_blocks(&frame, 10),
        Err(CodecError::TooLarge {
            codec: CODEC_LZ4,
            limit: 10
        })
    );
}

#[test]
fn damaged_or_refused_sets_name_what_is_wrong() {
    let good = message(1, 0, 7, Some(b"k"), Some(b"value"));
    let convert = |bytes: Vec<u8>| upconvert(&Bytes::from(bytes));

    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert!(matches!(convert(flipped), Err(LegacyError::Corrupt(why)) if why.contains("CRC-32")));

    let mut cut = good.clone();
    cut.truncate(good.len() - 2);
    assert!(matches!(convert(cut), Err(LegacyError::Corrupt(why)) if why.contains("cut short")));

    let mut lying = good.clone();
    lying[8..12].copy_from_slice(&(-5i32).to_be_bytes());
    assert!(matches!(convert(lying), Err(LegacyError::Corrupt(_))));

    // A value length running past the message, with the CRC re-sealed to match.
    let mut body = vec![1u8, 0];
    body.extend_from_slice(&7i64.to_be_bytes());
    body.extend_from_slice(&(-1i32).to_be_bytes());
    body.extend_from_slice(&1000i32.to_be_bytes());
    let mut long = 0i64.to_be_bytes().to_vec();
    long.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    long.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    long.extend_from_slice(&body);
    assert!(matches!(convert(long), Err(LegacyError::Corrupt(why)) if why.contains("value")));

    let nested_inner = wrapped(1, CODEC_GZIP, 0);
    let nested = message(
        1,
        CODEC_GZIP,
        0,
        None,
        Some(&compressed(CODEC_GZIP, &nested_inner)),
    );
    assert!(matches!(convert(nested), Err(LegacyError::Invalid(why)) if why.contains("another")));

    let inner_v0 = message(0, 0, 0, None, Some(b"x"));
    let mismatch = message(
        1,
        CODEC_GZIP,
        0,
        None,
        Some(&compressed(CODEC_GZIP, &inner_v0)),
    );
    assert!(matches!(convert(mismatch), Err(LegacyError::Invalid(why)) if why.contains("magic")));

    let zstd = message(
        1,
        codec::CODEC_ZSTD,
        0,
        None,
        Some(&compressed(codec::CODEC_ZSTD, &good)),
    );
    assert_eq!(convert(zstd), Err(LegacyError::UnsupportedCompression));

    let garbage = message(1, CODEC_GZIP, 0, None, Some(b"not gzip at all"));
    assert!(matches!(convert(garbage), Err(LegacyError::Corrupt(_))));

    let mut mixed = good.clone();
    let mut v2 = vec![0u8; 70];
    v2[MAGIC_OFFSET] = 2;
    v2[8..12].copy_from_slice(&58i32.to_be_bytes());
    mixed.extend(v2);
    assert!(matches!(convert(mixed), Err(LegacyError::Invalid(why)) if why.contains("mixes")));

    let empty_wrapper = message(1, CODEC_GZIP, 0, None, Some(&compressed(CODEC_GZIP, b"")));
    assert!(matches!(
        convert(empty_wrapper),
        Err(LegacyError::Invalid(_))
    ));
    assert!(is_legacy(&good));
    assert!(!is_legacy(&[0u8; 16]));
}

#[test]
fn timestamps_below_minus_one_or_too_far_apart_are_refused() {
    let set = message(1, 0, -2, None, Some(b"v"));
    assert_eq!(
        upconvert(&Bytes::from(set)),
        Err(LegacyError::InvalidTimestamp(-2))
    );
    // -1 (no timestamp) then i64::MAX: the delta does not fit.
    let mut set = message(1, 0, -1, None, Some(b"v"));
    set.extend(message(1, 0, i64::MAX, None, Some(b"w")));
    assert_eq!(
        upconvert(&Bytes::from(set)),
        Err(LegacyError::InvalidTimestamp(i64::MAX))
    );
}

#[test]
fn a_set_of_tiny_messages_past_the_ceiling_is_too_large() {
    let one = message(0, 0, 0, None, None);
    let count = DECODED_BYTES_MAX / std::mem::size_of::<Record>() + 1;
    let set: Vec<u8> = one
        .iter()
        .copied()
        .cycle()
        .take(one.len() * count)
        .collect();
    assert!(matches!(
        upconvert(&Bytes::from(set)),
        Err(LegacyError::TooLarge(why)) if why.contains("messages")
    ));
}

#[test]
fn lz4_frames_with_reserved_bits_or_oversized_blocks_are_corrupt() {
    let frame = compressed(CODEC_LZ4, &message(0, 0, 0, None, Some(b"x")));
    assert!(lz4_frame_blocks(&frame, 1 << 20).is_ok());
    let mut reserved = frame.clone();
    reserved[5] |= 0x01; // a reserved bit of BD
    assert!(lz4_frame_blocks(&reserved, 1 << 20).is_err());
    // A 64 KiB-block frame whose first block claims 64 KiB + 1.
    let mut oversized = frame[..7].to_vec();
    oversized[5] = 0x40;
    oversized.extend_from_slice(&(64u32 * 1024 + 1).to_le_bytes());
    oversized.extend(vec![0u8; 64 * 1024 + 1]);
    oversized.extend_from_slice(&0u32.to_le_bytes());
    assert!(lz4_frame_blocks(&oversized, 1 << 20).is_err());
}
