//! DescribeLogDirs (key 35): each of this broker's log dirs with the partitions it holds and
//! their sizes, what `kafka-log-dirs --describe` prints and what `kafka-reassign-partitions
//! --generate/--execute` read to find where replicas live. A null topic list means every
//! partition; every log dir is listed, empty or not. Weir moves no replica between dirs, so
//! nothing is a future replica and no partition lags behind its own log (`offset_lag` 0), and
//! it does not measure volumes: their total and usable bytes are -1, Kafka's "unknown".

use std::collections::BTreeSet;

use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse, TopicName};

use super::{str_bytes, RequestContext};
use crate::types::{by_topic, TopicPartition};

/// Kafka's "unknown" for a volume's total and usable bytes (v4).
const UNKNOWN_VOLUME_BYTES: i64 = -1;

pub async fn handle(
    ctx: &RequestContext,
    request: DescribeLogDirsRequest,
) -> DescribeLogDirsResponse {
    let wanted: Option<BTreeSet<TopicPartition>> = request.topics.map(|topics| {
        (topics.iter())
            .flat_map(|topic| {
                (topic.partitions.iter())
                    .map(|&p| TopicPartition::new(topic.topic.0.to_string(), p))
            })
            .collect()
    });
    let state = ctx.broker.state();
    let results = (state.logs.log_dir_usage().into_iter())
        .map(|(dir, partitions)| {
            let kept = (partitions.iter())
                .filter(|(tp, _)| wanted.as_ref().is_none_or(|wanted| wanted.contains(tp)))
                .map(|(tp, size)| {
                    let described = DescribeLogDirsPartition::default()
                        .with_partition_index(tp.partition)
                        .with_partition_size(i64::try_from(*size).unwrap_or(i64::MAX));
                    (tp, described)
                });
            let topics = (by_topic(kept).into_iter())
                .map(|(topic, partitions)| {
                    DescribeLogDirsTopic::default()
                        .with_name(TopicName(str_bytes(topic)))
                        .with_partitions(partitions)
                })
                .collect();
            DescribeLogDirsResult::default()
                .with_log_dir(str_bytes(dir.display().to_string()))
                .with_topics(topics)
                .with_total_bytes(UNKNOWN_VOLUME_BYTES)
                .with_usable_bytes(UNKNOWN_VOLUME_BYTES)
        })
        .collect();
    DescribeLogDirsResponse::default().with_results(results)
}
