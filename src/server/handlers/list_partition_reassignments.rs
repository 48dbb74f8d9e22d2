//! ListPartitionReassignments (key 46): the reassignments in progress (KIP-455; `weir reassign
//! --list` / `--verify`), from the active controller's image: each partition's replicas and
//! the replicas being added and removed. A null topic list means every partition; named
//! partitions that are not being reassigned (or do not exist) are left out, as in Kafka.

use std::collections::BTreeMap;

use kafka_protocol::messages::list_partition_reassignments_response::{
    OngoingPartitionReassignment, OngoingTopicReassignment,
};
use kafka_protocol::messages::{
    ApiKey, BrokerId, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse,
    TopicName,
};

use super::{forward, str_bytes, RequestContext};

pub async fn handle(
    ctx: &RequestContext,
    request: ListPartitionReassignmentsRequest,
) -> ListPartitionReassignmentsResponse {
    let key = ApiKey::ListPartitionReassignments;
    if let Some(response) = forward::to_controller(ctx, key, &request).await {
        return response;
    }
    let wanted: Option<BTreeMap<String, Vec<i32>>> = request.topics.map(|topics| {
        (topics.into_iter())
            .map(|topic| (topic.name.0.to_string(), topic.partition_indexes))
            .collect()
    });
    let ids = |list: &[i32]| list.iter().map(|&id| BrokerId(id)).collect::<Vec<_>>();
    let image = ctx.broker.image();
    let mut by_topic: BTreeMap<&str, Vec<OngoingPartitionReassignment>> = BTreeMap::new();
    for (name, index, p) in image.reassignments() {
        let asked = wanted.as_ref().map(|wanted| wanted.get(name));
        if asked.is_some_and(|list| list.is_none_or(|list| !list.contains(&index))) {
            continue;
        }
        by_topic.entry(name).or_default().push(
            OngoingPartitionReassignment::default()
                .with_partition_index(index)
                .with_replicas(ids(&p.replicas))
                .with_adding_replicas(ids(&p.adding_replicas))
                .with_removing_replicas(ids(&p.removing_replicas)),
        );
    }
    let topics = (by_topic.into_iter())
        .map(|(name, partitions)| {
            OngoingTopicReassignment::default()
                .with_name(TopicName(str_bytes(name)))
                .with_partitions(partitions)
        })
        .collect();
    ListPartitionReassignmentsResponse::default().with_topics(topics)
}
