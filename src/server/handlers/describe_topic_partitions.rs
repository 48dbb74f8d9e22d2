//! DescribeTopicPartitions (key 75, KIP-966): how Kafka 4's AdminClient `describeTopics` and
//! `kafka-topics --describe` read partitions, with their eligible leader replicas, a page at a
//! time. Topics go out sorted by name, at most `response_partition_limit` partitions in all
//! (and never more than Kafka's `max.request.partition.size.limit`, 2000); when the page fills
//! up, `next_cursor` names the first partition left out and the client asks again from there.
//! An empty topic list means every topic. The ELR and the last known leader are always lists,
//! empty when there are none, as Kafka sends them (its AdminClient reads a null as an error).

use kafka_protocol::messages::describe_topic_partitions_response::{
    Cursor, DescribeTopicPartitionsResponsePartition, DescribeTopicPartitionsResponseTopic,
};
use kafka_protocol::messages::{
    BrokerId, DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse, TopicName,
};
use kafka_protocol::ResponseError;

use super::metadata::{broker_ids, partition_views};
use super::{str_bytes, RequestContext};
use crate::core::controller::{MetadataImage, TopicImage};

/// Kafka's `max.request.partition.size.limit` default: the most partitions one answer holds.
pub const RESPONSE_PARTITIONS_MAX: i32 = 2000;

pub async fn handle(
    ctx: &RequestContext,
    request: DescribeTopicPartitionsRequest,
) -> DescribeTopicPartitionsResponse {
    let image = ctx.broker.image();
    let all_topics = request.topics.is_empty();
    let mut names: Vec<String> = if all_topics {
        image.topic_ids.keys().cloned().collect()
    } else {
        request
            .topics
            .iter()
            .map(|t| t.name.0.to_string())
            .collect()
    };
    names.sort();
    names.dedup();
    let start = request
        .cursor
        .as_ref()
        .map(|c| (c.topic_name.0.to_string(), c.partition_index));
    if let Some((topic, partition)) = &start {
        // Kafka's rules: a cursor names one of the topics asked for, at a real partition
        // index; otherwise the whole request is INVALID_REQUEST, answered for every topic.
        let unknown_topic = !all_topics && names.binary_search(topic).is_err();
        if unknown_topic || *partition < 0 {
            let asked = if all_topics {
                vec![topic.clone()]
            } else {
                names
            };
            let topics = asked
                .iter()
                .map(|name| {
                    DescribeTopicPartitionsResponseTopic::default()
                        .with_name(Some(TopicName(str_bytes(name.clone()))))
                        .with_error_code(ResponseError::InvalidRequest.code())
                })
                .collect();
            return DescribeTopicPartitionsResponse::default().with_topics(topics);
        }
    }
    let limit = request
        .response_partition_limit
        .clamp(1, RESPONSE_PARTITIONS_MAX) as usize;
    page(&image, &names, start, limit, all_topics)
}

/// The topics from `start` on, until `limit` partitions are out.
fn page(
    image: &MetadataImage,
    names: &[String],
    start: Option<(String, i32)>,
    limit: usize,
    skip_unknown: bool,
) -> DescribeTopicPartitionsResponse {
    let mut topics = Vec::new();
    let mut left = limit;
    let mut next_cursor = None;
    let from = start
        .as_ref()
        .map_or(0, |(topic, _)| names.partition_point(|n| n < topic));
    for name in &names[from..] {
        let first_partition = match &start {
            Some((topic, index)) if topic == name => *index,
            _ => 0,
        };
        let Some(topic) = image
            .topic_ids
            .get(name)
            .and_then(|id| image.topics.get(id))
        else {
            if !skip_unknown {
                topics.push(unknown(name));
            }
            continue;
        };
        if left == 0 {
            next_cursor = Some(cursor(name, first_partition));
            break;
        }
        let (described, more) = describe(image, topic, first_partition, left);
        left -= described.partitions.len();
        topics.push(described);
        if let Some(index) = more {
            next_cursor = Some(cursor(name, index));
            break;
        }
    }
    DescribeTopicPartitionsResponse::default()
        .with_topics(topics)
        .with_next_cursor(next_cursor)
}

/// The topic's partitions from `first` on, at most `left` of them, and the index of the first
/// one left out, if any.
fn describe(
    image: &MetadataImage,
    topic: &TopicImage,
    first: i32,
    left: usize,
) -> (DescribeTopicPartitionsResponseTopic, Option<i32>) {
    let mut views = partition_views(image, topic).filter(|view| view.index >= first);
    let partitions: Vec<_> = views
        .by_ref()
        .take(left)
        .map(|view| {
            DescribeTopicPartitionsResponsePartition::default()
                .with_error_code(view.error_code)
                .with_partition_index(view.index)
                .with_leader_id(BrokerId(view.partition.leader))
                .with_leader_epoch(view.partition.leader_epoch)
                .with_replica_nodes(broker_ids(view.partition.replicas.iter().copied()))
                .with_isr_nodes(broker_ids(view.partition.isr.iter().copied()))
                .with_eligible_leader_replicas(Some(broker_ids(view.partition.elr.iter().copied())))
                .with_last_known_elr(Some(broker_ids(
                    view.partition.last_known_elr.iter().copied(),
                )))
                .with_offline_replicas(view.offline)
        })
        .collect();
    let more = views.next().map(|view| view.index);
    let described = DescribeTopicPartitionsResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(topic.name.clone()))))
        .with_topic_id(uuid::Uuid::from_u128(topic.topic_id))
        .with_is_internal(false)
        .with_partitions(partitions);
    (described, more)
}

fn unknown(name: &str) -> DescribeTopicPartitionsResponseTopic {
    DescribeTopicPartitionsResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(name))))
        .with_error_code(ResponseError::UnknownTopicOrPartition.code())
}

fn cursor(topic: &str, partition_index: i32) -> Cursor {
    Cursor::default()
        .with_topic_name(TopicName(str_bytes(topic)))
        .with_partition_index(partition_index)
}
