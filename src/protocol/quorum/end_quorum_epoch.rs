//! EndQuorumEpoch (api key 54) at v1: the resigning leader (`leader_id`, the sender) tells a
//! voter to elect a successor now; v1's `preferred_candidates` (KIP-853's replacement for v0's
//! `preferred_successors`) carry the core's ranked successors, their directory ids unknown
//! (zero) since voters are static. Like BeginQuorumEpoch, it is acknowledged, not answered.

use bytes::Bytes;
use kafka_protocol::messages::end_quorum_epoch_request::{PartitionData, ReplicaInfo, TopicData};
use kafka_protocol::messages::{ApiKey, BrokerId, EndQuorumEpochRequest};

use super::begin_quorum_epoch::LEADER_ENDPOINT;
use super::common::{self, LocalNode, CLUSTER_METADATA_PARTITION};
use super::error::QuorumWireError;
use super::shape::{Shape, StructShape, INT32, STRING, UUID};
use crate::core::raft::config::VOTERS_MAX;
use crate::core::raft::messages::{EndQuorumEpoch, Message};
use crate::core::raft::types::NodeId;

pub const VERSION: i16 = 1;
const API_KEY: ApiKey = ApiKey::EndQuorumEpoch;

static REPLICA_INFO: StructShape = StructShape {
    fields: &[INT32, UUID],
    tagged: &[],
};
static REQUEST_PARTITION: StructShape = StructShape {
    fields: &[INT32, INT32, INT32, Shape::Array(&REPLICA_INFO)],
    tagged: &[],
};
static REQUEST_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&REQUEST_PARTITION)],
    tagged: &[],
};
pub(super) static REQUEST: StructShape = StructShape {
    fields: &[
        STRING,
        Shape::Array(&REQUEST_TOPIC),
        Shape::Array(&LEADER_ENDPOINT),
    ],
    tagged: &[],
};

pub(super) fn encode_request(
    request: &EndQuorumEpoch,
    local: &LocalNode,
) -> Result<Bytes, QuorumWireError> {
    let candidates = (request.preferred_successors.iter())
        .map(|&id| ReplicaInfo::default().with_candidate_id(BrokerId(id)))
        .collect();
    let partition = PartitionData::default()
        .with_partition_index(CLUSTER_METADATA_PARTITION)
        .with_leader_id(BrokerId(local.node_id))
        .with_leader_epoch(request.leader_epoch)
        .with_preferred_candidates(candidates);
    let body = EndQuorumEpochRequest::default()
        .with_cluster_id(common::cluster_id(local))
        .with_topics(vec![TopicData::default()
            .with_topic_name(common::topic_name())
            .with_partitions(vec![partition])]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_request(
    body: Bytes,
    local: &LocalNode,
) -> Result<(NodeId, Message), QuorumWireError> {
    let body: EndQuorumEpochRequest = common::decode_body(API_KEY, VERSION, &REQUEST, body)?;
    common::check_cluster_id(&body.cluster_id, local)?;
    let topic = common::only(body.topics, common::topic_count)?;
    common::check_topic_name(&topic.topic_name)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition_index)?;
    let from = common::sender("leader_id", partition.leader_id, local)?;
    let leader_epoch = common::epoch("leader_epoch", partition.leader_epoch)?;
    let count = partition.preferred_candidates.len();
    if count > VOTERS_MAX {
        return Err(QuorumWireError::TooManyElements {
            field: "preferred_candidates",
            count,
            count_max: VOTERS_MAX,
        });
    }
    let preferred_successors = (partition.preferred_candidates.iter())
        .map(|candidate| common::node_id("candidate_id", candidate.candidate_id))
        .collect::<Result<Vec<NodeId>, _>>()?;
    let message = EndQuorumEpoch {
        leader_epoch,
        preferred_successors,
    };
    Ok((from, Message::EndQuorumEpoch(message)))
}
