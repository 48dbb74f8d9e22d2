//! CreateTopics (key 19): validate names, partition counts, replication factors and configs,
//! then create (or, with validate_only, only check). v5+ answers with the resulting configs.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, RequestContext};
use crate::server::configs;
use crate::server::errors;

pub async fn handle(ctx: &RequestContext, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let mut seen = BTreeMap::new();
    for topic in &request.topics {
        *seen.entry(topic.name.0.to_string()).or_insert(0) += 1;
    }
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            if seen[topic.name.0.as_str()] > 1 {
                let message = "the topic is named more than once in this request";
                return failed(topic, ResponseError::InvalidRequest, message.to_string());
            }
            create(ctx, topic, request.validate_only)
        })
        .collect();
    CreateTopicsResponse::default().with_topics(topics)
}

fn create(
    ctx: &RequestContext,
    topic: CreatableTopic,
    validate_only: bool,
) -> CreatableTopicResult {
    let node_id = ctx.broker.config.node_id;
    // Manual assignments fix the partition count and the replicas; on one node every replica
    // list must be exactly this broker.
    let (partitions, replication_factor) = if topic.assignments.is_empty() {
        (topic.num_partitions, topic.replication_factor)
    } else {
        let valid = topic
            .assignments
            .iter()
            .all(|assignment| assignment.broker_ids.iter().all(|id| id.0 == node_id));
        if !valid {
            let message = format!("replica assignments may only name broker {node_id}");
            return failed(topic, ResponseError::InvalidReplicaAssignment, message);
        }
        let factor = topic.assignments[0].broker_ids.len() as i16;
        (topic.assignments.len() as i32, factor)
    };
    let mut overrides = BTreeMap::new();
    for config in &topic.configs {
        if let Some(value) = &config.value {
            overrides.insert(config.name.to_string(), value.to_string());
        }
    }
    let name = topic.name.0.to_string();
    let created = ctx.broker.create_topic(
        &name,
        partitions,
        replication_factor,
        overrides,
        validate_only,
    );
    match created {
        Ok(meta) => {
            let state = ctx.broker.state();
            let resolved =
                configs::resolve_topic(&ctx.broker.config, &state.registry.dynamic, &meta.configs);
            let configs = resolved
                .into_iter()
                .map(|entry| {
                    CreatableTopicConfigs::default()
                        .with_name(str_bytes(entry.name))
                        .with_value(Some(str_bytes(entry.value)))
                        .with_config_source(entry.source.code())
                })
                .collect();
            CreatableTopicResult::default()
                .with_name(topic.name)
                .with_topic_id(meta.uuid())
                .with_num_partitions(meta.partitions)
                .with_replication_factor(meta.replication_factor)
                .with_configs(Some(configs))
        }
        Err(error) => {
            let message = error.to_string();
            failed(topic, errors::topic_error(&error), message)
        }
    }
}

fn failed(topic: CreatableTopic, error: ResponseError, message: String) -> CreatableTopicResult {
    CreatableTopicResult::default()
        .with_name(topic.name)
        .with_error_code(error.code())
        .with_error_message(Some(str_bytes(message)))
        .with_num_partitions(-1)
        .with_replication_factor(-1)
}
