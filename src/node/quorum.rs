//! Builds the node's metadata quorum service from its configuration: the Raft settings from
//! Kafka's `controller.quorum.*` keys, the controller's from the broker defaults it applies,
//! and the replica opened from `metadata.log.dir`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::Context;

use crate::config::BrokerConfig;
use crate::core::controller::ControllerSettings;
use crate::core::raft::{RaftConfig, RaftNode};
use crate::runtime::RngStream;
use crate::server::quorum::{ActiveController, MetadataReplica, QuorumService, ReplicaSettings};
use crate::storage::raft_store::RaftStoreConfig;
use crate::storage::Disk;

/// The Raft settings. Kafka's `controller.quorum.request.timeout.ms` is how long a request may
/// wait for its answer; ours also paces resends, which must come well inside the fetch timeout
/// or a live leader looks dead, so it is capped at a tenth of it.
pub fn raft_config(config: &BrokerConfig) -> RaftConfig {
    let kraft = &config.kraft;
    let voters: BTreeSet<i32> = kraft.voters.keys().copied().collect();
    let mut raft = RaftConfig::new(config.node_id, voters);
    raft.election_timeout_ms = kraft.quorum_election_timeout_ms;
    raft.fetch_timeout_ms = kraft.quorum_fetch_timeout_ms;
    raft.request_timeout_ms = kraft
        .quorum_request_timeout_ms
        .clamp(1, (raft.fetch_timeout_ms / 10).max(1));
    raft.fetch_interval_ms = raft.fetch_interval_ms.min(raft.request_timeout_ms);
    raft
}

/// The active controller's settings.
pub fn controller_settings(config: &BrokerConfig) -> ControllerSettings {
    let kraft = &config.kraft;
    ControllerSettings {
        session_timeout_ms: kraft.broker_session_timeout_ms,
        unclean_leader_election_default: config.value("unclean.leader.election.enable") == "true",
        min_insync_replicas_default: config
            .value("min.insync.replicas")
            .trim()
            .parse()
            .unwrap_or(1),
        auto_leader_rebalance: kraft.auto_leader_rebalance_enable,
        leader_imbalance_check_interval_ms: kraft
            .leader_imbalance_check_interval_seconds
            .saturating_mul(1000),
        default_partitions: config.num_partitions,
        default_replication_factor: config.default_replication_factor,
    }
}

/// Opens the metadata log and starts the quorum service (without its CONTROLLER listener,
/// which the node binds).
pub fn start(
    config: &BrokerConfig,
    disk: Arc<dyn Disk>,
    cluster_id: &str,
    seed: u64,
    now_ms: i64,
) -> anyhow::Result<Arc<QuorumService>> {
    let kraft = &config.kraft;
    let replica = open_replica(config, disk, seed, now_ms)?;
    let active = ActiveController::new(controller_settings(config), seed);
    let voters: BTreeMap<i32, String> = kraft
        .voters
        .iter()
        .map(|(&id, address)| (id, address.addr()))
        .collect();
    Ok(QuorumService::start(
        replica,
        active,
        config.node_id,
        cluster_id.to_string(),
        voters,
    ))
}

/// Opens the node's metadata replica from `metadata.log.dir`.
fn open_replica(
    config: &BrokerConfig,
    disk: Arc<dyn Disk>,
    seed: u64,
    now_ms: i64,
) -> anyhow::Result<MetadataReplica> {
    let kraft = &config.kraft;
    let raft = raft_config(config);
    raft.validate()
        .map_err(|error| anyhow::anyhow!("controller.quorum settings are invalid: {error:?}"))?;
    // When another voter holds the log, committed entries lost to damage can be fetched
    // again (see `core::raft::repair`); the only voter must stop instead.
    let others_hold_the_log = raft.voters.iter().any(|&voter| voter != raft.node_id);
    let settings = ReplicaSettings {
        raft,
        store: RaftStoreConfig {
            refetch_lost_commits: others_hold_the_log,
            ..RaftStoreConfig::default()
        },
        snapshot_after_bytes: u64::try_from(kraft.metadata_log_max_record_bytes_between_snapshots)
            .unwrap_or(u64::MAX)
            .max(1),
    };
    let dir = &kraft.metadata_log_dir;
    MetadataReplica::open(disk, dir, settings, RngStream::new(seed, "raft"), now_ms)
        .with_context(|| format!("cannot open the metadata log in {}", dir.display()))
}

/// The Raft state a node would restart with: what its disk holds of the quorum state and the
/// metadata log. The simulator counts a crashed voter with this while it is down, as Kafka's
/// RaftEventSimulationTest does.
pub fn durable_raft_node(config: &BrokerConfig, disk: Arc<dyn Disk>) -> anyhow::Result<RaftNode> {
    Ok(open_replica(config, disk, 0, 0)?.node().clone())
}
