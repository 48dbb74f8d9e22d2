//! ListOffsets (key 2): offsets by timestamp. Special timestamps: -2 earliest (log start), -1
//! latest (high watermark), -3 the record with the largest timestamp (KIP-734), -4 earliest
//! local (no tiered storage here: the log start), -5 latest tiered (none: offset -1).

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use kafka_protocol::ResponseError;

use super::RequestContext;
use crate::server::broker::lock_log;
use crate::server::errors;
use crate::storage::Log;
use crate::types::TopicPartition;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

pub async fn handle(ctx: &RequestContext, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .map(|partition| {
                    let tp =
                        TopicPartition::new(topic.name.0.to_string(), partition.partition_index);
                    let epoch = partition.current_leader_epoch;
                    lookup(ctx, &tp, partition.timestamp, epoch, ctx.version())
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}

fn lookup(
    ctx: &RequestContext,
    tp: &TopicPartition,
    timestamp: i64,
    current_leader_epoch: i32,
    version: i16,
) -> ListOffsetsPartitionResponse {
    let base = ListOffsetsPartitionResponse::default().with_partition_index(tp.partition);
    // Versions before 4 carry no epoch: the field decodes as -1, which says nothing.
    let (log, leader_epoch) = match ctx.broker.leader_log_checked(tp, current_leader_epoch) {
        Ok(led) => led,
        Err(error) => return base.with_error_code(error.code()),
    };
    let log = lock_log(&log);
    match find(&log, timestamp) {
        Ok((offset, found_timestamp)) => {
            let found = base.with_offset(offset).with_timestamp(found_timestamp);
            // The leader epoch field exists from v4; earlier versions must leave it default.
            // No offset found (-1) has no epoch either, as in Kafka.
            if version >= 4 && offset >= 0 {
                found.with_leader_epoch(leader_epoch)
            } else {
                found
            }
        }
        Err(code) => base.with_error_code(code),
    }
}

/// (offset, timestamp) for a ListOffsets target; -1 for "no such record".
fn find(log: &Log, timestamp: i64) -> Result<(i64, i64), i16> {
    let storage = |error| errors::read_error(&error).code();
    match timestamp {
        LATEST => Ok((log.high_watermark(), -1)),
        EARLIEST | EARLIEST_LOCAL => Ok((log.log_start_offset(), -1)),
        LATEST_TIERED => Ok((-1, -1)),
        MAX_TIMESTAMP => Ok(log
            .max_timestamp_entry()
            .map_err(storage)?
            .unwrap_or((-1, -1))),
        target if target >= 0 => {
            let found = log.offset_for_timestamp(target).map_err(storage)?;
            // Records past the high watermark are not visible to consumers yet.
            Ok(found
                .filter(|(offset, _)| *offset < log.high_watermark())
                .unwrap_or((-1, -1)))
        }
        _ => Err(ResponseError::InvalidRequest.code()),
    }
}
