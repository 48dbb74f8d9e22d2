//! What the codec refuses, each by name: other versions, other clusters, misrouted requests,
//! impossible numbers and lists, bad records; and responses that answer nothing decode as
//! `Acknowledged` or `Refused`, never as a message.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    fetch_request, fetch_response, fetch_snapshot_response, vote_request, ApiKey, BrokerId,
    FetchResponse as KafkaFetchResponse, TopicName, VoteRequest as KafkaVoteRequest,
};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::*;
use crate::protocol::quorum::{
    api_key, decode_request, decode_response, encode_request, encode_response, error_response,
    quorum_api_version, LocalNode, ResponseOutcome, CLUSTER_METADATA_TOPIC_ID, QUORUM_API_VERSIONS,
};
use crate::storage::raft_store::EntryCorruption;
use crate::storage::BatchError;

#[test]
fn other_versions_are_refused_by_name() {
    for message in requests() {
        let encoded = encode_request(&message, &node(1), 2).unwrap();
        let key = encoded.api_key;
        for wrong in [encoded.api_version - 1, encoded.api_version + 1, 0, -1] {
            let error = refused(decode_request(key, wrong, encoded.body.clone(), &node(2)));
            assert_eq!(
                error,
                QuorumWireError::UnsupportedVersion {
                    api_key: key,
                    api_version: wrong,
                    supported: encoded.api_version
                }
            );
            assert_eq!(error.error_code(), ResponseError::UnsupportedVersion.code());
            refused(decode_response(&message, wrong, encoded.body.clone()));
            refused(error_response(key, wrong, 0));
        }
    }
    for (request, response) in responses() {
        let key = api_key(&request);
        let version = quorum_api_version(key).unwrap();
        refused(encode_response(&response, key, version + 1));
    }
    let error = refused(decode_request(ApiKey::Produce, 9, Bytes::new(), &node(2)));
    assert_eq!(
        error,
        QuorumWireError::UnsupportedApi {
            api_key: ApiKey::Produce
        }
    );
}

#[test]
fn requests_from_another_cluster_are_refused() {
    let other = LocalNode {
        cluster_id: "another-cluster",
        node_id: 1,
    };
    for message in requests() {
        let encoded = encode_request(&message, &other, 2).unwrap();
        let error = refused(decode_request(
            encoded.api_key,
            encoded.api_version,
            encoded.body,
            &node(2),
        ));
        assert_eq!(
            error,
            QuorumWireError::ClusterIdMismatch {
                received: Some("another-cluster".to_owned())
            }
        );
        assert_eq!(
            error.error_code(),
            ResponseError::InconsistentClusterId.code()
        );
    }
    // No cluster id at all is no better.
    let body = KafkaVoteRequest::default().with_voter_id(BrokerId(2));
    let error = refused(decode_request(ApiKey::Vote, 2, forge(&body, 2), &node(2)));
    assert_eq!(error, QuorumWireError::ClusterIdMismatch { received: None });
}

#[test]
fn misrouted_and_self_addressed_requests_are_refused() {
    for message in requests() {
        let encoded = encode_request(&message, &node(1), 2).unwrap();
        let (key, version) = (encoded.api_key, encoded.api_version);
        // Node 3 gets a request meant for node 2: only Vote and BeginQuorumEpoch say so.
        let at_three = decode_request(key, version, encoded.body.clone(), &node(3));
        if matches!(key, ApiKey::Vote | ApiKey::BeginQuorumEpoch) {
            let error = refused(at_three);
            assert_eq!(
                error,
                QuorumWireError::WrongDestination {
                    voter_id: 2,
                    node_id: 3
                }
            );
            assert_eq!(error.error_code(), ResponseError::InvalidVoterKey.code());
        } else {
            assert_eq!(at_three.unwrap().0, 1);
        }
        // Node 1 gets its own request back: two nodes share a node.id, or a loop.
        let own = encode_request(&message, &node(1), 1).unwrap();
        let error = refused(decode_request(key, version, own.body, &node(1)));
        assert_eq!(error, QuorumWireError::SenderIsReceiver { node_id: 1 });
    }
}

#[test]
fn error_responses_decode_as_no_answer() {
    for message in requests() {
        let key = api_key(&message);
        let version = quorum_api_version(key).unwrap();
        for code in [
            ResponseError::InconsistentClusterId,
            ResponseError::InvalidRequest,
        ] {
            let body = error_response(key, version, code.code()).unwrap();
            assert_eq!(
                decode_response(&message, version, body),
                Ok(ResponseOutcome::Refused {
                    error_code: code.code()
                }),
                "{message:?}"
            );
        }
        let ok = error_response(key, version, 0).unwrap();
        let decoded = decode_response(&message, version, ok);
        if matches!(key, ApiKey::BeginQuorumEpoch | ApiKey::EndQuorumEpoch) {
            assert_eq!(decoded, Ok(ResponseOutcome::Acknowledged));
        } else {
            // "No error" and no partition: not a bogus message, a refusal by name.
            assert_eq!(decoded, Err(QuorumWireError::TopicCount { count: 0 }));
        }
    }
    for (key, version) in QUORUM_API_VERSIONS {
        assert!(error_response(key, version, 42).is_ok(), "{key:?}");
    }
    let error = refused(error_response(ApiKey::Produce, 9, 42));
    assert_eq!(
        error,
        QuorumWireError::UnsupportedApi {
            api_key: ApiKey::Produce
        }
    );
}

fn forged_fetch_response(partition: fetch_response::PartitionData) -> Bytes {
    let topic = fetch_response::FetchableTopicResponse::default()
        .with_topic_id(CLUSTER_METADATA_TOPIC_ID)
        .with_partitions(vec![partition]);
    forge(
        &KafkaFetchResponse::default().with_responses(vec![topic]),
        18,
    )
}

fn leader_partition() -> fetch_response::PartitionData {
    let leader = fetch_response::LeaderIdAndEpoch::default()
        .with_leader_id(BrokerId(1))
        .with_leader_epoch(5);
    fetch_response::PartitionData::default().with_current_leader(leader)
}

#[test]
fn partition_errors_the_core_does_not_model_are_refusals() {
    let request = fetch_request(5, 100, 4);
    let code = ResponseError::UnknownTopicOrPartition.code();
    let body = forged_fetch_response(leader_partition().with_error_code(code));
    assert_eq!(
        decode_response(&request, 18, body),
        Ok(ResponseOutcome::Refused { error_code: code })
    );
    let snapshot_request = requests().pop().unwrap();
    let partition = fetch_snapshot_response::PartitionSnapshot::default()
        .with_error_code(ResponseError::CorruptMessage.code());
    let topic = fetch_snapshot_response::TopicSnapshot::default()
        .with_name(TopicName(StrBytes::from_static_str("__cluster_metadata")))
        .with_partitions(vec![partition]);
    let body = kafka_protocol::messages::FetchSnapshotResponse::default().with_topics(vec![topic]);
    assert_eq!(
        decode_response(&snapshot_request, 1, forge(&body, 1)),
        Ok(ResponseOutcome::Refused {
            error_code: ResponseError::CorruptMessage.code()
        })
    );
}

fn vote_request_with(partition: vote_request::PartitionData) -> Bytes {
    let topic = vote_request::TopicData::default()
        .with_topic_name(TopicName(StrBytes::from_static_str("__cluster_metadata")))
        .with_partitions(vec![partition]);
    let body = KafkaVoteRequest::default()
        .with_cluster_id(Some(StrBytes::from_static_str(CLUSTER)))
        .with_voter_id(BrokerId(2))
        .with_topics(vec![topic]);
    forge(&body, 2)
}

fn good_vote_partition() -> vote_request::PartitionData {
    vote_request::PartitionData::default()
        .with_replica_id(BrokerId(1))
        .with_replica_epoch(3)
}

#[test]
fn impossible_numbers_are_refused_by_field() {
    let cases: [(vote_request::PartitionData, &str, i64); 5] = [
        (
            good_vote_partition().with_replica_id(BrokerId(-1)),
            "replica_id",
            -1,
        ),
        (
            good_vote_partition().with_replica_epoch(-2),
            "replica_epoch",
            -2,
        ),
        (
            good_vote_partition().with_replica_epoch(i32::MAX),
            "replica_epoch",
            i32::MAX.into(),
        ),
        (
            good_vote_partition().with_last_offset(-5),
            "last_offset",
            -5,
        ),
        (
            good_vote_partition().with_last_offset_epoch(-1),
            "last_offset_epoch",
            -1,
        ),
    ];
    for (partition, field, value) in cases {
        let error = refused(decode_request(
            ApiKey::Vote,
            2,
            vote_request_with(partition),
            &node(2),
        ));
        assert_eq!(error, QuorumWireError::OutOfRange { field, value });
    }
    // A fetch from offset -1 and a fetch response with a negative high watermark.
    let partition = fetch_request::FetchPartition::default()
        .with_fetch_offset(-1)
        .with_current_leader_epoch(1);
    let body = kafka_protocol::messages::FetchRequest::default()
        .with_cluster_id(Some(StrBytes::from_static_str(CLUSTER)))
        .with_replica_state(fetch_request::ReplicaState::default().with_replica_id(BrokerId(1)))
        .with_topics(vec![fetch_request::FetchTopic::default()
            .with_topic_id(CLUSTER_METADATA_TOPIC_ID)
            .with_partitions(vec![partition])]);
    let error = refused(decode_request(
        ApiKey::Fetch,
        18,
        forge(&body, 18),
        &node(2),
    ));
    let (field, value) = ("fetch_offset", -1);
    assert_eq!(error, QuorumWireError::OutOfRange { field, value });
    let body = forged_fetch_response(leader_partition().with_high_watermark(-3));
    let error = refused(decode_response(&fetch_request(5, 0, 0), 18, body));
    let (field, value) = ("high_watermark", -3);
    assert_eq!(error, QuorumWireError::OutOfRange { field, value });
    let leader = fetch_response::LeaderIdAndEpoch::default()
        .with_leader_id(BrokerId(-7))
        .with_leader_epoch(5);
    let body = forged_fetch_response(leader_partition().with_current_leader(leader));
    let error = refused(decode_response(&fetch_request(5, 0, 0), 18, body));
    let (field, value) = ("current_leader.leader_id", -7);
    assert_eq!(error, QuorumWireError::OutOfRange { field, value });
}

#[test]
fn other_topics_partitions_and_counts_are_refused() {
    let two = vote_request::TopicData::default()
        .with_topic_name(TopicName(StrBytes::from_static_str("__cluster_metadata")))
        .with_partitions(vec![good_vote_partition(), good_vote_partition()]);
    let body = KafkaVoteRequest::default()
        .with_cluster_id(Some(StrBytes::from_static_str(CLUSTER)))
        .with_voter_id(BrokerId(2))
        .with_topics(vec![two]);
    let error = refused(decode_request(ApiKey::Vote, 2, forge(&body, 2), &node(2)));
    assert_eq!(error, QuorumWireError::PartitionCount { count: 2 });
    let error = refused(decode_request(
        ApiKey::Vote,
        2,
        vote_request_with(good_vote_partition().with_partition_index(1)),
        &node(2),
    ));
    assert_eq!(error, QuorumWireError::UnknownPartition { partition: 1 });
    assert_eq!(
        error.error_code(),
        ResponseError::UnknownTopicOrPartition.code()
    );
    let elsewhere = fetch_response::FetchableTopicResponse::default()
        .with_topic_id(uuid::Uuid::from_u64_pair(7, 7))
        .with_partitions(vec![leader_partition()]);
    let body = forge(
        &KafkaFetchResponse::default().with_responses(vec![elsewhere]),
        18,
    );
    let error = refused(decode_response(&fetch_request(5, 0, 0), 18, body));
    assert!(matches!(error, QuorumWireError::UnknownTopicId { .. }));
    // Sixteen preferred successors: more than a quorum has voters.
    let message = Message::EndQuorumEpoch(EndQuorumEpoch {
        leader_epoch: 2,
        preferred_successors: (10..26).collect(),
    });
    let encoded = encode_request(&message, &node(1), 2).unwrap();
    let error = refused(decode_request(
        ApiKey::EndQuorumEpoch,
        1,
        encoded.body,
        &node(2),
    ));
    assert!(matches!(
        error,
        QuorumWireError::TooManyElements { count: 16, .. }
    ));
}

fn records_response(records: Vec<u8>) -> Bytes {
    forged_fetch_response(
        leader_partition()
            .with_high_watermark(0)
            .with_records(Some(Bytes::from(records))),
    )
}

fn encoded_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        crate::storage::raft_store::entry_batch::encode(entry, &mut out).unwrap();
    }
    out
}

#[test]
fn bad_records_are_refused() {
    let request = fetch_request(5, 10, 4);
    let data = |offset| entry(5, offset, EntryKind::Data, b"x");
    // A gap, and a first entry that is not the one asked for.
    let error = refused(decode_response(
        &request,
        18,
        records_response(encoded_entries(&[data(10), data(12)])),
    ));
    assert_eq!(
        error,
        QuorumWireError::RecordsNotContiguous {
            expected_offset: 11,
            offset: 12
        }
    );
    let error = refused(decode_response(
        &request,
        18,
        records_response(encoded_entries(&[data(9)])),
    ));
    assert!(matches!(
        error,
        QuorumWireError::RecordsNotContiguous { .. }
    ));
    // A torn last batch and a flipped bit.
    let mut torn = encoded_entries(&[data(10), data(11)]);
    torn.pop();
    let error = refused(decode_response(&request, 18, records_response(torn)));
    assert!(matches!(
        error,
        QuorumWireError::Records {
            index: 1,
            error: EntryCorruption::Batch(BatchError::Incomplete { .. })
        }
    ));
    let mut flipped = encoded_entries(&[data(10)]);
    *flipped.last_mut().unwrap() ^= 0x10;
    let error = refused(decode_response(&request, 18, records_response(flipped)));
    assert!(matches!(
        error,
        QuorumWireError::Records {
            index: 0,
            error: EntryCorruption::Batch(BatchError::CrcMismatch { .. })
        }
    ));
    assert_eq!(error.error_code(), ResponseError::CorruptMessage.code());
    // Records beside a diverging epoch: which one did the leader mean?
    let diverging = fetch_response::EpochEndOffset::default()
        .with_epoch(3)
        .with_end_offset(5);
    let body = forged_fetch_response(
        leader_partition()
            .with_diverging_epoch(diverging)
            .with_records(Some(Bytes::from(encoded_entries(&[data(10)])))),
    );
    let error = refused(decode_response(&request, 18, body));
    assert_eq!(error, QuorumWireError::ConflictingFetchResult);
}

#[test]
fn too_many_entries_are_refused() {
    use crate::core::raft::config::FETCH_ENTRIES_MAX;
    let entries: Vec<Entry> = (0..=FETCH_ENTRIES_MAX as i64)
        .map(|offset| entry(1, offset, EntryKind::Data, b""))
        .collect();
    let body = records_response(encoded_entries(&entries));
    let error = refused(decode_response(&fetch_request(1, 0, 0), 18, body));
    assert!(matches!(error, QuorumWireError::TooManyElements { .. }));
    let body = records_response(encoded_entries(&entries[..FETCH_ENTRIES_MAX]));
    assert!(decode_response(&fetch_request(1, 0, 0), 18, body).is_ok());
}

#[test]
fn a_snapshot_chunk_without_its_crc_is_refused() {
    let request = requests().pop().unwrap();
    let chunk = snapshot_response(FetchSnapshotResult::Chunk {
        size: 10,
        snapshot_crc32c: 7,
        bytes: Bytes::from_static(b"0123456789"),
    });
    let body = encode_response(&chunk, ApiKey::FetchSnapshot, 1).unwrap();
    let mut decoded =
        kafka_protocol::messages::FetchSnapshotResponse::decode(&mut body.clone(), 1).unwrap();
    let fields = &mut decoded.topics[0].partitions[0].unknown_tagged_fields;
    fields.clear();
    let error = refused(decode_response(&request, 1, forge(&decoded, 1)));
    assert_eq!(error, QuorumWireError::SnapshotCrc { len: None });
    let fields = &mut decoded.topics[0].partitions[0].unknown_tagged_fields;
    fields.insert(
        super::super::SNAPSHOT_CRC32C_TAG,
        Bytes::from_static(&[1, 2]),
    );
    let error = refused(decode_response(&request, 1, forge(&decoded, 1)));
    assert_eq!(error, QuorumWireError::SnapshotCrc { len: Some(2) });
}

#[test]
fn messages_in_the_wrong_direction_are_refused() {
    for (request, response) in responses() {
        let key = api_key(&request);
        let version = quorum_api_version(key).unwrap();
        let error = refused(encode_request(&response, &node(1), 2));
        assert_eq!(error, QuorumWireError::WrongDirection { api_key: key });
        refused(encode_response(&request, key, version));
        let other = if key == ApiKey::Vote {
            ApiKey::Fetch
        } else {
            ApiKey::Vote
        };
        let error = refused(encode_response(&response, other, version));
        assert!(matches!(error, QuorumWireError::ResponseMismatch { .. }));
        refused(decode_response(&response, version, Bytes::new()));
    }
}
