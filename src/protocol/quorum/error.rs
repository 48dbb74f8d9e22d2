//! Why a quorum RPC could not be encoded or decoded, as data: the runtime logs it, answers a
//! refused request with [`QuorumWireError::error_code`], and drops a refused response (the core
//! retries on its request timeout).

use std::fmt;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ApiKey;

use super::shape::ShapeError;
use crate::core::raft::types::{NodeId, Offset};
use crate::storage::raft_store::EntryCorruption;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumWireError {
    /// Not one of the quorum's RPCs, or (encoding) not a message of the expected direction.
    UnsupportedApi {
        api_key: ApiKey,
    },
    /// The one version this codec speaks for `api_key` is `supported`.
    UnsupportedVersion {
        api_key: ApiKey,
        api_version: i16,
        supported: i16,
    },
    /// `encode_request` was given a response, or `encode_response` a request.
    WrongDirection {
        api_key: ApiKey,
    },
    /// The response does not answer the request it is paired with.
    ResponseMismatch {
        request_api_key: ApiKey,
        response_api_key: ApiKey,
    },
    /// The body's layout is impossible or absurd (checked before `kafka-protocol` allocates).
    Shape {
        api_key: ApiKey,
        error: ShapeError,
    },
    /// `kafka-protocol` refused the body at this version (bad UTF-8, a tag not valid here...).
    Undecodable {
        api_key: ApiKey,
    },
    /// `kafka-protocol` refused to encode: a field set that this version lacks (a bug here).
    Unencodable {
        api_key: ApiKey,
    },
    /// The request belongs to another cluster (or names none): two clusters on one network.
    ClusterIdMismatch {
        received: Option<String>,
    },
    /// The request names another node as its receiver (`voter_id`).
    WrongDestination {
        voter_id: i32,
        node_id: NodeId,
    },
    /// The request claims to come from the receiving node itself: two nodes share a node.id.
    SenderIsReceiver {
        node_id: NodeId,
    },
    /// Quorum RPCs carry exactly one topic (`__cluster_metadata`) with one partition.
    TopicCount {
        count: usize,
    },
    PartitionCount {
        count: usize,
    },
    UnknownTopicName {
        name: String,
    },
    UnknownTopicId {
        topic_id: uuid::Uuid,
    },
    UnknownPartition {
        partition: i32,
    },
    /// A number outside what it can be: a negative offset or epoch, an epoch beyond the core's
    /// `EPOCH_MAX`, an id below -1, a size that does not fit.
    OutOfRange {
        field: &'static str,
        value: i64,
    },
    /// A list longer than a quorum can need.
    TooManyElements {
        field: &'static str,
        count: usize,
        count_max: usize,
    },
    /// A fetch response's records: batch `index` does not decode as an entry.
    Records {
        index: usize,
        error: EntryCorruption,
    },
    /// A fetch response's entries must be dense from the request's `fetch_offset`.
    RecordsNotContiguous {
        expected_offset: Offset,
        offset: Offset,
    },
    /// An entry too large for one record batch (encoding).
    EntryTooLarge {
        offset: Offset,
        bytes: usize,
        bytes_max: usize,
    },
    /// A fetch response that is more than one of: records, a diverging epoch, a snapshot id.
    ConflictingFetchResult,
    /// A FetchSnapshot chunk without the snapshot's CRC-32C tagged field, or with a bad one.
    SnapshotCrc {
        len: Option<usize>,
    },
}

impl QuorumWireError {
    /// The Kafka error code a receiver answers a refused request with (via
    /// [`error_response`](super::error_response)).
    pub fn error_code(&self) -> i16 {
        let error = match self {
            QuorumWireError::UnsupportedVersion { .. } => ResponseError::UnsupportedVersion,
            QuorumWireError::ClusterIdMismatch { .. } => ResponseError::InconsistentClusterId,
            QuorumWireError::WrongDestination { .. } => ResponseError::InvalidVoterKey,
            QuorumWireError::TopicCount { .. }
            | QuorumWireError::PartitionCount { .. }
            | QuorumWireError::UnknownTopicName { .. }
            | QuorumWireError::UnknownTopicId { .. }
            | QuorumWireError::UnknownPartition { .. } => ResponseError::UnknownTopicOrPartition,
            QuorumWireError::Records { .. } | QuorumWireError::RecordsNotContiguous { .. } => {
                ResponseError::CorruptMessage
            }
            _ => ResponseError::InvalidRequest,
        };
        error.code()
    }
}

impl fmt::Display for QuorumWireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuorumWireError::UnsupportedApi { api_key } => {
                write!(f, "{api_key:?} is not a quorum RPC here")
            }
            QuorumWireError::UnsupportedVersion {
                api_key,
                api_version,
                supported,
            } => write!(
                f,
                "{api_key:?} v{api_version} is not supported (only v{supported})"
            ),
            QuorumWireError::WrongDirection { api_key } => {
                write!(f, "{api_key:?} message sent in the wrong direction")
            }
            QuorumWireError::ResponseMismatch {
                request_api_key,
                response_api_key,
            } => write!(
                f,
                "a {response_api_key:?} response does not answer a {request_api_key:?} request"
            ),
            QuorumWireError::Shape { api_key, error } => write!(f, "{api_key:?}: {error}"),
            QuorumWireError::Undecodable { api_key } => write!(f, "{api_key:?} does not decode"),
            QuorumWireError::Unencodable { api_key } => write!(f, "{api_key:?} does not encode"),
            QuorumWireError::ClusterIdMismatch { received } => {
                write!(f, "request for another cluster ({received:?})")
            }
            QuorumWireError::WrongDestination { voter_id, node_id } => {
                write!(f, "request for voter {voter_id} reached node {node_id}")
            }
            QuorumWireError::SenderIsReceiver { node_id } => {
                write!(f, "request from node {node_id} to itself")
            }
            QuorumWireError::TopicCount { count } => write!(f, "{count} topics, not 1"),
            QuorumWireError::PartitionCount { count } => write!(f, "{count} partitions, not 1"),
            QuorumWireError::UnknownTopicName { name } => write!(f, "unknown topic {name:?}"),
            QuorumWireError::UnknownTopicId { topic_id } => {
                write!(f, "unknown topic id {topic_id}")
            }
            QuorumWireError::UnknownPartition { partition } => {
                write!(f, "unknown partition {partition}")
            }
            QuorumWireError::OutOfRange { field, value } => {
                write!(f, "{field} {value} is out of range")
            }
            QuorumWireError::TooManyElements {
                field,
                count,
                count_max,
            } => write!(f, "{count} {field}, at most {count_max}"),
            QuorumWireError::Records { index, error } => write!(f, "batch {index}: {error:?}"),
            QuorumWireError::RecordsNotContiguous {
                expected_offset,
                offset,
            } => write!(
                f,
                "entry at offset {offset} where {expected_offset} was due"
            ),
            QuorumWireError::EntryTooLarge {
                offset,
                bytes,
                bytes_max,
            } => write!(f, "entry {offset} of {bytes} bytes exceeds {bytes_max}"),
            QuorumWireError::ConflictingFetchResult => {
                write!(f, "fetch response with more than one result")
            }
            QuorumWireError::SnapshotCrc { len } => {
                write!(f, "snapshot chunk without a 4-byte CRC-32C ({len:?})")
            }
        }
    }
}

impl std::error::Error for QuorumWireError {}
