//! `weir cluster describe`: the metadata quorum as its leader sees it (as
//! `kafka-metadata-quorum describe --status --replication`), asked of a controller with
//! `--bootstrap-controller`: the leader, its epoch and high watermark, and per voter (and per
//! observer, a broker-only node following the quorum) its log end offset, its lag behind the
//! high watermark and how long ago it last fetched. A controller that
//! does not lead lists the voters' addresses; the tool asks them in turn. With
//! `--bootstrap-server`, it also lists every registered broker and whether the controller has
//! fenced it (DescribeCluster v2, KIP-1073).

use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::describe_quorum_response::ReplicaState;
use kafka_protocol::messages::{ApiKey, DescribeQuorumRequest, DescribeQuorumResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use weir::client::{Admin, ClusterDescription};
use weir::server::controller_client::call_address;

use crate::common::ConnectArgs;

const DESCRIBE_QUORUM_VERSION: i16 = 2;
const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    pub action: ClusterAction,
}

#[derive(Debug, Subcommand)]
pub enum ClusterAction {
    /// The active controller, the quorum's epoch and high watermark, and every voter's lag.
    #[command(group(clap::ArgGroup::new("to").required(true).multiple(true)
        .args(["bootstrap_controller", "bootstrap_server"])))]
    Describe {
        /// A controller's CONTROLLER listener, host:port: the quorum's state.
        #[arg(long)]
        bootstrap_controller: Option<String>,
        /// A broker, host:port[,...]: every registered broker, fenced or not.
        #[arg(long)]
        bootstrap_server: Option<String>,
    },
}

pub async fn run(args: ClusterArgs) -> anyhow::Result<()> {
    match args.action {
        ClusterAction::Describe {
            bootstrap_controller,
            bootstrap_server,
        } => {
            if let Some(controller) = bootstrap_controller {
                let response = describe(&controller).await?;
                for line in describe_lines(&response)? {
                    println!("{line}");
                }
            }
            if let Some(server) = bootstrap_server {
                let connect = ConnectArgs {
                    bootstrap_server: server,
                };
                let admin = Admin::connect(connect.cluster_options()?).await?;
                let description = admin.describe_cluster().await?;
                for line in broker_lines(&description) {
                    println!("{line}");
                }
            }
            Ok(())
        }
    }
}

async fn ask(address: &str) -> anyhow::Result<DescribeQuorumResponse> {
    let request = DescribeQuorumRequest::default().with_topics(vec![TopicData::default()
        .with_topic_name(TopicName(StrBytes::from_static_str("__cluster_metadata")))
        .with_partitions(vec![PartitionData::default().with_partition_index(0)])]);
    let key = ApiKey::DescribeQuorum;
    call_address(
        address,
        -1,
        "weir-cluster",
        key,
        DESCRIBE_QUORUM_VERSION,
        &request,
        WAIT,
    )
    .await
    .with_context(|| format!("cannot describe the quorum at {address}"))
}

/// Asks `address`; when it does not lead, asks the other voters it lists (only the leader
/// tracks the voters' progress).
async fn describe(address: &str) -> anyhow::Result<DescribeQuorumResponse> {
    let response = ask(address).await?;
    let leads = |response: &DescribeQuorumResponse| {
        let partition = response.topics.first().and_then(|t| t.partitions.first());
        partition.is_some_and(|p| p.error_code != ResponseError::NotLeaderOrFollower.code())
    };
    if leads(&response) {
        return Ok(response);
    }
    let others: Vec<String> = (response.nodes.iter())
        .filter_map(|node| node.listeners.first())
        .map(|listener| format!("{}:{}", listener.host, listener.port))
        .filter(|other| other != address)
        .collect();
    for other in others {
        if let Ok(answer) = ask(&other).await {
            if leads(&answer) {
                return Ok(answer);
            }
        }
    }
    bail!("no voter reachable from {address} leads the metadata quorum now; retry")
}

/// The report: status lines, then one line per voter.
pub fn describe_lines(response: &DescribeQuorumResponse) -> anyhow::Result<Vec<String>> {
    let Some(partition) = response.topics.first().and_then(|t| t.partitions.first()) else {
        bail!("the answer has no metadata partition");
    };
    if partition.error_code != 0 {
        let error = ResponseError::try_from_code(partition.error_code);
        bail!(
            "the controller refused: {error:?} (code {})",
            partition.error_code
        );
    }
    let leader = partition.leader_id.0;
    let hw = partition.high_watermark;
    // Fetch times are on the leader's clock; its own entry is "now".
    let now = (partition.current_voters.iter())
        .find(|v| v.replica_id.0 == leader)
        .map_or(-1, |v| v.last_fetch_timestamp);
    let ids = |replicas: &[ReplicaState]| {
        let ids: Vec<String> = replicas
            .iter()
            .map(|r| r.replica_id.0.to_string())
            .collect();
        format!("[{}]", ids.join(","))
    };
    let mut lines = vec![
        format!("LeaderId:       {leader}"),
        format!("LeaderEpoch:    {}", partition.leader_epoch),
        format!("HighWatermark:  {hw}"),
        format!("CurrentVoters:  {}", ids(&partition.current_voters)),
        format!("CurrentObservers: {}", ids(&partition.observers)),
        String::new(),
        "NodeId\tLogEndOffset\tLag\tLastFetchMsAgo\tStatus".to_string(),
    ];
    let row = |replica: &ReplicaState, status: &str| {
        let known = replica.log_end_offset >= 0;
        let lag = if known {
            (hw - replica.log_end_offset).max(0).to_string()
        } else {
            "unknown".to_string()
        };
        let ago = if replica.last_fetch_timestamp >= 0 && now >= 0 {
            (now - replica.last_fetch_timestamp).max(0).to_string()
        } else {
            "never".to_string()
        };
        let end = if known {
            replica.log_end_offset.to_string()
        } else {
            "unknown".to_string()
        };
        format!("{}\t{end}\t{lag}\t{ago}\t{status}", replica.replica_id.0)
    };
    for voter in &partition.current_voters {
        let status = if voter.replica_id.0 == leader {
            "Leader"
        } else {
            "Follower"
        };
        lines.push(row(voter, status));
    }
    for observer in &partition.observers {
        lines.push(row(observer, "Observer"));
    }
    Ok(lines)
}

/// The brokers' report: the cluster id, then one line per registered broker.
pub fn broker_lines(description: &ClusterDescription) -> Vec<String> {
    let mut lines = vec![
        format!(
            "ClusterId:      {}",
            description.cluster_id.as_deref().unwrap_or("unknown")
        ),
        String::new(),
        "BrokerId\tEndpoint\tStatus".to_string(),
    ];
    for broker in &description.brokers {
        let fenced = description.fenced.contains(&broker.node_id);
        let status = if fenced { "Fenced" } else { "Unfenced" };
        lines.push(format!(
            "{}\t{}:{}\t{status}",
            broker.node_id, broker.host, broker.port
        ));
    }
    lines
}
