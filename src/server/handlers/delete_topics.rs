//! DeleteTopics (key 20): remove topics and their logs, by name (v1–v5) or by name or topic id
//! (v6).

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{ApiKey, DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::ResponseError;

use super::{forward, str_bytes, RequestContext};
use crate::server::errors;

pub async fn handle(ctx: &RequestContext, request: DeleteTopicsRequest) -> DeleteTopicsResponse {
    if let Some(response) = forward::to_controller(ctx, ApiKey::DeleteTopics, &request).await {
        return response;
    }
    let mut targets: Vec<(Option<TopicName>, uuid::Uuid)> = request
        .topic_names
        .into_iter()
        .map(|name| (Some(name), uuid::Uuid::nil()))
        .collect();
    targets.extend(
        request
            .topics
            .into_iter()
            .map(|topic| (topic.name, topic.topic_id)),
    );
    let mut responses = Vec::with_capacity(targets.len());
    for (name, topic_id) in targets {
        responses.push(delete(ctx, name, topic_id).await);
    }
    DeleteTopicsResponse::default().with_responses(responses)
}

async fn delete(
    ctx: &RequestContext,
    name: Option<TopicName>,
    topic_id: uuid::Uuid,
) -> DeletableTopicResult {
    let resolved = match &name {
        Some(name) => Some(name.0.to_string()),
        None => ctx
            .broker
            .state()
            .registry
            .by_id(topic_id)
            .map(|topic| topic.name.clone()),
    };
    let result = DeletableTopicResult::default()
        .with_name(name)
        .with_topic_id(topic_id);
    let Some(topic_name) = resolved else {
        return result.with_error_code(ResponseError::UnknownTopicId.code());
    };
    match ctx.broker.delete_topic(&topic_name).await {
        Ok(meta) => result
            .with_name(Some(TopicName(str_bytes(meta.name.clone()))))
            .with_topic_id(meta.uuid()),
        Err(error) => result
            .with_error_code(errors::topic_error(&error).code())
            .with_error_message(Some(str_bytes(error.to_string()))),
    }
}
