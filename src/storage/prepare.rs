//! The costly half of a leader append: checking a producer's record set (framing, CRCs,
//! record counts, keys on a compacted topic, sizes) and recompressing it where the topic's
//! `compression.type` asks. It needs only the topic's settings, not the log, so the produce
//! path does it before taking the partition's lock: on a multi-threaded runtime a large or
//! recompressed set then delays no other request for that partition.

use super::batch::{check_crc, with_records, BatchError, BatchHeader, BatchSplitter};
use super::codec;
use super::config::LogConfig;
use super::error::{AppendError, InvalidRecordReason};
use super::records::{for_each_record, RecordError};
use crate::limits::{BATCH_HEADER_BYTES, RECOMPRESS_DECOMPRESSED_BYTES_MAX};

/// A record set ready to append: every batch checked, each in the topic's codec.
#[derive(Debug)]
pub struct PreparedAppend {
    bytes: Vec<u8>,
    /// (position, header) of each batch in `bytes`.
    batches: Vec<(usize, BatchHeader)>,
    /// The settings it was checked against.
    checked: Checked,
}

/// The settings a prepared set depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked {
    max_message_bytes: usize,
    compacted: bool,
    compression: Option<u8>,
}

impl Checked {
    fn of(config: &LogConfig) -> Self {
        Self {
            max_message_bytes: config.max_message_bytes,
            compacted: config.compacted,
            compression: config.compression,
        }
    }
}

impl PreparedAppend {
    /// Checks `records` against `config` and recompresses it to the topic's codec, if any; an
    /// error rejects the whole set, as Kafka rejects a partition's produce.
    pub fn new(config: &LogConfig, records: &[u8]) -> Result<Self, AppendError> {
        let mut batches = validate(config, records)?;
        let bytes = match config.compression {
            Some(codec) => recompressed(config, records, &mut batches, codec)?,
            None => records.to_vec(),
        };
        let checked = Checked::of(config);
        Ok(Self {
            bytes,
            batches,
            checked,
        })
    }

    /// Whether it was checked against these settings.
    pub fn is_checked_for(&self, config: &LogConfig) -> bool {
        self.checked == Checked::of(config)
    }

    /// The checked (and recompressed) batches.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(super) fn into_parts(self) -> (Vec<u8>, Vec<(usize, BatchHeader)>) {
        (self.bytes, self.batches)
    }
}

/// The record set with every batch in `codec` (the topic's `compression.type`), `batches`
/// moved to the new positions. A batch already in `codec`, and a control batch (whose one
/// record Kafka never recompresses), is copied as it is.
fn recompressed(
    config: &LogConfig,
    records: &[u8],
    batches: &mut [(usize, BatchHeader)],
    codec: u8,
) -> Result<Vec<u8>, AppendError> {
    let mut out = Vec::with_capacity(records.len());
    for (batch_index, (position, header)) in batches.iter_mut().enumerate() {
        let batch = &records[*position..*position + header.total_size()];
        *position = out.len();
        if header.compression() == codec || header.is_control() {
            out.extend_from_slice(batch);
            continue;
        }
        let corrupt = |error| AppendError::InvalidRecord {
            batch_index,
            reason: InvalidRecordReason::Undecodable(RecordError::Codec(error)),
        };
        let encoded = &batch[BATCH_HEADER_BYTES..];
        let plain = codec::decompress(
            header.compression(),
            encoded,
            RECOMPRESS_DECOMPRESSED_BYTES_MAX,
        )
        .map_err(corrupt)?;
        let rewritten = with_records(
            batch,
            codec,
            &codec::compress(codec, &plain).map_err(corrupt)?,
        );
        let max = config.max_message_bytes;
        if rewritten.len() > max {
            return Err(AppendError::MessageTooLarge {
                size: rewritten.len(),
                max,
            });
        }
        *header = BatchHeader::parse(&rewritten)
            .map_err(|error| AppendError::CorruptMessage { batch_index, error })?;
        out.extend_from_slice(&rewritten);
    }
    Ok(out)
}

/// Checks every batch of a producer's record set; returns (position, header) per batch.
fn validate(config: &LogConfig, records: &[u8]) -> Result<Vec<(usize, BatchHeader)>, AppendError> {
    let mut batches = Vec::new();
    for (batch_index, split) in BatchSplitter::new(records).enumerate() {
        let batch = split.map_err(|error| match error {
            BatchError::UnsupportedMagic { magic } => {
                AppendError::UnsupportedMagic { batch_index, magic }
            }
            error => AppendError::CorruptMessage { batch_index, error },
        })?;
        let max = config.max_message_bytes;
        if batch.bytes.len() > max {
            return Err(AppendError::MessageTooLarge {
                size: batch.bytes.len(),
                max,
            });
        }
        check_crc(batch.bytes, &batch.header)
            .map_err(|error| AppendError::CorruptMessage { batch_index, error })?;
        let header = batch.header;
        if header.records_count < 1
            || i64::from(header.last_offset_delta) != i64::from(header.records_count) - 1
        {
            let reason = InvalidRecordReason::RecordCount {
                records_count: header.records_count,
                last_offset_delta: header.last_offset_delta,
            };
            return Err(AppendError::InvalidRecord {
                batch_index,
                reason,
            });
        }
        if config.compacted {
            check_keys(batch.bytes, &header).map_err(|reason| AppendError::InvalidRecord {
                batch_index,
                reason,
            })?;
        }
        batches.push((batch.position, header));
    }
    if batches.is_empty() {
        let reason = InvalidRecordReason::EmptyRecordSet;
        return Err(AppendError::InvalidRecord {
            batch_index: 0,
            reason,
        });
    }
    Ok(batches)
}

/// Compacted topics: every record needs a key, since compaction keeps the latest per key.
fn check_keys(batch: &[u8], header: &BatchHeader) -> Result<(), InvalidRecordReason> {
    let mut missing = None;
    for_each_record(batch, header, |record| {
        if !record.has_key {
            missing = Some(record.offset_delta);
        }
        missing.is_none()
    })
    .map_err(InvalidRecordReason::Undecodable)?;
    match missing {
        Some(offset_delta) => Err(InvalidRecordReason::MissingKey { offset_delta }),
        None => Ok(()),
    }
}
