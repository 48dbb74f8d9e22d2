//! `weir perf produce`: sends `--num-records` records of `--record-size` bytes, optionally
//! throttled to `--throughput` records/sec, keeping as many in flight as the producer's buffer
//! allows, and reports ack latency as kafka-producer-perf-test does.

use std::time::Duration;

use anyhow::bail;
use bytes::Bytes;
use clap::Args;
use weir::client::{ClientError, DeliveryFuture, Producer, ProducerRecord};
use weir::runtime::{self, RngStream};

use crate::common::ConnectArgs;
use crate::perf::Stats;
use crate::produce::producer_config;

#[derive(Debug, Args)]
pub struct PerfProduceArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The topic to produce to.
    #[arg(long)]
    pub topic: String,
    /// Records to send.
    #[arg(long)]
    pub num_records: u64,
    /// Bytes per record value.
    #[arg(long)]
    pub record_size: usize,
    /// Records per second at most; -1 for no limit.
    #[arg(long, allow_hyphen_values = true)]
    pub throughput: f64,
    /// acks: 0, 1, -1 or all.
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    pub acks: String,
    /// batch.size in bytes.
    #[arg(long, default_value_t = 16_384)]
    pub batch_size: usize,
    /// linger.ms
    #[arg(long, default_value_t = 5)]
    pub linger_ms: u64,
    /// none, gzip, snappy, lz4 or zstd.
    #[arg(long, default_value = "none")]
    pub compression_type: String,
}

/// Shared between the send loop and the tasks awaiting acknowledgements.
struct Progress {
    stats: Stats,
    failed: u64,
    first_error: Option<ClientError>,
}

pub async fn run(args: PerfProduceArgs) -> anyhow::Result<()> {
    if args.throughput == 0.0 {
        bail!("--throughput must be positive or -1");
    }
    let config = producer_config(
        &args.connect,
        &args.acks,
        &args.compression_type,
        args.linger_ms,
        args.batch_size,
    )?;
    let producer = Producer::new(config).await?;
    let payload = random_payload(args.record_size);
    // One collector task awaits the acknowledgements in send order, rather than a task per
    // record: spawning a million tasks cost more CPU than encoding the records. Latency is
    // taken when the collector sees an acknowledgement, so a record acknowledged before an
    // earlier one (another partition) reads a little late; sends are in order per partition.
    let (deliveries, mut pending) = runtime::sync::mpsc::unbounded_channel();
    let size = payload.len();
    let collector = runtime::spawn(async move {
        let mut progress = Progress {
            stats: Stats::new(),
            failed: 0,
            first_error: None,
        };
        while let Some((delivery, sent_at)) = pending.recv().await {
            let delivery: DeliveryFuture = delivery;
            let result = delivery.await;
            let latency = runtime::now().saturating_duration_since(sent_at);
            match result {
                Ok(_) => {
                    if let Some(line) = progress.stats.record(latency, size, "sent") {
                        println!("{line}");
                    }
                }
                Err(error) => {
                    progress.failed += 1;
                    progress.first_error.get_or_insert(error);
                }
            }
        }
        progress
    });
    let start = runtime::now();
    for sent in 0..args.num_records {
        if args.throughput > 0.0 {
            let due = start + Duration::from_secs_f64(sent as f64 / args.throughput);
            runtime::sleep_until(due).await;
        }
        let sent_at = runtime::now();
        let record = ProducerRecord {
            topic: args.topic.clone(),
            value: Some(payload.clone()),
            ..ProducerRecord::default()
        };
        let delivery = producer.send(record).await?;
        // The collector only stops after the last send, so the channel is open here.
        let _ = deliveries.send((delivery, sent_at));
    }
    drop(deliveries);
    producer.flush().await;
    let progress = collector.await?;
    producer.close().await;
    println!("{}", progress.stats.summary().final_line("sent"));
    if let Some(error) = &progress.first_error {
        bail!("{} records failed; the first: {error}", progress.failed);
    }
    Ok(())
}

/// Uppercase letters, as kafka-producer-perf-test fills its payload.
fn random_payload(size: usize) -> Bytes {
    let mut rng = RngStream::new(runtime::node_seed(), "perf.payload");
    (0..size)
        .map(|_| b'A' + rng.below(26) as u8)
        .collect::<Vec<u8>>()
        .into()
}
