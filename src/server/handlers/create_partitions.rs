//! CreatePartitions (key 37): grow a topic's partition count. Shrinking is refused with
//! INVALID_PARTITIONS, as in Kafka: keyed data would move between partitions.

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{ApiKey, CreatePartitionsRequest, CreatePartitionsResponse};

use super::{forward, str_bytes, RequestContext};
use crate::server::errors;

pub async fn handle(
    ctx: &RequestContext,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    if let Some(response) = forward::to_controller(ctx, ApiKey::CreatePartitions, &request).await {
        return response;
    }
    let mut results = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        let result = CreatePartitionsTopicResult::default().with_name(topic.name.clone());
        let assignments = topic.assignments.as_ref().map(|list| {
            list.iter()
                .map(|a| a.broker_ids.iter().map(|id| id.0).collect())
                .collect()
        });
        let name = topic.name.0.to_string();
        let grown = ctx
            .broker
            .add_partitions(&name, topic.count, assignments, request.validate_only)
            .await;
        results.push(match grown {
            Ok(()) => result,
            Err(error) => result
                .with_error_code(errors::topic_error(&error).code())
                .with_error_message(Some(str_bytes(error.to_string()))),
        });
    }
    CreatePartitionsResponse::default().with_results(results)
}
