//! One Fetch request to one leader, and the per-partition outcome.
//!
//! Fetches are full (no incremental fetch session: session id 0, epoch -1), so each request
//! names every partition this consumer reads from that leader; that keeps the consumer
//! stateless across leader changes and restarts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::connection::Connection;
use super::error::{ClientError, Result};
use crate::types::{by_topic, TopicPartition};

/// Fetch sizes and waits (Kafka's consumer names).
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// `fetch.max.wait.ms`, further bounded by the poll's remaining time.
    pub max_wait: Duration,
    /// `fetch.min.bytes`
    pub min_bytes: i32,
    /// `fetch.max.bytes`
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes`
    pub partition_max_bytes: i32,
    /// 0 read_uncommitted, 1 read_committed.
    pub isolation_level: i8,
}

/// What the leader said about one partition.
#[derive(Debug)]
pub struct FetchedPartition {
    pub error_code: i16,
    pub high_watermark: i64,
    pub log_start_offset: i64,
    pub records: Option<Bytes>,
}

/// Sends one Fetch for `positions` (all led by the broker behind `connection`).
pub async fn fetch(
    connection: Arc<Connection>,
    positions: BTreeMap<TopicPartition, i64>,
    limits: FetchLimits,
    max_wait: Duration,
) -> Result<BTreeMap<TopicPartition, FetchedPartition>> {
    let version = connection.version(ApiKey::Fetch)?;
    let topics = by_topic(positions.iter().map(|(tp, &offset)| {
        let mut partition = FetchPartition::default();
        partition.partition = tp.partition;
        partition.current_leader_epoch = -1;
        partition.fetch_offset = offset;
        partition.last_fetched_epoch = -1;
        partition.log_start_offset = -1;
        partition.partition_max_bytes = limits.partition_max_bytes;
        (tp, partition)
    }));
    let mut request = FetchRequest::default();
    request.replica_id = BrokerId(-1);
    request.max_wait_ms = i32::try_from(max_wait.as_millis()).unwrap_or(i32::MAX);
    request.min_bytes = limits.min_bytes;
    request.max_bytes = limits.max_bytes;
    request.isolation_level = limits.isolation_level;
    request.session_id = 0;
    request.session_epoch = -1;
    request.topics = topics
        .into_iter()
        .map(|(name, partitions)| {
            let mut topic = FetchTopic::default();
            topic.topic = TopicName(StrBytes::from_string(name.to_string()));
            topic.partitions = partitions;
            topic
        })
        .collect();
    let timeout = connection.request_timeout() + max_wait;
    let response = connection.request_with(&request, version, timeout).await?;
    if let Some(error) = ClientError::from_code(response.error_code, || "Fetch".into()) {
        return Err(error);
    }
    let mut fetched = BTreeMap::new();
    for topic in response.responses {
        let name = topic.topic.0.to_string();
        for p in topic.partitions {
            let tp = TopicPartition::new(name.clone(), p.partition_index);
            fetched.insert(
                tp,
                FetchedPartition {
                    error_code: p.error_code,
                    high_watermark: p.high_watermark,
                    log_start_offset: p.log_start_offset,
                    records: p.records,
                },
            );
        }
    }
    Ok(fetched)
}
