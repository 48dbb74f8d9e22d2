//! Client workloads written with Weir's native client, recording every operation in the
//! history: an admin client creates the topic, producers send unique values (keyed or not, at
//! the plan's acks), consumers assign every partition and poll, and in the liveness phase each
//! producer writes again and a final reader reads every partition from the beginning to its
//! end.
//!
//! A send that fails after the producer's retries is recorded as `info`, not `fail`: an earlier
//! attempt may have landed before a timeout, so only acknowledgements are facts. Consumers use
//! `auto.offset.reset=none`: when a crash has shortened a log under a consumer, the workload
//! itself seeks to the new end and records that seek, so the poll checkers never mistake a
//! reset for a skip or a step back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use weir::client::admin::{Admin, NewTopic};
use weir::client::cluster::ClusterOptions;
use weir::client::consumer::{Consumer, ConsumerConfig, OffsetReset};
use weir::client::offsets::OffsetSpec;
use weir::client::producer::{Acks, Producer, ProducerConfig};
use weir::client::records::{ConsumerRecord, ProducerRecord};
use weir::types::TopicPartition;

use super::cluster::lock;
use crate::history::{History, Op, Outcome, Process, Read};
use crate::scenario::Plan;
use crate::trace::Trace;

/// The topic every workload uses.
pub const TOPIC: &str = "sim";
/// Distinct keys for keyed sends.
const KEYS: u64 = 17;
/// The pause between sends once a producer has sent its planned records.
const TRICKLE_MS: u64 = 100;

/// The shared history, appended to by every client task.
#[derive(Clone, Default)]
pub struct Recorder {
    history: Arc<Mutex<History>>,
    trace: Trace,
}

impl Recorder {
    pub fn new(trace: Trace) -> Self {
        Self {
            history: Arc::default(),
            trace,
        }
    }

    pub fn record(&self, process: Process, outcome: Outcome, op: Op) {
        let at_ms = crate::trace::sim_time_ms();
        lock(&self.history).push(process, outcome, op, at_ms);
    }

    pub fn history(&self) -> History {
        lock(&self.history).clone()
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }
}

pub(crate) fn options(bootstrap: &str) -> ClusterOptions {
    let mut options = ClusterOptions::new(bootstrap);
    options.connection.request_timeout = Duration::from_secs(3);
    options.connection.connect_timeout = Duration::from_secs(2);
    options
}

/// Creates the topic, retrying until the broker answers (it may be down at first).
pub async fn create_topic(bootstrap: &str, plan: &Plan, recorder: &Recorder) -> bool {
    let what = format!("create topic {TOPIC} partitions={}", plan.partitions);
    recorder.record(
        Process::Admin,
        Outcome::Invoke,
        Op::Admin { what: what.clone() },
    );
    for _ in 0..60 {
        let shape = TopicShape {
            partitions: plan.partitions,
            replication_factor: plan.replication_factor,
            configs: plan.topic_configs.clone(),
        };
        if create_topic_once(bootstrap, TOPIC, &shape).await == Creation::Created {
            recorder.record(Process::Admin, Outcome::Ok, Op::Admin { what });
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    recorder.record(Process::Admin, Outcome::Info, Op::Admin { what });
    false
}

/// Kafka's TOPIC_ALREADY_EXISTS.
const TOPIC_ALREADY_EXISTS: i16 = 36;

/// What one attempt to create a topic came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// Acknowledged, or "already exists" (an earlier attempt inside the client landed).
    Created,
    /// No broker could be reached: nothing was asked.
    NotConnected,
    /// Asked, but not acknowledged: it may or may not have been committed.
    Unknown,
}

/// How a topic is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicShape {
    pub partitions: i32,
    pub replication_factor: i16,
    pub configs: BTreeMap<String, String>,
}

impl TopicShape {
    /// `partitions` partitions of one replica, default configs.
    pub fn single(partitions: i32) -> Self {
        TopicShape {
            partitions,
            replication_factor: 1,
            configs: BTreeMap::new(),
        }
    }
}

/// One attempt to create `name` as `shape` says.
pub async fn create_topic_once(bootstrap: &str, name: &str, shape: &TopicShape) -> Creation {
    let Ok(admin) = Admin::connect(options(bootstrap)).await else {
        return Creation::NotConnected;
    };
    let topic = NewTopic {
        name: name.to_string(),
        partitions: shape.partitions,
        replication_factor: shape.replication_factor,
        configs: shape.configs.clone(),
    };
    match admin.create_topics(&[topic], false).await {
        Ok(results) if !results.is_empty() => {
            let created = results.iter().all(|(_, result)| match result {
                Ok(()) => true,
                Err(error) => error.kafka_code() == Some(TOPIC_ALREADY_EXISTS),
            });
            if created {
                Creation::Created
            } else {
                Creation::Unknown
            }
        }
        _ => Creation::Unknown,
    }
}

/// Writes each producer makes once the faults are healed, every one of them acknowledged.
pub const WRITES_AFTER_HEAL: u64 = 5;
/// The first sequence number of the writes after the heal: far above any the safety phase
/// reaches, so values stay unique across the run.
const AFTER_HEAL_SEQ: u64 = 1 << 31;

/// Producer `number`'s configuration: the plan's acks, one request in flight.
fn producer_config(number: u32, bootstrap: &str, plan: &Plan) -> ProducerConfig {
    let mut config = ProducerConfig::new(bootstrap);
    config.cluster = options(bootstrap);
    config.acks = if plan.acks == "all" {
        Acks::All
    } else {
        Acks::Leader
    };
    config.seed = Some(plan.seed ^ u64::from(number));
    config.request_timeout = Duration::from_secs(3);
    config.delivery_timeout = Duration::from_secs(10);
    config.max_block = Duration::from_secs(5);
    config.linger = Duration::from_millis(2);
    // One request in flight: without idempotence, a retried batch could otherwise land after a
    // later one, which nonmonotonic-send would (rightly) report.
    config.max_in_flight_per_broker = 1;
    config
}

/// Starts a producer, retrying (the broker may be down or cut off), as a real application
/// would, until it starts or `give_up` says so.
async fn start_producer(
    process: Process,
    config: ProducerConfig,
    recorder: &Recorder,
    give_up: &(dyn Fn() -> bool + Sync),
) -> Option<Producer> {
    loop {
        match Producer::new(config.clone()).await {
            Ok(producer) => return Some(producer),
            Err(error) => {
                recorder
                    .trace()
                    .event(&process.to_string(), format_args!("cannot start: {error}"));
                if give_up() {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// The record carrying `value`, keyed if the plan says so.
fn record_of(value: u64, plan: &Plan) -> ProducerRecord {
    let record = ProducerRecord::new(TOPIC, encode_value(value, plan.record_bytes));
    if plan.keyed {
        record.with_key(Bytes::from(format!("k{}", value % KEYS)))
    } else {
        record
    }
}

/// One producer: `plan.records` sends of unique values, until done or `stop` says so.
pub async fn produce(
    number: u32,
    bootstrap: String,
    plan: Plan,
    recorder: Recorder,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let process = Process::Producer(number);
    let config = producer_config(number, &bootstrap, &plan);
    let give_up = || stop.load(std::sync::atomic::Ordering::Relaxed);
    let Some(producer) = start_producer(process, config, &recorder, &give_up).await else {
        return;
    };
    let durable = plan.acks_are_durable();
    let mut deliveries = Vec::new();
    // `records` sends at the plan's pace, then one every `TRICKLE_MS` until the safety phase
    // ends, so that late faults still hit a broker with writes in flight.
    for seq in 0.. {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        if seq >= plan.records {
            tokio::time::sleep(Duration::from_millis(TRICKLE_MS)).await;
        }
        // Unique across the run: the producer number in the high bits.
        let value = (u64::from(number) << 32) | seq;
        let invoke = unacknowledged(value, durable);
        recorder.record(process, Outcome::Invoke, invoke.clone());
        match producer.send(record_of(value, &plan)).await {
            Ok(delivery) => {
                let recorder = recorder.clone();
                deliveries.push(weir::runtime::spawn(async move {
                    settle(process, value, durable, delivery.await, &recorder);
                }));
            }
            Err(_) => recorder.record(process, Outcome::Info, invoke),
        }
        if plan.send_interval_ms > 0 {
            tokio::time::sleep(Duration::from_millis(plan.send_interval_ms)).await;
        }
    }
    producer.flush().await;
    for delivery in deliveries {
        let _ = delivery.await;
    }
    producer.close().await;
}

/// Producer `number` once the faults are healed, as the application would carry on after the
/// incident: a fresh producer sends, one write at a time, until `WRITES_AFTER_HEAL` writes are
/// acknowledged (a failed send is recorded as `info` and a new value tried). It never gives
/// up by itself: the liveness phase's deadline bounds it, and the history says how far it got.
pub async fn produce_after_heal(number: u32, bootstrap: String, plan: Plan, recorder: Recorder) {
    let process = Process::HealedProducer(number);
    let mut config = producer_config(number, &bootstrap, &plan);
    config.seed = Some(plan.seed ^ u64::from(number) ^ AFTER_HEAL_SEQ);
    let Some(producer) = start_producer(process, config, &recorder, &|| false).await else {
        return;
    };
    let durable = plan.acks_are_durable();
    let mut acknowledged = 0;
    for seq in AFTER_HEAL_SEQ.. {
        if acknowledged == WRITES_AFTER_HEAL {
            break;
        }
        let value = (u64::from(number) << 32) | seq;
        let invoke = unacknowledged(value, durable);
        recorder.record(process, Outcome::Invoke, invoke);
        let result = match producer.send(record_of(value, &plan)).await {
            Ok(delivery) => delivery.await,
            Err(error) => Err(error),
        };
        if settle(process, value, durable, result, &recorder) {
            acknowledged += 1;
        } else {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    producer.close().await;
}

/// The writes after the heal that were acknowledged, per producer (for the liveness report).
pub fn acknowledged_after_heal(history: &History) -> BTreeMap<u32, u64> {
    let mut acknowledged = BTreeMap::new();
    for event in &history.events {
        if let (Process::HealedProducer(number), Outcome::Ok, Op::Send { .. }) =
            (event.process, event.outcome, &event.op)
        {
            *acknowledged.entry(number).or_insert(0) += 1;
        }
    }
    acknowledged
}

/// A send of `value` as known before (or without) an acknowledgement: no partition or offset.
fn unacknowledged(value: u64, durable: bool) -> Op {
    Op::Send {
        value,
        partition: None,
        offset: None,
        durable,
    }
}

/// Records how a send ended; true if it was acknowledged.
fn settle(
    process: Process,
    value: u64,
    durable: bool,
    result: weir::client::Result<weir::client::producer::RecordMetadata>,
    recorder: &Recorder,
) -> bool {
    match result {
        Ok(meta) => {
            recorder.trace().event(
                &process.to_string(),
                format_args!(
                    "ack value={value} partition={} offset={}",
                    meta.partition, meta.offset
                ),
            );
            recorder.record(
                process,
                Outcome::Ok,
                Op::Send {
                    value,
                    partition: Some(meta.partition),
                    offset: Some(meta.offset),
                    durable,
                },
            );
            true
        }
        Err(_) => {
            recorder.record(process, Outcome::Info, unacknowledged(value, durable));
            false
        }
    }
}

/// The record value: the decimal value, padded with spaces to the plan's size.
fn encode_value(value: u64, size: usize) -> Bytes {
    let mut text = value.to_string().into_bytes();
    if text.len() < size {
        text.resize(size, b' ');
    }
    Bytes::from(text)
}

/// The value `encode_value` wrote: digits, then only spaces. Byte by byte, because records
/// run to 2,000 bytes of padding and this runs for every record every consumer reads (trimming
/// the padding as a `str` was a tenth of a three-node run's instructions).
fn decode_value(bytes: Option<&Bytes>) -> Option<u64> {
    let bytes = bytes?;
    let digits = bytes.iter().position(|&b| b == b' ').unwrap_or(bytes.len());
    // Compared a slice at a time (memcmp) rather than byte by byte: every record read is
    // checked, and its padding is most of its bytes.
    const SPACES: [u8; 64] = [b' '; 64];
    if !(bytes[digits..].chunks(SPACES.len())).all(|chunk| chunk == &SPACES[..chunk.len()]) {
        return None;
    }
    std::str::from_utf8(&bytes[..digits]).ok()?.parse().ok()
}

fn partitions(plan: &Plan) -> Vec<TopicPartition> {
    (0..plan.partitions)
        .map(|p| TopicPartition::new(TOPIC, p))
        .collect()
}

/// Where a consumer reads next, per partition.
pub type Positions = BTreeMap<i32, i64>;

/// One consumer under assign: polls until `stop`, or, as the final reader, until it has read
/// every partition up to `until` (its log end offsets).
pub async fn consume(
    process: Process,
    bootstrap: String,
    plan: Plan,
    recorder: Recorder,
    stop: Arc<std::sync::atomic::AtomicBool>,
    until: Option<Positions>,
) -> Positions {
    let tps = partitions(&plan);
    let mut next: Positions = tps.iter().map(|tp| (tp.partition, 0)).collect();
    let mut consumer: Option<Consumer> = None;
    loop {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        if let Some(until) = &until {
            if until
                .iter()
                .all(|(p, end)| next.get(p).copied().unwrap_or(0) >= *end)
            {
                break;
            }
        }
        let active = match consumer.as_mut() {
            Some(active) => active,
            None => match start_consumer(process, &bootstrap, &tps, &next, &recorder).await {
                Some(started) => consumer.insert(started),
                None => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            },
        };
        recorder.record(process, Outcome::Invoke, Op::Poll { reads: Vec::new() });
        match active.poll(Duration::from_millis(300)).await {
            Ok(records) => {
                let reads = reads_of(&records);
                for read in &reads {
                    next.insert(read.partition, read.offset + 1);
                }
                if !reads.is_empty() {
                    let last = reads.last().map_or(0, |r| r.offset);
                    recorder.trace().event(
                        &process.to_string(),
                        format_args!("fetch records={} last_offset={last}", reads.len()),
                    );
                }
                recorder.record(process, Outcome::Ok, Op::Poll { reads });
            }
            Err(error) => {
                recorder.record(process, Outcome::Fail, Op::Poll { reads: Vec::new() });
                recorder
                    .trace()
                    .event(&process.to_string(), format_args!("poll failed: {error}"));
                if error.kafka_code() == Some(1) {
                    clamp_to_log_end(process, &bootstrap, &tps, &mut next, &recorder).await;
                }
                // A fresh consumer at the recorded positions (with its seeks recorded).
                consumer = None;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    next
}

async fn start_consumer(
    process: Process,
    bootstrap: &str,
    tps: &[TopicPartition],
    next: &Positions,
    recorder: &Recorder,
) -> Option<Consumer> {
    let mut config = ConsumerConfig::new(bootstrap);
    config.cluster = options(bootstrap);
    config.auto_offset_reset = OffsetReset::None;
    let mut consumer = Consumer::new(config).await.ok()?;
    consumer.assign(tps.to_vec());
    for tp in tps {
        let offset = next.get(&tp.partition).copied().unwrap_or(0);
        consumer.seek(tp, offset);
        recorder.record(
            process,
            Outcome::Ok,
            Op::Seek {
                partition: tp.partition,
                offset,
            },
        );
    }
    Some(consumer)
}

/// After OFFSET_OUT_OF_RANGE: positions past a log's end move to that end (the log lost its
/// tail in a crash); positions before its start move to the start.
async fn clamp_to_log_end(
    process: Process,
    bootstrap: &str,
    tps: &[TopicPartition],
    next: &mut Positions,
    recorder: &Recorder,
) {
    let Ok(admin) = Admin::connect(options(bootstrap)).await else {
        return;
    };
    let ends: BTreeMap<TopicPartition, OffsetSpec> = tps
        .iter()
        .map(|tp| (tp.clone(), OffsetSpec::Latest))
        .collect();
    let starts: BTreeMap<TopicPartition, OffsetSpec> = tps
        .iter()
        .map(|tp| (tp.clone(), OffsetSpec::Earliest))
        .collect();
    let (Ok(ends), Ok(starts)) = (
        admin.list_offsets(&ends).await,
        admin.list_offsets(&starts).await,
    ) else {
        return;
    };
    for tp in tps {
        let (Some(end), Some(start)) = (ends.get(tp), starts.get(tp)) else {
            continue;
        };
        let position = next.entry(tp.partition).or_insert(0);
        let clamped = (*position).clamp(start.offset, end.offset.max(start.offset));
        if clamped != *position {
            recorder.trace().event(
                &process.to_string(),
                format_args!(
                    "reposition partition={} from={} to={clamped}",
                    tp.partition, *position
                ),
            );
            *position = clamped;
        }
    }
}

fn reads_of(records: &[ConsumerRecord]) -> Vec<Read> {
    records
        .iter()
        .filter_map(|record| {
            Some(Read {
                partition: record.partition,
                offset: record.offset,
                value: decode_value(record.value.as_ref())?,
            })
        })
        .collect()
}

/// The log end offset of every partition, once the broker answers (None: it never did).
pub async fn log_end_offsets(bootstrap: &str, plan: &Plan) -> Option<Positions> {
    let admin = Admin::connect(options(bootstrap)).await.ok()?;
    let specs: BTreeMap<TopicPartition, OffsetSpec> = partitions(plan)
        .into_iter()
        .map(|tp| (tp, OffsetSpec::Latest))
        .collect();
    let ends = admin.list_offsets(&specs).await.ok()?;
    Some(
        ends.into_iter()
            .map(|(tp, o)| (tp.partition, o.offset))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_padded_records() {
        let bytes = encode_value(1 << 33 | 7, 40);
        assert_eq!(bytes.len(), 40);
        assert_eq!(decode_value(Some(&bytes)), Some(1 << 33 | 7));
        assert_eq!(decode_value(Some(&Bytes::from_static(b"x"))), None);
        assert_eq!(decode_value(Some(&Bytes::from_static(b"12 3 "))), None);
        assert_eq!(decode_value(Some(&Bytes::from_static(b" "))), None);
        assert_eq!(decode_value(Some(&Bytes::from_static(b"42"))), Some(42));
        // Long padding is checked to its last byte.
        let long = encode_value(9, 1000);
        assert_eq!(decode_value(Some(&long)), Some(9));
        for at in [2, 63, 64, 65, 500, 999] {
            let mut damaged = long.to_vec();
            damaged[at] = b'x';
            assert_eq!(decode_value(Some(&Bytes::from(damaged))), None, "x at {at}");
        }
    }
}
