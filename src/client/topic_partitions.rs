//! DescribeTopicPartitions (key 75, KIP-966) from the client side: each partition's eligible
//! leader replicas and last known leader, which Metadata does not carry, as Kafka 4's
//! `kafka-topics --describe` reads them. Answers are paged: the broker returns at most a
//! page of partitions and a cursor naming the first one left out, and the client asks again
//! from there until no cursor comes back.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_topic_partitions_request::{Cursor, TopicRequest};
use kafka_protocol::messages::{DescribeTopicPartitionsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::admin::Admin;
use super::error::{ClientError, Result};
use crate::types::TopicPartition;

/// One partition's eligible leader replicas and last known leader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EligibleLeaders {
    pub elr: Vec<i32>,
    pub last_known_elr: Vec<i32>,
}

/// Most pages one call follows: a broker whose cursor never ends must not loop a client.
const PAGES_MAX: usize = 10_000;

impl Admin {
    /// The ELR of every partition of `topics`. `UnsupportedVersion` from a broker that does
    /// not serve DescribeTopicPartitions (Kafka before 3.8).
    pub async fn eligible_leaders(
        &self,
        topics: &[String],
    ) -> Result<BTreeMap<TopicPartition, EligibleLeaders>> {
        let connection = self.cluster.any_connection().await?;
        let mut out = BTreeMap::new();
        let mut cursor: Option<Cursor> = None;
        for _ in 0..PAGES_MAX {
            let mut request = DescribeTopicPartitionsRequest::default();
            request.topics = (topics.iter())
                .map(|name| {
                    TopicRequest::default()
                        .with_name(TopicName(StrBytes::from_string(name.clone())))
                })
                .collect();
            request.response_partition_limit = 2000;
            let cursor_before = cursor.clone();
            request.cursor = cursor.take();
            let response = self.call(&connection, &request).await?;
            for topic in &response.topics {
                let name = topic
                    .name
                    .as_ref()
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                if let Some(error) = ClientError::from_code(topic.error_code, || {
                    format!("describe partitions of {name}")
                }) {
                    return Err(error);
                }
                for partition in &topic.partitions {
                    let ids = |list: &Option<Vec<kafka_protocol::messages::BrokerId>>| {
                        list.iter().flatten().map(|id| id.0).collect()
                    };
                    let leaders = EligibleLeaders {
                        elr: ids(&partition.eligible_leader_replicas),
                        last_known_elr: ids(&partition.last_known_elr),
                    };
                    let tp = TopicPartition::new(&name, partition.partition_index);
                    out.insert(tp, leaders);
                }
            }
            match response.next_cursor {
                Some(next) => {
                    let next = to_request_cursor(next);
                    if cursor_before.as_ref() == Some(&next) {
                        return Err(ClientError::Decode {
                            what: "DescribeTopicPartitions",
                            detail: "the broker answered the same cursor twice".into(),
                        });
                    }
                    cursor = Some(next);
                }
                None => return Ok(out),
            }
        }
        Err(ClientError::Decode {
            what: "DescribeTopicPartitions",
            detail: format!("the broker still had more after {PAGES_MAX} pages"),
        })
    }
}

fn to_request_cursor(
    next: kafka_protocol::messages::describe_topic_partitions_response::Cursor,
) -> Cursor {
    Cursor::default()
        .with_topic_name(next.topic_name)
        .with_partition_index(next.partition_index)
}
