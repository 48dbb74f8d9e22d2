//! `weir topics`: create, list, describe, alter (grow partitions) and delete topics, with
//! kafka-topics' flags and output.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use clap::{ArgGroup, Args};
use weir::client::topic_partitions::EligibleLeaders;
use weir::client::{Admin, ConfigResource, NewTopic, ResourceType, TopicInfo, TopicPartition};

use crate::common::{parse_key_value, ConnectArgs, Output};

/// TOPIC_ALREADY_EXISTS, tolerated with --if-not-exists.
const TOPIC_ALREADY_EXISTS: i16 = 36;
/// UNKNOWN_TOPIC_OR_PARTITION, tolerated with --if-exists.
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
/// ConfigSource DYNAMIC_TOPIC_CONFIG: what kafka-topics lists under "Configs:".
const DYNAMIC_TOPIC_CONFIG: i8 = 1;

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("action").required(true).args(["create", "list", "describe", "alter", "delete"])
))]
pub struct TopicsArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Create a topic.
    #[arg(long)]
    pub create: bool,
    /// List topic names.
    #[arg(long)]
    pub list: bool,
    /// Describe topics (all, or --topic).
    #[arg(long)]
    pub describe: bool,
    /// Grow a topic's partitions to --partitions.
    #[arg(long)]
    pub alter: bool,
    /// Delete a topic.
    #[arg(long)]
    pub delete: bool,
    /// The topic.
    #[arg(long)]
    pub topic: Option<String>,
    /// Partitions for --create (default: the broker's num.partitions) or --alter.
    #[arg(long)]
    pub partitions: Option<i32>,
    /// Replication factor for --create (default: the broker's default.replication.factor).
    #[arg(long)]
    pub replication_factor: Option<i16>,
    /// A topic config for --create: --config key=value (repeatable).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub configs: Vec<(String, String)>,
    /// With --create: succeed if the topic exists.
    #[arg(long)]
    pub if_not_exists: bool,
    /// With --alter/--delete/--describe: succeed if the topic does not exist.
    #[arg(long)]
    pub if_exists: bool,
    /// With --list/--describe: include internal topics.
    #[arg(long)]
    pub exclude_internal: bool,
}

pub async fn run(args: TopicsArgs) -> anyhow::Result<()> {
    let admin = Admin::connect(args.connect.cluster_options()?).await?;
    let mut out = Output::new();
    if args.create {
        create(&admin, &args, &mut out).await?;
    } else if args.list {
        for name in admin.list_topics(!args.exclude_internal).await? {
            if !out.line(&name)? {
                break;
            }
        }
    } else if args.describe {
        describe(&admin, &args, &mut out).await?;
    } else if args.alter {
        alter(&admin, &args).await?;
    } else if args.delete {
        delete(&admin, &args).await?;
    }
    out.flush()?;
    Ok(())
}

fn required_topic(args: &TopicsArgs) -> anyhow::Result<&str> {
    args.topic
        .as_deref()
        .context("--topic is required for this action")
}

async fn create(admin: &Admin, args: &TopicsArgs, out: &mut Output) -> anyhow::Result<()> {
    let name = required_topic(args)?;
    let topic = NewTopic {
        name: name.to_string(),
        partitions: args.partitions.unwrap_or(-1),
        replication_factor: args.replication_factor.unwrap_or(-1),
        configs: args.configs.iter().cloned().collect(),
    };
    let results = admin.create_topics(&[topic], false).await?;
    for (name, result) in results {
        match result {
            Ok(()) => {
                out.line(&format!("Created topic {name}."))?;
            }
            Err(error)
                if args.if_not_exists && error.kafka_code() == Some(TOPIC_ALREADY_EXISTS) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

async fn describe(admin: &Admin, args: &TopicsArgs, out: &mut Output) -> anyhow::Result<()> {
    let names = args.topic.as_ref().map(|topic| vec![topic.clone()]);
    let topics = match admin.describe_topics(names.as_deref()).await {
        Err(error) if args.if_exists && error.kafka_code().is_none() => return Ok(()),
        result => result?,
    };
    for topic in topics {
        if topic.is_internal && args.exclude_internal {
            continue;
        }
        let configs = dynamic_configs(admin, &topic.name).await;
        let elr = match admin
            .eligible_leaders(std::slice::from_ref(&topic.name))
            .await
        {
            Ok(elr) => Some(elr),
            Err(error) => {
                // Kafka's tool prints N/A too when the broker cannot say.
                tracing::debug!(%error, topic = topic.name, "describe topic partitions failed");
                None
            }
        };
        for line in describe_lines(&topic, &configs, elr.as_ref()) {
            if !out.line(&line)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The topic's non-default configs as `k=v,k2=v2`; empty if the broker cannot describe them.
async fn dynamic_configs(admin: &Admin, topic: &str) -> String {
    let resource = ConfigResource {
        resource_type: ResourceType::Topic,
        name: topic.to_string(),
    };
    match admin.describe_configs(&resource).await {
        Ok(entries) => entries
            .iter()
            .filter(|entry| entry.source == DYNAMIC_TOPIC_CONFIG)
            .map(|entry| {
                let value = if entry.is_sensitive {
                    "<sensitive>".to_string()
                } else {
                    entry.value.clone().unwrap_or_else(|| "null".into())
                };
                format!("{}={value}", entry.name)
            })
            .collect::<Vec<_>>()
            .join(","),
        Err(error) => {
            tracing::debug!(%error, topic, "describe configs failed");
            String::new()
        }
    }
}

/// kafka-topics' --describe lines for one topic, with each partition's eligible leader
/// replicas from `elr` (`None`: the broker could not say, printed N/A as Kafka does), and the
/// leader epoch after Kafka's columns.
pub fn describe_lines(
    topic: &TopicInfo,
    configs: &str,
    elr: Option<&BTreeMap<TopicPartition, EligibleLeaders>>,
) -> Vec<String> {
    let replication_factor = topic.partitions.first().map_or(0, |p| p.replicas.len());
    let mut lines = vec![format!(
        "Topic: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}",
        topic.name,
        topic.partitions.len(),
        replication_factor,
        configs
    )];
    for partition in &topic.partitions {
        let leader = if partition.leader < 0 {
            "none".to_string()
        } else {
            partition.leader.to_string()
        };
        let tp = TopicPartition::new(&topic.name, partition.partition);
        let (elr, last_known) = match elr {
            None => ("N/A".to_string(), "N/A".to_string()),
            Some(map) => {
                let known = map.get(&tp).cloned().unwrap_or_default();
                (join_ids(&known.elr), join_ids(&known.last_known_elr))
            }
        };
        let mut line = format!(
            "\tTopic: {}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}\tElr: {}\t\
             LastKnownElr: {}\tLeaderEpoch: {}",
            topic.name,
            partition.partition,
            leader,
            join_ids(&partition.replicas),
            join_ids(&partition.isr),
            elr,
            last_known,
            partition.leader_epoch
        );
        if !partition.offline_replicas.is_empty() {
            line.push_str(&format!(
                "\tOffline: {}",
                join_ids(&partition.offline_replicas)
            ));
        }
        lines.push(line);
    }
    lines
}

fn join_ids(ids: &[i32]) -> String {
    ids.iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

async fn alter(admin: &Admin, args: &TopicsArgs) -> anyhow::Result<()> {
    let name = required_topic(args)?;
    let Some(partitions) = args.partitions else {
        bail!("--alter needs --partitions");
    };
    match admin.create_partitions(name, partitions, false).await {
        Err(error) if args.if_exists && error.kafka_code() == Some(UNKNOWN_TOPIC_OR_PARTITION) => {
            Ok(())
        }
        result => Ok(result?),
    }
}

async fn delete(admin: &Admin, args: &TopicsArgs) -> anyhow::Result<()> {
    let name = required_topic(args)?;
    for (_, result) in admin.delete_topics(&[name.to_string()]).await? {
        match result {
            Err(error)
                if args.if_exists && error.kafka_code() == Some(UNKNOWN_TOPIC_OR_PARTITION) => {}
            result => result?,
        }
    }
    Ok(())
}
