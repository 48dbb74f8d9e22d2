//! Sending the ISR changes partition leaders propose to the active controller (Kafka's
//! `AlterPartitionManager`). Each proposal is sent until the controller answers it: a committed
//! ISR or a definite refusal goes back to the partition's leader state; an unreachable or
//! changing controller, or a commit that timed out, is retried as it was, after a backoff,
//! because the change may have been committed (the leader must not propose another meanwhile).
//! So is one the controller says was overtaken, until the metadata log brings what overtook
//! it: the controller may have answered from a decision it then lost with its lead. A proposal
//! whose leadership ended, or that the metadata log already answered, is dropped.
//!
//! When this node is itself the active controller the change is submitted directly;
//! otherwise it goes over the CONTROLLER listener as AlterPartition v3.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::alter_partition_request::{BrokerState, PartitionData, TopicData};
use kafka_protocol::messages::{AlterPartitionRequest, AlterPartitionResponse, ApiKey, BrokerId};
use kafka_protocol::ResponseError;

use crate::core::controller::AlterIsrRequest;
use crate::runtime::{self, unix_time_ms};
use crate::server::broker::{Broker, TopicError};
use crate::server::controller_client;
use crate::types::TopicPartition;

/// The AlterPartition version brokers send: topics by id, members with broker epochs.
const ALTER_PARTITION_VERSION: i16 = 3;

/// How long one attempt may take.
const ATTEMPT_WAIT: Duration = Duration::from_secs(5);

const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// One ISR change a leader proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterRequest {
    pub tp: TopicPartition,
    pub topic_id: u128,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    pub isr: BTreeSet<i32>,
    pub broker_epochs: BTreeMap<i32, i64>,
}

/// How the controller answered one attempt.
enum Answer {
    Committed {
        isr: BTreeSet<i32>,
        partition_epoch: i32,
    },
    /// The proposal is wrong as it stands (an ineligible replica, an impossible ISR): the
    /// leader drops it and proposes again from what it sees next.
    Refused(String),
    /// The partition changed under the proposal (a newer partition or leader epoch): the
    /// metadata log brings the change, which settles the proposal; until it does, asked again.
    Overtaken(String),
    Retry(String),
}

/// Runs for the broker's life: each proposal gets a task that sends it until answered (a
/// leader has at most one pending per partition).
pub async fn run_alter_partition_sender(broker: Arc<Broker>) {
    let Some(mut requests) = broker.replicas.take_alter_requests() else {
        return;
    };
    let mut sending = Sending::default();
    while let Some(request) = requests.recv().await {
        sending.0.retain(|task| !task.is_finished());
        (sending.0).push(runtime::spawn(send_until_answered(broker.clone(), request)));
    }
}

/// Proposals being sent; stopped with the task that owns them (a node that stops aborts it).
#[derive(Default)]
struct Sending(Vec<runtime::JoinHandle<()>>);

impl Drop for Sending {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

async fn send_until_answered(broker: Arc<Broker>, request: AlterRequest) {
    let mut backoff = BACKOFF_MIN;
    let tp = &request.tp;
    loop {
        if !(broker.replicas).alter_still_pending(&request) {
            return;
        }
        let answer = send_once(&broker, &request).await;
        let committed = match answer {
            Answer::Committed {
                isr,
                partition_epoch,
            } => Some((isr, partition_epoch)),
            Answer::Refused(why) => {
                tracing::info!(partition = %tp, isr = ?request.isr, "ISR change refused: {why}");
                None
            }
            Answer::Overtaken(why) => {
                // The metadata log normally brings the change that overtook the proposal, and
                // that settles it (`alter_still_pending` turns false). But an active controller
                // answers from decisions not yet committed, and one that loses the lead before
                // they commit takes them with it: then nothing ever comes, and a leader waiting
                // on it could never change its ISR again (a follower never rejoined, found by
                // the simulator's ISR-heal check). So ask again, as slowly as a retry.
                tracing::debug!(partition = %tp, "ISR change overtaken ({why}); awaiting metadata");
                runtime::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
            Answer::Retry(why) => {
                tracing::debug!(partition = %tp, "ISR change not answered ({why}); retrying");
                runtime::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
        };
        let now = unix_time_ms();
        if (broker.replicas).alter_partition_answered(&request, committed, now) {
            broker.notify_append();
        }
        return;
    }
}

async fn send_once(broker: &Broker, request: &AlterRequest) -> Answer {
    let local = broker.quorum().is_some_and(|quorum| quorum.is_active());
    if local {
        return submit_locally(broker, request).await;
    }
    let wire = wire_request(broker, request);
    let answer: Result<AlterPartitionResponse, _> = controller_client::call(
        broker,
        ApiKey::AlterPartition,
        ALTER_PARTITION_VERSION,
        &wire,
        ATTEMPT_WAIT,
    )
    .await;
    match answer {
        Ok(response) => read_answer(response),
        Err(error) => Answer::Retry(error.to_string()),
    }
}

/// This node is the active controller: decide and commit here.
async fn submit_locally(broker: &Broker, request: &AlterRequest) -> Answer {
    let change = AlterIsrRequest {
        broker_id: broker.config.node_id,
        leader_epoch: request.leader_epoch,
        partition_epoch: request.partition_epoch,
        isr: request.isr.iter().copied().collect(),
        broker_epochs: request.broker_epochs.clone(),
        recovered: true,
    };
    let (topic, partition) = (request.tp.topic.clone(), request.tp.partition);
    let submitted = broker
        .submit(move |controller, at| controller.alter_isr(&topic, partition, change, at))
        .await;
    match submitted {
        Ok(()) => match broker.image().partition(&request.tp.topic, partition) {
            Some(committed) => Answer::Committed {
                isr: committed.isr.iter().copied().collect(),
                partition_epoch: committed.partition_epoch,
            },
            None => Answer::Refused("the partition is gone".into()),
        },
        Err(TopicError::Controller(error)) => {
            let code = crate::server::errors::controller_error(&error).code();
            classify(code, error.to_string())
        }
        Err(error) => Answer::Retry(error.to_string()),
    }
}

fn wire_request(broker: &Broker, request: &AlterRequest) -> AlterPartitionRequest {
    let me = broker.config.node_id;
    let members = (request.isr.iter())
        .map(|&id| {
            let epoch = match id == me {
                true => broker.broker_epoch(),
                false => request.broker_epochs.get(&id).copied().unwrap_or(-1),
            };
            BrokerState::default()
                .with_broker_id(BrokerId(id))
                .with_broker_epoch(epoch)
        })
        .collect();
    let partition = PartitionData::default()
        .with_partition_index(request.tp.partition)
        .with_leader_epoch(request.leader_epoch)
        .with_new_isr_with_epochs(members)
        .with_partition_epoch(request.partition_epoch);
    let topic = TopicData::default()
        .with_topic_id(uuid::Uuid::from_u128(request.topic_id))
        .with_partitions(vec![partition]);
    AlterPartitionRequest::default()
        .with_broker_id(BrokerId(me))
        .with_broker_epoch(broker.broker_epoch())
        .with_topics(vec![topic])
}

fn read_answer(response: AlterPartitionResponse) -> Answer {
    if response.error_code != 0 {
        // Not for this partition: the controller, or this broker's registration as it sees it
        // (STALE_BROKER_EPOCH until it has replayed our registration). Ask again.
        return Answer::Retry(format!("error {}", response.error_code));
    }
    let partition = response.topics.first().and_then(|t| t.partitions.first());
    let Some(partition) = partition else {
        return Answer::Retry("the answer names no partition".into());
    };
    match partition.error_code {
        0 => Answer::Committed {
            isr: partition.isr.iter().map(|id| id.0).collect(),
            partition_epoch: partition.partition_epoch,
        },
        code => classify(code, format!("error {code}")),
    }
}

/// What a partition's error code means for the proposal (Kafka's `AlterPartitionManager`).
fn classify(code: i16, why: String) -> Answer {
    use ResponseError as E;
    let retry = [
        E::NotController,
        E::RequestTimedOut,
        E::OperationNotAttempted,
    ];
    let overtaken = [
        E::InvalidUpdateVersion,
        E::FencedLeaderEpoch,
        E::NotLeaderOrFollower,
        E::NewLeaderElected,
        E::UnknownTopicId,
        E::UnknownTopicOrPartition,
    ];
    if retry.iter().any(|e| e.code() == code) {
        Answer::Retry(why)
    } else if overtaken.iter().any(|e| e.code() == code) {
        Answer::Overtaken(why)
    } else {
        Answer::Refused(why)
    }
}
