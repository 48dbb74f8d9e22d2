//! One node: configuration, storage, the metadata quorum, the broker and background work wired
//! together, the same in a real process (`weir broker`) and on a simulated madsim node.
//!
//! Start-up follows Kafka's KRaft broker: open the logs, start the metadata quorum (the only
//! voter elects itself at once), register with the active controller, replay metadata until
//! the controller unfences this broker, import a pre-quorum `weir-metadata.json` if there is
//! one, set aside logs the metadata does not place here, and only then open the client
//! listeners.

mod lifecycle;
pub mod quorum;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::config::BrokerConfig;
use crate::core::controller::Endpoint;
use crate::runtime::{self, listen, node_seed, spawn, JoinHandle};
use crate::server::listener::accept_loop;
use crate::server::quorum::QuorumService;
use crate::server::topics::{load_legacy, REGISTRY_FILE, REGISTRY_FILE_MIGRATED};
use crate::server::Broker;
use crate::storage::{Disk, FileDisk};
use lifecycle::Lifecycle;

/// How long a started broker waits for its own image to show it unfenced.
const JOIN_WAIT: Duration = Duration::from_secs(5);
/// How long a stopping broker waits for the controller to move its leadership away.
const CONTROLLED_SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// A running node: its broker, its quorum member and the tasks serving them.
pub struct Node {
    pub broker: Arc<Broker>,
    pub quorum: Arc<QuorumService>,
    /// The address each client listener is bound to (port 0 in the config resolves here).
    pub bound: Vec<std::net::SocketAddr>,
    /// The broker's registration and heartbeats; `None` on a controller-only node.
    lifecycle: Option<Arc<Lifecycle>>,
    /// The periodic heartbeats, stopped before a controlled shutdown so none contradicts it.
    heartbeats: Option<JoinHandle<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Node {
    /// Opens storage, joins the metadata quorum, registers, and starts listening once the
    /// controller has unfenced this broker. Ports bound to 0 are resolved in `bound`.
    pub async fn start(config: BrokerConfig, disk: Arc<dyn Disk>) -> anyhow::Result<Node> {
        Self::start_observed(config, disk, |_| {}).await
    }

    /// [`Node::start`], handing the metadata quorum to `observe` as soon as it runs, long
    /// before the node serves: the simulator checks the quorum's invariants from then on.
    pub async fn start_observed(
        config: BrokerConfig,
        disk: Arc<dyn Disk>,
        observe: impl FnOnce(&Arc<QuorumService>),
    ) -> anyhow::Result<Node> {
        let mut begun = Begun::default();
        let started = Self::start_inner(config, disk, &mut begun, observe).await;
        if started.is_err() {
            // Nothing of a failed start may keep running: a restart in the same process (the
            // simulator's) would otherwise find a second replica on the metadata log.
            begun.abandon();
        }
        started
    }

    async fn start_inner(
        config: BrokerConfig,
        disk: Arc<dyn Disk>,
        begun: &mut Begun,
        observe: impl FnOnce(&Arc<QuorumService>),
    ) -> anyhow::Result<Node> {
        let seed = node_seed();
        let broker = Broker::open(config, disk.clone(), seed)?;
        let config = &broker.config;
        let quorum = quorum::start(config, disk.clone(), &broker.cluster_id, seed, 0)?;
        begun.quorum = Some(quorum.clone());
        observe(&quorum);
        let tasks = &mut begun.tasks;
        broker.attach_quorum(quorum.clone());
        if let Some(listener_config) = config.controller_listener() {
            if !config.kraft.controller_listener_is_shared() {
                let addr = listener_config.bind_addr();
                let listener = listen(&addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} ({listener_config})"))?;
                tracing::info!(listener = %listener_config, "controller listening");
                let serve = accept_loop(
                    broker.clone(),
                    listener,
                    listener_config.clone(),
                    Some(quorum.clone()),
                );
                quorum.track(spawn(serve));
            }
        }
        broker.apply_image(quorum.published_image());
        tasks.push(spawn(publish_loop(broker.clone(), quorum.clone())));
        tasks.push(spawn(controller_ticks(quorum.clone())));
        // Client listeners are bound now (their ports go into the registration) but served
        // only once this broker is unfenced.
        let mut bound = Vec::new();
        let mut listeners = Vec::new();
        let mut endpoints = Vec::new();
        for listener_config in config.broker_listeners() {
            let addr = listener_config.bind_addr();
            let listener = listen(&addr)
                .await
                .with_context(|| format!("cannot listen on {addr} ({listener_config})"))?;
            let local = runtime::local_addr(&listener)?;
            let mut advertised = config.advertised_for(listener_config);
            if advertised.port == 0 {
                advertised.port = local.port();
            }
            endpoints.push(Endpoint {
                listener: advertised.name.clone(),
                host: advertised.host.clone(),
                port: advertised.port,
            });
            bound.push(local);
            listeners.push((listener_config.clone(), listener, advertised));
        }
        if !config.kraft.roles.broker {
            // A controller-only node: the quorum and the CONTROLLER listener are all it runs.
            crate::event!("start node_id={}", broker.config.node_id);
            return Ok(Node {
                broker,
                quorum,
                bound,
                lifecycle: None,
                heartbeats: None,
                tasks: std::mem::take(tasks),
            });
        }
        let lifecycle = Arc::new(Lifecycle::new(broker.clone(), endpoints));
        let joined = async {
            let epoch = lifecycle.register().await?;
            // Replay up to this registration before heartbeating: then the image already holds
            // every topic created before it when the controller unfences us.
            while !broker
                .wait_applied(epoch.saturating_add(1), Duration::from_millis(100))
                .await
            {
                if let Some(reason) = quorum.failure() {
                    return Err(format!("the metadata log failed: {reason}"));
                }
            }
            lifecycle.until_unfenced().await
        };
        // A metadata log or data disk that fails meanwhile ends the start at once: registering
        // would retry until its deadline on a node that has to halt anyway.
        let joined = runtime::select! {
            joined = joined => joined,
            reason = quorum.failed() => Err(format!("the metadata log failed: {reason}")),
            reason = broker.health.failed() => Err(reason),
        };
        if let Err(reason) = joined {
            anyhow::bail!("cannot join the cluster: {reason}");
        }
        // The controller unfenced us; serve once our own image says so too (a follower of the
        // metadata log learns the commit a fetch later), so the first answers are current.
        let node_id = config.node_id;
        let unfenced = broker.wait_image(|image| image.is_active(node_id), JOIN_WAIT);
        if !unfenced.await {
            tracing::warn!("the metadata log has not shown this broker unfenced yet; serving");
        }
        import_legacy_registry(&broker).await?;
        broker.quarantine_strays();
        let heartbeats = spawn(lifecycle.clone().run());
        for (listener_config, listener, advertised) in listeners {
            tracing::info!(listener = %listener_config, %advertised, "listening");
            tasks.push(spawn(accept_loop(
                broker.clone(),
                listener,
                advertised,
                None,
            )));
        }
        tasks.extend(spawn_maintenance(&broker));
        tasks.extend(spawn_replication(&broker));
        crate::event!("start node_id={}", broker.config.node_id);
        Ok(Node {
            broker,
            quorum,
            bound,
            lifecycle: Some(lifecycle),
            heartbeats: Some(heartbeats),
            tasks: std::mem::take(tasks),
        })
    }

    /// Stops serving and shuts storage down cleanly (checkpoints, clean-shutdown markers),
    /// without asking the controller first (see [`Node::shutdown`]).
    pub fn stop(self) -> anyhow::Result<()> {
        for task in self.tasks.iter().chain(&self.heartbeats) {
            task.abort();
        }
        self.quorum.stop();
        if self.broker.health.is_failed() {
            anyhow::bail!("the disk failed; not writing a clean shutdown");
        }
        self.broker.shutdown().context("clean shutdown failed")
    }

    /// Kafka's controlled shutdown: leadership is moved off this broker first, then a leading
    /// controller hands the quorum to another voter, then the node stops cleanly.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        if let Some(heartbeats) = &self.heartbeats {
            heartbeats.abort();
        }
        if let Some(lifecycle) = &self.lifecycle {
            if !lifecycle
                .controlled_shutdown(CONTROLLED_SHUTDOWN_WAIT)
                .await
            {
                tracing::warn!("the controller did not confirm the controlled shutdown in time");
            }
        }
        if self.quorum.leadership().0 == Some(self.broker.config.node_id) {
            self.quorum.resign();
            // Give EndQuorumEpoch a moment to reach the other voters.
            runtime::sleep(Duration::from_millis(100)).await;
        }
        self.stop()
    }

    /// Waits until the disk fails (see `server::disk_health`), then stops serving without a
    /// clean shutdown, as Kafka halts when its last log directory goes offline. Returns why.
    pub async fn halted(&self) -> String {
        let reason = runtime::select! {
            reason = self.broker.health.failed() => reason,
            reason = self.quorum.failed() => format!("the metadata log failed: {reason}"),
        };
        for task in self.tasks.iter().chain(&self.heartbeats) {
            task.abort();
        }
        self.quorum.stop();
        reason
    }
}

/// What a start has set running so far, stopped if the start fails.
#[derive(Default)]
struct Begun {
    quorum: Option<Arc<QuorumService>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Begun {
    fn abandon(self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(quorum) = &self.quorum {
            quorum.stop();
        }
    }
}

/// Applies every committed image to the broker as it is published.
async fn publish_loop(broker: Arc<Broker>, quorum: Arc<QuorumService>) {
    let mut images = quorum.subscribe_image();
    loop {
        let image = images.borrow_and_update().clone();
        broker.apply_image(image);
        if images.changed().await.is_err() {
            return;
        }
    }
}

/// The active controller's periodic work: fencing brokers whose sessions expired, finishing
/// capped leadership moves, preferred-leader rebalancing. Runs on every controller; only the
/// active one does anything.
async fn controller_ticks(quorum: Arc<QuorumService>) {
    loop {
        runtime::sleep(Duration::from_millis(100)).await;
        if quorum.is_active() {
            let now = quorum.now_ms();
            let _ = quorum
                .submit(
                    |controller, at| controller.tick(now, at),
                    Duration::from_secs(5),
                )
                .await;
        }
    }
}

/// Brings the topics of a pre-quorum single node into the metadata log, once: the file is
/// renamed after its topics are committed, so a crash before that imports again (topics
/// already present are skipped).
async fn import_legacy_registry(broker: &Broker) -> anyhow::Result<()> {
    let Some(first_dir) = broker.config.log_dirs.first() else {
        return Ok(());
    };
    let path = first_dir.join(REGISTRY_FILE);
    let Some(legacy) = load_legacy(&*broker.disk, &path)? else {
        return Ok(());
    };
    let count = legacy.topics.len();
    let imported = broker
        .import_legacy(legacy)
        .await
        .map_err(|error| anyhow::anyhow!("cannot import {}: {error}", path.display()))?;
    broker
        .disk
        .rename(&path, &first_dir.join(REGISTRY_FILE_MIGRATED))
        .and_then(|()| broker.disk.sync_dir(first_dir))
        .with_context(|| format!("cannot rename {} after importing it", path.display()))?;
    tracing::info!(
        imported,
        named = count,
        file = %path.display(),
        "imported the pre-quorum topic registry into the metadata log"
    );
    Ok(())
}

/// The broker's periodic work, each on its Kafka period: `flush.ms` checks
/// (`log.flush.scheduler.interval.ms`), recovery-point checkpoints
/// (`log.flush.offset.checkpoint.interval.ms`, so a crash rescans only recent data) and
/// retention (`log.retention.check.interval.ms`). Each job is a task of its own, as each is a
/// scheduled task in Kafka: a checkpoint waiting on a slow disk delays no `flush.ms` flush.
fn spawn_maintenance(broker: &Arc<Broker>) -> [JoinHandle<()>; 3] {
    let config = &broker.config;
    [
        spawn(every(
            config.flush_scheduler_interval_ms,
            broker.clone(),
            |b| async move { b.flush_due().await },
        )),
        spawn(every(
            config.checkpoint_interval_ms,
            broker.clone(),
            |b| async move { b.checkpoint().await },
        )),
        spawn(every(
            config.retention_check_interval_ms,
            broker.clone(),
            |b| async move { b.apply_retention() },
        )),
    ]
}

/// Replication's tasks: the follower fetchers, the AlterPartition sender, and the ISR check
/// every half `replica.lag.time.max.ms`, as Kafka's `isr-expiration` task runs.
fn spawn_replication(broker: &Arc<Broker>) -> [JoinHandle<()>; 3] {
    use crate::server::replication::{run_alter_partition_sender, run_fetchers};
    let lag_check_ms = broker.config.replica.lag_time_max_ms / 2;
    [
        spawn(run_fetchers(broker.clone())),
        spawn(run_alter_partition_sender(broker.clone())),
        spawn(every(lag_check_ms, broker.clone(), |b| async move {
            if b.replicas.tick(runtime::unix_time_ms()) {
                b.notify_append();
            }
        })),
    ]
}

/// Runs `job` on the broker every `period_ms` (at least 1 ms), each run after the previous
/// one ends.
async fn every<Job>(period_ms: i64, broker: Arc<Broker>, job: impl Fn(Arc<Broker>) -> Job)
where
    Job: std::future::Future<Output = ()>,
{
    let period = Duration::from_millis(period_ms.max(1) as u64);
    loop {
        runtime::sleep(period).await;
        job(broker.clone()).await;
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
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    runtime::block_on_workers(config.io_threads, async move {
        let node = Node::start(config, disk).await?;
        let broker = node.broker.clone();
        tracing::info!(
            node_id = broker.config.node_id,
            cluster_id = %broker.cluster_id,
            "broker started"
        );
        let halted = runtime::select! {
            _ = runtime::shutdown_signal() => None,
            reason = node.halted() => Some(reason),
        };
        if let Some(reason) = halted {
            anyhow::bail!("halted because the disk failed ({reason}); restart to recover");
        }
        tracing::info!("shutting down");
        node.shutdown().await
    })?
}

#[cfg(test)]
mod tests;
