//! The log's error types. The server maps each variant to one Kafka error code, so variants
//! follow Kafka's codes (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, INVALID_RECORD,
//! OFFSET_OUT_OF_RANGE) and carry the numbers a log line or a test needs.

use std::fmt;
use std::io;

use super::batch::BatchError;
use super::records::RecordError;

/// Why a producer's records were rejected or not written. Nothing is written on any error.
#[derive(Debug)]
pub enum AppendError {
    /// A batch is not magic v2 (UNSUPPORTED_FOR_MESSAGE_FORMAT / CORRUPT_MESSAGE in Kafka).
    UnsupportedMagic { batch_index: usize, magic: i8 },
    /// Bad CRC, impossible length or a truncated batch (CORRUPT_MESSAGE).
    CorruptMessage {
        batch_index: usize,
        error: BatchError,
    },
    /// A batch is larger than `max.message.bytes` (MESSAGE_TOO_LARGE).
    MessageTooLarge { size: usize, max: usize },
    /// The records break a rule (INVALID_RECORD).
    InvalidRecord {
        batch_index: usize,
        reason: InvalidRecordReason,
    },
    /// The disk failed; the log was cut back to its state before the append.
    Storage(io::Error),
}

/// Why records are invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidRecordReason {
    /// The record set holds no batch at all.
    EmptyRecordSet,
    /// `records_count` is below 1 or disagrees with `last_offset_delta`.
    RecordCount {
        records_count: i32,
        last_offset_delta: i32,
    },
    /// A compacted topic got a record without a key.
    MissingKey { offset_delta: i64 },
    /// The records inside the batch do not decode.
    Undecodable(RecordError),
    /// A batch from the leader does not follow the log (follower appends).
    OffsetsOutOfOrder {
        expected_at_least: i64,
        base_offset: i64,
    },
}

/// Why a read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The offset is outside [log_start_offset, log_end_offset] (OFFSET_OUT_OF_RANGE).
    OffsetOutOfRange {
        log_start_offset: i64,
        log_end_offset: i64,
    },
    /// The stored batch at `fetch_offset` failed its checks twice: damaged on disk.
    Corrupt {
        fetch_offset: i64,
        error: BatchError,
    },
    /// Stored records do not decode (a batch damaged after recovery checked it).
    CorruptBatch {
        base_offset: i64,
        error: RecordError,
    },
    Storage(io::Error),
}

impl ReadError {
    /// Whether the error says stored bytes are damaged (as opposed to a bad request).
    pub fn is_corruption(&self) -> bool {
        match self {
            ReadError::Corrupt { .. } | ReadError::CorruptBatch { .. } => true,
            ReadError::Storage(error) => error.kind() == io::ErrorKind::InvalidData,
            ReadError::OffsetOutOfRange { .. } => false,
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> Self {
        ReadError::Storage(error)
    }
}

impl From<io::Error> for AppendError {
    fn from(error: io::Error) -> Self {
        AppendError::Storage(error)
    }
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendError::UnsupportedMagic { batch_index, magic } => {
                write!(f, "batch {batch_index}: unsupported magic {magic}")
            }
            AppendError::CorruptMessage { batch_index, error } => {
                write!(f, "batch {batch_index}: corrupt: {error}")
            }
            AppendError::MessageTooLarge { size, max } => {
                write!(f, "batch of {size} bytes exceeds max.message.bytes {max}")
            }
            AppendError::InvalidRecord {
                batch_index,
                reason,
            } => write!(f, "batch {batch_index}: invalid record: {reason:?}"),
            AppendError::Storage(error) => write!(f, "storage error: {error}"),
        }
    }
}

impl std::error::Error for AppendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppendError::Storage(error) => Some(error),
            AppendError::CorruptMessage { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::OffsetOutOfRange {
                log_start_offset,
                log_end_offset,
            } => write!(
                f,
                "offset out of range [{log_start_offset}, {log_end_offset}]"
            ),
            ReadError::Corrupt {
                fetch_offset,
                error,
            } => write!(f, "corrupt batch at fetch offset {fetch_offset}: {error}"),
            ReadError::CorruptBatch { base_offset, error } => {
                write!(f, "corrupt batch at offset {base_offset}: {error}")
            }
            ReadError::Storage(error) => write!(f, "storage error: {error}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Storage(error) => Some(error),
            ReadError::CorruptBatch { error, .. } => Some(error),
            ReadError::Corrupt { error, .. } => Some(error),
            ReadError::OffsetOutOfRange { .. } => None,
        }
    }
}
