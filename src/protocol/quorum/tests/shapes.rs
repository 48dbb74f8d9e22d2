//! The shapes in each API file are transcribed from `kafka-protocol`'s decoders; here every
//! message is built with every optional part filled in (endpoints, forgotten topics, aborted
//! transactions, known tagged fields, unknown tagged fields), encoded by `kafka-protocol` at
//! our version, and the walk must accept exactly those bytes, so a transcription error fails.

use std::collections::BTreeMap;
use std::fmt::Debug;

use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use super::forge;
use crate::protocol::quorum::shape::{self, StructShape};
use crate::protocol::quorum::{
    begin_quorum_epoch, describe_quorum, end_quorum_epoch, fetch, fetch_snapshot, vote,
};

/// The walk accepts `message` as `kafka-protocol` encodes it and no prefix of it, and meets
/// exactly `known_tags` as known tags: every tag but [`UNKNOWN_TAG`] that `kafka-protocol`
/// wrote is one it decodes by shape, so the walk must too, or the two would part ways on a
/// tagged field whose size lies.
fn accepts<M: Encodable + Decodable + PartialEq + Debug>(
    shape: &StructShape,
    message: &M,
    version: i16,
    known_tags: &[u32],
) {
    let bytes = forge(message, version);
    let seen =
        shape::tags_seen(shape, version, &bytes).unwrap_or_else(|e| panic!("{e}: {message:?}"));
    let decoded = M::decode(&mut bytes.clone(), version).unwrap();
    assert_eq!(&decoded, message);
    for len in 0..bytes.len() {
        assert!(
            shape::check(shape, version, &bytes[..len]).is_err(),
            "prefix {len}"
        );
    }
    let mut known: Vec<u32> = (seen.iter()).filter(|(_, k)| *k).map(|(t, _)| *t).collect();
    known.sort_unstable();
    assert_eq!(known, known_tags, "{message:?}");
    for (tag, is_known) in seen {
        assert_eq!(is_known, tag != UNKNOWN_TAG as u32, "tag {tag}");
    }
}

/// A tag no version of these messages defines.
const UNKNOWN_TAG: i32 = 77;

fn s(text: &'static str) -> StrBytes {
    StrBytes::from_static_str(text)
}

fn name() -> TopicName {
    TopicName(s("__cluster_metadata"))
}

fn tags() -> BTreeMap<i32, bytes::Bytes> {
    BTreeMap::from([(UNKNOWN_TAG, bytes::Bytes::from_static(b"unknown"))])
}

fn id(n: u64) -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(n, n + 1)
}

#[test]
fn vote_shapes() {
    use vote_request::{PartitionData, TopicData};
    let partition = PartitionData::default()
        .with_replica_directory_id(id(1))
        .with_voter_directory_id(id(2))
        .with_last_offset(9)
        .with_pre_vote(true)
        .with_unknown_tagged_fields(tags());
    let topic = TopicData::default()
        .with_topic_name(name())
        .with_partitions(vec![partition.clone(), partition]);
    let request = VoteRequest::default()
        .with_cluster_id(Some(s("c")))
        .with_voter_id(BrokerId(4))
        .with_topics(vec![topic])
        .with_unknown_tagged_fields(tags());
    accepts(&vote::REQUEST, &request, vote::VERSION, &[]);
    use vote_response::{NodeEndpoint, PartitionData as P, TopicData as T};
    let endpoint = NodeEndpoint::default()
        .with_node_id(BrokerId(3))
        .with_host(s("host"))
        .with_port(9093);
    let response = VoteResponse::default()
        .with_topics(vec![T::default()
            .with_topic_name(name())
            .with_partitions(vec![P::default().with_vote_granted(true)])])
        .with_node_endpoints(vec![endpoint.clone(), endpoint])
        .with_unknown_tagged_fields(tags());
    accepts(&vote::RESPONSE, &response, vote::VERSION, &[0]);
}

#[test]
fn begin_and_end_quorum_epoch_shapes() {
    use begin_quorum_epoch_request::{LeaderEndpoint, PartitionData, TopicData};
    let endpoint = LeaderEndpoint::default()
        .with_name(s("CONTROLLER"))
        .with_host(s("h"))
        .with_port(1);
    let request = BeginQuorumEpochRequest::default()
        .with_cluster_id(Some(s("c")))
        .with_voter_id(BrokerId(2))
        .with_topics(vec![TopicData::default()
            .with_topic_name(name())
            .with_partitions(vec![PartitionData::default()
                .with_voter_directory_id(id(5))
                .with_unknown_tagged_fields(tags())])])
        .with_leader_endpoints(vec![endpoint]);
    accepts(&begin_quorum_epoch::REQUEST, &request, 1, &[]);
    use begin_quorum_epoch_response::{NodeEndpoint, PartitionData as P, TopicData as T};
    let response = BeginQuorumEpochResponse::default()
        .with_topics(vec![T::default()
            .with_topic_name(name())
            .with_partitions(vec![P::default().with_error_code(6)])])
        .with_node_endpoints(vec![NodeEndpoint::default().with_host(s("h"))]);
    accepts(&begin_quorum_epoch::RESPONSE, &response, 1, &[0]);
    use end_quorum_epoch_request::{
        LeaderEndpoint as L, PartitionData as EP, ReplicaInfo, TopicData as ET,
    };
    let candidates = vec![
        ReplicaInfo::default().with_candidate_id(BrokerId(2)),
        ReplicaInfo::default().with_candidate_directory_id(id(9)),
    ];
    let request = EndQuorumEpochRequest::default()
        .with_cluster_id(Some(s("c")))
        .with_topics(vec![ET::default().with_topic_name(name()).with_partitions(
            vec![EP::default().with_preferred_candidates(candidates)],
        )])
        .with_leader_endpoints(vec![L::default().with_name(s("C")).with_port(2)]);
    accepts(
        &end_quorum_epoch::REQUEST,
        &request,
        end_quorum_epoch::VERSION,
        &[],
    );
    use end_quorum_epoch_response::{NodeEndpoint as N, PartitionData as RP, TopicData as RT};
    let response = EndQuorumEpochResponse::default()
        .with_topics(vec![RT::default()
            .with_topic_name(name())
            .with_partitions(vec![RP::default()])])
        .with_node_endpoints(vec![N::default().with_host(s("h")).with_port(7)]);
    // EndQuorumEpoch's response is read with BeginQuorumEpoch's shape: the same layout.
    accepts(&begin_quorum_epoch::RESPONSE, &response, 1, &[0]);
}

#[test]
fn fetch_shapes() {
    use fetch_request::{FetchPartition, FetchTopic, ForgottenTopic, ReplicaState};
    let partition = FetchPartition::default()
        .with_fetch_offset(5)
        .with_replica_directory_id(id(3))
        .with_high_watermark(17)
        .with_unknown_tagged_fields(tags());
    let request = FetchRequest::default()
        .with_cluster_id(Some(s("c")))
        .with_replica_state(ReplicaState::default().with_replica_id(BrokerId(1)))
        .with_topics(vec![FetchTopic::default()
            .with_topic_id(id(0))
            .with_partitions(vec![partition])])
        .with_forgotten_topics_data(vec![ForgottenTopic::default()
            .with_topic_id(id(4))
            .with_partitions(vec![1, 2, 3])])
        .with_rack_id(s("rack-a"))
        .with_unknown_tagged_fields(tags());
    accepts(&fetch::REQUEST, &request, fetch::VERSION, &[0, 0, 1, 1]);
    use fetch_response::{
        AbortedTransaction, EpochEndOffset, FetchableTopicResponse, LeaderIdAndEpoch, NodeEndpoint,
        PartitionData, SnapshotId,
    };
    let partition = PartitionData::default()
        .with_aborted_transactions(Some(vec![
            AbortedTransaction::default().with_first_offset(3)
        ]))
        .with_diverging_epoch(EpochEndOffset::default().with_epoch(2).with_end_offset(9))
        .with_current_leader(LeaderIdAndEpoch::default().with_leader_id(BrokerId(1)))
        .with_snapshot_id(SnapshotId::default().with_end_offset(4).with_epoch(1))
        .with_records(Some(bytes::Bytes::from_static(b"records")))
        .with_unknown_tagged_fields(tags());
    let response = FetchResponse::default()
        .with_responses(vec![FetchableTopicResponse::default()
            .with_topic_id(id(0))
            .with_partitions(vec![partition])])
        .with_node_endpoints(vec![NodeEndpoint::default()
            .with_host(s("h"))
            .with_rack(Some(s("r")))]);
    accepts(&fetch::RESPONSE, &response, fetch::VERSION, &[0, 0, 1, 2]);
}

#[test]
fn fetch_snapshot_shapes() {
    use fetch_snapshot_request::{PartitionSnapshot, SnapshotId, TopicSnapshot};
    let request = FetchSnapshotRequest::default()
        .with_cluster_id(Some(s("c")))
        .with_replica_id(BrokerId(3))
        .with_max_bytes(100)
        .with_topics(vec![TopicSnapshot::default()
            .with_name(name())
            .with_partitions(vec![PartitionSnapshot::default()
                .with_snapshot_id(SnapshotId::default().with_end_offset(8))
                .with_position(5)
                .with_replica_directory_id(id(6))])]);
    accepts(
        &fetch_snapshot::REQUEST,
        &request,
        fetch_snapshot::VERSION,
        &[0, 0],
    );
    use fetch_snapshot_response::{
        LeaderIdAndEpoch, NodeEndpoint, PartitionSnapshot as P, SnapshotId as I, TopicSnapshot as T,
    };
    let partition = P::default()
        .with_snapshot_id(I::default().with_epoch(3))
        .with_current_leader(LeaderIdAndEpoch::default().with_leader_id(BrokerId(2)))
        .with_size(10)
        .with_unaligned_records(bytes::Bytes::from_static(b"chunk"))
        .with_unknown_tagged_fields(tags());
    let response = FetchSnapshotResponse::default()
        .with_topics(vec![T::default()
            .with_name(name())
            .with_partitions(vec![partition])])
        .with_node_endpoints(vec![NodeEndpoint::default().with_port(5)]);
    accepts(
        &fetch_snapshot::RESPONSE,
        &response,
        fetch_snapshot::VERSION,
        &[0, 0],
    );
}

#[test]
fn describe_quorum_request_shape() {
    use describe_quorum_request::{PartitionData, TopicData};
    let request = DescribeQuorumRequest::default().with_topics(vec![TopicData::default()
        .with_topic_name(name())
        .with_partitions(vec![
            PartitionData::default().with_unknown_tagged_fields(tags())
        ])]);
    accepts(
        &describe_quorum::REQUEST,
        &request,
        describe_quorum::VERSION,
        &[],
    );
}
