//! Kafka error codes, chosen here once: every typed error from storage, topic management and
//! configuration maps to the code real clients expect for it.

use kafka_protocol::ResponseError;

use super::broker::TopicError;
use crate::storage::{AppendError, ReadError};

/// The code for a refused topic operation.
pub fn topic_error(error: &TopicError) -> ResponseError {
    match error {
        TopicError::AlreadyExists => ResponseError::TopicAlreadyExists,
        TopicError::UnknownTopic => ResponseError::UnknownTopicOrPartition,
        TopicError::InvalidName(_) => ResponseError::InvalidTopicException,
        TopicError::InvalidPartitions { .. } => ResponseError::InvalidPartitions,
        TopicError::InvalidReplicationFactor { .. } => ResponseError::InvalidReplicationFactor,
        TopicError::InvalidConfig(_) => ResponseError::InvalidConfig,
        TopicError::DeletionDisabled => ResponseError::TopicDeletionDisabled,
        TopicError::Storage(_) => ResponseError::KafkaStorageError,
    }
}

/// The code for a refused append.
pub fn append_error(error: &AppendError) -> ResponseError {
    match error {
        AppendError::CorruptMessage { .. } => ResponseError::CorruptMessage,
        AppendError::UnsupportedMagic { .. } => ResponseError::UnsupportedForMessageFormat,
        AppendError::MessageTooLarge { .. } => ResponseError::MessageTooLarge,
        AppendError::InvalidRecord { .. } => ResponseError::InvalidRecord,
        AppendError::Storage(_) => ResponseError::KafkaStorageError,
    }
}

/// The code for a refused read.
pub fn read_error(error: &ReadError) -> ResponseError {
    match error {
        ReadError::OffsetOutOfRange { .. } => ResponseError::OffsetOutOfRange,
        _ => ResponseError::KafkaStorageError,
    }
}
