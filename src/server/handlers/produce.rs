//! Produce (key 0): append record batches to partition logs. acks=0 gets no response at all;
//! acks=1 is answered once the append (and any fsync `flush.messages` asks for) is done;
//! acks=all once the high watermark passes the records too, that is once every in-sync replica
//! has them (`server::replication`), or with REQUEST_TIMED_OUT after the request's timeout. An
//! ISR below `min.insync.replicas` refuses acks=all with NOT_ENOUGH_REPLICAS before appending,
//! and NOT_ENOUGH_REPLICAS_AFTER_APPEND if it shrank while the request waited. The fsync is a
//! group commit (`storage::wait_durable`): the request waits for it without holding any log,
//! one fsync covers every append before it, and the leader's own copy counts towards the high
//! watermark only once durable. v0/v1 message sets (Produce v0–v2) are up-converted to one v2
//! batch first. Only the partition's leader in the metadata image appends, stamping its leader
//! epoch on the batches; other brokers answer NOT_LEADER_OR_FOLLOWER.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, RequestContext};
use crate::canary::{self, Canary};
use crate::protocol::legacy_produce::LEGACY_PRODUCE_MAX;
use crate::runtime::sync::watch;
use crate::runtime::{self, unix_time_ms};
use crate::server::broker::{lock_log, Broker};
use crate::server::errors;
use crate::server::replication::Progress;
use crate::storage::legacy::{self, LegacyError};
use crate::storage::{wait_all_durable, AppendError, Log, LogRole, PreparedAppend};
use crate::types::TopicPartition;

/// A log that must be durable up to `end_offset` before an append to it is acknowledged.
struct Unflushed {
    log: Arc<Mutex<Log>>,
    end_offset: i64,
}

/// An append whose answer waits: for its log to be durable far enough, for the ISR to have
/// it (acks=all), or both.
struct PendingAppend {
    /// Where its response is: topic and partition index in the response.
    at: (usize, usize),
    tp: TopicPartition,
    /// The offset after the append's last record.
    end_offset: i64,
    unflushed: Option<Unflushed>,
    /// acks=all: the partition's replication progress while this broker leads it.
    replicated: Option<watch::Receiver<Progress>>,
}

/// A produce whose appends are done: its response now, or once the appends the flush policy
/// wants durable are (the connection goes on reading requests meanwhile and answers in order,
/// so one fsync can cover the appends of several requests in flight on it).
pub enum Produced {
    Now(Option<ProduceResponse>),
    Later(Pin<Box<dyn Future<Output = Option<ProduceResponse>> + Send>>),
}

/// The whole produce, waiting for durability in place (what a test calls; the connection
/// takes the two halves apart).
#[cfg(test)]
pub async fn handle(ctx: &RequestContext, request: ProduceRequest) -> Option<ProduceResponse> {
    match append_all(ctx, request) {
        Produced::Now(response) => response,
        Produced::Later(response) => response.await,
    }
}

/// Appends every partition's records now (in request order, holding no lock across an await);
/// what must wait for durability is left to the returned future.
pub fn append_all(ctx: &RequestContext, request: ProduceRequest) -> Produced {
    let valid_acks = matches!(request.acks, -1..=1);
    let mut appended = false;
    let mut responses = Vec::with_capacity(request.topic_data.len());
    let mut waits = Vec::new();
    for (topic_index, topic) in request.topic_data.into_iter().enumerate() {
        let name = topic.name.0.to_string();
        let mut partitions = Vec::with_capacity(topic.partition_data.len());
        for data in topic.partition_data {
            let tp = TopicPartition::new(name.clone(), data.index);
            let at = (topic_index, partitions.len());
            let (response, wait) = if valid_acks {
                append(ctx, &tp, data.records, request.acks, at)
            } else {
                let response = failed(data.index, ResponseError::InvalidRequiredAcks, None);
                (response, None)
            };
            waits.extend(wait);
            appended |= response.error_code == 0;
            partitions.push(response);
        }
        responses.push(
            TopicProduceResponse::default()
                .with_name(topic.name)
                .with_partition_responses(partitions),
        );
    }
    if appended {
        // Records that need no fsync are readable now; the rest once durable.
        ctx.broker.notify_append();
    }
    let acks = request.acks;
    let answer =
        move |responses| (acks != 0).then(|| ProduceResponse::default().with_responses(responses));
    if waits.is_empty() {
        return Produced::Now(answer(responses));
    }
    let broker = ctx.broker.clone();
    let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
    Produced::Later(Box::pin(async move {
        let deadline = runtime::now() + timeout;
        let waits = await_durable(&broker, waits, &mut responses).await;
        broker.notify_append();
        await_replicated(waits, deadline, &mut responses).await;
        answer(responses)
    }))
}

/// Waits, side by side, until the high watermark of each acks=all append's partition passes
/// it, its ISR shrinks below `min.insync.replicas`, this broker stops leading it, or the
/// deadline passes. No lock is held and no task started: each wait is a `watch` the partition's
/// leader state updates.
async fn await_replicated(
    waits: Vec<PendingAppend>,
    deadline: runtime::Instant,
    responses: &mut [TopicProduceResponse],
) {
    let mut replicated: Vec<_> = (waits.into_iter())
        .filter_map(|wait| Some((wait.at, wait.tp, wait.end_offset, wait.replicated?)))
        .collect();
    let outcomes = {
        let futures = (replicated.iter_mut())
            .map(|(_, _, end, progress)| {
                let end = *end;
                let wait = async move {
                    let reached = progress
                        .wait_for(|p| p.high_watermark >= end || p.below_min_isr())
                        .await
                        .map(|p| *p);
                    match reached {
                        Ok(p) if p.high_watermark >= end => None,
                        Ok(_) => Some(ResponseError::NotEnoughReplicasAfterAppend),
                        Err(_) => Some(ResponseError::NotLeaderOrFollower),
                    }
                };
                Box::pin(async move {
                    runtime::timeout_at(deadline, wait)
                        .await
                        .unwrap_or(Some(ResponseError::RequestTimedOut))
                })
                    as Pin<Box<dyn Future<Output = Option<ResponseError>> + Send + '_>>
            })
            .collect();
        runtime::join_all(futures).await
    };
    for ((at, tp, _, _), outcome) in replicated.iter().zip(outcomes) {
        if let Some(code) = outcome {
            let message = format!("the append to {tp} was not replicated to the ISR: {code:?}");
            let response = &mut responses[at.0].partition_responses[at.1];
            *response = failed(tp.partition, code, Some(&message));
        }
    }
}

/// Waits for every durable append's group commit, the logs' fsyncs side by side; then the
/// leader's own copy counts towards its partition's high watermark, or the append is answered
/// KAFKA_STORAGE_ERROR (the broker halts on a failed fsync), or UNKNOWN_TOPIC_OR_PARTITION if
/// it was deleted meanwhile. Returns the appends still to wait for (acks=all).
async fn await_durable(
    broker: &Broker,
    waits: Vec<PendingAppend>,
    responses: &mut [TopicProduceResponse],
) -> Vec<PendingAppend> {
    let logs = (waits.iter())
        .filter_map(|wait| wait.unflushed.as_ref())
        .map(|unflushed| (unflushed.log.clone(), unflushed.end_offset))
        .collect();
    let mut results = wait_all_durable(logs).await.into_iter();
    let mut replicated = Vec::new();
    for wait in waits {
        let Some(unflushed) = &wait.unflushed else {
            replicated.push(wait);
            continue;
        };
        let (topic, partition) = wait.at;
        let response = &mut responses[topic].partition_responses[partition];
        match results.next().unwrap_or(Ok(())) {
            Ok(()) => {
                let end = lock_log(&unflushed.log).log_end_offset();
                let now = unix_time_ms();
                broker
                    .replicas
                    .leader_appended(&wait.tp, end, unflushed.end_offset, now);
                replicated.push(wait);
            }
            // Deleted (or set aside) while the append waited: gone, not a failed disk.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let message = format!("{} was deleted while its append waited: {error}", wait.tp);
                *response = failed(
                    wait.tp.partition,
                    ResponseError::UnknownTopicOrPartition,
                    Some(&message),
                );
            }
            Err(error) => {
                let tp = &wait.tp;
                broker.health.record(&format!("flush {tp}"), &error);
                let message = format!("the append to {tp} could not be made durable: {error}");
                *response = failed(
                    tp.partition,
                    ResponseError::KafkaStorageError,
                    Some(&message),
                );
            }
        }
    }
    replicated
}

/// Appends to one partition: its response, and what it must wait for before it is sent (the
/// log durable as the flush policy says, the ISR to have it at acks=all).
fn append(
    ctx: &RequestContext,
    tp: &TopicPartition,
    records: Option<Bytes>,
    acks: i16,
    at: (usize, usize),
) -> (PartitionProduceResponse, Option<PendingAppend>) {
    let refused =
        |code: ResponseError, message: Option<&str>| (failed(tp.partition, code, message), None);
    if ctx.broker.health.is_failed() {
        return refused(ResponseError::KafkaStorageError, Some("disk failed"));
    }
    let (log, leader_epoch) = match ctx.broker.leader_log(tp) {
        Ok(led) => led,
        Err(not_served) => return refused(not_served.error(), None),
    };
    let Some(mut records) = records else {
        return refused(ResponseError::InvalidRecord, Some("no records"));
    };
    let replicated = match acks {
        -1 if canary::is_on(Canary::AckBeforeIsr) => None,
        -1 => match ctx.broker.replicas.progress(tp, leader_epoch) {
            Some(progress) => Some(progress),
            None => return refused(ResponseError::NotLeaderOrFollower, None),
        },
        _ => None,
    };
    if let Some(progress) = &replicated {
        let now = *progress.borrow();
        if now.below_min_isr() {
            let message = format!(
                "the ISR of {tp} has {} replicas, fewer than min.insync.replicas={}",
                now.isr_size, now.min_insync_replicas
            );
            return refused(ResponseError::NotEnoughReplicas, Some(&message));
        }
    }
    // Produce v0–v2 carry v0/v1 messages; the log holds only v2 batches, as Kafka's since 3.0.
    if ctx.version() <= LEGACY_PRODUCE_MAX && legacy::is_legacy(&records) {
        records = match legacy::upconvert(&records) {
            Ok(batch) => batch,
            Err(error) => {
                tracing::debug!(partition = %tp, %error, "v0/v1 message set refused");
                let code = match error {
                    LegacyError::Corrupt(_) => ResponseError::CorruptMessage,
                    LegacyError::Invalid(_) => ResponseError::InvalidRecord,
                    LegacyError::UnsupportedCompression => {
                        ResponseError::UnsupportedCompressionType
                    }
                    LegacyError::InvalidTimestamp(_) => ResponseError::InvalidTimestamp,
                    LegacyError::TooLarge(_) => ResponseError::MessageTooLarge,
                };
                return refused(code, Some(&error.to_string()));
            }
        };
    }
    let refused_append = |error: AppendError| {
        tracing::debug!(partition = %tp, %error, "produce refused");
        if let AppendError::Storage(io_error) = &error {
            ctx.broker
                .health
                .record(&format!("append to {tp}"), io_error);
        }
        let message = error.to_string();
        refused(errors::append_error(&error), Some(&message))
    };
    // Checked and recompressed before the partition's lock is taken, so that the costly part
    // of an append delays no other request for the partition (a worker blocked on the lock
    // would be a worker lost to every connection).
    let config = lock_log(&log).config().clone();
    let prepared = match PreparedAppend::new(&config, &records) {
        Ok(prepared) => prepared,
        Err(error) => return refused_append(error),
    };
    let mut locked = lock_log(&log);
    // Leadership may have moved since it was looked up: checked again under the log's lock,
    // where the replication state sets it (`server::replication`).
    if locked.role()
        != (LogRole::Leader {
            epoch: leader_epoch,
        })
    {
        drop(locked);
        return refused(ResponseError::NotLeaderOrFollower, None);
    }
    match locked.append_prepared_unflushed(prepared, leader_epoch, unix_time_ms()) {
        Ok(info) => {
            let end = locked.log_end_offset();
            let flush_due = info.flush_due && !canary::is_on(Canary::AckBeforeFsync);
            drop(locked);
            // The leader's copy counts towards the high watermark once it is as durable as
            // the flush policy asks: now, or after the group commit.
            let vouched = if flush_due { -1 } else { end };
            let replicas = &ctx.broker.replicas;
            replicas.leader_appended(tp, end, vouched, unix_time_ms());
            crate::event!(
                "append {tp} offsets={}..={} leo={end} hw={}",
                info.base_offset,
                info.last_offset,
                lock_log(&log).high_watermark()
            );
            let response = PartitionProduceResponse::default()
                .with_index(tp.partition)
                .with_base_offset(info.base_offset)
                .with_log_append_time_ms(info.log_append_time_ms)
                .with_log_start_offset(info.log_start_offset);
            let unflushed = flush_due.then_some(Unflushed {
                log,
                end_offset: end,
            });
            let wait = (unflushed.is_some() || replicated.is_some()).then_some(PendingAppend {
                at,
                tp: tp.clone(),
                end_offset: info.last_offset + 1,
                unflushed,
                replicated,
            });
            (response, wait)
        }
        Err(error) => {
            drop(locked);
            refused_append(error)
        }
    }
}

fn failed(partition: i32, error: ResponseError, message: Option<&str>) -> PartitionProduceResponse {
    PartitionProduceResponse::default()
        .with_index(partition)
        .with_error_code(error.code())
        .with_base_offset(-1)
        .with_error_message(message.map(str_bytes))
}
