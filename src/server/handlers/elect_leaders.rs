//! ElectLeaders (key 43): the preferred or unclean leader elections an operator asks for
//! (`kafka-leader-election`, `weir elect-leaders`), forwarded to the active controller. Each
//! partition is one election and gets its own result: ELECTION_NOT_NEEDED when the preferred
//! replica already leads (or, unclean, a live leader exists), PREFERRED_LEADER_NOT_AVAILABLE,
//! ELIGIBLE_LEADERS_NOT_AVAILABLE, or UNKNOWN_TOPIC_OR_PARTITION. A null partition list means
//! every partition; as in Kafka, the answer then leaves out those that needed no election.

use std::collections::BTreeMap;

use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ApiKey, ElectLeadersRequest, ElectLeadersResponse, TopicName};
use kafka_protocol::ResponseError;

use super::{forward, str_bytes, RequestContext};
use crate::core::controller::{ControllerError, ElectionKind};
use crate::server::broker::TopicError;
use crate::server::errors;

pub async fn handle(ctx: &RequestContext, request: ElectLeadersRequest) -> ElectLeadersResponse {
    if let Some(response) = forward::to_controller(ctx, ApiKey::ElectLeaders, &request).await {
        return response;
    }
    let kind = match request.election_type {
        0 => ElectionKind::Preferred,
        1 => ElectionKind::Unclean,
        _ => {
            return ElectLeadersResponse::default()
                .with_error_code(ResponseError::InvalidRequest.code());
        }
    };
    let every_partition = request.topic_partitions.is_none();
    let asked: Vec<(TopicName, i32)> = match request.topic_partitions {
        Some(topics) => (topics.into_iter())
            .flat_map(|topic| {
                let name = topic.topic;
                (topic.partitions.into_iter()).map(move |partition| (name.clone(), partition))
            })
            .collect(),
        None => {
            let image = ctx.broker.image();
            (image.topics.values())
                .flat_map(|topic| {
                    let name = TopicName(str_bytes(topic.name.clone()));
                    (topic.partitions.keys()).map(move |&partition| (name.clone(), partition))
                })
                .collect()
        }
    };
    let mut results: BTreeMap<String, Vec<PartitionResult>> = BTreeMap::new();
    for (topic, partition) in asked {
        let elected = ctx.broker.elect_leader(kind, &topic.0, partition).await;
        let not_needed = matches!(
            elected,
            Err(TopicError::Controller(ControllerError::ElectionNotNeeded))
        );
        if every_partition && not_needed {
            continue;
        }
        let result = PartitionResult::default().with_partition_id(partition);
        let result = match elected {
            Ok(()) => result,
            Err(error) => result
                .with_error_code(errors::topic_error(&error).code())
                .with_error_message(Some(str_bytes(error.to_string()))),
        };
        results.entry(topic.0.to_string()).or_default().push(result);
    }
    let results = (results.into_iter())
        .map(|(topic, partitions)| {
            ReplicaElectionResult::default()
                .with_topic(TopicName(str_bytes(topic)))
                .with_partition_result(partitions)
        })
        .collect();
    ElectLeadersResponse::default().with_replica_election_results(results)
}
