//! `weir produce`: each stdin line becomes a record (as kafka-console-producer).
//!
//! Lines are sent as they come; whenever stdin has nothing more buffered (an interactive
//! terminal, or the end of a pipe's chunk) the producer is flushed so typed lines go out at
//! once and errors surface early. At EOF everything is flushed and any failure exits non-zero.

use std::io::{self, BufRead};
use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use clap::Args;
use weir::client::{
    parse_compression, Acks, DeliveryFuture, Producer, ProducerConfig, ProducerRecord,
};

use crate::common::{bool_property, parse_key_value, properties, ConnectArgs};

/// Stdin read buffer; larger than std's own 8 KiB so reads bypass it.
const STDIN_BUFFER_BYTES: usize = 64 * 1024;

#[derive(Debug, Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The topic to produce to.
    #[arg(long)]
    pub topic: String,
    /// Send every record to this partition instead of using the partitioner.
    #[arg(long)]
    pub partition: Option<i32>,
    /// acks: 0, 1, -1 or all.
    #[arg(long, default_value = "-1", allow_hyphen_values = true)]
    pub acks: String,
    /// none, gzip, snappy, lz4 or zstd.
    #[arg(long, default_value = "none")]
    pub compression_type: String,
    /// linger.ms
    #[arg(long, default_value_t = 5)]
    pub linger_ms: u64,
    /// batch.size in bytes.
    #[arg(long, default_value_t = 16_384)]
    pub batch_size: usize,
    /// Reader properties: parse.key=true, key.separator=SEP (default tab).
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub properties: Vec<(String, String)>,
}

/// Producer settings shared with `weir perf produce`.
pub fn producer_config(
    connect: &ConnectArgs,
    acks: &str,
    compression: &str,
    linger_ms: u64,
    batch_size: usize,
) -> anyhow::Result<ProducerConfig> {
    let mut config = ProducerConfig::new(&connect.bootstrap_server);
    config.cluster = connect.cluster_options()?;
    config.cluster.allow_auto_topic_creation = true;
    config.acks = Acks::parse(acks).with_context(|| format!("invalid --acks {acks:?}"))?;
    config.compression = parse_compression(compression)
        .with_context(|| format!("invalid --compression-type {compression:?}"))?;
    config.linger = Duration::from_millis(linger_ms);
    if batch_size == 0 {
        bail!("--batch-size must be positive");
    }
    config.batch_size = batch_size;
    // A console tool should fail in seconds, not retry for Kafka's two minutes.
    config.delivery_timeout = Duration::from_secs(30);
    config.max_block = Duration::from_secs(10);
    Ok(config)
}

/// How a line becomes a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineReader {
    pub parse_key: bool,
    pub key_separator: String,
}

impl LineReader {
    /// The (key, value) of a line; line numbers count from 1 for messages.
    pub fn parse(&self, line: &str, number: u64) -> anyhow::Result<(Option<Bytes>, Bytes)> {
        if !self.parse_key {
            return Ok((None, Bytes::copy_from_slice(line.as_bytes())));
        }
        let Some((key, value)) = line.split_once(self.key_separator.as_str()) else {
            bail!(
                "no key separator {:?} found on line number {number}",
                self.key_separator
            );
        };
        Ok((
            Some(Bytes::copy_from_slice(key.as_bytes())),
            Bytes::copy_from_slice(value.as_bytes()),
        ))
    }
}

pub async fn run(args: ProduceArgs) -> anyhow::Result<()> {
    let props = properties(&args.properties);
    let reader = LineReader {
        parse_key: bool_property(&props, "parse.key", false)?,
        key_separator: props
            .get("key.separator")
            .cloned()
            .unwrap_or_else(|| "\t".into()),
    };
    if reader.key_separator.is_empty() {
        bail!("key.separator must not be empty");
    }
    let config = producer_config(
        &args.connect,
        &args.acks,
        &args.compression_type,
        args.linger_ms,
        args.batch_size,
    )?;
    let producer = Producer::new(config).await?;
    let result = pump(&producer, &args, &reader).await;
    producer.close().await;
    result
}

async fn pump(producer: &Producer, args: &ProduceArgs, reader: &LineReader) -> anyhow::Result<()> {
    // Our own buffer (larger than std's, so std's stays empty) tells us when the next read
    // would block.
    let mut stdin = io::BufReader::with_capacity(STDIN_BUFFER_BYTES, io::stdin());
    let mut pending: Vec<DeliveryFuture> = Vec::new();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        if stdin.read_line(&mut line).context("reading stdin")? == 0 {
            break;
        }
        number += 1;
        let text = line.strip_suffix('\n').unwrap_or(&line);
        let text = text.strip_suffix('\r').unwrap_or(text);
        let (key, value) = reader.parse(text, number)?;
        let record = ProducerRecord {
            topic: args.topic.clone(),
            partition: args.partition,
            key,
            value: Some(value),
            ..ProducerRecord::default()
        };
        pending.push(producer.send(record).await?);
        if stdin.buffer().is_empty() {
            // The next read may block on the terminal: deliver what we have first.
            settle(producer, &mut pending).await?;
        }
    }
    settle(producer, &mut pending).await
}

async fn settle(producer: &Producer, pending: &mut Vec<DeliveryFuture>) -> anyhow::Result<()> {
    producer.flush().await;
    for delivery in pending.drain(..) {
        delivery.await?;
    }
    Ok(())
}
