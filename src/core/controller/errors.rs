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
    /// INVALID_TOPIC_EXCEPTION: the name equals an existing one once '.' is read as '_'.
    TopicCollides {
        name: String,
        existing: String,
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
    /// FENCED_LEADER_EPOCH: an ISR change from a leader epoch that is not current.
    FencedLeaderEpoch {
        leader_epoch: i32,
        current: i32,
    },
    /// INVALID_REQUEST: an ISR change from a broker that does not lead the partition.
    NotLeader {
        broker_id: i32,
        leader: i32,
    },
    /// INVALID_UPDATE_VERSION: an ISR change based on an older partition state.
    InvalidUpdateVersion {
        partition_epoch: i32,
        current: i32,
    },
    /// INVALID_REQUEST: an ISR that is not a set of the partition's replicas with the leader in
    /// it, or that grows while the leader is still recovering from an unclean election.
    InvalidIsr {
        isr: Vec<i32>,
        replicas: Vec<i32>,
        leader: i32,
    },
    /// INELIGIBLE_REPLICA: an ISR member that is fenced, shutting down or not registered.
    IneligibleReplica {
        broker_id: i32,
    },
    /// INELIGIBLE_REPLICA: the leader saw a member fetch as an earlier incarnation than the
    /// one registered now (KIP-903).
    StaleMemberEpoch {
        broker_id: i32,
        broker_epoch: i64,
        current: i64,
    },
    /// INVALID_REQUEST: manual assignments together with a count or factor.
    AssignmentsWithCountOrFactor,
    /// INVALID_REQUEST: one config named twice in one request.
    DuplicateConfig {
        name: String,
    },
    /// INVALID_CONFIG: with eligible leader replicas on, `min.insync.replicas` is a topic or
    /// cluster-wide setting only; a broker's own value would make the ELR rules disagree
    /// between brokers, and the cluster-wide value may not be removed (Kafka's rule).
    MinIsrLockedByElr {
        cluster_level: bool,
    },
    /// POLICY_VIOLATION: one request would write more records than one metadata entry holds.
    TooManyRecords {
        records: usize,
        records_max: usize,
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
            ControllerError::TopicCollides { name, existing } => write!(
                f,
                "topic {name:?} collides with existing topic {existing:?} ('.' and '_' are \
                 the same in metric names)"
            ),
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
                write!(
                    f,
                    "the partition already has the leader this election would choose"
                )
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
            ControllerError::NotLeader { broker_id, leader } => write!(
                f,
                "broker {broker_id} asked to change the ISR but broker {leader} leads the partition"
            ),
            ControllerError::InvalidUpdateVersion {
                partition_epoch,
                current,
            } => write!(
                f,
                "partition epoch {partition_epoch} is stale; the partition is at {current}"
            ),
            ControllerError::InvalidIsr {
                isr,
                replicas,
                leader,
            } => write!(
                f,
                "ISR {isr:?} must be distinct replicas of {replicas:?} including leader {leader}, \
                 and only the leader while it recovers from an unclean election"
            ),
            ControllerError::IneligibleReplica { broker_id } => write!(
                f,
                "broker {broker_id} is fenced, shutting down or not registered and cannot join \
                 the ISR"
            ),
            ControllerError::StaleMemberEpoch {
                broker_id,
                broker_epoch,
                current,
            } => write!(
                f,
                "broker {broker_id} fetched with broker epoch {broker_epoch} but is registered \
                 at {current}: it restarted and must catch up again before it joins the ISR"
            ),
            ControllerError::AssignmentsWithCountOrFactor => write!(
                f,
                "give either replica assignments or a partition count and replication factor, \
                 not both"
            ),
            ControllerError::DuplicateConfig { name } => {
                write!(f, "config {name:?} is named more than once in the request")
            }
            // Kafka's own messages, word for word: tools and scripts match on them.
            ControllerError::MinIsrLockedByElr {
                cluster_level: false,
            } => write!(
                f,
                "Broker-level min.insync.replicas cannot be altered while ELR is enabled."
            ),
            ControllerError::MinIsrLockedByElr {
                cluster_level: true,
            } => write!(
                f,
                "Cluster-level min.insync.replicas cannot be removed while ELR is enabled."
            ),
            ControllerError::TooManyRecords {
                records,
                records_max,
            } => write!(
                f,
                "the request would write {records} metadata records, more than {records_max}; \
                 split it into smaller requests"
            ),
            ControllerError::Internal(error) => write!(f, "internal controller error: {error}"),
        }
    }
}

impl std::error::Error for ControllerError {}
