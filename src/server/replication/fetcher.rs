//! Follower fetchers: one task per source broker, as Kafka's `ReplicaFetcherThread`s, each
//! fetching every partition this broker follows from that leader in one Fetch (v12: the
//! replica id, each partition's `LastFetchedEpoch`, bounded by `replica.fetch.max.bytes` per
//! partition and `replica.fetch.response.max.bytes` in all, waiting up to
//! `replica.fetch.wait.max.ms` at the leader), over the client connection of the runtime seam,
//! so the simulator runs exactly this code.
//!
//! What comes back is applied partition by partition: batches go into the log as the leader
//! stored them (`Log::append_as_follower`), made durable first if the flush policy asks (the
//! next fetch tells the leader the follower has them); a `DivergingEpoch` truncates the log to
//! where it last agrees with the leader's (KIP-279) before fetching on; the high watermark
//! learnt is the leader's, capped at what this log holds. A partition whose leadership changed
//! while the fetch was out is left alone. Errors back off `replica.fetch.backoff.ms`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::fetch_response::PartitionData;
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::ResponseError;

use super::Followed;
use crate::canary::{self, Canary};
use crate::client::connection::{Connection, ConnectionOptions};
use crate::core::replication::divergence::truncation_offset;
use crate::runtime::{self, unix_time_ms, JoinHandle};
use crate::server::broker::Broker;
use crate::server::handlers::str_bytes;
use crate::storage::{lock_log, wait_durable, LogRole};
use crate::types::TopicPartition;

/// The Fetch version followers send: the first with `DivergingEpoch` (KIP-279) that still
/// names topics (v13 moved to topic ids).
const REPLICA_FETCH_VERSION: i16 = 12;

/// Keeps one fetcher per broker this broker follows partitions from, for the broker's life.
pub async fn run_fetchers(broker: Arc<Broker>) {
    let mut changes = broker.replicas.subscribe_followed();
    let mut fetchers = Fetchers::default();
    loop {
        changes.borrow_and_update();
        let sources = broker.replicas.sources();
        fetchers.0.retain(|source, task| {
            // A fetcher ends only by panicking: start it again.
            let keep = sources.contains(source) && !task.is_finished();
            if !keep {
                task.abort();
            }
            keep
        });
        for source in sources {
            (fetchers.0)
                .entry(source)
                .or_insert_with(|| runtime::spawn(fetch_from(broker.clone(), source)));
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

/// The running fetchers by source broker; stopped with the task that owns them (a node that
/// stops aborts it).
#[derive(Default)]
struct Fetchers(BTreeMap<i32, JoinHandle<()>>);

impl Drop for Fetchers {
    fn drop(&mut self) {
        for task in self.0.values() {
            task.abort();
        }
    }
}

/// Fetches from `source` for as long as the supervisor keeps this task (it aborts it once this
/// broker follows nothing there). A partition whose fetch failed waits out
/// `replica.fetch.backoff.ms` alone; the others go on.
async fn fetch_from(broker: Arc<Broker>, source: i32) {
    let config = broker.config.replica;
    let backoff = Duration::from_millis(config.fetch_backoff_ms.max(1) as u64);
    let mut changes = broker.replicas.subscribe_followed();
    let mut connection: Option<Arc<Connection>> = None;
    let mut resting: BTreeMap<TopicPartition, runtime::Instant> = BTreeMap::new();
    // Where the next request starts in the partition list, so that a response budget spent
    // on the first partitions does not starve the last (Kafka rotates the same way).
    let mut start = 0;
    loop {
        changes.borrow_and_update();
        let now = runtime::now();
        resting.retain(|_, until| *until > now);
        let mut followed: Vec<Followed> = (broker.replicas.followed_from(source).into_iter())
            .filter(|f| !resting.contains_key(&f.tp))
            .collect();
        if followed.is_empty() {
            // Nothing to fetch now: wait for a partition to come back from its rest, or for
            // the followed partitions to change.
            let wake = resting.values().min().copied();
            let rest = async {
                match wake {
                    Some(until) => runtime::sleep_until(until).await,
                    None => std::future::pending().await,
                }
            };
            runtime::select! {
                _ = changes.changed() => {}
                _ = rest => {}
            }
            continue;
        }
        start %= followed.len();
        followed.rotate_left(start);
        start += 1;
        let open = match &connection {
            Some(open) if !open.is_closed() => open.clone(),
            _ => match connect(&broker, source).await {
                Ok(open) => {
                    connection = Some(open.clone());
                    open
                }
                Err(why) => {
                    tracing::debug!(source, "cannot reach the leader: {why}");
                    runtime::sleep(backoff).await;
                    continue;
                }
            },
        };
        let request = fetch_request(&broker, &followed);
        let wait = open.request_timeout() + Duration::from_millis(config.fetch_wait_max_ms as u64);
        let response = open
            .request_with(&request, REPLICA_FETCH_VERSION, wait)
            .await;
        let response = match response {
            Ok(response) if response.error_code == 0 => response,
            Ok(response) => {
                tracing::debug!(source, error = response.error_code, "replica fetch refused");
                runtime::sleep(backoff).await;
                continue;
            }
            Err(error) => {
                tracing::debug!(source, %error, "replica fetch failed");
                connection = None;
                runtime::sleep(backoff).await;
                continue;
            }
        };
        let by_tp: BTreeMap<(String, i32), &Followed> = (followed.iter())
            .map(|f| ((f.tp.topic.clone(), f.tp.partition), f))
            .collect();
        for topic in &response.responses {
            for data in &topic.partitions {
                let key = (topic.topic.0.to_string(), data.partition_index);
                let Some(partition) = by_tp.get(&key) else {
                    continue;
                };
                if !apply(&broker, source, partition, data).await {
                    resting.insert(partition.tp.clone(), runtime::now() + backoff);
                }
            }
        }
    }
}

async fn connect(broker: &Broker, source: i32) -> Result<Arc<Connection>, String> {
    let listener = &broker.config.kraft.inter_broker_listener_name;
    let image = broker.image();
    let registration = image.brokers.get(&source).ok_or("not registered")?;
    let endpoint = (registration.endpoints.iter())
        .find(|e| &e.listener == listener)
        .or_else(|| registration.endpoints.first())
        .ok_or("no endpoint")?;
    let address = format!("{}:{}", endpoint.host, endpoint.port);
    let options = ConnectionOptions {
        client_id: format!("weir-replica-fetcher-{}", broker.config.node_id),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
    };
    Connection::connect(&address, &options)
        .await
        .map_err(|error| format!("{address}: {error}"))
}

fn fetch_request(broker: &Broker, followed: &[Followed]) -> FetchRequest {
    let config = broker.config.replica;
    let mut topics: BTreeMap<&str, Vec<FetchPartition>> = BTreeMap::new();
    for partition in followed {
        let (fetch_offset, last_epoch, log_start) = {
            let log = lock_log(&partition.log);
            let last = match canary::is_on(Canary::TruncationSkipped) {
                true => -1,
                false => log.latest_epoch().unwrap_or(-1),
            };
            (log.log_end_offset(), last, log.log_start_offset())
        };
        let fetch = FetchPartition::default()
            .with_partition(partition.tp.partition)
            .with_current_leader_epoch(partition.leader_epoch)
            .with_fetch_offset(fetch_offset)
            .with_last_fetched_epoch(last_epoch)
            .with_log_start_offset(log_start)
            .with_partition_max_bytes(config.fetch_max_bytes);
        topics.entry(&partition.tp.topic).or_default().push(fetch);
    }
    let topics = (topics.into_iter())
        .map(|(name, partitions)| {
            FetchTopic::default()
                .with_topic(TopicName(str_bytes(name)))
                .with_partitions(partitions)
        })
        .collect();
    FetchRequest::default()
        .with_replica_id(BrokerId(broker.config.node_id))
        .with_max_wait_ms(config.fetch_wait_max_ms)
        .with_min_bytes(config.fetch_min_bytes)
        .with_max_bytes(config.fetch_response_max_bytes)
        .with_session_epoch(-1)
        .with_topics(topics)
}

/// Applies one partition's answer; false if it failed (the partition rests a while). Every
/// change to the log is made under its lock after checking that this broker still follows the
/// partition from `source` in the epoch the fetch was made in: a leadership that changed while
/// the fetch was out must not see its log touched by a stale answer.
async fn apply(broker: &Broker, source: i32, partition: &Followed, data: &PartitionData) -> bool {
    let tp = &partition.tp;
    let role = LogRole::Follower {
        leader: source,
        epoch: partition.leader_epoch,
    };
    let code = data.error_code;
    if code == ResponseError::OffsetOutOfRange.code() {
        return reset_out_of_range(broker, partition, data, role);
    }
    if code != 0 {
        // The leader moved or our metadata is behind: the next image says what to do.
        tracing::debug!(partition = %tp, error = code, "replica fetch of a partition refused");
        return false;
    }
    if data.diverging_epoch.epoch >= 0 {
        let diverging = (data.diverging_epoch.epoch, data.diverging_epoch.end_offset);
        let mut log = lock_log(&partition.log);
        if log.role() != role {
            return true;
        }
        let ours = log.end_offset_for_epoch(diverging.0);
        let end = log.log_end_offset();
        let offset = truncation_offset(diverging, ours, end);
        crate::event!(
            "truncate {tp} epoch={} from={end} to={offset} diverging={}@{}",
            partition.leader_epoch,
            diverging.0,
            diverging.1
        );
        return match log.truncate_to(offset) {
            Ok(()) => true,
            Err(error) => {
                drop(log);
                record_failure(broker, &format!("truncate {tp}"), &error);
                false
            }
        };
    }
    let records: &[u8] = data.records.as_ref().map_or(&[], Bytes::as_ref);
    let (appended, flush_to) = {
        let mut log = lock_log(&partition.log);
        if log.role() != role {
            return true;
        }
        let appended = match log.append_as_follower(records, partition.leader_epoch, unix_time_ms())
        {
            Ok(appended) => appended,
            Err(error) => {
                drop(log);
                tracing::warn!(partition = %tp, %error, "batches from the leader refused");
                if let crate::storage::AppendError::Storage(error) = &error {
                    record_failure(broker, &format!("append to {tp}"), error);
                }
                return false;
            }
        };
        let end = log.log_end_offset();
        let hw = data.high_watermark.min(end);
        if hw > log.high_watermark() {
            log.set_high_watermark(hw);
        }
        // The leader's log start (DeleteRecords, retention) is the follower's too, as far as
        // it has committed, so a consumer or a new leader never serves what the leader deleted
        // (Kafka's follower `maybeIncrementLogStartOffset`).
        let start = data.log_start_offset.min(log.high_watermark());
        if start > log.log_start_offset() {
            crate::event!("follow {tp} log start {start}");
            if let Err(error) = log.increment_log_start_offset(start) {
                tracing::warn!(partition = %tp, %error, "the leader's log start not taken");
                if let crate::storage::ReadError::Storage(error) = &error {
                    record_failure(broker, &format!("log start of {tp}"), error);
                }
            }
        }
        let due = appended.is_some() && log.flush_due();
        (appended, due.then_some(end))
    };
    if let Some(appended) = appended {
        crate::event!(
            "replicate {tp} epoch={} offsets={}..={} hw={}",
            partition.leader_epoch,
            appended.first_offset,
            appended.last_offset,
            data.high_watermark
        );
    }
    if let Some(end) = flush_to {
        if let Err(error) = wait_durable(&partition.log, end).await {
            record_failure(broker, &format!("flush {tp}"), &error);
            return false;
        }
    }
    broker.notify_append();
    true
}

/// A disk failure fails the broker; a log deleted or set aside meanwhile is no failure.
fn record_failure(broker: &Broker, what: &str, error: &std::io::Error) {
    if error.kind() != std::io::ErrorKind::NotFound {
        broker.health.record(what, error);
    }
}

/// The leader has no records at our fetch offset: below its log start (retention moved it)
/// the log restarts empty there; past its end the log keeps only what the leader's high
/// watermark vouches for, and divergence checks do the rest on the next fetch.
fn reset_out_of_range(
    broker: &Broker,
    partition: &Followed,
    data: &PartitionData,
    role: LogRole,
) -> bool {
    let tp = &partition.tp;
    let mut log = lock_log(&partition.log);
    if log.role() != role {
        return true;
    }
    let end = log.log_end_offset();
    if canary::is_on(Canary::TruncationSkipped) && data.log_start_offset <= end {
        // The canary keeps its tail and waits for the leader's log to grow past it.
        return false;
    }
    let result = if data.log_start_offset > end {
        crate::event!("reset {tp} to leader log start {}", data.log_start_offset);
        log.truncate_fully_and_start_at(data.log_start_offset)
    } else if data.high_watermark >= 0 && data.high_watermark < end {
        crate::event!(
            "truncate {tp} from={end} to={} (out of range)",
            data.high_watermark
        );
        log.truncate_to(data.high_watermark)
    } else {
        return false;
    };
    match result {
        Ok(()) => true,
        Err(error) => {
            drop(log);
            record_failure(broker, &format!("truncate {tp}"), &error);
            false
        }
    }
}
