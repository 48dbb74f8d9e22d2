//! Decompressing record data with a ceiling. `kafka-protocol`'s decompressors inflate whatever a
//! stream holds: gzip reaches about 1000:1, so a 100 MiB frame of it would ask for 100 GB and the
//! allocation failure aborts the process. Every decompression of bytes from the network or a
//! log goes through [`decompress`] instead, which stops one byte past `limit` and calls that an
//! error. The codecs themselves are the crates `kafka-protocol` uses (flate2, lz4, zstd, snap);
//! only the ceiling and the snappy framing are ours.

use std::fmt;
use std::io::Read;

use bytes::Bytes;

/// Kafka's codec numbers, as in a batch's attributes.
pub const CODEC_NONE: u8 = 0;
pub const CODEC_GZIP: u8 = 1;
pub const CODEC_SNAPPY: u8 = 2;
pub const CODEC_LZ4: u8 = 3;
pub const CODEC_ZSTD: u8 = 4;

/// Why a stream did not decompress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    Unknown {
        codec: u8,
    },
    Corrupt {
        codec: u8,
    },
    /// The stream inflates past the ceiling.
    TooLarge {
        codec: u8,
        limit: usize,
    },
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Unknown { codec } => write!(f, "unknown codec {codec}"),
            CodecError::Corrupt { codec } => write!(f, "cannot decompress codec {codec}"),
            CodecError::TooLarge { codec, limit } => {
                write!(f, "codec {codec} data inflates past {limit} bytes")
            }
        }
    }
}

impl std::error::Error for CodecError {}

/// Decompresses `data` compressed with `codec`, refusing to produce more than `limit` bytes.
pub fn decompress(codec: u8, data: &[u8], limit: usize) -> Result<Bytes, CodecError> {
    let corrupt = CodecError::Corrupt { codec };
    match codec {
        CODEC_NONE if data.len() > limit => Err(CodecError::TooLarge { codec, limit }),
        CODEC_NONE => Ok(Bytes::copy_from_slice(data)),
        CODEC_GZIP => read_bounded(codec, flate2::read::MultiGzDecoder::new(data), limit),
        CODEC_SNAPPY => snappy(data, limit),
        CODEC_LZ4 => {
            let mut decoder = lz4::Decoder::new(data).map_err(|_| corrupt.clone())?;
            let out = read_bounded(codec, &mut decoder, limit)?;
            // lz4's reader ends quietly at the end of its input; only `finish` says whether
            // the frame's end mark was reached, so a cut-short frame is not taken as whole.
            decoder.finish().1.map_err(|_| corrupt)?;
            Ok(out)
        }
        CODEC_ZSTD => {
            let decoder = zstd::stream::read::Decoder::with_buffer(data).map_err(|_| corrupt)?;
            read_bounded(codec, decoder, limit)
        }
        _ => Err(CodecError::Unknown { codec }),
    }
}

/// Reads at most `limit + 1` bytes: one more than allowed proves the stream is too large
/// without inflating the rest of it.
fn read_bounded(codec: u8, reader: impl Read, limit: usize) -> Result<Bytes, CodecError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| CodecError::Corrupt { codec })?;
    if out.len() > limit {
        return Err(CodecError::TooLarge { codec, limit });
    }
    Ok(Bytes::from(out))
}

/// Xerial's framing (the Java client's snappy format): a 16-byte magic header, then blocks of
/// big-endian u32 length + raw snappy. librdkafka writes raw snappy; both are read.
const XERIAL_MAGIC: &[u8] = b"\x82SNAPPY\x00";
const XERIAL_HEADER_BYTES: usize = 16;

/// Snappy's raw decoder allocates (and zeroes) whatever length a block claims, so each claim is
/// checked against what is left of the ceiling first.
fn snappy(data: &[u8], limit: usize) -> Result<Bytes, CodecError> {
    let corrupt = CodecError::Corrupt {
        codec: CODEC_SNAPPY,
    };
    let too_large = CodecError::TooLarge {
        codec: CODEC_SNAPPY,
        limit,
    };
    let mut out = Vec::new();
    let raw_block = |block: &[u8], out: &mut Vec<u8>| {
        let claimed = snap::raw::decompress_len(block).map_err(|_| corrupt.clone())?;
        if claimed > limit - out.len() {
            return Err(too_large.clone());
        }
        let start = out.len();
        out.resize(start + claimed, 0);
        let written = snap::raw::Decoder::new()
            .decompress(block, &mut out[start..])
            .map_err(|_| corrupt.clone())?;
        out.truncate(start + written);
        Ok(())
    };
    if !data.starts_with(XERIAL_MAGIC) {
        raw_block(data, &mut out)?;
        return Ok(Bytes::from(out));
    }
    let mut rest = data.get(XERIAL_HEADER_BYTES..).ok_or(corrupt.clone())?;
    while !rest.is_empty() {
        let len = rest.get(..4).ok_or(corrupt.clone())?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let block = rest.get(4..4 + len).ok_or(corrupt.clone())?;
        raw_block(block, &mut out)?;
        rest = &rest[4 + len..];
    }
    Ok(Bytes::from(out))
}

/// `plain` compressed with `codec` by `kafka-protocol`'s compressors, the framing clients use
/// (Kafka's gzip, xerial snappy, LZ4 frames, zstd): what a topic's `compression.type` makes of
/// a batch.
pub fn compress(codec: u8, plain: &[u8]) -> Result<Vec<u8>, CodecError> {
    use bytes::BytesMut;
    use kafka_protocol::compression::{Compressor, Gzip, Lz4, Snappy, Zstd};
    let mut out = BytesMut::new();
    let fill = |buf: &mut BytesMut| {
        buf.extend_from_slice(plain);
        Ok(())
    };
    match codec {
        CODEC_NONE => return Ok(plain.to_vec()),
        CODEC_GZIP => Gzip::compress(&mut out, fill),
        CODEC_SNAPPY => Snappy::compress(&mut out, fill),
        CODEC_LZ4 => Lz4::compress(&mut out, fill),
        CODEC_ZSTD => Zstd::compress(&mut out, fill),
        _ => return Err(CodecError::Unknown { codec }),
    }
    .map_err(|_| CodecError::Corrupt { codec })?;
    Ok(out.to_vec())
}

/// `plain` compressed with `codec` (test shorthand).
#[cfg(test)]
pub(crate) fn compressed(codec: u8, plain: &[u8]) -> Vec<u8> {
    compress(codec, plain).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips_and_stops_at_the_ceiling() {
        let plain: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for codec in [CODEC_GZIP, CODEC_SNAPPY, CODEC_LZ4, CODEC_ZSTD] {
            let data = compressed(codec, &plain);
            let out = decompress(codec, &data, plain.len()).unwrap();
            assert_eq!(&out[..], &plain[..], "codec {codec}");
            assert_eq!(
                decompress(codec, &data, plain.len() - 1),
                Err(CodecError::TooLarge {
                    codec,
                    limit: plain.len() - 1
                }),
                "codec {codec}"
            );
            let mut damaged = data.clone();
            damaged.truncate(data.len() / 2);
            assert!(
                decompress(codec, &damaged, plain.len()).is_err(),
                "codec {codec} truncated"
            );
        }
        assert_eq!(
            decompress(CODEC_NONE, b"abc", 2),
            Err(CodecError::TooLarge { codec: 0, limit: 2 })
        );
        assert_eq!(
            decompress(7, b"abc", 10),
            Err(CodecError::Unknown { codec: 7 })
        );
    }

    #[test]
    fn a_gzip_bomb_is_refused_without_inflating_it() {
        // 64 MiB of zeros compress to about 64 KiB; the ceiling stops the read at 1 MiB.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            std::io::Write::write_all(&mut encoder, &zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 1 << 20);
        assert!(matches!(
            decompress(CODEC_GZIP, &bomb, 1 << 20),
            Err(CodecError::TooLarge { .. })
        ));
    }

    #[test]
    fn raw_and_framed_snappy_claims_are_checked_before_allocating() {
        let raw = snap::raw::Encoder::new()
            .compress_vec(b"hello hello hello")
            .unwrap();
        assert_eq!(
            &decompress(CODEC_SNAPPY, &raw, 17).unwrap()[..],
            b"hello hello hello"
        );
        // A block claiming 2^28 bytes in five bytes of stream.
        let forged = [0x80, 0x80, 0x80, 0x80, 0x01];
        assert!(matches!(
            decompress(CODEC_SNAPPY, &forged, 1 << 20),
            Err(CodecError::TooLarge { .. })
        ));
        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        framed.extend_from_slice(&9u32.to_be_bytes());
        framed.extend_from_slice(&[1, 0]);
        assert_eq!(
            decompress(CODEC_SNAPPY, &framed, 100),
            Err(CodecError::Corrupt { codec: 2 }),
            "block longer than the stream"
        );
    }
}
