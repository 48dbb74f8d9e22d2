//! The client's typed errors.
//!
//! Kafka error codes stay numeric in [`ClientError::Kafka`] (with the name from
//! `kafka-protocol` for display) because callers branch on them: retry, refresh metadata, reset
//! an offset. Network and codec failures get their own variants so that retry logic can tell a
//! dead connection from a broker that answered "no".

use std::fmt;
use std::io;

use kafka_protocol::ResponseError;

/// Everything the client can fail with.
#[derive(Debug)]
pub enum ClientError {
    /// The socket failed (connect, read or write).
    Io(io::Error),
    /// The broker did not answer within the request timeout, or connecting took too long.
    Timeout { what: &'static str, ms: u64 },
    /// The connection closed while a request was waiting for its answer.
    Disconnected { addr: String },
    /// Bytes from the broker (or a file) did not decode.
    Decode { what: &'static str, detail: String },
    /// A request could not be encoded (a bug, or a value out of range).
    Encode { what: &'static str, detail: String },
    /// The broker does not support any version of an API that this client speaks.
    UnsupportedVersion { api_key: i16 },
    /// The broker answered with a Kafka error code.
    Kafka { code: i16, context: String },
    /// The topic or partition is not in the cluster's metadata.
    UnknownTopicOrPartition {
        topic: String,
        partition: Option<i32>,
    },
    /// No broker is known for a node id, or the partition has no leader.
    NoLeader { topic: String, partition: i32 },
    /// A broker address could not be parsed or resolved.
    InvalidAddress { addr: String },
    /// A configuration value is out of range or names something unknown.
    InvalidConfig { key: &'static str, detail: String },
    /// A record is larger than the producer may send.
    RecordTooLarge { size: usize, max: usize },
    /// The producer was closed before the record was delivered.
    ProducerClosed,
    /// A frame from the broker was larger than the client accepts.
    FrameTooLarge { size: usize, max: usize },
}

/// The client's result type.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

impl ClientError {
    /// A Kafka error from a response's error code, or `None` for 0 (no error).
    pub fn from_code(code: i16, context: impl FnOnce() -> String) -> Option<Self> {
        (code != 0).then(|| Self::Kafka {
            code,
            context: context(),
        })
    }

    /// Whether trying again (after a metadata refresh and a backoff) may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Self::Io(_) | Self::Timeout { .. } | Self::Disconnected { .. } => true,
            Self::NoLeader { .. } | Self::UnknownTopicOrPartition { .. } => true,
            Self::Kafka { code, .. } => code_is_retriable(*code),
            _ => false,
        }
    }

    /// The Kafka error code, if the broker answered with one.
    pub fn kafka_code(&self) -> Option<i16> {
        match self {
            Self::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub(crate) fn decode(what: &'static str, error: impl fmt::Display) -> Self {
        Self::Decode {
            what,
            detail: error.to_string(),
        }
    }

    pub(crate) fn encode(what: &'static str, error: impl fmt::Display) -> Self {
        Self::Encode {
            what,
            detail: error.to_string(),
        }
    }
}

/// Whether a Kafka error code is retriable, per the protocol's own table.
pub fn code_is_retriable(code: i16) -> bool {
    ResponseError::try_from_code(code).is_some_and(|error| error.is_retriable())
}

/// Whether an error code means our metadata is stale (leader moved, topic created or deleted).
pub fn code_needs_metadata_refresh(code: i16) -> bool {
    // 3 UNKNOWN_TOPIC_OR_PARTITION, 5 LEADER_NOT_AVAILABLE, 6 NOT_LEADER_OR_FOLLOWER,
    // 74 FENCED_LEADER_EPOCH, 75 UNKNOWN_LEADER_EPOCH, 103 INCONSISTENT_TOPIC_ID.
    matches!(code, 3 | 5 | 6 | 74 | 75 | 103)
}

/// The protocol's name for an error code (`NotLeaderOrFollower`), for messages.
pub fn code_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        None => "None".to_string(),
        Some(ResponseError::Unknown(code)) => format!("UnknownErrorCode({code})"),
        Some(error) => error.to_string(),
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(error) => write!(f, "network error: {error}"),
            Self::Timeout { what, ms } => write!(f, "{what} timed out after {ms} ms"),
            Self::Disconnected { addr } => write!(f, "connection to {addr} closed"),
            Self::Decode { what, detail } => write!(f, "could not decode {what}: {detail}"),
            Self::Encode { what, detail } => write!(f, "could not encode {what}: {detail}"),
            Self::UnsupportedVersion { api_key } => {
                write!(
                    f,
                    "the broker supports no version of API key {api_key} we speak"
                )
            }
            Self::Kafka { code, context } => {
                write!(f, "{context}: {} (error code {code})", code_name(*code))
            }
            Self::UnknownTopicOrPartition {
                topic,
                partition: Some(partition),
            } => write!(f, "unknown topic or partition {topic}-{partition}"),
            Self::UnknownTopicOrPartition { topic, .. } => write!(f, "unknown topic {topic}"),
            Self::NoLeader { topic, partition } => {
                write!(f, "no leader available for {topic}-{partition}")
            }
            Self::InvalidAddress { addr } => write!(f, "invalid broker address {addr:?}"),
            Self::InvalidConfig { key, detail } => write!(f, "invalid {key}: {detail}"),
            Self::RecordTooLarge { size, max } => {
                write!(f, "record of {size} bytes exceeds the limit of {max} bytes")
            }
            Self::ProducerClosed => write!(f, "the producer is closed"),
            Self::FrameTooLarge { size, max } => {
                write!(
                    f,
                    "response frame of {size} bytes exceeds the limit of {max} bytes"
                )
            }
        }
    }
}

// No `source()`: Display already includes the io error, and error chains (anyhow's `{:#}`)
// would print it twice.
impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl ClientError {
    /// A copy for each of many waiters failed by one error (`io::Error` is not `Clone`).
    pub fn duplicate(&self) -> Self {
        match self {
            Self::Io(error) => Self::Io(io::Error::new(error.kind(), error.to_string())),
            Self::Timeout { what, ms } => Self::Timeout { what, ms: *ms },
            Self::Disconnected { addr } => Self::Disconnected { addr: addr.clone() },
            Self::Decode { what, detail } => Self::Decode {
                what,
                detail: detail.clone(),
            },
            Self::Encode { what, detail } => Self::Encode {
                what,
                detail: detail.clone(),
            },
            Self::UnsupportedVersion { api_key } => Self::UnsupportedVersion { api_key: *api_key },
            Self::Kafka { code, context } => Self::Kafka {
                code: *code,
                context: context.clone(),
            },
            Self::UnknownTopicOrPartition { topic, partition } => Self::UnknownTopicOrPartition {
                topic: topic.clone(),
                partition: *partition,
            },
            Self::NoLeader { topic, partition } => Self::NoLeader {
                topic: topic.clone(),
                partition: *partition,
            },
            Self::InvalidAddress { addr } => Self::InvalidAddress { addr: addr.clone() },
            Self::InvalidConfig { key, detail } => Self::InvalidConfig {
                key,
                detail: detail.clone(),
            },
            Self::RecordTooLarge { size, max } => Self::RecordTooLarge {
                size: *size,
                max: *max,
            },
            Self::ProducerClosed => Self::ProducerClosed,
            Self::FrameTooLarge { size, max } => Self::FrameTooLarge {
                size: *size,
                max: *max,
            },
        }
    }
}
