//! Metadata (key 3): brokers, topics, partitions and their leaders. On one node every partition
//! is led by this broker at leader epoch 0. Unknown topics are created on request when
//! `auto.create.topics.enable` is on and the client allows it (v4+), as client test suites expect.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::ResponseError;

use super::{str_bytes, RequestContext};
use crate::server::broker::TopicError;
use crate::server::errors;
use crate::server::topics::TopicMeta;

pub async fn handle(ctx: &RequestContext, request: MetadataRequest) -> MetadataResponse {
    let broker = &ctx.broker;
    let node_id = BrokerId(broker.config.node_id);
    let topics = match request.topics {
        None => all_topics(ctx),
        // v0 cannot send null: there, an empty list is the request for every topic.
        Some(requested) if requested.is_empty() && ctx.version() == 0 => all_topics(ctx),
        Some(requested) => {
            // v0 has no auto-creation flag: the broker setting alone decides, as in Kafka.
            let allow = ctx.version() < 4 || request.allow_auto_topic_creation;
            requested
                .into_iter()
                .map(|topic| match topic.name {
                    Some(name) => by_name(ctx, name.0.as_str(), allow),
                    None => by_id(ctx, topic.topic_id),
                })
                .collect()
        }
    };
    let advertised = &ctx.advertised;
    let brokers = vec![MetadataResponseBroker::default()
        .with_node_id(node_id)
        .with_host(str_bytes(advertised.host.clone()))
        .with_port(i32::from(advertised.port))];
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(str_bytes(broker.cluster_id.clone())))
        .with_controller_id(node_id)
        .with_topics(topics)
}

fn all_topics(ctx: &RequestContext) -> Vec<MetadataResponseTopic> {
    let state = ctx.broker.state();
    state
        .registry
        .topics()
        .map(|topic| described(ctx, topic))
        .collect()
}

fn by_name(ctx: &RequestContext, name: &str, allow_auto_create: bool) -> MetadataResponseTopic {
    let existing = ctx.broker.state().registry.get(name).cloned();
    if let Some(topic) = existing {
        return described(ctx, &topic);
    }
    if !(allow_auto_create && ctx.broker.config.auto_create_topics_enable) {
        return failed(name, ResponseError::UnknownTopicOrPartition);
    }
    let broker = &ctx.broker;
    match broker.create_topic(name, -1, -1, Default::default(), false) {
        Ok(topic) => described(ctx, &topic),
        // Another connection created it between the lookup and here.
        Err(TopicError::AlreadyExists) => match broker.state().registry.get(name).cloned() {
            Some(topic) => described(ctx, &topic),
            None => failed(name, ResponseError::LeaderNotAvailable),
        },
        Err(error) => failed(name, errors::topic_error(&error)),
    }
}

fn by_id(ctx: &RequestContext, topic_id: uuid::Uuid) -> MetadataResponseTopic {
    match ctx.broker.state().registry.by_id(topic_id) {
        Some(topic) => described(ctx, topic),
        None => MetadataResponseTopic::default()
            .with_topic_id(topic_id)
            .with_error_code(ResponseError::UnknownTopicId.code()),
    }
}

fn described(ctx: &RequestContext, topic: &TopicMeta) -> MetadataResponseTopic {
    let node_id = BrokerId(ctx.broker.config.node_id);
    let partitions = (0..topic.partitions)
        .map(|partition| {
            MetadataResponsePartition::default()
                .with_partition_index(partition)
                .with_leader_id(node_id)
                .with_leader_epoch(0)
                .with_replica_nodes(vec![node_id])
                .with_isr_nodes(vec![node_id])
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(topic.name.clone()))))
        .with_topic_id(topic.uuid())
        .with_partitions(partitions)
}

fn failed(name: &str, error: ResponseError) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(name))))
        .with_error_code(error.code())
}
