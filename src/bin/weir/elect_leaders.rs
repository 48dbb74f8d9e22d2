//! `weir elect-leaders` (as `kafka-leader-election`): run preferred or unclean leader elections
//! on one partition or on every partition, and report, as Kafka's tool does, which partitions
//! got a new leader, which already had a valid one, and which failed (then exit non-zero).

use anyhow::bail;
use clap::{Args, ValueEnum};
use kafka_protocol::ResponseError;
use weir::client::{Admin, ClientError, Election, TopicPartition};

use crate::common::ConnectArgs;

#[derive(Debug, Args)]
pub struct ElectLeadersArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// PREFERRED moves leadership back to each partition's first replica; UNCLEAN gives a
    /// partition with no live leader one from outside its ISR (acknowledged data may be lost).
    #[arg(long, value_enum, ignore_case = true)]
    pub election_type: ElectionType,
    /// Elect on every partition of every topic.
    #[arg(long, conflicts_with_all = ["topic", "partition"])]
    pub all_topic_partitions: bool,
    /// The topic of the one partition to elect on (with --partition).
    #[arg(long, requires = "partition")]
    pub topic: Option<String>,
    /// The partition to elect on (with --topic).
    #[arg(long, requires = "topic")]
    pub partition: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ElectionType {
    Preferred,
    Unclean,
}

impl ElectionType {
    fn name(self) -> &'static str {
        match self {
            Self::Preferred => "PREFERRED",
            Self::Unclean => "UNCLEAN",
        }
    }
}

pub async fn run(args: ElectLeadersArgs) -> anyhow::Result<()> {
    let partitions = match (&args.topic, args.partition) {
        (Some(topic), Some(partition)) => Some(vec![TopicPartition::new(topic, partition)]),
        _ if args.all_topic_partitions => None,
        _ => bail!("name one partition (--topic and --partition) or --all-topic-partitions"),
    };
    let admin = Admin::connect(args.connect.cluster_options()?).await?;
    let kind = match args.election_type {
        ElectionType::Preferred => Election::Preferred,
        ElectionType::Unclean => Election::Unclean,
    };
    let results = admin.elect_leaders(kind, partitions.as_deref()).await?;
    let (lines, failed) = report(args.election_type, &results);
    for line in lines {
        println!("{line}");
    }
    if failed > 0 {
        bail!("{failed} replica(s) could not be elected");
    }
    Ok(())
}

/// The tool's lines for `results`, and how many partitions failed.
pub fn report(
    kind: ElectionType,
    results: &[(TopicPartition, Result<(), ClientError>)],
) -> (Vec<String>, usize) {
    let name = kind.name();
    let mut elected = Vec::new();
    let mut already = Vec::new();
    let mut errors = Vec::new();
    for (tp, result) in results {
        match result {
            Ok(()) => elected.push(tp.to_string()),
            Err(error) if error.kafka_code() == Some(ResponseError::ElectionNotNeeded.code()) => {
                already.push(tp.to_string())
            }
            Err(error) => errors.push(format!(
                "Error completing leader election ({name}) for partition: {tp}: {error}"
            )),
        }
    }
    let mut lines = Vec::new();
    if !elected.is_empty() {
        lines.push(format!(
            "Successfully completed leader election ({name}) for partitions {}",
            elected.join(", ")
        ));
    }
    if !already.is_empty() {
        lines.push(format!(
            "Valid replica already elected for partitions {}",
            already.join(", ")
        ));
    }
    let failed = errors.len();
    lines.extend(errors);
    if lines.is_empty() {
        lines.push(format!("No partition needed a leader election ({name})"));
    }
    (lines, failed)
}
