//! Why the controller refused a request. Each variant maps onto one Kafka error code (the
//! server turns them into wire answers) and carries the facts its message needs, so the
//! operator reads what was wrong and what to do about it.

use std::fmt;

use super::image::ReplayError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerError {
    /// BROKER_ID_NOT_REGISTERED
    BrokerNotRegistered {
        broker_id: i32,
    },
    /// STALE_BROKER_EPOCH
    StaleBrokerEpoch {
        broker_id: i32,
        broker_epoch: i64,
        current_epoch: i64,
    },
    /// DUPLICATE_BROKER_REGISTRATION: another live process holds this node.id.
    DuplicateBrokerRegistration {
        broker_id: i32,
    },
    /// TOPIC_ALREADY_EXISTS
    TopicExists {
        name: String,
    },
    /// UNKNOWN_TOPIC_OR_PARTITION
    UnknownTopic {
        name: String,
    },
    UnknownPartition {
        name: String,
        partition: i32,
    },
    /// INVALID_PARTITIONS
    InvalidPartitions {
        name: String,
        reason: String,
    },
    /// INVALID_REPLICATION_FACTOR
    InvalidReplicationFactor {
        replication_factor: i16,
        reason: String,
    },
    /// INVALID_REPLICA_ASSIGNMENT
    InvalidReplicaAssignment {
        reason: String,
    },
    /// ELECTION_NOT_NEEDED: the wanted leader already leads.
    ElectionNotNeeded,
    /// PREFERRED_LEADER_NOT_AVAILABLE
    PreferredLeaderNotAvailable {
        preferred: Option<i32>,
    },
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE
    EligibleLeadersNotAvailable,
    /// NO_REASSIGNMENT_IN_PROGRESS
    NoReassignmentInProgress,
    /// INVALID_REQUEST: an ISR change from a leader that is not current.
    FencedLeaderEpoch {
        leader_epoch: i32,
        current: i32,
    },
    /// UNKNOWN_SERVER_ERROR: the controller's own decision did not fit its image (a bug).
    Internal(ReplayError),
}

impl fmt::Display for ControllerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControllerError::BrokerNotRegistered { broker_id } => {
                write!(
                    f,
                    "broker {broker_id} is not registered; it must register first"
                )
            }
            ControllerError::StaleBrokerEpoch {
                broker_id,
                broker_epoch,
                current_epoch,
            } => write!(
                f,
                "broker {broker_id} sent epoch {broker_epoch} but its registration has epoch \
                 {current_epoch}; re-register"
            ),
            ControllerError::DuplicateBrokerRegistration { broker_id } => write!(
                f,
                "another process is registered as broker {broker_id} and its session is live; \
                 check node.id is unique, or wait for the old session to expire"
            ),
            ControllerError::TopicExists { name } => write!(f, "topic {name:?} already exists"),
            ControllerError::UnknownTopic { name } => write!(f, "topic {name:?} does not exist"),
            ControllerError::UnknownPartition { name, partition } => {
                write!(f, "topic {name:?} has no partition {partition}")
            }
            ControllerError::InvalidPartitions { name, reason } => {
                write!(f, "topic {name:?}: {reason}")
            }
            ControllerError::InvalidReplicationFactor {
                replication_factor,
                reason,
            } => write!(f, "replication factor {replication_factor}: {reason}"),
            ControllerError::InvalidReplicaAssignment { reason } => write!(f, "{reason}"),
            ControllerError::ElectionNotNeeded => {
                write!(f, "the preferred leader already leads this partition")
            }
            ControllerError::PreferredLeaderNotAvailable { preferred } => match preferred {
                Some(id) => write!(f, "preferred leader {id} is not alive or not in the ISR"),
                None => write!(f, "the partition has no replicas"),
            },
            ControllerError::EligibleLeadersNotAvailable => {
                write!(f, "no live replica can lead this partition")
            }
            ControllerError::NoReassignmentInProgress => {
                write!(f, "no reassignment is in progress for this partition")
            }
            ControllerError::FencedLeaderEpoch {
                leader_epoch,
                current,
            } => write!(
                f,
                "leader epoch {leader_epoch} is not the partition's current epoch {current}"
            ),
            ControllerError::Internal(error) => write!(f, "internal controller error: {error}"),
        }
    }
}

impl std::error::Error for ControllerError {}
