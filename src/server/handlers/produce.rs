//! Produce (key 0): append record batches to partition logs. acks=0 gets no response at all;
//! acks=1 and acks=all are answered once the append (and any fsync `flush.messages` asks for)
//! is done — with one replica per partition "all" is this one replica, durable under the
//! flush policy. The fsync is a group commit (`storage::wait_durable`): the request waits for
//! it without holding any log, one fsync covers every append before it, and the high watermark
//! (what consumers may read) passes those records only once they are durable. v0/v1 message
//! sets (Produce v0–v2) are up-converted to one v2 batch first. Only the partition's leader in
//! the metadata image appends, stamping its leader epoch on the batches; other brokers answer
//! NOT_LEADER_OR_FOLLOWER.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, RequestContext};
use crate::canary::{self, Canary};
use crate::protocol::legacy_produce::LEGACY_PRODUCE_MAX;
use crate::runtime::unix_time_ms;
use crate::server::broker::{lock_log, Broker};
use crate::server::errors;
use crate::storage::legacy::{self, LegacyError};
use crate::storage::{wait_all_durable, AppendError, Log, PreparedAppend};
use crate::types::TopicPartition;

/// A log that must be durable up to `end_offset` before an append to it is acknowledged.
struct Unflushed {
    log: Arc<Mutex<Log>>,
    end_offset: i64,
}

/// An append that is answered once its log is durable far enough.
struct DurableWait {
    /// Where its response is: topic and partition index in the response.
    at: (usize, usize),
    tp: TopicPartition,
    unflushed: Unflushed,
}

/// A produce whose appends are done: its response now, or once the appends the flush policy
/// wants durable are (the connection goes on reading requests meanwhile and answers in order,
/// so one fsync can cover the appends of several requests in flight on it).
pub enum Produced {
    Now(Option<ProduceResponse>),
    WhenDurable(Pin<Box<dyn Future<Output = Option<ProduceResponse>> + Send>>),
}

/// The whole produce, waiting for durability in place (what a test calls; the connection
/// takes the two halves apart).
#[cfg(test)]
pub async fn handle(ctx: &RequestContext, request: ProduceRequest) -> Option<ProduceResponse> {
    match append_all(ctx, request) {
        Produced::Now(response) => response,
        Produced::WhenDurable(response) => response.await,
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
            let (response, wait) = if valid_acks {
                append(ctx, &tp, data.records)
            } else {
                let response = failed(data.index, ResponseError::InvalidRequiredAcks, None);
                (response, None)
            };
            if let Some(unflushed) = wait {
                let at = (topic_index, partitions.len());
                waits.push(DurableWait { at, tp, unflushed });
            }
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
    Produced::WhenDurable(Box::pin(async move {
        await_durable(&broker, waits, &mut responses).await;
        broker.notify_append();
        answer(responses)
    }))
}

/// Waits for every durable append's group commit, the logs' fsyncs side by side; then each is
/// readable (high watermark) and acknowledged, or answered KAFKA_STORAGE_ERROR (the broker
/// halts on a failed fsync), or UNKNOWN_TOPIC_OR_PARTITION if it was deleted meanwhile.
async fn await_durable(
    broker: &Broker,
    waits: Vec<DurableWait>,
    responses: &mut [TopicProduceResponse],
) {
    let logs = (waits.iter())
        .map(|wait| (wait.unflushed.log.clone(), wait.unflushed.end_offset))
        .collect();
    let results = wait_all_durable(logs).await;
    for (wait, result) in waits.into_iter().zip(results) {
        let (topic, partition) = wait.at;
        let response = &mut responses[topic].partition_responses[partition];
        match result {
            Ok(()) => {
                let mut log = lock_log(&wait.unflushed.log);
                let durable = log.high_watermark().max(wait.unflushed.end_offset);
                log.set_high_watermark(durable);
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
}

/// Appends to one partition: its response, and the log and offset it must wait to be durable
/// up to before it is sent, when the flush policy says so.
fn append(
    ctx: &RequestContext,
    tp: &TopicPartition,
    records: Option<Bytes>,
) -> (PartitionProduceResponse, Option<Unflushed>) {
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
    match locked.append_prepared_unflushed(prepared, leader_epoch, unix_time_ms()) {
        Ok(info) => {
            // One replica: everything appended is replicated to the whole ISR, and readable
            // once it is as durable as the flush policy asks.
            let end = locked.log_end_offset();
            let flush_due = info.flush_due && !canary::is_on(Canary::AckBeforeFsync);
            if !flush_due {
                locked.set_high_watermark(end);
            }
            crate::event!(
                "append {tp} offsets={}..={} leo={end} hw={}",
                info.base_offset,
                info.last_offset,
                locked.high_watermark()
            );
            let response = PartitionProduceResponse::default()
                .with_index(tp.partition)
                .with_base_offset(info.base_offset)
                .with_log_append_time_ms(info.log_append_time_ms)
                .with_log_start_offset(info.log_start_offset);
            drop(locked);
            let unflushed = Unflushed {
                log,
                end_offset: end,
            };
            (response, flush_due.then_some(unflushed))
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
