//! What every quorum RPC shares: the one topic-partition they all name, the cluster id check,
//! range checks on ids, epochs and offsets, and encoding or decoding a body at a version (the
//! decode side walks the body's shape first, see `shape.rs`).

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, BrokerId, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use super::error::QuorumWireError;
use super::shape::{self, StructShape, INT32, STRING, UINT16};
use crate::core::raft::config::EPOCH_MAX;
use crate::core::raft::types::{Epoch, NodeId, Offset};

/// A node endpoint (id, host, port), the tagged `node_endpoints` every KRaft response carries.
pub(super) static NODE_ENDPOINT: StructShape = StructShape {
    fields: &[INT32, STRING, UINT16],
    tagged: &[],
};

/// KRaft's metadata topic: every quorum RPC is about its partition 0.
pub const CLUSTER_METADATA_TOPIC: &str = "__cluster_metadata";
/// Kafka's fixed id for `__cluster_metadata` (`Uuid.METADATA_TOPIC_ID`, "AAAAAAAAAAAAAAAAAAAAAQ"),
/// which Fetch names from v13 on instead of the topic name.
pub const CLUSTER_METADATA_TOPIC_ID: uuid::Uuid = uuid::Uuid::from_u64_pair(0, 1);
pub const CLUSTER_METADATA_PARTITION: i32 = 0;

/// Kafka's "no node" / "unknown" id, epoch and offset.
pub(super) const NONE: i32 = -1;

/// Who is speaking on this side of a connection: the cluster and this node's `node.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalNode<'a> {
    pub cluster_id: &'a str,
    pub node_id: NodeId,
}

pub(super) fn topic_name() -> TopicName {
    TopicName(StrBytes::from_static_str(CLUSTER_METADATA_TOPIC))
}

pub(super) fn cluster_id(local: &LocalNode) -> Option<StrBytes> {
    Some(StrBytes::from_string(local.cluster_id.to_owned()))
}

pub(super) fn encode_body<M: Encodable>(
    api_key: ApiKey,
    api_version: i16,
    body: &M,
) -> Result<Bytes, QuorumWireError> {
    let mut buf = BytesMut::new();
    body.encode(&mut buf, api_version)
        .map_err(|_| QuorumWireError::Unencodable { api_key })?;
    Ok(buf.freeze())
}

/// Decodes a whole body: its shape first (no absurd counts), then `kafka-protocol`.
pub(super) fn decode_body<M: Decodable>(
    api_key: ApiKey,
    api_version: i16,
    shape: &StructShape,
    mut body: Bytes,
) -> Result<M, QuorumWireError> {
    shape::check(shape, api_version, &body)
        .map_err(|error| QuorumWireError::Shape { api_key, error })?;
    let decoded =
        M::decode(&mut body, api_version).map_err(|_| QuorumWireError::Undecodable { api_key })?;
    if !body.is_empty() {
        // The walk saw the same bytes end here; a disagreement would be a transcription error.
        return Err(QuorumWireError::Undecodable { api_key });
    }
    Ok(decoded)
}

pub(super) fn check_cluster_id(
    received: &Option<StrBytes>,
    local: &LocalNode,
) -> Result<(), QuorumWireError> {
    match received {
        Some(id) if id.as_str() == local.cluster_id => Ok(()),
        _ => Err(QuorumWireError::ClusterIdMismatch {
            received: received.as_ref().map(|id| id.to_string()),
        }),
    }
}

/// The sender of a request: a real node id, and not ours.
pub(super) fn sender(
    field: &'static str,
    id: BrokerId,
    local: &LocalNode,
) -> Result<NodeId, QuorumWireError> {
    let id = node_id(field, id)?;
    if id == local.node_id {
        return Err(QuorumWireError::SenderIsReceiver { node_id: id });
    }
    Ok(id)
}

/// A request's `voter_id`: the node it is meant for.
pub(super) fn check_destination(
    voter_id: BrokerId,
    local: &LocalNode,
) -> Result<(), QuorumWireError> {
    if voter_id.0 != local.node_id {
        return Err(QuorumWireError::WrongDestination {
            voter_id: voter_id.0,
            node_id: local.node_id,
        });
    }
    Ok(())
}

/// The one element of a list that must hold exactly one (the topic, the partition).
pub(super) fn only<T>(
    items: Vec<T>,
    count_error: fn(usize) -> QuorumWireError,
) -> Result<T, QuorumWireError> {
    let count = items.len();
    let mut items = items.into_iter();
    match (items.next(), items.next()) {
        (Some(item), None) => Ok(item),
        _ => Err(count_error(count)),
    }
}

pub(super) fn topic_count(count: usize) -> QuorumWireError {
    QuorumWireError::TopicCount { count }
}

pub(super) fn partition_count(count: usize) -> QuorumWireError {
    QuorumWireError::PartitionCount { count }
}

pub(super) fn check_topic_name(name: &TopicName) -> Result<(), QuorumWireError> {
    if name.0.as_str() != CLUSTER_METADATA_TOPIC {
        return Err(QuorumWireError::UnknownTopicName {
            name: name.0.to_string(),
        });
    }
    Ok(())
}

pub(super) fn check_partition(partition: i32) -> Result<(), QuorumWireError> {
    if partition != CLUSTER_METADATA_PARTITION {
        return Err(QuorumWireError::UnknownPartition { partition });
    }
    Ok(())
}

fn out_of_range(field: &'static str, value: impl Into<i64>) -> QuorumWireError {
    QuorumWireError::OutOfRange {
        field,
        value: value.into(),
    }
}

/// A node id that must name a node: `node.id` is never negative.
pub(super) fn node_id(field: &'static str, id: BrokerId) -> Result<NodeId, QuorumWireError> {
    if id.0 < 0 {
        return Err(out_of_range(field, id.0));
    }
    Ok(id.0)
}

/// A leader id where -1 means "unknown".
pub(super) fn leader_id(
    field: &'static str,
    id: BrokerId,
) -> Result<Option<NodeId>, QuorumWireError> {
    match id.0 {
        NONE => Ok(None),
        _ => node_id(field, id).map(Some),
    }
}

pub(super) fn epoch(field: &'static str, value: i32) -> Result<Epoch, QuorumWireError> {
    if !(0..=EPOCH_MAX).contains(&value) {
        return Err(out_of_range(field, value));
    }
    Ok(value)
}

pub(super) fn offset(field: &'static str, value: i64) -> Result<Offset, QuorumWireError> {
    if value < 0 {
        return Err(out_of_range(field, value));
    }
    Ok(value)
}

/// Error codes that are neither "none" nor one the core models: the peer refused.
pub(super) fn refused(error_code: i16) -> super::ResponseOutcome {
    super::ResponseOutcome::Refused { error_code }
}
