//! Every served API at every advertised version, through the real dispatch path on an
//! in-memory broker: each request must be answered (not closed) and its response must decode at
//! that version. Catches handlers that set a field the negotiated version does not have.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::Compression;

use super::{dispatch, Outcome, RequestContext, SUPPORTED_APIS};
use crate::client::records::{encode_batch, ProducerRecord};
use crate::config::{BrokerConfig, Listener};
use crate::node::Node;
use crate::server::Broker;
use crate::storage::MemDisk;

/// A node on an in-memory disk with topic `t` (2 partitions); its broker serves the tests.
async fn node() -> Node {
    let overrides = ["log.dirs=/data", "listeners=PLAINTEXT://127.0.0.1:0"];
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let config = BrokerConfig::load(None, &overrides).unwrap();
    let node = Node::start(config, Arc::new(MemDisk::new())).await.unwrap();
    let request = crate::core::controller::CreateTopicRequest {
        name: "t".into(),
        num_partitions: 2,
        replication_factor: 1,
        assignments: Default::default(),
        configs: Default::default(),
    };
    node.broker.create_topic(request, false).await.unwrap();
    node
}

fn batch() -> Bytes {
    let record =
        ProducerRecord::new("t", Bytes::from_static(b"v")).with_key(Bytes::from_static(b"k"));
    encode_batch(&[record], &[1_700_000_000_000], Compression::None).unwrap()
}

fn name(text: &str) -> TopicName {
    TopicName(StrBytes::from_string(text.to_string()))
}

/// A meaningful request body for `key` at `version`.
fn request(key: ApiKey, version: i16) -> Bytes {
    let mut buf = BytesMut::new();
    let fresh = format!("created-v{version}");
    let result = match key {
        ApiKey::Produce => {
            let result = ProduceRequest::default()
                .with_acks(1)
                .with_timeout_ms(1000)
                .with_topic_data(vec![TopicProduceData::default()
                    .with_name(name("t"))
                    .with_partition_data(vec![PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(batch()))])])
                .encode(&mut buf, version.max(3));
            if version < 3 {
                // v0-v2 are v3 without the leading (null) transactional id.
                let _ = buf.split_to(2);
            }
            result
        }
        ApiKey::Fetch => FetchRequest::default()
            .with_max_bytes(1 << 20)
            .with_topics(vec![FetchTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(0)
                    .with_partition_max_bytes(1 << 20)])])
            .encode(&mut buf, version),
        ApiKey::ListOffsets => ListOffsetsRequest::default()
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![
                    ListOffsetsPartition::default().with_timestamp(-2)
                ])])
            .encode(&mut buf, version),
        ApiKey::Metadata => MetadataRequest::default()
            .with_topics(None)
            .encode(&mut buf, version),
        ApiKey::ApiVersions => ApiVersionsRequest::default().encode(&mut buf, version),
        ApiKey::CreateTopics => CreateTopicsRequest::default()
            .with_topics(vec![CreatableTopic::default()
                .with_name(name(&fresh))
                .with_num_partitions(1)
                .with_replication_factor(1)])
            .encode(&mut buf, version),
        ApiKey::DeleteTopics if version >= 6 => DeleteTopicsRequest::default()
            .with_topics(vec![
                delete_topics_request::DeleteTopicState::default().with_name(Some(name("missing")))
            ])
            .encode(&mut buf, version),
        ApiKey::DeleteTopics => DeleteTopicsRequest::default()
            .with_topic_names(vec![name("missing")])
            .encode(&mut buf, version),
        ApiKey::DescribeConfigs => DescribeConfigsRequest::default()
            .with_resources(vec![DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("t"))])
            .encode(&mut buf, version),
        ApiKey::CreatePartitions => CreatePartitionsRequest::default()
            .with_topics(vec![
                create_partitions_request::CreatePartitionsTopic::default()
                    .with_name(name("t"))
                    .with_count(1),
            ])
            .encode(&mut buf, version),
        ApiKey::ElectLeaders => ElectLeadersRequest::default()
            .with_topic_partitions(Some(vec![elect_leaders_request::TopicPartitions::default(
            )
            .with_topic(name("t"))
            .with_partitions(vec![0])]))
            .encode(&mut buf, version),
        ApiKey::AlterPartitionReassignments => AlterPartitionReassignmentsRequest::default()
            .with_topics(vec![
                alter_partition_reassignments_request::ReassignableTopic::default()
                    .with_name(name("t"))
                    .with_partitions(vec![
                        alter_partition_reassignments_request::ReassignablePartition::default()
                            .with_partition_index(0)
                            .with_replicas(Some(vec![BrokerId(1)])),
                    ]),
            ])
            .encode(&mut buf, version),
        ApiKey::ListPartitionReassignments => ListPartitionReassignmentsRequest::default()
            .with_topics(None)
            .encode(&mut buf, version),
        ApiKey::IncrementalAlterConfigs => {
            IncrementalAlterConfigsRequest::default().encode(&mut buf, version)
        }
        ApiKey::DescribeCluster => DescribeClusterRequest::default().encode(&mut buf, version),
        ApiKey::DescribeLogDirs => DescribeLogDirsRequest::default()
            .with_topics(None)
            .encode(&mut buf, version),
        ApiKey::DescribeQuorum => DescribeQuorumRequest::default()
            .with_topics(vec![describe_quorum_request::TopicData::default()
                .with_topic_name(name("__cluster_metadata"))
                .with_partitions(vec![
                    describe_quorum_request::PartitionData::default().with_partition_index(0),
                ])])
            .encode(&mut buf, version),
        ApiKey::DescribeTopicPartitions => DescribeTopicPartitionsRequest::default()
            .with_topics(vec![
                describe_topic_partitions_request::TopicRequest::default().with_name(name("t")),
            ])
            .with_response_partition_limit(2000)
            .encode(&mut buf, version),
        ApiKey::OffsetForLeaderEpoch => OffsetForLeaderEpochRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![
                offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
                    .with_topic(name("t"))
                    .with_partitions(vec![
                        offset_for_leader_epoch_request::OffsetForLeaderPartition::default()
                            .with_partition(0)
                            .with_current_leader_epoch(-1)
                            .with_leader_epoch(0),
                    ]),
            ])
            .encode(&mut buf, version),
        other => panic!("add a request for {other:?} to this test"),
    };
    result.unwrap();
    buf.freeze()
}

fn context(broker: &Arc<Broker>, key: ApiKey, version: i16) -> RequestContext {
    let mut header = RequestHeader::default();
    header.request_api_key = key as i16;
    header.request_api_version = version;
    RequestContext {
        broker: broker.clone(),
        header,
        advertised: Arc::new(Listener::parse("PLAINTEXT://127.0.0.1:9092").unwrap()),
        forwarded: false,
    }
}

#[test]
fn metadata_v0_empty_list_means_every_topic_and_v1_means_none() {
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let request = MetadataRequest::default().with_topics(Some(Vec::new()));
        let v0_ctx = context(&broker, ApiKey::Metadata, 0);
        let v0 = super::metadata::handle(&v0_ctx, request.clone()).await;
        assert_eq!(v0.topics.len(), 1);
        let v1_ctx = context(&broker, ApiKey::Metadata, 1);
        let v1 = super::metadata::handle(&v1_ctx, request).await;
        assert!(v1.topics.is_empty());
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn every_api_answers_at_every_advertised_version() {
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        for api in SUPPORTED_APIS {
            for version in api.min_version..=api.max_version {
                let mut ctx = context(&broker, api.key, version);
                ctx.header.correlation_id = 5;
                let outcome = dispatch(ctx, api.key, request(api.key, version))
                    .await
                    .settled()
                    .await;
                let Outcome::Reply(frame) = outcome else {
                    panic!("{:?} v{version} was not answered", api.key);
                };
                let header_version = api.key.response_header_version(version);
                let mut body = frame.to_bytes().slice(4..);
                let header = ResponseHeader::decode(&mut body, header_version).unwrap();
                assert_eq!(header.correlation_id, 5);
                if api.key == ApiKey::Produce && version < 2 {
                    // kafka-protocol has no v0/v1 decoder: one topic "t", one partition 0,
                    // error 0, base offset, then (v1) the throttle time.
                    let throttle = if version == 1 { 4 } else { 0 };
                    assert_eq!(body.len(), 4 + 3 + 4 + 4 + 2 + 8 + throttle);
                    assert_eq!(
                        &body[..17],
                        &[0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
                    );
                    continue;
                }
                // A v2 Produce response is a v3 one (protocol/legacy_produce.rs).
                let version = if api.key == ApiKey::Produce {
                    version.max(3)
                } else {
                    version
                };
                assert!(
                    ResponseKind::decode(api.key, &mut body, version).is_ok(),
                    "{:?} v{version} response does not decode",
                    api.key
                );
            }
        }
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn elect_leaders_answers_each_partition() {
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let ctx = context(&broker, ApiKey::ElectLeaders, 2);
        let asked = |partitions: Vec<i32>| {
            ElectLeadersRequest::default().with_topic_partitions(Some(vec![
                elect_leaders_request::TopicPartitions::default()
                    .with_topic(name("t"))
                    .with_partitions(partitions),
            ]))
        };
        // The only replica already leads partition 0; there is no partition 9.
        let response = super::elect_leaders::handle(&ctx, asked(vec![0, 9])).await;
        let codes: Vec<(i32, i16)> = response.replica_election_results[0]
            .partition_result
            .iter()
            .map(|r| (r.partition_id, r.error_code))
            .collect();
        assert_eq!(codes, vec![(0, 84), (9, 3)]);
        // Unclean: the leader is alive, so nothing to do either.
        let unclean = asked(vec![1]).with_election_type(1);
        let response = super::elect_leaders::handle(&ctx, unclean).await;
        assert_eq!(
            response.replica_election_results[0].partition_result[0].error_code,
            84
        );
        // Every partition: those that needed nothing are left out.
        let every = ElectLeadersRequest::default().with_topic_partitions(None);
        let response = super::elect_leaders::handle(&ctx, every).await;
        assert!(response.replica_election_results.is_empty());
        // An election type Kafka does not have.
        let bad = asked(vec![0]).with_election_type(7);
        let response = super::elect_leaders::handle(&ctx, bad).await;
        assert_eq!(response.error_code, 42);
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn reassignments_are_checked_per_partition_and_listed() {
    use alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let ctx = context(&broker, ApiKey::AlterPartitionReassignments, 1);
        let alter = |allow: bool, targets: Vec<(i32, Option<Vec<i32>>)>| {
            let partitions = (targets.into_iter())
                .map(|(index, target)| {
                    ReassignablePartition::default()
                        .with_partition_index(index)
                        .with_replicas(target.map(|t| t.into_iter().map(BrokerId).collect()))
                })
                .collect();
            AlterPartitionReassignmentsRequest::default()
                .with_allow_replication_factor_change(allow)
                .with_topics(vec![ReassignableTopic::default()
                    .with_name(name("t"))
                    .with_partitions(partitions)])
        };
        let codes = |response: AlterPartitionReassignmentsResponse| -> Vec<(i32, i16)> {
            (response.responses[0].partitions.iter())
                .map(|p| (p.partition_index, p.error_code))
                .collect()
        };
        // Onto the replica it already has: nothing to do, fine. Onto a broker that does not
        // exist: INVALID_REPLICA_ASSIGNMENT. A partition that does not exist: UNKNOWN. A
        // cancellation with nothing in progress: NO_REASSIGNMENT_IN_PROGRESS.
        let request = alter(
            true,
            vec![
                (0, Some(vec![1])),
                (1, Some(vec![7])),
                (9, Some(vec![1])),
                (0, None),
            ],
        );
        let response = super::alter_partition_reassignments::handle(&ctx, request).await;
        assert_eq!(codes(response), vec![(0, 0), (1, 39), (9, 3), (0, 85)]);
        // Two replicas where there is one, when the request forbids changing the count.
        let request = alter(false, vec![(0, Some(vec![1, 2]))]);
        let response = super::alter_partition_reassignments::handle(&ctx, request).await;
        assert_eq!(codes(response), vec![(0, 38)]);
        let list_ctx = context(&broker, ApiKey::ListPartitionReassignments, 0);
        let list = ListPartitionReassignmentsRequest::default().with_topics(None);
        let listed = super::list_partition_reassignments::handle(&list_ctx, list).await;
        assert!(listed.topics.is_empty(), "{listed:?}");
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn metadata_by_topic_id_ignores_an_empty_name_beside_it() {
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let id = *broker.image().topic_ids.get("t").unwrap();
        // The Java AdminClient's describeTopics(TopicCollection.ofTopicIds(..)) sends "" too.
        let request = MetadataRequest::default().with_topics(Some(vec![
            metadata_request::MetadataRequestTopic::default()
                .with_name(Some(name("")))
                .with_topic_id(uuid::Uuid::from_u128(id)),
        ]));
        let ctx = context(&broker, ApiKey::Metadata, 12);
        let response = super::metadata::handle(&ctx, request).await;
        let topic = &response.topics[0];
        assert_eq!((topic.error_code, topic.partitions.len()), (0, 2));
        assert_eq!(topic.name.as_ref().map(|n| n.0.as_str()), Some("t"));
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn describe_topic_partitions_pages_with_a_cursor() {
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let ctx = context(&broker, ApiKey::DescribeTopicPartitions, 0);
        let topic =
            |n: &str| describe_topic_partitions_request::TopicRequest::default().with_name(name(n));
        let page = |limit: i32, cursor: Option<(&str, i32)>| {
            DescribeTopicPartitionsRequest::default()
                .with_topics(vec![topic("t"), topic("missing")])
                .with_response_partition_limit(limit)
                .with_cursor(cursor.map(|(t, p)| {
                    describe_topic_partitions_request::Cursor::default()
                        .with_topic_name(name(t))
                        .with_partition_index(p)
                }))
        };
        let summary = |response: &DescribeTopicPartitionsResponse| {
            let topics: Vec<(String, i16, Vec<i32>)> = response
                .topics
                .iter()
                .map(|t| {
                    let name = t.name.as_ref().map_or(String::new(), |n| n.0.to_string());
                    let parts = t.partitions.iter().map(|p| p.partition_index).collect();
                    (name, t.error_code, parts)
                })
                .collect();
            let next = (response.next_cursor.as_ref())
                .map(|c| (c.topic_name.0.to_string(), c.partition_index));
            (topics, next)
        };
        // Sorted by name: "missing" (unknown) before "t"; one partition per page.
        let first = super::describe_topic_partitions::handle(&ctx, page(1, None)).await;
        assert_eq!(
            summary(&first),
            (
                vec![("missing".into(), 3, vec![]), ("t".into(), 0, vec![0])],
                Some(("t".into(), 1))
            )
        );
        let second = super::describe_topic_partitions::handle(&ctx, page(1, Some(("t", 1)))).await;
        assert_eq!(summary(&second), (vec![("t".into(), 0, vec![1])], None));
        let partition = &second.topics[0].partitions[0];
        assert_eq!(partition.eligible_leader_replicas, Some(Vec::new()));
        // A cursor outside the topics asked for, or at a negative partition, is Kafka's
        // INVALID_REQUEST for every topic asked for.
        for cursor in [("x", 0), ("t", -1)] {
            let bad = super::describe_topic_partitions::handle(&ctx, page(5, Some(cursor))).await;
            let codes: Vec<i16> = bad.topics.iter().map(|t| t.error_code).collect();
            assert_eq!(codes, vec![42, 42], "{cursor:?}");
        }
        // No topics: every topic, unknown ones never listed.
        let all = DescribeTopicPartitionsRequest::default().with_response_partition_limit(10);
        let all = super::describe_topic_partitions::handle(&ctx, all).await;
        assert_eq!(summary(&all), (vec![("t".into(), 0, vec![0, 1])], None));
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn describe_log_dirs_lists_each_dir_and_the_partitions_asked_for() {
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let ctx = context(&broker, ApiKey::DescribeLogDirs, 4);
        let every = DescribeLogDirsRequest::default().with_topics(None);
        let response = super::describe_log_dirs::handle(&ctx, every).await;
        let dirs: Vec<(String, String, Vec<i32>, i64)> = (response.results.iter())
            .flat_map(|dir| {
                dir.topics.iter().map(move |topic| {
                    let parts = topic.partitions.iter().map(|p| p.partition_index).collect();
                    (
                        dir.log_dir.to_string(),
                        topic.name.0.to_string(),
                        parts,
                        dir.total_bytes,
                    )
                })
            })
            .collect();
        assert_eq!(dirs, vec![("/data".into(), "t".into(), vec![0, 1], -1)]);
        let one = DescribeLogDirsRequest::default().with_topics(Some(vec![
            describe_log_dirs_request::DescribableLogDirTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![1, 7]),
        ]));
        let response = super::describe_log_dirs::handle(&ctx, one).await;
        let topic = &response.results[0].topics[0];
        assert_eq!(topic.partitions.len(), 1);
        assert_eq!(topic.partitions[0].partition_index, 1);
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn zstd_batches_are_refused_to_fetch_below_v10() {
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let record = ProducerRecord::new("t", Bytes::from_static(b"v"));
        let zstd = encode_batch(&[record], &[1_700_000_000_000], Compression::Zstd).unwrap();
        let produce = ProduceRequest::default().with_acks(1).with_topic_data(vec![
            TopicProduceData::default()
                .with_name(name("t"))
                .with_partition_data(vec![PartitionProduceData::default()
                    .with_index(0)
                    .with_records(Some(zstd))]),
        ]);
        let ctx = context(&broker, ApiKey::Produce, 9);
        super::produce::handle(&ctx, produce).await.unwrap();
        let fetch = FetchRequest::default()
            .with_max_bytes(1 << 20)
            .with_topics(vec![FetchTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(0)
                    .with_partition_max_bytes(1 << 20)])]);
        let answer = |version| {
            let ctx = context(&broker, ApiKey::Fetch, version);
            let fetch = fetch.clone();
            async move {
                let response = super::fetch::handle(&ctx, fetch).await;
                let partition = &response.responses[0].partitions[0];
                (
                    partition.error_code,
                    partition.records.as_ref().map_or(0, |r| r.len()),
                )
            }
        };
        assert_eq!(answer(9).await, (76, 0));
        let (code, bytes) = answer(10).await;
        assert_eq!(code, 0);
        assert!(bytes > 0);
        node.stop().unwrap();
    })
    .unwrap();
}

#[test]
fn deleting_a_kafka_key_weir_lacks_is_a_no_op_but_not_a_static_key() {
    use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    crate::runtime::block_on(async {
        let node = node().await;
        let broker = node.broker.clone();
        let ctx = context(&broker, ApiKey::IncrementalAlterConfigs, 1);
        let delete = |key: &str| {
            IncrementalAlterConfigsRequest::default().with_resources(vec![
                AlterConfigsResource::default()
                    .with_resource_type(4)
                    .with_resource_name(StrBytes::from_static_str("1"))
                    .with_configs(vec![AlterableConfig::default()
                        .with_name(StrBytes::from_string(key.to_string()))
                        .with_config_operation(1)]),
            ])
        };
        let code = |response: IncrementalAlterConfigsResponse| response.responses[0].error_code;
        // kafka-reassign-partitions clears throttles Weir never had.
        let throttle = delete("leader.replication.throttled.rate");
        let response = super::incremental_alter_configs::handle(&ctx, throttle).await;
        assert_eq!(code(response), 0);
        // A key Weir has but cannot change at run time is refused, for DELETE as for SET.
        let response = super::incremental_alter_configs::handle(&ctx, delete("log.dirs")).await;
        assert_eq!(code(response), 40);
        let response = super::incremental_alter_configs::handle(&ctx, delete("no.such.key")).await;
        assert_eq!(code(response), 40);
        node.stop().unwrap();
    })
    .unwrap();
}

/// OffsetForLeaderEpoch answers where an epoch ends in the leader's log (the log end for the
/// latest), -1/-1 for an epoch newer than any it knows, and fences a stale or future
/// `current_leader_epoch`.
#[test]
fn offset_for_leader_epoch_answers_from_the_epoch_cache() {
    use crate::server::handlers::offset_for_leader_epoch;
    crate::runtime::block_on(async {
        let node = node().await;
        let ctx = context(&node.broker, ApiKey::OffsetForLeaderEpoch, 4);
        let tp = crate::types::TopicPartition::new("t", 0);
        let (log, epoch) = node.broker.leader_log(&tp).unwrap();
        for _ in 0..3 {
            crate::storage::lock_log(&log)
                .append_as_leader(&batch(), epoch, 0)
                .unwrap();
        }
        let ask = |current: i32, asked: i32| {
            OffsetForLeaderEpochRequest::default().with_topics(vec![
                offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
                    .with_topic(name("t"))
                    .with_partitions(vec![
                        offset_for_leader_epoch_request::OffsetForLeaderPartition::default()
                            .with_partition(0)
                            .with_current_leader_epoch(current)
                            .with_leader_epoch(asked),
                    ]),
            ])
        };
        let answer = |request| async {
            let response = offset_for_leader_epoch::handle(&ctx, request).await;
            let p = &response.topics[0].partitions[0];
            (p.error_code, p.leader_epoch, p.end_offset)
        };
        assert_eq!(answer(ask(epoch, epoch)).await, (0, epoch, 3));
        // An epoch above every known one is undefined, as in Kafka's `endOffsetFor`.
        assert_eq!(answer(ask(-1, epoch + 5)).await, (0, -1, -1));
        if epoch > 0 {
            // Below the first known epoch: the epoch asked, ending where the first starts.
            assert_eq!(answer(ask(-1, epoch - 1)).await, (0, epoch - 1, 0));
        }
        let fenced = kafka_protocol::ResponseError::FencedLeaderEpoch.code();
        let unknown = kafka_protocol::ResponseError::UnknownLeaderEpoch.code();
        if epoch > 0 {
            assert_eq!(answer(ask(epoch - 1, epoch)).await.0, fenced);
        }
        assert_eq!(answer(ask(epoch + 1, epoch)).await.0, unknown);
        node.stop().unwrap();
    })
    .unwrap();
}

/// A fetch naming a replica id from a broker that is not a replica of the partition changes
/// nothing and is refused NOT_LEADER_OR_FOLLOWER, before anything about the log is said (past
/// its end, or where its epochs part from the stranger's), as Kafka's
/// `followerReplicaOrThrow` does. (Diverging epochs and an epoch above all the leader knows
/// are answered to real followers: `core::replication` tests and the simulator.)
#[test]
fn a_replica_fetch_from_a_stranger_is_refused_before_anything_is_read() {
    crate::runtime::block_on(async {
        let node = node().await;
        let tp = crate::types::TopicPartition::new("t", 0);
        let (log, epoch) = node.broker.leader_log(&tp).unwrap();
        crate::storage::lock_log(&log)
            .append_as_leader(&batch(), epoch, 0)
            .unwrap();
        let ctx = context(&node.broker, ApiKey::Fetch, 12);
        let fetch_in = |replica: i32, offset: i64, last_epoch: i32| {
            FetchRequest::default()
                .with_replica_id(BrokerId(replica))
                .with_max_bytes(1 << 20)
                .with_topics(vec![FetchTopic::default()
                    .with_topic(name("t"))
                    .with_partitions(vec![FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(offset)
                        .with_last_fetched_epoch(last_epoch)
                        .with_partition_max_bytes(1 << 20)])])
        };
        let refused = kafka_protocol::ResponseError::NotLeaderOrFollower.code();
        for (offset, last_epoch) in [(0, -1), (5, -1), (5, epoch), (1, epoch + 5)] {
            let answer = super::fetch::handle(&ctx, fetch_in(7, offset, last_epoch)).await;
            let partition = &answer.responses[0].partitions[0];
            assert_eq!(
                (partition.error_code, partition.diverging_epoch.epoch),
                (refused, -1),
                "offset {offset}, last epoch {last_epoch}"
            );
        }
        node.stop().unwrap();
    })
    .unwrap();
}
