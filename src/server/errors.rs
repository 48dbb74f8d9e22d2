//! Kafka error codes, chosen here once: every typed error from storage, topic management and
//! configuration maps to the code real clients expect for it.

use kafka_protocol::ResponseError;

use super::broker::TopicError;
use super::topic_name::TopicNameError;
use crate::core::controller::ControllerError;
use crate::storage::{AppendError, ReadError};

/// The code for a refused topic operation.
pub fn topic_error(error: &TopicError) -> ResponseError {
    match error {
        TopicError::AlreadyExists => ResponseError::TopicAlreadyExists,
        TopicError::UnknownTopic => ResponseError::UnknownTopicOrPartition,
        TopicError::InvalidName(TopicNameError::MetadataLog) => ResponseError::InvalidRequest,
        TopicError::InvalidName(_) => ResponseError::InvalidTopicException,
        TopicError::InvalidPartitions { .. } => ResponseError::InvalidPartitions,
        TopicError::InvalidReplicationFactor { .. } => ResponseError::InvalidReplicationFactor,
        TopicError::InvalidConfig(_) => ResponseError::InvalidConfig,
        TopicError::DeletionDisabled => ResponseError::TopicDeletionDisabled,
        TopicError::Storage(_) => ResponseError::KafkaStorageError,
        TopicError::Controller(error) => controller_error(error),
        TopicError::NotController { .. } => ResponseError::NotController,
        TopicError::Unavailable(_) => ResponseError::RequestTimedOut,
    }
}

/// The code for a request the controller refused.
pub fn controller_error(error: &ControllerError) -> ResponseError {
    use ControllerError as E;
    match error {
        E::BrokerNotRegistered { .. } => ResponseError::BrokerIdNotRegistered,
        E::StaleBrokerEpoch { .. } => ResponseError::StaleBrokerEpoch,
        E::DuplicateBrokerRegistration { .. } => ResponseError::DuplicateBrokerRegistration,
        E::TopicExists { .. } => ResponseError::TopicAlreadyExists,
        E::TopicCollides { .. } => ResponseError::InvalidTopicException,
        E::UnknownTopic { .. } | E::UnknownPartition { .. } => {
            ResponseError::UnknownTopicOrPartition
        }
        E::InvalidPartitions { .. } => ResponseError::InvalidPartitions,
        E::InvalidReplicationFactor { .. } => ResponseError::InvalidReplicationFactor,
        E::InvalidReplicaAssignment { .. } => ResponseError::InvalidReplicaAssignment,
        E::ElectionNotNeeded => ResponseError::ElectionNotNeeded,
        E::PreferredLeaderNotAvailable { .. } => ResponseError::PreferredLeaderNotAvailable,
        E::EligibleLeadersNotAvailable => ResponseError::EligibleLeadersNotAvailable,
        E::NoReassignmentInProgress => ResponseError::NoReassignmentInProgress,
        E::FencedLeaderEpoch { .. } => ResponseError::FencedLeaderEpoch,
        E::NotLeader { .. } | E::InvalidIsr { .. } => ResponseError::InvalidRequest,
        E::InvalidUpdateVersion { .. } => ResponseError::InvalidUpdateVersion,
        E::IneligibleReplica { .. } | E::StaleMemberEpoch { .. } => {
            ResponseError::IneligibleReplica
        }
        E::AssignmentsWithCountOrFactor | E::DuplicateConfig { .. } => {
            ResponseError::InvalidRequest
        }
        E::MinIsrLockedByElr { .. } => ResponseError::InvalidConfig,
        E::TooManyRecords { .. } => ResponseError::PolicyViolation,
        E::Internal(_) => ResponseError::UnknownServerError,
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
