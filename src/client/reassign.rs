//! Partition reassignment for the admin client (KIP-455): start or cancel moving partitions to
//! new replica sets, and list the reassignments in progress. Both go to the controller.

use kafka_protocol::messages::alter_partition_reassignments_request::{
    ReassignablePartition, ReassignableTopic,
};
use kafka_protocol::messages::list_partition_reassignments_request as list_request;
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, BrokerId, ListPartitionReassignmentsRequest,
};

use super::admin::{topic_name, with_message, Admin, ADMIN_TIMEOUT_MS};
use super::error::{ClientError, Result};
use crate::types::{by_topic, TopicPartition};

/// A reassignment in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OngoingReassignment {
    pub partition: TopicPartition,
    /// The target and the replicas still being removed.
    pub replicas: Vec<i32>,
    pub adding: Vec<i32>,
    pub removing: Vec<i32>,
}

impl Admin {
    /// Starts (`Some(target replicas)`) or cancels (`None`) the reassignment of each partition;
    /// each gets its own result.
    pub async fn alter_partition_reassignments(
        &self,
        changes: &[(TopicPartition, Option<Vec<i32>>)],
    ) -> Result<Vec<(TopicPartition, Result<()>)>> {
        let partitions = by_topic(changes.iter().map(|(tp, target)| {
            let mut partition = ReassignablePartition::default();
            partition.partition_index = tp.partition;
            partition.replicas = target
                .as_ref()
                .map(|replicas| replicas.iter().map(|&id| BrokerId(id)).collect());
            (tp, partition)
        }));
        let mut request = AlterPartitionReassignmentsRequest::default();
        request.timeout_ms = ADMIN_TIMEOUT_MS;
        request.allow_replication_factor_change = true;
        request.topics = (partitions.into_iter())
            .map(|(topic, partitions)| {
                let mut entry = ReassignableTopic::default();
                entry.name = topic_name(topic);
                entry.partitions = partitions;
                entry
            })
            .collect();
        let connection = self.cluster.controller_connection().await?;
        let response = self.call(&connection, &request).await?;
        if let Some(error) = ClientError::from_code(response.error_code, || {
            with_message("reassign partitions".into(), &response.error_message)
        }) {
            return Err(error);
        }
        let mut results = Vec::new();
        for topic in &response.responses {
            for partition in &topic.partitions {
                let tp = TopicPartition::new(topic.name.0.as_str(), partition.partition_index);
                let error = ClientError::from_code(partition.error_code, || {
                    with_message(format!("reassign {tp}"), &partition.error_message)
                });
                results.push((tp, error.map_or(Ok(()), Err)));
            }
        }
        Ok(results)
    }

    /// The reassignments in progress, of `partitions` (`None`: of every partition).
    pub async fn list_partition_reassignments(
        &self,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<Vec<OngoingReassignment>> {
        let mut request = ListPartitionReassignmentsRequest::default();
        request.timeout_ms = ADMIN_TIMEOUT_MS;
        request.topics = partitions.map(|partitions| {
            (by_topic(partitions.iter().map(|tp| (tp, tp.partition))).into_iter())
                .map(|(topic, indexes)| {
                    let mut entry = list_request::ListPartitionReassignmentsTopics::default();
                    entry.name = topic_name(topic);
                    entry.partition_indexes = indexes;
                    entry
                })
                .collect()
        });
        let connection = self.cluster.controller_connection().await?;
        let response = self.call(&connection, &request).await?;
        if let Some(error) = ClientError::from_code(response.error_code, || {
            with_message("list reassignments".into(), &response.error_message)
        }) {
            return Err(error);
        }
        let ids = |list: &[BrokerId]| list.iter().map(|id| id.0).collect::<Vec<_>>();
        let mut ongoing = Vec::new();
        for topic in &response.topics {
            for p in &topic.partitions {
                ongoing.push(OngoingReassignment {
                    partition: TopicPartition::new(topic.name.0.as_str(), p.partition_index),
                    replicas: ids(&p.replicas),
                    adding: ids(&p.adding_replicas),
                    removing: ids(&p.removing_replicas),
                });
            }
        }
        Ok(ongoing)
    }
}
