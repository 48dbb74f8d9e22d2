//! `weir consume`: prints records to stdout (as kafka-console-consumer), one value per line,
//! optionally with timestamp, partition, offset, headers and key.
//!
//! Without `--partition` every partition of the topic is assigned. It stops after
//! `--max-messages`, or when no record arrived for `--timeout-ms`, and then reports
//! "Processed a total of N messages" on stderr.

use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use weir::client::{ConsumerConfig, ConsumerRecord, OffsetReset, TimestampType, TopicPartition};
use weir::runtime;

use crate::common::{bool_property, parse_key_value, properties, ConnectArgs, Output};

/// How long one poll waits when no --timeout-ms bounds it.
const POLL_INTERVAL: Duration = Duration::from_millis(1000);

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The topic to read.
    #[arg(long)]
    pub topic: String,
    /// Start at the earliest offset instead of the latest.
    #[arg(long)]
    pub from_beginning: bool,
    /// Read only this partition.
    #[arg(long)]
    pub partition: Option<i32>,
    /// Where to start: an offset, earliest or latest.
    #[arg(long, allow_hyphen_values = true)]
    pub offset: Option<String>,
    /// Stop after this many records.
    #[arg(long)]
    pub max_messages: Option<u64>,
    /// Stop when no record arrived for this long.
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Formatter properties: print.key, print.value, print.timestamp, print.partition,
    /// print.offset, print.headers (true/false), key.separator, line.separator.
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub properties: Vec<(String, String)>,
}

/// Where to start reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    Latest,
    Offset(i64),
}

/// Parses `--offset`.
pub fn parse_start(offset: Option<&str>, from_beginning: bool) -> anyhow::Result<StartAt> {
    match offset {
        None if from_beginning => Ok(StartAt::Earliest),
        None => Ok(StartAt::Latest),
        Some("earliest") => Ok(StartAt::Earliest),
        Some("latest") => Ok(StartAt::Latest),
        Some(text) => match text.parse::<i64>() {
            Ok(offset) if offset >= 0 => Ok(StartAt::Offset(offset)),
            _ => bail!("--offset must be a non-negative number, earliest or latest; got {text:?}"),
        },
    }
}

/// Kafka's DefaultMessageFormatter, field for field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatter {
    pub print_timestamp: bool,
    pub print_partition: bool,
    pub print_offset: bool,
    pub print_headers: bool,
    pub print_key: bool,
    pub print_value: bool,
    pub key_separator: String,
}

impl Formatter {
    pub fn from_properties(pairs: &[(String, String)]) -> anyhow::Result<Self> {
        let props = properties(pairs);
        Ok(Self {
            print_timestamp: bool_property(&props, "print.timestamp", false)?,
            print_partition: bool_property(&props, "print.partition", false)?,
            print_offset: bool_property(&props, "print.offset", false)?,
            print_headers: bool_property(&props, "print.headers", false)?,
            print_key: bool_property(&props, "print.key", false)?,
            print_value: bool_property(&props, "print.value", true)?,
            key_separator: props
                .get("key.separator")
                .cloned()
                .unwrap_or_else(|| "\t".into()),
        })
    }

    /// One record as a line (without the line separator).
    pub fn format(&self, record: &ConsumerRecord) -> String {
        let mut fields = Vec::new();
        if self.print_timestamp {
            fields.push(match record.timestamp_type {
                _ if record.timestamp < 0 => "NO_TIMESTAMP".to_string(),
                TimestampType::CreateTime => format!("CreateTime:{}", record.timestamp),
                TimestampType::LogAppendTime => format!("LogAppendTime:{}", record.timestamp),
            });
        }
        if self.print_partition {
            fields.push(format!("Partition:{}", record.partition));
        }
        if self.print_offset {
            fields.push(format!("Offset:{}", record.offset));
        }
        if self.print_headers {
            let headers: Vec<String> = record
                .headers
                .iter()
                .map(|(name, value)| format!("{name}:{}", text_or_null(value.as_deref())))
                .collect();
            fields.push(if headers.is_empty() {
                "NO_HEADERS".to_string()
            } else {
                headers.join(",")
            });
        }
        if self.print_key {
            fields.push(text_or_null(record.key.as_deref()));
        }
        if self.print_value {
            fields.push(text_or_null(record.value.as_deref()));
        }
        fields.join(&self.key_separator)
    }
}

fn text_or_null(bytes: Option<&[u8]>) -> String {
    bytes.map_or_else(
        || "null".to_string(),
        |b| String::from_utf8_lossy(b).into_owned(),
    )
}

pub async fn run(args: ConsumeArgs) -> anyhow::Result<()> {
    let formatter = Formatter::from_properties(&args.properties)?;
    let start = parse_start(args.offset.as_deref(), args.from_beginning)?;
    let mut config = ConsumerConfig::new(&args.connect.bootstrap_server);
    config.cluster = args.connect.cluster_options()?;
    config.auto_offset_reset = match start {
        StartAt::Earliest => OffsetReset::Earliest,
        _ => OffsetReset::Latest,
    };
    let mut consumer = weir::client::Consumer::new(config).await?;
    let topic = consumer
        .cluster()
        .refresh_topic(&args.topic)
        .await
        .with_context(|| format!("topic {}", args.topic))?;
    let partitions: Vec<TopicPartition> = match args.partition {
        Some(partition) if topic.partition(partition).is_none() => {
            bail!("topic {} has no partition {partition}", args.topic)
        }
        Some(partition) => vec![TopicPartition::new(&args.topic, partition)],
        None => topic
            .partitions
            .iter()
            .map(|p| TopicPartition::new(&args.topic, p.partition))
            .collect(),
    };
    consumer.assign(partitions.clone());
    for tp in &partitions {
        match start {
            StartAt::Earliest => consumer.seek_to_beginning(std::slice::from_ref(tp)),
            StartAt::Latest => consumer.seek_to_end(std::slice::from_ref(tp)),
            StartAt::Offset(offset) => consumer.seek(tp, offset),
        }
    }
    let processed = print_records(&mut consumer, &args, &formatter).await?;
    eprintln!("Processed a total of {processed} messages");
    Ok(())
}

async fn print_records(
    consumer: &mut weir::client::Consumer,
    args: &ConsumeArgs,
    formatter: &Formatter,
) -> anyhow::Result<u64> {
    let mut out = Output::new();
    let idle_limit = args.timeout_ms.map(Duration::from_millis);
    let mut last_record = runtime::now();
    let mut processed = 0u64;
    loop {
        if args.max_messages.is_some_and(|max| processed >= max) {
            break;
        }
        let wait = match idle_limit {
            Some(limit) => {
                let idle = runtime::now().saturating_duration_since(last_record);
                if idle >= limit {
                    break;
                }
                (limit - idle).min(POLL_INTERVAL)
            }
            None => POLL_INTERVAL,
        };
        let records = consumer.poll(wait).await?;
        if !records.is_empty() {
            last_record = runtime::now();
        }
        for record in records {
            if args.max_messages.is_some_and(|max| processed >= max) {
                break;
            }
            if !out.line(&formatter.format(&record))? {
                return Ok(processed);
            }
            processed += 1;
        }
        if !out.flush()? {
            break;
        }
    }
    out.flush()?;
    Ok(processed)
}
