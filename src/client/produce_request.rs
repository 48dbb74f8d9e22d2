//! One Produce request to one leader, and what its answer means for each batch.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::error::{code_needs_metadata_refresh, ClientError};
use super::producer::RecordMetadata;
use super::producer::{fail_batch, finish_one, retry_or_fail, Acks, Inner, ProducerBatch};
use super::records::encode_batch;
use crate::types::TopicPartition;

/// Encodes, sends and settles `batches` (all led by broker `leader`).
pub(crate) async fn send_batches(inner: &Arc<Inner>, leader: i32, batches: Vec<ProducerBatch>) {
    let mut encoded = Vec::with_capacity(batches.len());
    for batch in batches {
        match encode_batch(&batch.records, &batch.timestamps, inner.config.compression) {
            Ok(bytes) => encoded.push((batch, bytes)),
            Err(error) => fail_batch(inner, batch, &error),
        }
    }
    if encoded.is_empty() {
        return;
    }
    let request = build_request(inner, &encoded);
    let connection = match inner.cluster.broker_connection(leader).await {
        Ok(connection) => connection,
        Err(error) => return retry_all(inner, encoded, &error),
    };
    let version = match connection.version(ApiKey::Produce) {
        Ok(version) => version,
        Err(error) => {
            for (batch, _) in encoded {
                fail_batch(inner, batch, &error);
            }
            return;
        }
    };
    if inner.config.acks == Acks::None {
        let result = connection.send_without_response(&request, version).await;
        for (batch, _) in encoded {
            match &result {
                Ok(()) => complete(inner, batch, -1, -1),
                Err(error) => retry_or_fail(inner.clone(), batch, error.duplicate(), false),
            }
        }
        return;
    }
    let timeout = inner.config.request_timeout + connection.request_timeout();
    match connection.request_with(&request, version, timeout).await {
        Ok(response) => settle(inner, encoded, &response),
        Err(error) => {
            if connection.is_closed() {
                inner.cluster.forget(&connection).await;
            }
            retry_all(inner, encoded, &error);
        }
    }
}

fn build_request(inner: &Inner, encoded: &[(ProducerBatch, Bytes)]) -> ProduceRequest {
    let mut topics: BTreeMap<&str, Vec<PartitionProduceData>> = BTreeMap::new();
    for (batch, bytes) in encoded {
        let mut partition = PartitionProduceData::default();
        partition.index = batch.tp.partition;
        partition.records = Some(bytes.clone());
        topics.entry(&batch.tp.topic).or_default().push(partition);
    }
    let mut request = ProduceRequest::default();
    request.transactional_id = None;
    request.acks = inner.config.acks.wire();
    request.timeout_ms =
        i32::try_from(inner.config.request_timeout.as_millis()).unwrap_or(i32::MAX);
    request.topic_data = topics
        .into_iter()
        .map(|(name, partitions)| {
            let mut topic = TopicProduceData::default();
            topic.name = TopicName(StrBytes::from_string(name.to_string()));
            topic.partition_data = partitions;
            topic
        })
        .collect();
    request
}

fn retry_all(inner: &Arc<Inner>, encoded: Vec<(ProducerBatch, Bytes)>, error: &ClientError) {
    for (batch, _) in encoded {
        retry_or_fail(inner.clone(), batch, error.duplicate(), true);
    }
}

/// Matches each batch to its partition's answer: acknowledge, retry, or fail.
fn settle(inner: &Arc<Inner>, encoded: Vec<(ProducerBatch, Bytes)>, response: &ProduceResponse) {
    let mut answers: BTreeMap<TopicPartition, (i16, i64, i64, Option<String>)> = BTreeMap::new();
    for topic in &response.responses {
        for p in &topic.partition_responses {
            let tp = TopicPartition::new(topic.name.0.to_string(), p.index);
            let message = p.error_message.as_ref().map(|m| m.to_string());
            answers.insert(
                tp,
                (p.error_code, p.base_offset, p.log_append_time_ms, message),
            );
        }
    }
    for (batch, _) in encoded {
        let Some((code, base_offset, append_time, message)) = answers.remove(&batch.tp) else {
            let error = ClientError::Decode {
                what: "Produce response",
                detail: format!("no answer for {}", batch.tp),
            };
            fail_batch(inner, batch, &error);
            continue;
        };
        if code == 0 {
            complete(inner, batch, base_offset, append_time);
            continue;
        }
        let context = match message {
            Some(message) => format!("produce to {} ({message})", batch.tp),
            None => format!("produce to {}", batch.tp),
        };
        let error = ClientError::Kafka { code, context };
        retry_or_fail(
            inner.clone(),
            batch,
            error,
            code_needs_metadata_refresh(code),
        );
    }
}

/// Acknowledges every record of a batch: offsets follow the base offset in order.
fn complete(inner: &Inner, batch: ProducerBatch, base_offset: i64, log_append_time: i64) {
    let tp = batch.tp.clone();
    let topic = batch.tp.topic.clone();
    let partition = batch.tp.partition;
    for (index, (pending, timestamp)) in
        batch.attached.into_iter().zip(batch.timestamps).enumerate()
    {
        let offset = if base_offset >= 0 {
            base_offset + index as i64
        } else {
            -1
        };
        let timestamp = if log_append_time >= 0 {
            log_append_time
        } else {
            timestamp
        };
        let metadata = RecordMetadata {
            topic: topic.clone(),
            partition,
            offset,
            timestamp,
        };
        let _ = pending.reply.send(Ok(metadata));
    }
    finish_one(inner, &tp);
}
