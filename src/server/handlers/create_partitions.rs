//! CreatePartitions (key 37): grow a topic's partition count. Shrinking is refused with
//! INVALID_PARTITIONS, as in Kafka: keyed data would move between partitions.

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, RequestContext};
use crate::server::errors;

pub async fn handle(
    ctx: &RequestContext,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let node_id = ctx.broker.config.node_id;
    let results = request
        .topics
        .into_iter()
        .map(|topic| {
            let result = CreatePartitionsTopicResult::default().with_name(topic.name.clone());
            let foreign = topic
                .assignments
                .iter()
                .flatten()
                .any(|assignment| assignment.broker_ids.iter().any(|id| id.0 != node_id));
            if foreign {
                let message = format!("replica assignments may only name broker {node_id}");
                return result
                    .with_error_code(ResponseError::InvalidReplicaAssignment.code())
                    .with_error_message(Some(str_bytes(message)));
            }
            let name = topic.name.0.to_string();
            match ctx
                .broker
                .add_partitions(&name, topic.count, request.validate_only)
            {
                Ok(()) => result,
                Err(error) => result
                    .with_error_code(errors::topic_error(&error).code())
                    .with_error_message(Some(str_bytes(error.to_string()))),
            }
        })
        .collect();
    CreatePartitionsResponse::default().with_results(results)
}
