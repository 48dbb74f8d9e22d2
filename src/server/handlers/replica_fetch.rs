//! A follower's fetch at the leader (Fetch with a replica id): the leader reads up to its log
//! end rather than the high watermark, tells the follower where its log diverged when its last
//! fetched epoch disagrees with the leader's epochs (KIP-279's `DivergingEpoch`), and records
//! the fetch offset as what the follower has, which moves the ISR and the high watermark
//! (`server::replication`). A fetch from a broker that is not a replica, or past the leader's
//! log end, is refused with Kafka's code and changes nothing.

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{EpochEndOffset, PartitionData};
use kafka_protocol::ResponseError;

use super::fetch::{finish_read, FetchAt};
use super::RequestContext;
use crate::core::replication::divergence::diverging_epoch;
use crate::runtime::unix_time_ms;
use crate::server::broker::lock_log;
use crate::server::replication::NotRecorded;
use crate::types::TopicPartition;

pub(super) async fn read(
    ctx: &RequestContext,
    tp: &TopicPartition,
    replica: i32,
    at: &FetchAt,
) -> PartitionData {
    let base = PartitionData::default()
        .with_partition_index(tp.partition)
        .with_records(Some(Bytes::new()));
    let (log, leader_epoch) = match ctx.broker.leader_log_checked(tp, at.current_leader_epoch) {
        Ok(led) => led,
        Err(error) => return base.with_error_code(error.code()),
    };
    // As Kafka's `followerReplicaOrThrow`: a stranger learns nothing of the log.
    if !ctx.broker.replicas.is_follower(tp, replica) {
        tracing::debug!(partition = %tp, replica, "fetch from a broker that is no follower");
        return base.with_error_code(ResponseError::NotLeaderOrFollower.code());
    }
    let fetch_offset = at.fetch_offset;
    let (base, planned, end) = {
        let locked = lock_log(&log);
        let (start, end) = (locked.log_start_offset(), locked.log_end_offset());
        let base = base
            .with_high_watermark(locked.high_watermark())
            .with_last_stable_offset(locked.high_watermark())
            .with_log_start_offset(start);
        if at.last_fetched_epoch >= 0 {
            // Kafka: "could not determine the end offset of the last fetched epoch".
            let Some(ours) = locked.end_offset_for_epoch(at.last_fetched_epoch) else {
                return base.with_error_code(ResponseError::OffsetOutOfRange.code());
            };
            if let Some((epoch, end_offset)) =
                diverging_epoch(fetch_offset, at.last_fetched_epoch, ours)
            {
                let diverging = EpochEndOffset::default()
                    .with_epoch(epoch)
                    .with_end_offset(end_offset);
                return base.with_diverging_epoch(diverging);
            }
        }
        if fetch_offset < start || fetch_offset > end {
            return base.with_error_code(ResponseError::OffsetOutOfRange.code());
        }
        let planned = locked.plan_read(fetch_offset, at.max_bytes, end, at.first);
        (base, planned, end)
    };
    let now = unix_time_ms();
    // KIP-903 names the fetching incarnation in Fetch v15's ReplicaState; below v13 (no topic
    // ids yet) the registration this leader's metadata holds for the replica stands in: a
    // fetch from a process that restarted since is credited to the old incarnation until the
    // new registration reaches this leader, and the controller refuses an ISR built on it.
    let broker_epoch = (ctx.broker.image().brokers.get(&replica)).map_or(-1, |b| b.broker_epoch);
    let recorded = (ctx.broker.replicas).follower_fetched(
        tp,
        leader_epoch,
        replica,
        broker_epoch,
        fetch_offset,
        now,
    );
    match recorded {
        Ok(moved) => {
            if moved {
                ctx.broker.notify_append();
            }
        }
        Err(NotRecorded::NotLeader | NotRecorded::NotAReplica) => {
            tracing::debug!(partition = %tp, replica, "fetch from a broker that is no follower");
            return base.with_error_code(ResponseError::NotLeaderOrFollower.code());
        }
    }
    // The follower learns the high watermark its own fetch may just have moved.
    let base = base.with_high_watermark(lock_log(&log).high_watermark());
    finish_read(ctx, &log, base, planned, at, end).await
}
