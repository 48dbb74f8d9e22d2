//! The producer: partitions records, batches them per partition, sends batches to leaders.
//!
//! `send` waits only for metadata and buffer space, then returns a [`DeliveryFuture`], so a
//! caller can keep thousands of records in flight and await their acknowledgements later. A
//! sender task drains the accumulator (full batches at once, others after `linger.ms`), groups
//! batches by leader, and sends one Produce per leader with at most
//! `max.in.flight.requests.per.connection` outstanding per broker. Retriable errors refresh the
//! metadata and re-queue the batch after `retry.backoff.ms`, until `retries` or
//! `delivery.timeout.ms` run out. Without idempotence, retries may reorder or duplicate, as in
//! Kafka.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use kafka_protocol::records::Compression;

use super::accumulator::{Accumulator, Batch};
use super::cluster::{Cluster, ClusterOptions};
use super::error::{ClientError, Result};
use super::lock;
use super::partitioner::Partitioner;
use super::produce_request::send_batches;
use super::records::ProducerRecord;
use crate::runtime::{self, sync, JoinHandle, RngStream};
use crate::types::TopicPartition;

/// `acks`: how many replicas must have a batch before the leader answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// No answer at all; offsets are unknown (-1).
    None,
    /// The leader has appended it.
    Leader,
    /// Every in-sync replica has it.
    All,
}

impl Acks {
    pub fn wire(self) -> i16 {
        match self {
            Self::None => 0,
            Self::Leader => 1,
            Self::All => -1,
        }
    }

    /// Parses Kafka's spellings: `0`, `1`, `-1`, `all`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "0" => Some(Self::None),
            "1" => Some(Self::Leader),
            "-1" | "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// Parses `compression.type`: none, gzip, snappy, lz4, zstd.
pub fn parse_compression(text: &str) -> Option<Compression> {
    match text {
        "none" => Some(Compression::None),
        "gzip" => Some(Compression::Gzip),
        "snappy" => Some(Compression::Snappy),
        "lz4" => Some(Compression::Lz4),
        "zstd" => Some(Compression::Zstd),
        _ => None,
    }
}

/// Producer settings, named after Kafka's.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    pub cluster: ClusterOptions,
    pub acks: Acks,
    /// `linger.ms`
    pub linger: Duration,
    /// `batch.size`
    pub batch_size: usize,
    /// `compression.type`
    pub compression: Compression,
    /// `max.in.flight.requests.per.connection`
    pub max_in_flight_per_broker: usize,
    /// `retries`
    pub retries: u32,
    /// `delivery.timeout.ms`
    pub delivery_timeout: Duration,
    /// `request.timeout.ms`, sent to the broker as the produce timeout.
    pub request_timeout: Duration,
    /// `buffer.memory`: bytes of records waiting or in flight before `send` waits.
    pub buffer_memory: usize,
    /// `max.request.size`: the largest record (and produce request) sent.
    pub max_request_size: usize,
    /// `max.block.ms`: how long `send` waits for metadata.
    pub max_block: Duration,
    /// Seed of the sticky partitioner's random stream; `None` draws from the runtime.
    pub seed: Option<u64>,
}

impl ProducerConfig {
    /// Kafka's defaults (acks=all, linger 5 ms as in Kafka 4, 16 KiB batches).
    pub fn new(bootstrap: &str) -> Self {
        let mut cluster = ClusterOptions::new(bootstrap);
        // As the Java producer (allow.auto.create.topics=true): brokers with
        // auto.create.topics.enable create a topic on its first record.
        cluster.allow_auto_topic_creation = true;
        Self {
            cluster,
            acks: Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 16_384,
            compression: Compression::None,
            max_in_flight_per_broker: 5,
            retries: u32::MAX,
            delivery_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(30),
            buffer_memory: 32 * 1024 * 1024,
            max_request_size: 1024 * 1024,
            max_block: Duration::from_secs(60),
            seed: None,
        }
    }
}

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    pub topic: String,
    pub partition: i32,
    /// -1 with acks=0.
    pub offset: i64,
    /// The record's timestamp, or the broker's for LogAppendTime topics.
    pub timestamp: i64,
}

/// Completes when the record is acknowledged (or has failed for good).
#[derive(Debug)]
pub struct DeliveryFuture {
    reply: sync::oneshot::Receiver<Result<RecordMetadata>>,
}

impl Future for DeliveryFuture {
    type Output = Result<RecordMetadata>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.reply)
            .poll(cx)
            .map(|answer| answer.unwrap_or(Err(ClientError::ProducerClosed)))
    }
}

/// What travels with each record through the accumulator.
#[derive(Debug)]
pub(crate) struct Pending {
    pub reply: sync::oneshot::Sender<Result<RecordMetadata>>,
    /// Buffer memory held until the record is done.
    pub _memory: sync::OwnedSemaphorePermit,
}

pub(crate) type ProducerBatch = Batch<Pending>;

#[derive(Debug)]
pub(crate) struct State {
    pub accumulator: Accumulator<Pending>,
    partitioner: Partitioner,
    /// Batches handed to the network or waiting out a retry backoff.
    pub in_flight: usize,
    /// With `max_in_flight_per_broker` = 1, partitions with a batch in flight or waiting out a
    /// retry backoff: nothing more is sent to them until it is done, so a retry can never land
    /// after a later batch (the Java producer's "guarantee message order").
    pub muted: BTreeSet<TopicPartition>,
    /// Callers waiting in `flush` or `close`: drain without waiting for linger.
    flushers: usize,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub cluster: Arc<Cluster>,
    pub config: ProducerConfig,
    pub state: Mutex<State>,
    /// Wakes the sender task: a batch is ready, a flush began, the producer is closing.
    pub wake: sync::Notify,
    /// Wakes `flush` when batches complete.
    pub idle: sync::Notify,
    memory: Arc<sync::Semaphore>,
    /// Per-broker limit of in-flight produce requests.
    pub in_flight_limits: Mutex<BTreeMap<i32, Arc<sync::Semaphore>>>,
    closing: AtomicBool,
}

/// The producer.
#[derive(Debug)]
pub struct Producer {
    inner: Arc<Inner>,
    sender: Option<JoinHandle<()>>,
}

impl Producer {
    /// Connects to the cluster and starts the sender task.
    pub async fn new(config: ProducerConfig) -> Result<Self> {
        if config.batch_size == 0 || config.max_in_flight_per_broker == 0 {
            return Err(ClientError::InvalidConfig {
                key: "batch.size / max.in.flight.requests.per.connection",
                detail: "must be positive".into(),
            });
        }
        let cluster = Cluster::connect(config.cluster.clone()).await?;
        let seed = config.seed.unwrap_or_else(runtime::node_seed);
        let memory = config.buffer_memory.min(sync::Semaphore::MAX_PERMITS);
        let inner = Arc::new(Inner {
            cluster,
            state: Mutex::new(State {
                accumulator: Accumulator::new(config.batch_size, config.linger),
                partitioner: Partitioner::new(RngStream::new(seed, "producer.partitioner")),
                in_flight: 0,
                muted: BTreeSet::new(),
                flushers: 0,
            }),
            config,
            wake: sync::Notify::new(),
            idle: sync::Notify::new(),
            memory: Arc::new(sync::Semaphore::new(memory)),
            in_flight_limits: Mutex::new(BTreeMap::new()),
            closing: AtomicBool::new(false),
        });
        let sender = runtime::spawn(run_sender(inner.clone()));
        Ok(Self {
            inner,
            sender: Some(sender),
        })
    }

    /// The cluster this producer talks to.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.inner.cluster
    }

    /// Queues a record; completes once it is in a batch (after waiting for metadata or buffer
    /// space) and returns the future of its acknowledgement.
    pub async fn send(&self, record: ProducerRecord) -> Result<DeliveryFuture> {
        if self.inner.closing.load(Ordering::Acquire) {
            return Err(ClientError::ProducerClosed);
        }
        let size = record.size_estimate();
        let max = self
            .inner
            .config
            .max_request_size
            .min(self.inner.config.buffer_memory);
        if size > max {
            return Err(ClientError::RecordTooLarge { size, max });
        }
        let partitions = self.partition_count(&record.topic).await?;
        if let Some(partition) = record.partition {
            if !(0..partitions).contains(&partition) {
                return Err(ClientError::UnknownTopicOrPartition {
                    topic: record.topic.clone(),
                    partition: Some(partition),
                });
            }
        }
        let memory = self
            .inner
            .memory
            .clone()
            .acquire_many_owned(size as u32)
            .await
            .map_err(|_| ClientError::ProducerClosed)?;
        let timestamp = record.timestamp.unwrap_or_else(runtime::unix_time_ms);
        let (reply, delivery) = sync::oneshot::channel();
        let pending = Pending {
            reply,
            _memory: memory,
        };
        let (ready, closed) = {
            let mut state = lock(&self.inner.state);
            let state = &mut *state;
            let partition = record.partition.unwrap_or_else(|| {
                let key = record.key.as_deref();
                state.partitioner.partition(&record.topic, key, partitions)
            });
            let tp = TopicPartition::new(record.topic.clone(), partition);
            let appended =
                state
                    .accumulator
                    .append(tp.clone(), record, timestamp, pending, runtime::now);
            if appended.closed {
                let partitioner = &mut state.partitioner;
                partitioner.on_batch_closed(&tp.topic, partition, partitions);
            }
            (appended.closed || appended.opened, appended.closed)
        };
        // A full batch goes now; a new one brings a linger deadline the sender must wait for.
        if ready {
            self.inner.wake.notify_one();
        }
        if closed {
            // On a single-threaded runtime a caller sending in a tight loop would otherwise
            // queue everything before the sender task ever runs.
            runtime::yield_now().await;
        }
        Ok(DeliveryFuture { reply: delivery })
    }

    /// Sends everything queued now and waits until every record is acknowledged or failed.
    pub async fn flush(&self) {
        lock(&self.inner.state).flushers += 1;
        self.inner.wake.notify_one();
        loop {
            let idle = self.inner.idle.notified();
            {
                let state = lock(&self.inner.state);
                if state.accumulator.is_empty() && state.in_flight == 0 {
                    break;
                }
            }
            // The sender may be sleeping out a linger that started before we asked.
            self.inner.wake.notify_one();
            idle.await;
        }
        lock(&self.inner.state).flushers -= 1;
    }

    /// Flushes, then stops the sender task. Later sends fail with `ProducerClosed`.
    pub async fn close(mut self) {
        self.inner.closing.store(true, Ordering::Release);
        self.flush().await;
        self.inner.wake.notify_one();
        if let Some(sender) = self.sender.take() {
            let _ = sender.await;
        }
    }

    async fn partition_count(&self, topic: &str) -> Result<i32> {
        let deadline = runtime::now() + self.inner.config.max_block;
        loop {
            let result = match self.inner.cluster.metadata().topics.get(topic) {
                Some(known) => Ok(known.partitions.len() as i32),
                None => self
                    .inner
                    .cluster
                    .refresh_topic(topic)
                    .await
                    .map(|t| t.partitions.len() as i32),
            };
            match result {
                Ok(count) if count > 0 => return Ok(count),
                Ok(_) => {}
                Err(error) if !error.is_retriable() || runtime::now() >= deadline => {
                    return Err(error)
                }
                Err(_) => {}
            }
            if runtime::now() >= deadline {
                return Err(ClientError::UnknownTopicOrPartition {
                    topic: topic.to_string(),
                    partition: None,
                });
            }
            self.inner.cluster.backoff().await;
        }
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        // Without close, the sender task still drains what is queued, then exits.
        self.inner.closing.store(true, Ordering::Release);
        self.inner.wake.notify_one();
    }
}

/// The sender task: drain due batches, send them, sleep until the next linger deadline.
async fn run_sender(inner: Arc<Inner>) {
    loop {
        let closing = inner.closing.load(Ordering::Acquire);
        let (batches, deadline, idle) = {
            let mut state = lock(&inner.state);
            let force = closing || state.flushers > 0;
            let state = &mut *state;
            let muted = (inner.config.max_in_flight_per_broker == 1).then_some(&mut state.muted);
            let batches = state.accumulator.drain(runtime::now(), force, muted);
            state.in_flight += batches.len();
            for batch in &batches {
                let partitions = inner
                    .cluster
                    .metadata()
                    .topics
                    .get(&batch.tp.topic)
                    .map_or(1, |t| t.partitions.len() as i32);
                state
                    .partitioner
                    .on_batch_closed(&batch.tp.topic, batch.tp.partition, partitions);
            }
            let idle = state.accumulator.is_empty() && state.in_flight == 0;
            let muted = (inner.config.max_in_flight_per_broker == 1).then_some(&state.muted);
            (batches, state.accumulator.next_deadline(muted), idle)
        };
        if !batches.is_empty() {
            dispatch(&inner, batches).await;
            continue;
        }
        if closing && idle {
            return;
        }
        match deadline {
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(runtime::now());
                let _ = runtime::timeout(wait, inner.wake.notified()).await;
            }
            None => inner.wake.notified().await,
        }
    }
}

/// Groups batches by leader and starts one produce request per leader (at most the in-flight
/// limit per broker). Batches without a known leader wait out a backoff and come back.
async fn dispatch(inner: &Arc<Inner>, batches: Vec<ProducerBatch>) {
    let metadata = inner.cluster.metadata();
    let mut by_leader: BTreeMap<i32, Vec<ProducerBatch>> = BTreeMap::new();
    for batch in batches {
        match metadata.leader(&batch.tp.topic, batch.tp.partition) {
            Some(leader) => by_leader.entry(leader).or_default().push(batch),
            None => {
                let error = ClientError::NoLeader {
                    topic: batch.tp.topic.clone(),
                    partition: batch.tp.partition,
                };
                retry_or_fail(inner.clone(), batch, error, true);
            }
        }
    }
    for (leader, batches) in by_leader {
        let limit = {
            let mut limits = lock(&inner.in_flight_limits);
            let permits = inner.config.max_in_flight_per_broker;
            limits
                .entry(leader)
                .or_insert_with(|| Arc::new(sync::Semaphore::new(permits)))
                .clone()
        };
        for request in split_by_size(batches, inner.config.max_request_size) {
            let Ok(permit) = limit.clone().acquire_owned().await else {
                return;
            };
            let inner = inner.clone();
            runtime::spawn(async move {
                send_batches(&inner, leader, request).await;
                drop(permit);
            });
        }
    }
}

/// Splits one leader's batches into requests of at most `max_bytes` (each holds at least one)
/// with at most one batch per partition: a v3+ Produce carries exactly one batch per partition.
/// Requests on one connection are handled in order, so a partition's batches stay in order.
fn split_by_size(batches: Vec<ProducerBatch>, max_bytes: usize) -> Vec<Vec<ProducerBatch>> {
    let mut requests: Vec<Vec<ProducerBatch>> = Vec::new();
    let mut current_bytes = 0;
    for batch in batches {
        let fits = requests.last().is_some_and(|request| {
            !request.is_empty()
                && current_bytes + batch.size_bytes <= max_bytes
                && request.iter().all(|other| other.tp != batch.tp)
        });
        if !fits {
            requests.push(Vec::new());
            current_bytes = 0;
        }
        current_bytes += batch.size_bytes;
        requests.last_mut().expect("pushed above").push(batch);
    }
    requests
}

/// Completes every record of a batch with the same error.
pub(crate) fn fail_batch(inner: &Inner, batch: ProducerBatch, error: &ClientError) {
    for pending in batch.attached {
        let _ = pending.reply.send(Err(error.duplicate()));
    }
    finish_one(inner, &batch.tp);
}

/// One in-flight batch of `tp` is done (acknowledged, failed, or back in the accumulator): its
/// partition may send again.
pub(crate) fn finish_one(inner: &Inner, tp: &TopicPartition) {
    let mut state = lock(&inner.state);
    state.in_flight = state.in_flight.saturating_sub(1);
    let unmuted = state.muted.remove(tp);
    drop(state);
    inner.idle.notify_waiters();
    if unmuted {
        inner.wake.notify_one();
    }
}

/// Re-queues a batch after the backoff if attempts and time remain, otherwise fails it.
pub(crate) fn retry_or_fail(
    inner: Arc<Inner>,
    mut batch: ProducerBatch,
    error: ClientError,
    refresh: bool,
) {
    batch.attempts += 1;
    let expired = batch.created_at + inner.config.delivery_timeout <= runtime::now();
    if !error.is_retriable() || batch.attempts > inner.config.retries || expired {
        fail_batch(&inner, batch, &error);
        return;
    }
    tracing::debug!(tp = %batch.tp, %error, attempt = batch.attempts, "retrying produce");
    runtime::spawn(async move {
        if refresh {
            let _ = inner.cluster.refresh_topic_paced(&batch.tp.topic).await;
        }
        inner.cluster.backoff().await;
        let tp = batch.tp.clone();
        lock(&inner.state).accumulator.requeue(batch);
        // Back at the front of its partition's queue: the partition may send it now.
        finish_one(&inner, &tp);
    });
}
