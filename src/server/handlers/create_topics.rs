//! CreateTopics (key 19): validate names and configs here, then let the controller check
//! partition counts, replication factors and assignments and create the topic (or, with
//! validate_only, only check). v5+ answers with the resulting configs.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{ApiKey, CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::ResponseError;

use super::{forward, str_bytes, RequestContext};
use crate::core::controller::CreateTopicRequest;
use crate::server::configs;
use crate::server::errors;

/// How long a forwarded creation waits to show in this broker's image.
const VISIBLE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn handle(ctx: &RequestContext, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let forwarded: Option<CreateTopicsResponse> =
        forward::to_controller(ctx, ApiKey::CreateTopics, &request).await;
    if let Some(response) = forwarded {
        // Answer once this broker knows the new topics, so a client that creates a topic and
        // then produces here finds it (bounded: the controller has committed them already).
        let created: Vec<String> = (response.topics.iter())
            .filter(|topic| topic.error_code == 0 && !request.validate_only)
            .map(|topic| topic.name.0.to_string())
            .collect();
        ctx.broker
            .wait_image(
                |image| {
                    created
                        .iter()
                        .all(|name| image.topic_ids.contains_key(name))
                },
                VISIBLE_WAIT,
            )
            .await;
        return response;
    }
    let mut seen = BTreeMap::new();
    for topic in &request.topics {
        *seen.entry(topic.name.0.to_string()).or_insert(0) += 1;
    }
    let mut topics = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        if seen[topic.name.0.as_str()] > 1 {
            let message = "the topic is named more than once in this request";
            topics.push(failed(
                topic,
                ResponseError::InvalidRequest,
                message.to_string(),
            ));
            continue;
        }
        topics.push(create(ctx, topic, request.validate_only).await);
    }
    CreateTopicsResponse::default().with_topics(topics)
}

async fn create(
    ctx: &RequestContext,
    topic: CreatableTopic,
    validate_only: bool,
) -> CreatableTopicResult {
    let mut overrides = BTreeMap::new();
    for config in &topic.configs {
        if let Some(value) = &config.value {
            overrides.insert(config.name.to_string(), value.to_string());
        }
    }
    // Manual assignments fix the partition count and the replicas; the controller checks them.
    let assignments = topic
        .assignments
        .iter()
        .map(|a| {
            (
                a.partition_index,
                a.broker_ids.iter().map(|id| id.0).collect(),
            )
        })
        .collect();
    let request = CreateTopicRequest {
        name: topic.name.0.to_string(),
        num_partitions: topic.num_partitions,
        replication_factor: topic.replication_factor,
        assignments,
        configs: overrides,
    };
    let created = ctx.broker.create_topic(request, validate_only).await;
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
