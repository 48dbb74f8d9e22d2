//! AlterPartition (key 56) on the CONTROLLER listener: a partition leader asks the active
//! controller to change its ISR. Each partition is decided by `Controller::alter_isr` (the
//! leader, its leader epoch and partition epoch must be current, every new member a live
//! replica) and committed to the metadata log before it is answered with the committed ISR and
//! partition epoch, which the leader then acts on. Topics are named by id (v2+).

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_protocol::messages::alter_partition_request::{PartitionData, TopicData};
use kafka_protocol::messages::alter_partition_response::{
    PartitionData as PartitionAnswer, TopicData as TopicAnswer,
};
use kafka_protocol::messages::{AlterPartitionRequest, AlterPartitionResponse, BrokerId};
use kafka_protocol::ResponseError;

use super::errors;
use super::quorum::{QuorumService, SubmitError};
use crate::core::controller::AlterIsrRequest;

/// The versions served: v2 names topics by id, v3 adds each member's broker epoch.
pub(super) const ALTER_PARTITION_VERSIONS: std::ops::RangeInclusive<i16> = 2..=3;

/// How long one partition's change may take to commit.
const COMMIT_WAIT: Duration = Duration::from_secs(5);

pub async fn answer(
    quorum: &QuorumService,
    request: AlterPartitionRequest,
) -> AlterPartitionResponse {
    if !quorum.is_active() {
        return AlterPartitionResponse::default()
            .with_error_code(ResponseError::NotController.code());
    }
    let image = quorum.published_image();
    let registered = image.brokers.get(&request.broker_id.0);
    if registered.is_none_or(|b| b.broker_epoch != request.broker_epoch) {
        return AlterPartitionResponse::default()
            .with_error_code(ResponseError::StaleBrokerEpoch.code());
    }
    let mut topics = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        let answer = alter_topic(quorum, request.broker_id.0, topic).await;
        topics.push(answer);
    }
    AlterPartitionResponse::default().with_topics(topics)
}

async fn alter_topic(quorum: &QuorumService, broker_id: i32, topic: TopicData) -> TopicAnswer {
    let topic_id = topic.topic_id.as_u128();
    let name = (quorum.published_image().topics.get(&topic_id)).map(|t| t.name.clone());
    let mut partitions = Vec::with_capacity(topic.partitions.len());
    for partition in topic.partitions {
        let index = partition.partition_index;
        let answer = match &name {
            None => refused(index, ResponseError::UnknownTopicId),
            Some(name) => alter_one(quorum, broker_id, name.clone(), partition).await,
        };
        partitions.push(answer);
    }
    TopicAnswer::default()
        .with_topic_id(topic.topic_id)
        .with_partitions(partitions)
}

async fn alter_one(
    quorum: &QuorumService,
    broker_id: i32,
    name: String,
    partition: PartitionData,
) -> PartitionAnswer {
    let index = partition.partition_index;
    // v3 names members with their broker epochs; v2 by id alone.
    let (isr, broker_epochs): (Vec<i32>, BTreeMap<i32, i64>) =
        if partition.new_isr_with_epochs.is_empty() {
            let isr = partition.new_isr.iter().map(|id| id.0).collect();
            (isr, BTreeMap::new())
        } else {
            let members = partition.new_isr_with_epochs.iter();
            let isr = members.clone().map(|member| member.broker_id.0).collect();
            let epochs = members
                .map(|member| (member.broker_id.0, member.broker_epoch))
                .collect();
            (isr, epochs)
        };
    let change = AlterIsrRequest {
        broker_id,
        leader_epoch: partition.leader_epoch,
        partition_epoch: partition.partition_epoch,
        isr,
        broker_epochs,
        recovered: partition.leader_recovery_state == 0,
    };
    let owned = name.clone();
    let submitted = quorum
        .submit(
            move |controller, at| controller.alter_isr(&owned, index, change, at),
            COMMIT_WAIT,
        )
        .await;
    if let Err(error) = submitted {
        let code = match &error {
            SubmitError::Refused(error) => errors::controller_error(error),
            SubmitError::NotController { .. } => ResponseError::NotController,
            _ => ResponseError::RequestTimedOut,
        };
        tracing::debug!(topic = %name, partition = index, ?error, "AlterPartition refused");
        return refused(index, code);
    }
    let image = quorum.published_image();
    match image.partition(&name, index) {
        Some(committed) => PartitionAnswer::default()
            .with_partition_index(index)
            .with_leader_id(BrokerId(committed.leader))
            .with_leader_epoch(committed.leader_epoch)
            .with_isr(committed.isr.iter().map(|&id| BrokerId(id)).collect())
            .with_leader_recovery_state(i8::from(committed.unclean))
            .with_partition_epoch(committed.partition_epoch),
        None => refused(index, ResponseError::UnknownTopicOrPartition),
    }
}

fn refused(index: i32, code: ResponseError) -> PartitionAnswer {
    PartitionAnswer::default()
        .with_partition_index(index)
        .with_error_code(code.code())
        .with_leader_id(BrokerId(-1))
        .with_leader_epoch(-1)
        .with_partition_epoch(-1)
}
