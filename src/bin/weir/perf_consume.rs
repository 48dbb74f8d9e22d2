//! `weir perf consume`: reads `--messages` records from the start of every partition and
//! reports throughput (as kafka-consumer-perf-test) and poll latency percentiles.

use std::time::Duration;

use clap::Args;
use weir::client::{Consumer, ConsumerConfig, OffsetReset, TopicPartition};
use weir::runtime;

use crate::common::{format_time_ms, ConnectArgs};
use crate::perf::Stats;

const BYTES_PER_MB: f64 = 1024.0 * 1024.0;

#[derive(Debug, Args)]
pub struct PerfConsumeArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The topic to read.
    #[arg(long)]
    pub topic: String,
    /// Records to read.
    #[arg(long)]
    pub messages: u64,
    /// Give up when no record arrived for this long.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
}

pub async fn run(args: PerfConsumeArgs) -> anyhow::Result<()> {
    let mut config = ConsumerConfig::new(&args.connect.bootstrap_server);
    config.cluster = args.connect.cluster_options()?;
    config.auto_offset_reset = OffsetReset::Earliest;
    let mut consumer = Consumer::new(config).await?;
    let topic = consumer.cluster().refresh_topic(&args.topic).await?;
    let partitions: Vec<TopicPartition> = topic
        .partitions
        .iter()
        .map(|p| TopicPartition::new(&args.topic, p.partition))
        .collect();
    consumer.assign(partitions.clone());
    consumer.seek_to_beginning(&partitions);
    let start_ms = runtime::unix_time_ms();
    let mut polls = Stats::new();
    let (mut records, mut bytes) = (0u64, 0u64);
    let idle_limit = Duration::from_millis(args.timeout_ms);
    let mut last_record = runtime::now();
    let mut timed_out = false;
    while records < args.messages {
        let idle = runtime::now().saturating_duration_since(last_record);
        if idle >= idle_limit {
            timed_out = true;
            break;
        }
        let poll_start = runtime::now();
        let batch = consumer
            .poll((idle_limit - idle).min(Duration::from_secs(1)))
            .await?;
        if batch.is_empty() {
            continue;
        }
        last_record = runtime::now();
        let batch_bytes: usize = batch
            .iter()
            .map(|r| {
                r.value.as_ref().map_or(0, |v| v.len()) + r.key.as_ref().map_or(0, |k| k.len())
            })
            .sum();
        polls.record(
            last_record.saturating_duration_since(poll_start),
            batch_bytes,
            "read",
        );
        records += batch.len() as u64;
        bytes += batch_bytes as u64;
    }
    let end_ms = runtime::unix_time_ms();
    if timed_out {
        eprintln!(
            "WARNING: Exiting before consuming the expected number of messages: timeout ({} ms) \
             exceeded.",
            args.timeout_ms
        );
    }
    let seconds = ((end_ms - start_ms) as f64 / 1000.0).max(1e-9);
    let mb = bytes as f64 / BYTES_PER_MB;
    println!(
        "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, \
         rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
    );
    println!(
        "{}, {}, {mb:.4}, {:.4}, {records}, {:.4}, 0, {}, {:.4}, {:.4}",
        format_time_ms(start_ms),
        format_time_ms(end_ms),
        mb / seconds,
        records as f64 / seconds,
        end_ms - start_ms,
        mb / seconds,
        records as f64 / seconds
    );
    let summary = polls.summary();
    let [p50, p95, p99, p999] = summary.percentiles_ms;
    println!(
        "{} polls with records, {:.2} ms avg poll latency, {:.2} ms max, {p50:.1} ms 50th, \
         {p95:.1} ms 95th, {p99:.1} ms 99th, {p999:.1} ms 99.9th.",
        summary.count, summary.latency_ms_avg, summary.latency_ms_max
    );
    Ok(())
}
