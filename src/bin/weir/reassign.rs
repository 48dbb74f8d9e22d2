//! `weir reassign` (as `kafka-reassign-partitions`): move partitions to new replica sets with
//! Kafka's reassignment JSON (`{"version":1,"partitions":[{"topic":..,"partition":..,
//! "replicas":[..]}]}`). `--execute` starts them and prints the current assignment first (keep
//! it to roll back), `--verify` says of each partition whether its reassignment is complete or
//! still in progress, `--cancel` stops them, and `--list` shows every reassignment in progress.
//! Until data replication exists, a replica added on a new broker never joins the ISR, so such
//! a reassignment stays in progress until cancelled. The file is read through the
//! [`Disk`](weir::storage::Disk) seam.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{ArgGroup, Args};
use serde::{Deserialize, Serialize};
use weir::client::{Admin, OngoingReassignment, TopicPartition};
use weir::storage::{disk::read_all, FileDisk};

use crate::common::ConnectArgs;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("action").required(true)
    .args(["execute", "verify", "cancel", "list"])))]
pub struct ReassignArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Start the reassignments the JSON file describes.
    #[arg(long, requires = "reassignment_json_file")]
    pub execute: bool,
    /// Report, per partition of the JSON file, whether its reassignment has completed.
    #[arg(long, requires = "reassignment_json_file")]
    pub verify: bool,
    /// Cancel the reassignments of the partitions in the JSON file.
    #[arg(long, requires = "reassignment_json_file")]
    pub cancel: bool,
    /// List every reassignment in progress.
    #[arg(long)]
    pub list: bool,
    /// Kafka's reassignment JSON.
    #[arg(long, value_name = "FILE")]
    pub reassignment_json_file: Option<PathBuf>,
}

/// Kafka's reassignment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub version: i32,
    pub partitions: Vec<PlannedPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPartition {
    pub topic: String,
    pub partition: i32,
    pub replicas: Vec<i32>,
    /// Accepted for compatibility ("any" everywhere); Weir places logs itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_dirs: Option<Vec<String>>,
}

/// Parses and checks a reassignment file's text.
pub fn parse_plan(text: &str) -> anyhow::Result<Plan> {
    let plan: Plan = serde_json::from_str(text).context("not Kafka's reassignment JSON")?;
    if plan.version != 1 {
        bail!(
            "reassignment JSON version {} is not supported (1 is)",
            plan.version
        );
    }
    if plan.partitions.is_empty() {
        bail!("the reassignment JSON names no partitions");
    }
    let mut seen = BTreeMap::new();
    for p in &plan.partitions {
        if p.replicas.is_empty() {
            bail!("{}-{}: the replica list is empty", p.topic, p.partition);
        }
        if seen.insert((p.topic.as_str(), p.partition), ()).is_some() {
            bail!("{}-{} is listed twice", p.topic, p.partition);
        }
    }
    Ok(plan)
}

pub async fn run(args: ReassignArgs) -> anyhow::Result<()> {
    let admin = Admin::connect(args.connect.cluster_options()?).await?;
    if args.list {
        let ongoing = admin.list_partition_reassignments(None).await?;
        for line in list_lines(&ongoing) {
            println!("{line}");
        }
        return Ok(());
    }
    let path = args.reassignment_json_file.expect("clap requires the file");
    let bytes = read_all(&FileDisk::new(), &path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let plan = parse_plan(&text).with_context(|| format!("{}", path.display()))?;
    let partitions: Vec<TopicPartition> = (plan.partitions.iter())
        .map(|p| TopicPartition::new(&p.topic, p.partition))
        .collect();
    if args.verify {
        let ongoing = admin
            .list_partition_reassignments(Some(&partitions))
            .await?;
        let current = current_replicas(&admin, &plan).await?;
        let (lines, pending) = verify_lines(&plan, &ongoing, &current);
        for line in lines {
            println!("{line}");
        }
        if pending {
            bail!("not every reassignment is complete");
        }
        return Ok(());
    }
    let changes: Vec<(TopicPartition, Option<Vec<i32>>)> = if args.execute {
        let current = current_replicas(&admin, &plan).await?;
        println!("Current partition replica assignment\n");
        println!("{}\n", rollback_json(&plan, &current)?);
        println!("Save this to use as the --reassignment-json-file option during rollback");
        (plan.partitions.iter())
            .map(|p| {
                (
                    TopicPartition::new(&p.topic, p.partition),
                    Some(p.replicas.clone()),
                )
            })
            .collect()
    } else {
        partitions.iter().map(|tp| (tp.clone(), None)).collect()
    };
    let results = admin.alter_partition_reassignments(&changes).await?;
    let verb = if args.execute { "started" } else { "cancelled" };
    let (done, failed): (Vec<_>, Vec<_>) = results.iter().partition(|(_, r)| r.is_ok());
    if !done.is_empty() {
        let names: Vec<String> = done.iter().map(|(tp, _)| tp.to_string()).collect();
        println!(
            "Successfully {verb} partition reassignment(s) for {}",
            names.join(",")
        );
    }
    for (tp, result) in &failed {
        if let Err(error) = result {
            println!("Error reassigning partition(s): {tp}: {error}");
        }
    }
    if !failed.is_empty() {
        bail!("{} partition reassignment(s) failed", failed.len());
    }
    Ok(())
}

/// Each named partition's replicas now, from the metadata.
async fn current_replicas(
    admin: &Admin,
    plan: &Plan,
) -> anyhow::Result<BTreeMap<TopicPartition, Vec<i32>>> {
    let topics: Vec<String> = (plan.partitions.iter())
        .map(|p| p.topic.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut current = BTreeMap::new();
    for topic in admin.describe_topics(Some(&topics)).await? {
        for partition in &topic.partitions {
            let tp = TopicPartition::new(&topic.name, partition.partition);
            current.insert(tp, partition.replicas.clone());
        }
    }
    for p in &plan.partitions {
        let tp = TopicPartition::new(&p.topic, p.partition);
        if !current.contains_key(&tp) {
            bail!("partition {tp} does not exist");
        }
    }
    Ok(current)
}

/// The plan's partitions with their current replicas: the file that undoes `plan`.
pub fn rollback_json(
    plan: &Plan,
    current: &BTreeMap<TopicPartition, Vec<i32>>,
) -> anyhow::Result<String> {
    let partitions = (plan.partitions.iter())
        .map(|p| PlannedPartition {
            topic: p.topic.clone(),
            partition: p.partition,
            replicas: (current.get(&TopicPartition::new(&p.topic, p.partition)))
                .cloned()
                .unwrap_or_default(),
            log_dirs: None,
        })
        .collect();
    let rollback = Plan {
        version: 1,
        partitions,
    };
    Ok(serde_json::to_string(&rollback)?)
}

fn join(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

/// `--list`'s lines.
pub fn list_lines(ongoing: &[OngoingReassignment]) -> Vec<String> {
    if ongoing.is_empty() {
        return vec!["No partition reassignments found.".to_string()];
    }
    let mut lines = vec!["Current partition reassignments:".to_string()];
    for r in ongoing {
        lines.push(format!(
            "{}: replicas: {}. adding: {}. removing: {}.",
            r.partition,
            join(&r.replicas),
            join(&r.adding),
            join(&r.removing)
        ));
    }
    lines
}

/// `--verify`'s lines, and whether any reassignment is still in progress or did not happen.
pub fn verify_lines(
    plan: &Plan,
    ongoing: &[OngoingReassignment],
    current: &BTreeMap<TopicPartition, Vec<i32>>,
) -> (Vec<String>, bool) {
    let mut lines = vec!["Status of partition reassignment:".to_string()];
    let mut pending = false;
    for p in &plan.partitions {
        let tp = TopicPartition::new(&p.topic, p.partition);
        if ongoing.iter().any(|r| r.partition == tp) {
            lines.push(format!(
                "Reassignment of partition {tp} is still in progress."
            ));
            pending = true;
            continue;
        }
        match current.get(&tp) {
            Some(replicas) if *replicas == p.replicas => {
                lines.push(format!("Reassignment of partition {tp} is complete."));
            }
            Some(replicas) => {
                lines.push(format!(
                    "There is no active reassignment of partition {tp}, but replica set is \
                     {} rather than {}.",
                    join(replicas),
                    join(&p.replicas)
                ));
                pending = true;
            }
            None => {
                lines.push(format!("Partition {tp} does not exist."));
                pending = true;
            }
        }
    }
    (lines, pending)
}
