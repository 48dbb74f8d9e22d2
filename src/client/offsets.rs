//! ListOffsets: earliest, latest, by timestamp, max timestamp — for admin and the consumer.
//!
//! Partitions are grouped by leader, one request per leader; partitions whose leader moved
//! are retried after a metadata refresh.

use std::collections::BTreeMap;

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::cluster::Cluster;
use super::error::{code_needs_metadata_refresh, ClientError, Result};
use crate::types::{by_topic, TopicPartition};

/// Attempts per partition before giving up on a leader that keeps moving.
const LIST_OFFSETS_ATTEMPTS_MAX: u32 = 5;

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (high watermark for read_uncommitted).
    Latest,
    /// The offset of the record with the largest timestamp (ListOffsets v7+).
    MaxTimestamp,
    /// The first offset whose timestamp is at or after this time (ms since the epoch).
    Timestamp(i64),
}

impl OffsetSpec {
    /// The timestamp field ListOffsets uses to encode this spec.
    pub fn wire_timestamp(self) -> i64 {
        match self {
            Self::Earliest => -2,
            Self::Latest => -1,
            Self::MaxTimestamp => -3,
            Self::Timestamp(ms) => ms,
        }
    }
}

/// The answer for one partition; `offset` is -1 when no record matches a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedOffset {
    pub offset: i64,
    pub timestamp: i64,
    pub leader_epoch: i32,
}

/// Looks up offsets for many partitions.
pub async fn list_offsets(
    cluster: &Cluster,
    specs: &BTreeMap<TopicPartition, OffsetSpec>,
) -> Result<BTreeMap<TopicPartition, ListedOffset>> {
    let mut done = BTreeMap::new();
    let mut todo = specs.clone();
    let mut attempt = 0;
    while !todo.is_empty() {
        attempt += 1;
        let mut by_leader: BTreeMap<i32, Vec<TopicPartition>> = BTreeMap::new();
        let mut last_error = None;
        let todo_before = todo.len();
        for tp in todo.keys() {
            let topic = cluster.topic(&tp.topic).await?;
            match topic.partition(tp.partition) {
                Some(p) if p.leader >= 0 => by_leader.entry(p.leader).or_default().push(tp.clone()),
                Some(_) => {
                    last_error = Some(ClientError::NoLeader {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                    })
                }
                None => {
                    return Err(ClientError::UnknownTopicOrPartition {
                        topic: tp.topic.clone(),
                        partition: Some(tp.partition),
                    })
                }
            }
        }
        for (leader, tps) in by_leader {
            match list_from_leader(cluster, leader, &tps, &todo).await {
                Ok(answers) => {
                    for (tp, answer) in answers {
                        match answer {
                            Ok(listed) => {
                                todo.remove(&tp);
                                done.insert(tp, listed);
                            }
                            Err(error) if error.is_retriable() => last_error = Some(error),
                            Err(error) => return Err(error),
                        }
                    }
                }
                Err(error) if error.is_retriable() => last_error = Some(error),
                Err(error) => return Err(error),
            }
        }
        if last_error.is_none() && todo.len() == todo_before {
            // The broker answered without the partitions we asked for: do not spin.
            return Err(ClientError::Decode {
                what: "ListOffsets response",
                detail: "requested partitions missing".into(),
            });
        }
        if let Some(error) = last_error {
            if attempt >= LIST_OFFSETS_ATTEMPTS_MAX {
                return Err(error);
            }
            cluster.backoff().await;
            let topics: Vec<String> = todo.keys().map(|tp| tp.topic.clone()).collect();
            cluster.refresh_metadata(Some(&topics)).await?;
        }
    }
    Ok(done)
}

type Answers = Vec<(TopicPartition, Result<ListedOffset>)>;

async fn list_from_leader(
    cluster: &Cluster,
    leader: i32,
    tps: &[TopicPartition],
    specs: &BTreeMap<TopicPartition, OffsetSpec>,
) -> Result<Answers> {
    let topics = by_topic(tps.iter().map(|tp| {
        let mut partition = ListOffsetsPartition::default();
        partition.partition_index = tp.partition;
        partition.current_leader_epoch = -1;
        partition.timestamp = specs.get(tp).map_or(-1, |spec| spec.wire_timestamp());
        (tp, partition)
    }));
    let mut request = ListOffsetsRequest::default();
    request.replica_id = BrokerId(-1);
    request.isolation_level = 0;
    request.timeout_ms = 30_000;
    request.topics = topics
        .into_iter()
        .map(|(name, partitions)| {
            let mut topic = ListOffsetsTopic::default();
            topic.name = TopicName(StrBytes::from_string(name.to_string()));
            topic.partitions = partitions;
            topic
        })
        .collect();
    let connection = cluster.broker_connection(leader).await?;
    let response = match connection.request(&request).await {
        Ok(response) => response,
        Err(error) => {
            cluster.forget(&connection).await;
            return Err(error);
        }
    };
    let mut answers = Vec::new();
    for topic in &response.topics {
        for p in &topic.partitions {
            let tp = TopicPartition::new(topic.name.0.to_string(), p.partition_index);
            let answer = match ClientError::from_code(p.error_code, || format!("ListOffsets {tp}"))
            {
                Some(error) => {
                    if code_needs_metadata_refresh(p.error_code) {
                        tracing::debug!(%tp, "ListOffsets: stale leader");
                    }
                    Err(error)
                }
                None => Ok(ListedOffset {
                    offset: p.offset,
                    timestamp: p.timestamp,
                    leader_epoch: p.leader_epoch,
                }),
            };
            answers.push((tp, answer));
        }
    }
    Ok(answers)
}
