//! Produce (key 0): append record batches to partition logs. acks=0 gets no response at all;
//! acks=1 and acks=all are answered once the append (and any fsync `flush.messages` asks for)
//! is done — with one replica per partition "all" is this one replica, durable under the
//! flush policy. v0/v1 message sets (Produce v0–v2) are up-converted to one v2 batch first.
//! Only the partition's leader in the metadata image appends, stamping its
//! leader epoch on the batches; other brokers answer NOT_LEADER_OR_FOLLOWER.

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, RequestContext};
use crate::protocol::legacy_produce::LEGACY_PRODUCE_MAX;
use crate::runtime::unix_time_ms;
use crate::server::broker::lock_log;
use crate::server::errors;
use crate::storage::legacy::{self, LegacyError};
use crate::storage::AppendError;
use crate::types::TopicPartition;

pub async fn handle(ctx: &RequestContext, request: ProduceRequest) -> Option<ProduceResponse> {
    let valid_acks = matches!(request.acks, -1..=1);
    let mut appended = false;
    let mut responses = Vec::with_capacity(request.topic_data.len());
    for topic in request.topic_data {
        let name = topic.name.0.to_string();
        let mut partitions = Vec::with_capacity(topic.partition_data.len());
        for data in topic.partition_data {
            let tp = TopicPartition::new(name.clone(), data.index);
            let response = if valid_acks {
                append(ctx, &tp, data.records)
            } else {
                failed(data.index, ResponseError::InvalidRequiredAcks, None)
            };
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
        ctx.broker.notify_append();
    }
    (request.acks != 0).then(|| ProduceResponse::default().with_responses(responses))
}

fn append(
    ctx: &RequestContext,
    tp: &TopicPartition,
    records: Option<Bytes>,
) -> PartitionProduceResponse {
    if ctx.broker.health.is_failed() {
        return failed(
            tp.partition,
            ResponseError::KafkaStorageError,
            Some("disk failed"),
        );
    }
    let (log, leader_epoch) = match ctx.broker.leader_log(tp) {
        Ok(led) => led,
        Err(not_served) => return failed(tp.partition, not_served.error(), None),
    };
    let Some(mut records) = records else {
        return failed(
            tp.partition,
            ResponseError::InvalidRecord,
            Some("no records"),
        );
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
                return failed(tp.partition, code, Some(&error.to_string()));
            }
        };
    }
    let mut log = lock_log(&log);
    match log.append_as_leader(&records, leader_epoch, unix_time_ms()) {
        Ok(info) => {
            // One replica: everything appended is replicated to the whole ISR.
            let end = log.log_end_offset();
            log.set_high_watermark(end);
            crate::event!(
                "append {tp} offsets={}..={} leo={end} hw={end}",
                info.base_offset,
                info.last_offset
            );
            PartitionProduceResponse::default()
                .with_index(tp.partition)
                .with_base_offset(info.base_offset)
                .with_log_append_time_ms(info.log_append_time_ms)
                .with_log_start_offset(info.log_start_offset)
        }
        Err(error) => {
            tracing::debug!(partition = %tp, %error, "produce refused");
            if let AppendError::Storage(io_error) = &error {
                ctx.broker
                    .health
                    .record(&format!("append to {tp}"), io_error);
            }
            let message = error.to_string();
            failed(tp.partition, errors::append_error(&error), Some(&message))
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
