//! Fetch (key 1): read whole batches from partition logs, up to the high watermark, from the
//! partitions this broker leads (others answer NOT_LEADER_OR_FOLLOWER). A fetch that names a
//! replica id is a follower's, read up to the log end (`replica_fetch`).
//!
//! Long poll: when fewer than `min_bytes` are available the request waits, up to `max_wait_ms`,
//! for an append anywhere to wake it, then reads again. Byte limits follow KIP-74: the first
//! batch of the first non-empty partition is returned whole even when larger than the limits,
//! so a consumer can always make progress. Fetch sessions (KIP-227) are declined by answering
//! session id 0, which clients take as "send full fetches"; every fetch is then sessionless.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse};
use kafka_protocol::ResponseError;

use super::RequestContext;
use crate::limits::FETCH_WAIT_MS_MAX;
use crate::runtime::{now, timeout};
use crate::server::broker::lock_log;
use crate::server::errors;
use crate::storage::batch::BatchSplitter;
use crate::storage::codec::CODEC_ZSTD;
use crate::storage::PlannedRead;
use crate::types::TopicPartition;

pub async fn handle(ctx: &RequestContext, request: FetchRequest) -> FetchResponse {
    if request.session_id != 0 {
        // We never hand out sessions, so any id a client names is unknown to us.
        return FetchResponse::default()
            .with_error_code(ResponseError::FetchSessionIdNotFound.code());
    }
    let wait_ms = i64::from(request.max_wait_ms).clamp(0, FETCH_WAIT_MS_MAX);
    let deadline = now() + Duration::from_millis(wait_ms as u64);
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    let mut appends = ctx.broker.subscribe_appends();
    loop {
        appends.borrow_and_update();
        let (responses, bytes, errored) = read(ctx, &request).await;
        let remaining = deadline.saturating_duration_since(now());
        if bytes >= min_bytes || errored || remaining.is_zero() {
            return FetchResponse::default().with_responses(responses);
        }
        match timeout(remaining, appends.changed()).await {
            Ok(Ok(())) => continue,
            // Timed out with no append since the read above (an append would have woken us),
            // or the broker is going away: that read is still the answer.
            _ => return FetchResponse::default().with_responses(responses),
        }
    }
}

/// The record sets of a response, for the encoder to share into the frame instead of copying.
pub fn record_sets(response: &FetchResponse) -> Vec<Bytes> {
    response
        .responses
        .iter()
        .flat_map(|topic| &topic.partitions)
        .filter_map(|partition| partition.records.clone())
        .collect()
}

/// Reads every requested partition once; returns the responses, bytes read, and whether any
/// partition failed (an error is worth reporting at once rather than after the long poll).
async fn read(
    ctx: &RequestContext,
    request: &FetchRequest,
) -> (Vec<FetchableTopicResponse>, usize, bool) {
    let mut budget = usize::try_from(request.max_bytes).unwrap_or(0);
    let mut total = 0;
    let mut errored = false;
    let committed = request.isolation_level == 1;
    // A broker's follower fetch names its id (Fetch v14 and below; never negative).
    let replica = (request.replica_id.0 >= 0).then_some(request.replica_id.0);
    let mut topics = Vec::with_capacity(request.topics.len());
    for topic in &request.topics {
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for fetch in &topic.partitions {
            let tp = TopicPartition::new(topic.topic.0.to_string(), fetch.partition);
            let max_bytes = usize::try_from(fetch.partition_max_bytes)
                .unwrap_or(0)
                .min(budget);
            let at = FetchAt {
                fetch_offset: fetch.fetch_offset,
                max_bytes,
                first: total == 0,
                current_leader_epoch: fetch.current_leader_epoch,
                last_fetched_epoch: fetch.last_fetched_epoch,
            };
            let data = match replica {
                Some(replica) => super::replica_fetch::read(ctx, &tp, replica, &at).await,
                None => read_partition(ctx, &tp, &at).await,
            };
            let size = data.records.as_ref().map_or(0, Bytes::len);
            // A diverging epoch is an answer to give now, like an error.
            errored |= data.error_code != 0 || data.diverging_epoch.epoch >= 0;
            total += size;
            budget = budget.saturating_sub(size);
            let data = if committed {
                // read_committed clients expect a list (empty: no transactions yet), not null.
                data.with_aborted_transactions(Some(Vec::new()))
            } else {
                data
            };
            partitions.push(data);
        }
        topics.push(
            FetchableTopicResponse::default()
                .with_topic(topic.topic.clone())
                .with_topic_id(topic.topic_id)
                .with_partitions(partitions),
        );
    }
    (topics, total, errored)
}

/// Where and how much one partition's fetch reads.
pub(super) struct FetchAt {
    pub fetch_offset: i64,
    pub max_bytes: usize,
    /// The first partition of the response to hold data: its first batch goes whole (KIP-74).
    pub first: bool,
    pub current_leader_epoch: i32,
    pub last_fetched_epoch: i32,
}

/// Reads one partition for a consumer, up to the high watermark.
async fn read_partition(ctx: &RequestContext, tp: &TopicPartition, at: &FetchAt) -> PartitionData {
    let base = PartitionData::default()
        .with_partition_index(tp.partition)
        .with_records(Some(Bytes::new()));
    let (log, _) = match ctx.broker.leader_log_checked(tp, at.current_leader_epoch) {
        Ok(led) => led,
        Err(error) => return base.with_error_code(error.code()),
    };
    let FetchAt {
        fetch_offset,
        max_bytes,
        first,
        ..
    } = *at;
    let (base, high_watermark, planned) = {
        let locked = lock_log(&log);
        let high_watermark = locked.high_watermark();
        let base = base
            .with_high_watermark(high_watermark)
            .with_last_stable_offset(high_watermark)
            .with_log_start_offset(locked.log_start_offset());
        let planned = locked.plan_read(fetch_offset, max_bytes, high_watermark, first);
        (base, high_watermark, planned)
    };
    finish_read(ctx, &log, base, planned, at, high_watermark).await
}

/// Ends a planned read: a read of an older segment, which may miss the page cache, is awaited
/// without the log's lock (`Log::plan_read`), so a slow disk delays only this fetch.
pub(super) async fn finish_read(
    ctx: &RequestContext,
    log: &std::sync::Mutex<crate::storage::Log>,
    base: PartitionData,
    planned: PlannedRead,
    at: &FetchAt,
    max_offset: i64,
) -> PartitionData {
    let (fetch_offset, max_bytes, first) = (at.fetch_offset, at.max_bytes, at.first);
    let read = match planned {
        PlannedRead::Done(read) => read,
        PlannedRead::Cold(cold) => match cold.finish().await {
            // A flip on the way up is transient: read once more, as `Log::read` does.
            Err(error) if error.is_corruption() => {
                lock_log(log).read(fetch_offset, max_bytes, max_offset, first)
            }
            read => read,
        },
    };
    match read {
        // Fetch v10 is the first whose clients read zstd (KIP-110): older ones get Kafka's
        // error instead of batches they cannot decompress.
        Ok(records) if ctx.version() < ZSTD_FETCH_VERSION_MIN && holds_zstd(&records) => {
            base.with_error_code(ResponseError::UnsupportedCompressionType.code())
        }
        Ok(records) => base.with_records(Some(records)),
        Err(error) => base.with_error_code(errors::read_error(&error).code()),
    }
}

/// The first Fetch version whose clients can read zstd batches.
const ZSTD_FETCH_VERSION_MIN: i16 = 10;

fn holds_zstd(records: &[u8]) -> bool {
    BatchSplitter::new(records)
        .map_while(Result::ok)
        .any(|batch| batch.header.compression() == CODEC_ZSTD)
}
