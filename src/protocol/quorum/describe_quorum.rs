//! DescribeQuorum (api key 55) at v2, what `kafka-metadata-quorum.sh describe --status` and
//! `--replication` read: the leader, its epoch and high watermark, and per voter its log end
//! offset and last fetch time, from the core's [`QuorumDescription`]. Only the leader tracks
//! the voters, so any other node answers NOT_LEADER_OR_FOLLOWER on the partition, as Kafka
//! does. v2 also lists each node's listeners (`nodes`), from the caller's configuration.
//!
//! What the core does not track goes out as Kafka's "unknown": `last_caught_up_timestamp` -1
//! for followers (the leader is caught up with itself at its last fetch time), directory ids
//! zero (static voters).

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_quorum_response::{
    Listener, Node, PartitionData, ReplicaState, TopicData,
};
use kafka_protocol::messages::{ApiKey, BrokerId, DescribeQuorumRequest, DescribeQuorumResponse};
use kafka_protocol::protocol::StrBytes;

use super::common::{self, CLUSTER_METADATA_PARTITION, NONE};
use super::error::QuorumWireError;
use super::shape::{Shape, StructShape, INT32, STRING};
use crate::core::raft::types::NodeId;
use crate::core::raft::{QuorumDescription, ReplicaDescription};

pub const VERSION: i16 = 2;
const API_KEY: ApiKey = ApiKey::DescribeQuorum;

static REQUEST_PARTITION: StructShape = StructShape {
    fields: &[INT32],
    tagged: &[],
};
static REQUEST_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&REQUEST_PARTITION)],
    tagged: &[],
};
pub(super) static REQUEST: StructShape = StructShape {
    fields: &[Shape::Array(&REQUEST_TOPIC)],
    tagged: &[],
};

/// One listener of one voter, as `controller.quorum.voters` and the listener config give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterEndpoint {
    pub node_id: NodeId,
    pub listener_name: String,
    pub host: String,
    pub port: u16,
}

/// Checks that a DescribeQuorum request asks about `__cluster_metadata` partition 0, the only
/// partition with a quorum; any other answer is UNKNOWN_TOPIC_OR_PARTITION
/// ([`QuorumWireError::error_code`]).
pub fn check_describe_quorum_request(api_version: i16, body: Bytes) -> Result<(), QuorumWireError> {
    super::check_version(API_KEY, api_version)?;
    let body: DescribeQuorumRequest = common::decode_body(API_KEY, VERSION, &REQUEST, body)?;
    let topic = common::only(body.topics, common::topic_count)?;
    common::check_topic_name(&topic.topic_name)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition_index)
}

fn replica_state(replica: &ReplicaDescription, leader_id: NodeId) -> ReplicaState {
    let last_fetch_timestamp = replica.last_fetch_timestamp_ms.unwrap_or(NONE.into());
    let last_caught_up_timestamp = if replica.replica_id == leader_id {
        last_fetch_timestamp
    } else {
        NONE.into()
    };
    ReplicaState::default()
        .with_replica_id(BrokerId(replica.replica_id))
        .with_log_end_offset(replica.log_end_offset.unwrap_or(NONE.into()))
        .with_last_fetch_timestamp(last_fetch_timestamp)
        .with_last_caught_up_timestamp(last_caught_up_timestamp)
}

fn partition(view: Option<&QuorumDescription>) -> PartitionData {
    let partition = PartitionData::default()
        .with_partition_index(CLUSTER_METADATA_PARTITION)
        .with_error_message(None);
    let Some(view) = view else {
        return partition
            .with_error_code(ResponseError::NotLeaderOrFollower.code())
            .with_leader_id(BrokerId(NONE))
            .with_leader_epoch(NONE)
            .with_high_watermark(NONE.into());
    };
    let voters = (view.current_voters.iter())
        .map(|replica| replica_state(replica, view.leader_id))
        .collect();
    let observers = (view.observers.iter())
        .map(|replica| replica_state(replica, view.leader_id))
        .collect();
    partition
        .with_leader_id(BrokerId(view.leader_id))
        .with_leader_epoch(view.leader_epoch)
        .with_high_watermark(view.high_watermark)
        .with_current_voters(voters)
        .with_observers(observers)
}

/// Groups listeners by node, nodes in id order, listeners in the order given.
fn nodes(endpoints: &[VoterEndpoint]) -> Vec<Node> {
    let mut by_node: BTreeMap<NodeId, Vec<Listener>> = BTreeMap::new();
    for endpoint in endpoints {
        let listener = Listener::default()
            .with_name(StrBytes::from_string(endpoint.listener_name.clone()))
            .with_host(StrBytes::from_string(endpoint.host.clone()))
            .with_port(endpoint.port);
        by_node.entry(endpoint.node_id).or_default().push(listener);
    }
    (by_node.into_iter())
        .map(|(node_id, listeners)| {
            Node::default()
                .with_node_id(BrokerId(node_id))
                .with_listeners(listeners)
        })
        .collect()
}

/// The DescribeQuorum answer: `view` is the core's `describe_quorum()` (`None` on a node that
/// does not lead), `endpoints` the voters' listeners. Encode it at [`VERSION`].
pub fn describe_quorum_response(
    view: Option<&QuorumDescription>,
    endpoints: &[VoterEndpoint],
) -> DescribeQuorumResponse {
    let topic = TopicData::default()
        .with_topic_name(common::topic_name())
        .with_partitions(vec![partition(view)]);
    DescribeQuorumResponse::default()
        .with_error_message(None)
        .with_topics(vec![topic])
        .with_nodes(nodes(endpoints))
}
