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
        ApiKey::Produce => ProduceRequest::default()
            .with_acks(1)
            .with_timeout_ms(1000)
            .with_topic_data(vec![TopicProduceData::default()
                .with_name(name("t"))
                .with_partition_data(vec![PartitionProduceData::default()
                    .with_index(0)
                    .with_records(Some(batch()))])])
            .encode(&mut buf, version),
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
        ApiKey::IncrementalAlterConfigs => {
            IncrementalAlterConfigsRequest::default().encode(&mut buf, version)
        }
        ApiKey::DescribeCluster => DescribeClusterRequest::default().encode(&mut buf, version),
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
            // Produce v0-v2 are advertised for librdkafka's sake but do not decode.
            let min = if api.key == ApiKey::Produce {
                3
            } else {
                api.min_version
            };
            for version in min..=api.max_version {
                let mut ctx = context(&broker, api.key, version);
                ctx.header.correlation_id = 5;
                let outcome = dispatch(ctx, api.key, request(api.key, version)).await;
                let Outcome::Reply(frame) = outcome else {
                    panic!("{:?} v{version} was not answered", api.key);
                };
                let header_version = api.key.response_header_version(version);
                let mut body = frame.to_bytes().slice(4..);
                let header = ResponseHeader::decode(&mut body, header_version).unwrap();
                assert_eq!(header.correlation_id, 5);
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
