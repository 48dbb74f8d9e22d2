//! AlterPartitionReassignments (key 45): start or cancel moving partitions to new replica sets
//! (KIP-455; `weir reassign --execute` / `--cancel`), forwarded to the active controller. A
//! target replica list starts a reassignment: the partition lists the target plus its current
//! replicas, the difference recorded as replicas being added and removed; it completes once
//! every added replica has caught up by fetching and joined the ISR (`server::replication`),
//! and a null list cancels one in progress. Each partition gets its own
//! result. With `allow_replication_factor_change` false (v1, KIP-860) a target that changes the
//! replica count is INVALID_REPLICATION_FACTOR.

use kafka_protocol::messages::alter_partition_reassignments_response::{
    ReassignablePartitionResponse, ReassignableTopicResponse,
};
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ApiKey,
};
use kafka_protocol::ResponseError;

use super::{forward, str_bytes, RequestContext};
use crate::server::errors;

pub async fn handle(
    ctx: &RequestContext,
    request: AlterPartitionReassignmentsRequest,
) -> AlterPartitionReassignmentsResponse {
    let key = ApiKey::AlterPartitionReassignments;
    if let Some(response) = forward::to_controller(ctx, key, &request).await {
        return response;
    }
    // v0 has no such flag: changing the replica count is allowed, as before KIP-860.
    let allow_rf_change = ctx.version() == 0 || request.allow_replication_factor_change;
    let mut responses = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        let name = topic.name.0.to_string();
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for partition in topic.partitions {
            let index = partition.partition_index;
            let target: Option<Vec<i32>> =
                (partition.replicas).map(|replicas| replicas.iter().map(|id| id.0).collect());
            let result = ReassignablePartitionResponse::default().with_partition_index(index);
            let changes_rf = target.as_ref().is_some_and(|target| {
                let image = ctx.broker.image();
                let current = image.partition(&name, index);
                current.is_some_and(|p| target.len() != p.original_replicas().len())
            });
            if !allow_rf_change && changes_rf {
                let message = "the target changes the replication factor, which the request \
                               does not allow";
                partitions.push(
                    result
                        .with_error_code(ResponseError::InvalidReplicationFactor.code())
                        .with_error_message(Some(str_bytes(message))),
                );
                continue;
            }
            let done = ctx.broker.alter_reassignment(&name, index, target).await;
            partitions.push(match done {
                Ok(()) => result,
                Err(error) => result
                    .with_error_code(errors::topic_error(&error).code())
                    .with_error_message(Some(str_bytes(error.to_string()))),
            });
        }
        responses.push(
            ReassignableTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions),
        );
    }
    AlterPartitionReassignmentsResponse::default()
        .with_allow_replication_factor_change(allow_rf_change)
        .with_responses(responses)
}
