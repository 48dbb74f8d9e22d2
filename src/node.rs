//! One broker node: configuration, storage, server and background work wired together, the
//! same in a real process (`weir broker`) and on a simulated madsim node.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::config::BrokerConfig;
use crate::runtime::{self, listen, node_seed, spawn, JoinHandle};
use crate::server::listener::accept_loop;
use crate::server::Broker;
use crate::storage::{Disk, FileDisk};

/// A running node: its broker and the tasks serving it.
pub struct Node {
    pub broker: Arc<Broker>,
    /// The address each listener is bound to (port 0 in the config resolves here).
    pub bound: Vec<std::net::SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl Node {
    /// Opens storage and starts listening. Ports bound to 0 are resolved in `bound`.
    pub async fn start(config: BrokerConfig, disk: Arc<dyn Disk>) -> anyhow::Result<Node> {
        check_wired(&config)?;
        let broker = Broker::open(config, disk, node_seed())?;
        let mut tasks = Vec::new();
        let mut bound = Vec::new();
        for listener_config in &broker.config.listeners {
            let addr = listener_config.bind_addr();
            let listener = listen(&addr)
                .await
                .with_context(|| format!("cannot listen on {addr} ({listener_config})"))?;
            let local = runtime::local_addr(&listener)?;
            let mut advertised = broker.config.advertised_for(listener_config);
            if advertised.port == 0 {
                advertised.port = local.port();
            }
            tracing::info!(listener = %listener_config, %advertised, "listening");
            bound.push(local);
            tasks.push(spawn(accept_loop(broker.clone(), listener, advertised)));
        }
        tasks.push(spawn(maintenance_loop(broker.clone())));
        crate::event!("start node_id={}", broker.config.node_id);
        announce_leadership(&broker);
        Ok(Node {
            broker,
            bound,
            tasks,
        })
    }

    /// Stops serving and shuts storage down cleanly (checkpoints, clean-shutdown markers).
    pub fn stop(self) -> anyhow::Result<()> {
        for task in &self.tasks {
            task.abort();
        }
        if self.broker.health.is_failed() {
            anyhow::bail!("the disk failed; not writing a clean shutdown");
        }
        self.broker.shutdown().context("clean shutdown failed")
    }

    /// Waits until the disk fails (see `server::disk_health`), then stops serving without a
    /// clean shutdown, as Kafka halts when its last log directory goes offline. Returns why.
    pub async fn halted(&self) -> String {
        let reason = self.broker.health.failed().await;
        for task in &self.tasks {
            task.abort();
        }
        reason
    }
}

/// A configuration that asks for clustering, which is not wired into the node yet (issue #4):
/// until it is, a node runs as `broker,controller` and the quorum's only voter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotWiredYet {
    /// `process.roles` is not `broker,controller`.
    Roles { process_roles: String },
    /// `controller.quorum.voters` names nodes besides this one.
    OtherVoters { node_id: i32, voters: String },
}

impl std::fmt::Display for NotWiredYet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotWiredYet::Roles { process_roles } => write!(
                f,
                "process.roles={process_roles} is not supported yet (issue #4); until \
                 clustering is wired a node runs as broker,controller and the only voter"
            ),
            NotWiredYet::OtherVoters { node_id, voters } => write!(
                f,
                "controller.quorum.voters={voters} names nodes besides node.id={node_id}; a \
                 multi-node quorum is not supported yet (issue #4)"
            ),
        }
    }
}

impl std::error::Error for NotWiredYet {}

/// Refuses, before anything touches the disk, what the node cannot run yet. The default and a
/// single-voter `broker,controller` configuration pass.
pub fn check_wired(config: &BrokerConfig) -> Result<(), NotWiredYet> {
    let kraft = &config.kraft;
    if !kraft.roles.is_combined() {
        return Err(NotWiredYet::Roles {
            process_roles: kraft.roles.to_string(),
        });
    }
    if kraft.voters.keys().any(|&voter| voter != config.node_id) {
        return Err(NotWiredYet::OtherVoters {
            node_id: config.node_id,
            voters: config.value("controller.quorum.voters"),
        });
    }
    Ok(())
}

/// One broker leads every partition it has, at epoch 0: the trace records each with its
/// offsets as recovery left them.
fn announce_leadership(broker: &Broker) {
    let state = broker.state();
    for tp in state.logs.partitions() {
        if let Some(log) = state.logs.get(&tp) {
            let log = crate::server::broker::lock_log(&log);
            crate::event!(
                "leader {tp} epoch=0 log_start={} hw={} leo={}",
                log.log_start_offset(),
                log.high_watermark(),
                log.log_end_offset()
            );
        }
    }
}

/// The broker's periodic work, each on its Kafka period: `flush.ms` checks
/// (`log.flush.scheduler.interval.ms`), recovery-point checkpoints
/// (`log.flush.offset.checkpoint.interval.ms`, so a crash rescans only recent data) and
/// retention (`log.retention.check.interval.ms`). One loop ticks at the shortest period.
async fn maintenance_loop(broker: Arc<Broker>) {
    let config = &broker.config;
    let periods_ms = [
        config.flush_scheduler_interval_ms,
        config.checkpoint_interval_ms,
        config.retention_check_interval_ms,
    ]
    .map(|period| period.max(1) as u64);
    let tick_ms = periods_ms.iter().copied().min().unwrap_or(1000);
    let mut elapsed_ms: u64 = 0;
    loop {
        runtime::sleep(Duration::from_millis(tick_ms)).await;
        elapsed_ms += tick_ms;
        let due = |period: u64| elapsed_ms % period < tick_ms;
        if due(periods_ms[0]) {
            broker.flush_due();
        }
        if due(periods_ms[1]) {
            broker.checkpoint();
        }
        if due(periods_ms[2]) {
            broker.apply_retention();
        }
    }
}

/// `weir broker [server.properties] [--override key=value ...]`: runs until ctrl-c or SIGTERM,
/// then shuts down cleanly.
pub fn run_broker(properties: Option<PathBuf>, overrides: Vec<String>) -> anyhow::Result<()> {
    let disk: Arc<dyn Disk> = Arc::new(FileDisk::new());
    let text = match &properties {
        Some(path) => {
            let bytes = crate::storage::disk::read_all(&*disk, path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                String::from_utf8(bytes)
                    .with_context(|| format!("{} is not UTF-8", path.display()))?,
            )
        }
        None => None,
    };
    let config = BrokerConfig::load(text.as_deref(), &overrides)?;
    runtime::block_on(async move {
        let node = Node::start(config, disk).await?;
        let broker = node.broker.clone();
        tracing::info!(
            node_id = broker.config.node_id,
            cluster_id = %broker.cluster_id,
            "broker started"
        );
        runtime::select! {
            _ = runtime::shutdown_signal() => {
                tracing::info!("shutting down");
                node.stop()
            }
            reason = node.halted() => {
                anyhow::bail!("halted because the disk failed ({reason}); restart to recover")
            }
        }
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(settings: &[&str]) -> BrokerConfig {
        let overrides: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
        BrokerConfig::load(None, &overrides).unwrap()
    }

    const VOTERS_3: &str =
        "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293";

    #[test]
    fn the_default_and_a_single_voter_combined_node_start() {
        assert_eq!(check_wired(&config(&[])), Ok(()));
        let single = config(&[
            "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
            "controller.quorum.voters=1@127.0.0.1:9093",
        ]);
        assert_eq!(check_wired(&single), Ok(()));
    }

    #[test]
    fn other_voters_and_single_roles_are_refused_until_clustering_is_wired() {
        let node_2 = config(&[
            "node.id=2",
            "listeners=PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193",
            VOTERS_3,
        ]);
        let error = check_wired(&node_2).unwrap_err();
        assert!(matches!(error, NotWiredYet::OtherVoters { node_id: 2, .. }));
        assert!(error.to_string().contains("issue #4"));
        let broker_4 = config(&[
            "node.id=4",
            "process.roles=broker",
            "listeners=PLAINTEXT://127.0.0.1:9492",
            VOTERS_3,
        ]);
        let error = check_wired(&broker_4).unwrap_err();
        assert_eq!(
            error.to_string(),
            "process.roles=broker is not supported yet (issue #4); until clustering is wired a \
             node runs as broker,controller and the only voter"
        );
        let controller = config(&[
            "process.roles=controller",
            "listeners=CONTROLLER://127.0.0.1:9093",
        ]);
        let error = check_wired(&controller).unwrap_err();
        let process_roles = "controller".to_string();
        assert_eq!(error, NotWiredYet::Roles { process_roles });
    }

    #[cfg(not(madsim))]
    #[test]
    fn start_refuses_before_touching_the_disk() {
        let disk = Arc::new(crate::storage::MemDisk::new());
        let node_2 = config(&[
            "node.id=2",
            "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:9193",
            VOTERS_3,
        ]);
        let result = runtime::block_on(Node::start(node_2, disk.clone())).unwrap();
        let error = result.err().expect("a 3-voter quorum must not start yet");
        assert!(error.to_string().contains("issue #4"), "{error}");
        assert!(disk.file_paths().is_empty());
    }
}
