//! DescribeQuorum answers carry the leader's view in Kafka's fields, survive encoding at v2,
//! and a node that does not lead answers NOT_LEADER_OR_FOLLOWER on the partition.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::{DescribeQuorumRequest, DescribeQuorumResponse, TopicName};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::*;
use crate::core::raft::{QuorumDescription, ReplicaDescription};
use crate::protocol::quorum::{
    check_describe_quorum_request, describe_quorum_response, VoterEndpoint,
};

fn view() -> QuorumDescription {
    QuorumDescription {
        leader_id: 2,
        leader_epoch: 7,
        high_watermark: 120,
        current_voters: vec![
            ReplicaDescription {
                replica_id: 1,
                log_end_offset: Some(118),
                last_fetch_timestamp_ms: Some(1_000),
            },
            ReplicaDescription {
                replica_id: 2,
                log_end_offset: Some(121),
                last_fetch_timestamp_ms: Some(1_500),
            },
            ReplicaDescription {
                replica_id: 3,
                log_end_offset: None,
                last_fetch_timestamp_ms: None,
            },
        ],
        observers: vec![ReplicaDescription {
            replica_id: 4,
            log_end_offset: Some(119),
            last_fetch_timestamp_ms: Some(1_400),
        }],
    }
}

fn endpoint(node_id: NodeId, listener_name: &str, port: u16) -> VoterEndpoint {
    VoterEndpoint {
        node_id,
        listener_name: listener_name.to_owned(),
        host: format!("controller-{node_id}"),
        port,
    }
}

fn round_trip(response: &DescribeQuorumResponse) -> DescribeQuorumResponse {
    let mut body = forge(response, 2);
    DescribeQuorumResponse::decode(&mut body, 2).unwrap()
}

#[test]
fn the_leaders_view_goes_out_in_kafkas_fields() {
    let endpoints = [
        endpoint(3, "CONTROLLER", 9093),
        endpoint(1, "CONTROLLER", 9093),
        endpoint(1, "INTERNAL", 9094),
    ];
    let response = round_trip(&describe_quorum_response(Some(&view()), &endpoints));
    assert_eq!(response.error_code, 0);
    let topic = &response.topics[0];
    assert_eq!(topic.topic_name.0.as_str(), "__cluster_metadata");
    let partition = &topic.partitions[0];
    assert_eq!(partition.partition_index, 0);
    assert_eq!(partition.error_code, 0);
    assert_eq!(partition.leader_id.0, 2);
    assert_eq!(partition.leader_epoch, 7);
    assert_eq!(partition.high_watermark, 120);
    let voters: Vec<(i32, i64, i64, i64)> = (partition.current_voters.iter())
        .map(|v| {
            let (leo, fetch, caught_up) = (
                v.log_end_offset,
                v.last_fetch_timestamp,
                v.last_caught_up_timestamp,
            );
            (v.replica_id.0, leo, fetch, caught_up)
        })
        .collect();
    // Unknown is -1; the leader counts as caught up at its own last fetch time.
    assert_eq!(
        voters,
        vec![(1, 118, 1_000, -1), (2, 121, 1_500, 1_500), (3, -1, -1, -1)]
    );
    let observers: Vec<(i32, i64, i64)> = (partition.observers.iter())
        .map(|o| (o.replica_id.0, o.log_end_offset, o.last_fetch_timestamp))
        .collect();
    assert_eq!(observers, vec![(4, 119, 1_400)]);
    let nodes: Vec<(i32, Vec<(&str, u16)>)> = (response.nodes.iter())
        .map(|n| {
            let listeners = n
                .listeners
                .iter()
                .map(|l| (l.name.as_str(), l.port))
                .collect();
            (n.node_id.0, listeners)
        })
        .collect();
    assert_eq!(
        nodes,
        vec![
            (1, vec![("CONTROLLER", 9093), ("INTERNAL", 9094)]),
            (3, vec![("CONTROLLER", 9093)])
        ]
    );
}

#[test]
fn a_node_that_does_not_lead_says_so_on_the_partition() {
    let response = round_trip(&describe_quorum_response(None, &[]));
    assert_eq!(response.error_code, 0);
    let partition = &response.topics[0].partitions[0];
    assert_eq!(
        partition.error_code,
        ResponseError::NotLeaderOrFollower.code()
    );
    assert_eq!(partition.leader_id.0, -1);
    assert!(partition.current_voters.is_empty());
}

fn describe_request(topic: &'static str, partition: i32) -> Bytes {
    let request = DescribeQuorumRequest::default().with_topics(vec![TopicData::default()
        .with_topic_name(TopicName(StrBytes::from_static_str(topic)))
        .with_partitions(vec![
            PartitionData::default().with_partition_index(partition)
        ])]);
    forge(&request, 2)
}

#[test]
fn describe_requests_must_name_the_metadata_partition() {
    assert_eq!(
        check_describe_quorum_request(2, describe_request("__cluster_metadata", 0)),
        Ok(())
    );
    let error = refused(check_describe_quorum_request(
        2,
        describe_request("orders", 0),
    ));
    assert_eq!(
        error.error_code(),
        ResponseError::UnknownTopicOrPartition.code()
    );
    let error = refused(check_describe_quorum_request(
        2,
        describe_request("__cluster_metadata", 3),
    ));
    assert_eq!(error, QuorumWireError::UnknownPartition { partition: 3 });
    let error = refused(check_describe_quorum_request(
        1,
        describe_request("__cluster_metadata", 0),
    ));
    assert!(matches!(
        error,
        QuorumWireError::UnsupportedVersion { supported: 2, .. }
    ));
}
