//! OffsetForLeaderEpoch (key 23): where a leader epoch ends in the leader's log (KIP-101), for
//! clients checking after a leader change that their position was not truncated away (KIP-320)
//! and for tools. Each partition's answer is the largest epoch at or below the one asked with
//! its end offset (the next epoch's start, or the log end for the latest), or Kafka's
//! UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET (-1, -1) for an epoch newer than any it knows. Only
//! the leader answers, and `current_leader_epoch` is fenced as in Fetch (FENCED_LEADER_EPOCH,
//! UNKNOWN_LEADER_EPOCH).

use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};

use super::RequestContext;
use crate::server::broker::lock_log;
use crate::types::TopicPartition;

pub async fn handle(
    ctx: &RequestContext,
    request: OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let topics = (request.topics.into_iter())
        .map(|topic| {
            let partitions = (topic.partitions.iter())
                .map(|asked| {
                    let tp = TopicPartition::new(topic.topic.0.to_string(), asked.partition);
                    end_of_epoch(ctx, &tp, asked.current_leader_epoch, asked.leader_epoch)
                })
                .collect();
            OffsetForLeaderTopicResult::default()
                .with_topic(topic.topic)
                .with_partitions(partitions)
        })
        .collect();
    OffsetForLeaderEpochResponse::default().with_topics(topics)
}

fn end_of_epoch(
    ctx: &RequestContext,
    tp: &TopicPartition,
    current_leader_epoch: i32,
    leader_epoch: i32,
) -> EpochEndOffset {
    let base = EpochEndOffset::default()
        .with_partition(tp.partition)
        .with_leader_epoch(-1)
        .with_end_offset(-1);
    let (log, _) = match ctx.broker.leader_log_checked(tp, current_leader_epoch) {
        Ok(led) => led,
        Err(error) => return base.with_error_code(error.code()),
    };
    let end = lock_log(&log).end_offset_for_epoch(leader_epoch);
    match end {
        Some((epoch, end_offset)) => base.with_leader_epoch(epoch).with_end_offset(end_offset),
        None => base,
    }
}
