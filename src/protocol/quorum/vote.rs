//! Vote (api key 52) at v2, the first version with KIP-996's `pre_vote` flag. The candidate is
//! the sender (`replica_id`), `voter_id` names the receiver, `replica_epoch` is the epoch the
//! candidate runs in. Kafka's response has no `pre_vote` flag: the candidate knows what it
//! asked, so the decoder takes it from the request the response answers.

use bytes::Bytes;
use kafka_protocol::messages::vote_request::{
    PartitionData as RequestPartition, TopicData as RequestTopic,
};
use kafka_protocol::messages::vote_response::{
    PartitionData as ResponsePartition, TopicData as ResponseTopic,
};
use kafka_protocol::messages::{ApiKey, BrokerId};

use super::common::{self, LocalNode, CLUSTER_METADATA_PARTITION, NONE};
use super::error::QuorumWireError;
use super::shape::{Shape, StructShape, BOOL, INT16, INT32, INT64, STRING, UUID};
use super::ResponseOutcome;
use crate::core::raft::messages::{Message, VoteRequest, VoteResponse};
use crate::core::raft::types::NodeId;

pub const VERSION: i16 = 2;
const API_KEY: ApiKey = ApiKey::Vote;

static REQUEST_PARTITION: StructShape = StructShape {
    fields: &[INT32, INT32, INT32, UUID, UUID, INT32, INT64, BOOL],
    tagged: &[],
};
static REQUEST_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&REQUEST_PARTITION)],
    tagged: &[],
};
pub(super) static REQUEST: StructShape = StructShape {
    fields: &[STRING, INT32, Shape::Array(&REQUEST_TOPIC)],
    tagged: &[],
};
static RESPONSE_PARTITION: StructShape = StructShape {
    fields: &[INT32, INT16, INT32, INT32, BOOL],
    tagged: &[],
};
static RESPONSE_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&RESPONSE_PARTITION)],
    tagged: &[],
};
pub(super) static RESPONSE: StructShape = StructShape {
    fields: &[INT16, Shape::Array(&RESPONSE_TOPIC)],
    tagged: &[(0, Shape::Array(&common::NODE_ENDPOINT))],
};

pub(super) fn encode_request(
    request: &VoteRequest,
    local: &LocalNode,
    to: NodeId,
) -> Result<Bytes, QuorumWireError> {
    let partition = RequestPartition::default()
        .with_partition_index(CLUSTER_METADATA_PARTITION)
        .with_replica_epoch(request.candidate_epoch)
        .with_replica_id(BrokerId(local.node_id))
        .with_last_offset_epoch(request.last_offset_epoch)
        .with_last_offset(request.last_offset)
        .with_pre_vote(request.pre_vote);
    let body = kafka_protocol::messages::VoteRequest::default()
        .with_cluster_id(common::cluster_id(local))
        .with_voter_id(BrokerId(to))
        .with_topics(vec![RequestTopic::default()
            .with_topic_name(common::topic_name())
            .with_partitions(vec![partition])]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_request(
    body: Bytes,
    local: &LocalNode,
) -> Result<(NodeId, Message), QuorumWireError> {
    let body: kafka_protocol::messages::VoteRequest =
        common::decode_body(API_KEY, VERSION, &REQUEST, body)?;
    common::check_cluster_id(&body.cluster_id, local)?;
    common::check_destination(body.voter_id, local)?;
    let topic = common::only(body.topics, common::topic_count)?;
    common::check_topic_name(&topic.topic_name)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition_index)?;
    let from = common::sender("replica_id", partition.replica_id, local)?;
    let request = VoteRequest {
        candidate_epoch: common::epoch("replica_epoch", partition.replica_epoch)?,
        last_offset_epoch: common::epoch("last_offset_epoch", partition.last_offset_epoch)?,
        last_offset: common::offset("last_offset", partition.last_offset)?,
        pre_vote: partition.pre_vote,
    };
    Ok((from, Message::VoteRequest(request)))
}

pub(super) fn encode_response(response: &VoteResponse) -> Result<Bytes, QuorumWireError> {
    // The core's answer does not say whom the voter follows; -1 is Kafka's "unknown".
    let partition = ResponsePartition::default()
        .with_partition_index(CLUSTER_METADATA_PARTITION)
        .with_leader_id(BrokerId(NONE))
        .with_leader_epoch(response.leader_epoch)
        .with_vote_granted(response.vote_granted);
    let body = kafka_protocol::messages::VoteResponse::default().with_topics(vec![
        ResponseTopic::default()
            .with_topic_name(common::topic_name())
            .with_partitions(vec![partition]),
    ]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_response(
    request: &VoteRequest,
    body: Bytes,
) -> Result<ResponseOutcome, QuorumWireError> {
    let body: kafka_protocol::messages::VoteResponse =
        common::decode_body(API_KEY, VERSION, &RESPONSE, body)?;
    if body.error_code != 0 {
        return Ok(common::refused(body.error_code));
    }
    let topic = common::only(body.topics, common::topic_count)?;
    common::check_topic_name(&topic.topic_name)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition_index)?;
    if partition.error_code != 0 {
        return Ok(common::refused(partition.error_code));
    }
    common::leader_id("leader_id", partition.leader_id)?;
    let response = VoteResponse {
        leader_epoch: common::epoch("leader_epoch", partition.leader_epoch)?,
        vote_granted: partition.vote_granted,
        pre_vote: request.pre_vote,
    };
    Ok(ResponseOutcome::Answer(Message::VoteResponse(response)))
}
