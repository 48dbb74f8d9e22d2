//! BeginQuorumEpoch (api key 53) at v1: the new leader (`leader_id`, the sender) announces its
//! epoch to one voter (`voter_id`, the receiver). The core answers nothing, so the receiver
//! acknowledges with [`error_response`](super::error_response) and error code 0; the leader's
//! decoder reads any answer as [`ResponseOutcome::Acknowledged`] or `Refused`.
//!
//! v1's `leader_endpoints` (KIP-853) go out empty: voters are configured statically here.

use bytes::Bytes;
use kafka_protocol::messages::begin_quorum_epoch_request::{PartitionData, TopicData};
use kafka_protocol::messages::{
    ApiKey, BeginQuorumEpochRequest, BeginQuorumEpochResponse, BrokerId,
};

use super::common::{self, LocalNode, CLUSTER_METADATA_PARTITION};
use super::error::QuorumWireError;
use super::shape::{Shape, StructShape, INT16, INT32, STRING, UINT16, UUID};
use super::ResponseOutcome;
use crate::core::raft::messages::{BeginQuorumEpoch, Message};
use crate::core::raft::types::NodeId;

pub const VERSION: i16 = 1;
const API_KEY: ApiKey = ApiKey::BeginQuorumEpoch;

static REQUEST_PARTITION: StructShape = StructShape {
    fields: &[INT32, UUID, INT32, INT32],
    tagged: &[],
};
static REQUEST_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&REQUEST_PARTITION)],
    tagged: &[],
};
/// A listener of the leader (name, host, port); EndQuorumEpoch's is the same.
pub(super) static LEADER_ENDPOINT: StructShape = StructShape {
    fields: &[STRING, STRING, UINT16],
    tagged: &[],
};
pub(super) static REQUEST: StructShape = StructShape {
    fields: &[
        STRING,
        INT32,
        Shape::Array(&REQUEST_TOPIC),
        Shape::Array(&LEADER_ENDPOINT),
    ],
    tagged: &[],
};
static RESPONSE_PARTITION: StructShape = StructShape {
    fields: &[INT32, INT16, INT32, INT32],
    tagged: &[],
};
static RESPONSE_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&RESPONSE_PARTITION)],
    tagged: &[],
};
/// BeginQuorumEpoch's and EndQuorumEpoch's responses have the same layout at v1.
pub(super) static RESPONSE: StructShape = StructShape {
    fields: &[INT16, Shape::Array(&RESPONSE_TOPIC)],
    tagged: &[(0, Shape::Array(&common::NODE_ENDPOINT))],
};

pub(super) fn encode_request(
    request: &BeginQuorumEpoch,
    local: &LocalNode,
    to: NodeId,
) -> Result<Bytes, QuorumWireError> {
    let partition = PartitionData::default()
        .with_partition_index(CLUSTER_METADATA_PARTITION)
        .with_leader_id(BrokerId(local.node_id))
        .with_leader_epoch(request.leader_epoch);
    let body = BeginQuorumEpochRequest::default()
        .with_cluster_id(common::cluster_id(local))
        .with_voter_id(BrokerId(to))
        .with_topics(vec![TopicData::default()
            .with_topic_name(common::topic_name())
            .with_partitions(vec![partition])]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_request(
    body: Bytes,
    local: &LocalNode,
) -> Result<(NodeId, Message), QuorumWireError> {
    let body: BeginQuorumEpochRequest = common::decode_body(API_KEY, VERSION, &REQUEST, body)?;
    common::check_cluster_id(&body.cluster_id, local)?;
    common::check_destination(body.voter_id, local)?;
    let topic = common::only(body.topics, common::topic_count)?;
    common::check_topic_name(&topic.topic_name)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition_index)?;
    let from = common::sender("leader_id", partition.leader_id, local)?;
    let leader_epoch = common::epoch("leader_epoch", partition.leader_epoch)?;
    Ok((
        from,
        Message::BeginQuorumEpoch(BeginQuorumEpoch { leader_epoch }),
    ))
}

/// Reads a BeginQuorumEpoch (or EndQuorumEpoch, same layout) response: an acknowledgement or
/// a refusal, never a message for the core.
pub(super) fn decode_acknowledgement(
    api_key: ApiKey,
    api_version: i16,
    body: Bytes,
) -> Result<ResponseOutcome, QuorumWireError> {
    let body: BeginQuorumEpochResponse =
        common::decode_body(api_key, api_version, &RESPONSE, body)?;
    if body.error_code != 0 {
        return Ok(common::refused(body.error_code));
    }
    let partition_error = (body.topics.iter())
        .flat_map(|topic| &topic.partitions)
        .map(|partition| partition.error_code)
        .find(|&code| code != 0);
    Ok(match partition_error {
        Some(code) => common::refused(code),
        None => ResponseOutcome::Acknowledged,
    })
}
