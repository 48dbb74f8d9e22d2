//! The simulated cluster: one madsim node per broker, each with its own address and `SimDisk`,
//! running exactly the code `weir broker` runs (`Node::start`), plus one client node for the
//! workloads. Kill, restart, pause and network faults act on madsim's nodes and links; a kill
//! also crashes the node's disk, which loses whatever was not durable.
//!
//! Nodes get TEST-NET-1 addresses (192.0.2.0/24): madsim treats 127/8 as the node itself, and no
//! packet leaves the process anyway.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::madsim::net::NetSim;
use tokio::madsim::runtime::{Handle, NodeHandle};
use tokio::madsim::task::NodeId;
use weir::config::BrokerConfig;
use weir::core::raft::RaftNode;
use weir::node::Node;
use weir::runtime::node_context::{with_node, NodeContext};
use weir::server::quorum::QuorumService;
use weir::server::Broker;

use super::watch::Watch;
use weir::storage::raft_store::METADATA_PARTITION_DIR;
use weir::storage::{Disk, MemDisk};

use crate::disk::SimDisk;
use crate::scenario::Plan;
use crate::trace::Trace;

/// The port every broker listens on.
const BROKER_PORT: u16 = 9092;
/// The port of every node's CONTROLLER listener (clusters of more than one node).
const CONTROLLER_PORT: u16 = 9093;
/// Every broker's `log.dirs` (each node has its own disk).
pub const DATA_DIR: &str = "/data";

/// What the harness knows about a broker node between its restarts.
#[derive(Default)]
pub struct NodeState {
    /// Serving (started and not halted, killed or paused-forever).
    pub up: bool,
    pub broker: Option<Arc<Broker>>,
    /// The node's metadata quorum member, from the moment it starts (before the node serves)
    /// until the process ends or halts.
    pub quorum: Option<Arc<QuorumService>>,
    /// Killed by the nemesis: its disk has already been crashed.
    pub killed: bool,
}

/// One broker node.
pub struct SimNode {
    pub number: u32,
    /// Runs a broker (every node but a controller-only one).
    pub is_broker: bool,
    pub label: String,
    pub addr: String,
    pub id: NodeId,
    pub disk: SimDisk,
    pub context: Arc<NodeContext>,
    pub state: Arc<Mutex<NodeState>>,
    /// The node's configuration, as `--override`s.
    pub overrides: Vec<String>,
}

impl SimNode {
    pub fn is_up(&self) -> bool {
        lock(&self.state).up
    }

    pub fn broker(&self) -> Option<Arc<Broker>> {
        lock(&self.state).broker.clone()
    }

    /// The node's running quorum member, if its process runs one that has neither stopped nor
    /// failed (a failed one halts with state it could not persist, which it never acted on).
    pub fn quorum(&self) -> Option<Arc<QuorumService>> {
        let quorum = lock(&self.state).quorum.clone()?;
        (!quorum.is_stopped() && quorum.failure().is_none()).then_some(quorum)
    }

    /// The Raft state the node's disk durably holds (what it would restart with); `None` if
    /// it cannot be read. Read from a copy: opening the metadata log repairs what it opens
    /// (torn tails cut, indexes rebuilt), which must be left to the node's own restart.
    pub fn durable_raft_node(&self) -> Option<RaftNode> {
        let config = BrokerConfig::load(None, &self.overrides).ok()?;
        // The metadata partition only: the metadata log dir is usually the first log dir,
        // whose partition data the store never reads.
        let dir = config.kraft.metadata_log_dir.join(METADATA_PARTITION_DIR);
        let copy = MemDisk::new();
        copy.create_dir_all(&dir).ok()?;
        for path in self
            .disk
            .files()
            .into_iter()
            .filter(|path| path.parent() == Some(&*dir))
        {
            let Some(bytes) = self.disk.durable_bytes(&path) else {
                continue;
            };
            // Handed over whole: one copy of each file, not a second through a write.
            copy.set_file_bytes(&path, bytes);
        }
        weir::node::quorum::durable_raft_node(&config, Arc::new(copy)).ok()
    }
}

/// Every node of a run.
pub struct Cluster {
    pub handle: Handle,
    pub nodes: Vec<SimNode>,
    pub client: NodeHandle,
    pub trace: Trace,
    /// The run's invariant watchers, told of every crash.
    pub watch: Mutex<Watch>,
}

pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Cluster {
    /// Creates (and starts) every broker node and the client node.
    pub fn start(handle: Handle, plan: &Plan, trace: Trace) -> Cluster {
        let mut nodes = Vec::new();
        for number in 1..=plan.nodes {
            let label = format!("n{number}");
            let ip = format!("192.0.2.{number}");
            let addr = format!("{ip}:{BROKER_PORT}");
            let mut faults = plan.disk.clone();
            faults.capacity_bytes = None;
            if let Some(bad) = plan.bad_metadata_disk.filter(|bad| bad.node == number) {
                faults.bitflip_at_rest = bad.bitflip_at_rest;
                faults.bitflip_at_rest_suffix = Some(".log".into());
                faults.bitflip_at_rest_skip = None;
                faults.bitflip_at_rest_within = Some(format!("/{METADATA_PARTITION_DIR}/"));
            }
            let mut disk =
                SimDisk::new(&label, plan.seed ^ u64::from(number), faults, trace.clone());
            disk = disk
                .with_latency_hook(Arc::new(tokio::madsim::time::advance))
                .with_sleep_hook(Arc::new(|latency| Box::pin(tokio::time::sleep(latency))));
            let context = Arc::new(NodeContext {
                label: label.clone(),
                clock_offset_ms: AtomicI64::new(
                    plan.clock_offsets_ms
                        .get(number as usize - 1)
                        .copied()
                        .unwrap_or(0),
                ),
            });
            let state = Arc::new(Mutex::new(NodeState::default()));
            let mut overrides = vec![format!("node.id={number}"), format!("log.dirs={DATA_DIR}")];
            if plan.nodes == 1 {
                overrides.push(format!("listeners=PLAINTEXT://{addr}"));
            } else {
                // As the clusters in docs/OPERATIONS.md: every node both a broker and a voter
                // of the metadata quorum, or (`controllers`) separate controllers and brokers.
                let voters: Vec<String> = (plan.voters())
                    .map(|n| format!("{n}@192.0.2.{n}:{CONTROLLER_PORT}"))
                    .collect();
                let controller = format!("CONTROLLER://{ip}:{CONTROLLER_PORT}");
                let (roles, listeners) = match plan.controllers {
                    None => (
                        "broker,controller",
                        format!("PLAINTEXT://{addr},{controller}"),
                    ),
                    Some(_) if plan.is_broker(number) => ("broker", format!("PLAINTEXT://{addr}")),
                    Some(_) => ("controller", controller),
                };
                overrides.extend([
                    format!("process.roles={roles}"),
                    format!("controller.quorum.voters={}", voters.join(",")),
                    format!("listeners={listeners}"),
                    "controller.listener.names=CONTROLLER".to_string(),
                ]);
            }
            overrides.extend(plan.broker.iter().map(|(k, v)| format!("{k}={v}")));
            let init = {
                let (disk, context, state, trace) =
                    (disk.clone(), context.clone(), state.clone(), trace.clone());
                let overrides = overrides.clone();
                move || {
                    let (disk, context, state, trace, overrides) = (
                        disk.clone(),
                        context.clone(),
                        state.clone(),
                        trace.clone(),
                        overrides.clone(),
                    );
                    let label = context.label.clone();
                    with_node(context, run_node(label, disk, state, trace, overrides))
                }
            };
            let node = handle
                .create_node()
                .name(&label)
                .ip(ip.parse().expect("a valid TEST-NET address"))
                .init(init)
                .build();
            nodes.push(SimNode {
                number,
                is_broker: plan.is_broker(number),
                label,
                addr,
                id: node.id(),
                disk,
                context,
                state,
                overrides,
            });
        }
        let client = handle
            .create_node()
            .name("client")
            .ip("192.0.2.100".parse().expect("a valid TEST-NET address"))
            .build();
        let unsynced_tails = plan
            .allow
            .iter()
            .any(|kind| kind == crate::checker::lost_write::NAME);
        let watch = Mutex::new(Watch::new(plan.voters(), plan.partitions, unsynced_tails));
        Cluster {
            handle,
            nodes,
            client,
            trace,
            watch,
        }
    }

    /// Every broker address, for clients' bootstrap lists.
    pub fn bootstrap(&self) -> String {
        let brokers = self.nodes.iter().filter(|n| n.is_broker);
        let addrs: Vec<&str> = brokers.map(|n| n.addr.as_str()).collect();
        addrs.join(",")
    }

    pub fn node(&self, number: u32) -> &SimNode {
        &self.nodes[number as usize - 1]
    }

    /// Kills the node (its tasks vanish mid-step) and crashes its disk.
    pub fn kill(&self, number: u32) {
        self.end(number, "kill");
    }

    /// Ends a halted node's process (or one whose start failed) as a crash does: whatever its
    /// page cache held that no fsync made durable is gone, as a restart after a real halt
    /// finds it. Call `restart` a little later, once madsim has dropped the old tasks.
    pub fn end_process(&self, number: u32) {
        if !lock(&self.node(number).state).killed {
            self.end(number, "process ends");
        }
    }

    /// Stops the node's process and crashes its disk, tracing `why`.
    fn end(&self, number: u32, why: &str) {
        let node = self.node(number);
        self.trace.event(&node.label, why);
        self.handle.kill(node.id);
        *lock(&node.state) = NodeState {
            killed: true,
            ..NodeState::default()
        };
        // The watcher reads what the crash left before a bit may flip at rest: a flip that
        // destroys committed metadata is told to it as the disk's doing, not the protocol's.
        node.disk.crash_without_flip();
        let mut watch = lock(&self.watch);
        watch.crashed(node);
        if let Some(path) = node.disk.bitflip_at_rest() {
            if path.to_string_lossy().contains(METADATA_PARTITION_DIR) {
                watch.metadata_flipped(node);
            }
        }
    }

    /// Whether the node's process is gone (killed, or its main task ended after a halt).
    pub fn has_exited(&self, number: u32) -> bool {
        self.handle.is_exit(self.node(number).id)
    }

    /// Starts a killed or halted node again; recovery runs on its disk.
    pub fn restart(&self, number: u32) {
        let node = self.node(number);
        self.trace.event(&node.label, "restart");
        self.note(format_args!("node {number} restarted"));
        // Not ended through `kill`/`end_process` (a halted node restarted at once): end it as a
        // crashed process now.
        self.end_process(number);
        *lock(&node.state) = NodeState::default();
        self.handle.restart(node.id);
    }

    pub fn pause(&self, number: u32) {
        let node = self.node(number);
        self.trace.event(&node.label, "pause");
        self.handle.pause(node.id);
    }

    pub fn resume(&self, number: u32) {
        let node = self.node(number);
        self.trace.event(&node.label, "resume");
        self.handle.resume(node.id);
    }

    /// Notes a fault in the election trace.
    fn note(&self, what: std::fmt::Arguments<'_>) {
        let at_ms = crate::trace::sim_time_ms();
        lock(&self.watch).elections.note(at_ms, &what.to_string());
    }

    /// The node that is the active controller, as its own quorum member says.
    pub fn active_controller(&self) -> Option<u32> {
        self.nodes
            .iter()
            .find(|node| node.quorum().is_some_and(|quorum| quorum.is_active()))
            .map(|node| node.number)
    }

    /// Cuts the node off from every other node of the cluster, both ways; the client still
    /// reaches it.
    pub fn isolate(&self, number: u32) {
        let node = self.node(number);
        let net = NetSim::current();
        for other in self.nodes.iter().filter(|other| other.number != number) {
            net.clog_link(node.id, other.id);
            net.clog_link(other.id, node.id);
        }
        self.trace
            .event(&node.label, "isolated from the other nodes");
        self.note(format_args!("node {number} isolated"));
    }

    /// Undoes `isolate`, except towards the nodes in `still_isolated` (their own isolation
    /// holds).
    pub fn rejoin(&self, number: u32, still_isolated: &[u32]) {
        let node = self.node(number);
        let net = NetSim::current();
        let others = (self.nodes.iter())
            .filter(|other| other.number != number && !still_isolated.contains(&other.number));
        for other in others {
            net.unclog_link(node.id, other.id);
            net.unclog_link(other.id, node.id);
        }
        self.trace.event(&node.label, "rejoined the other nodes");
        self.note(format_args!("node {number} rejoined"));
    }

    /// Cuts the client off from the node: both directions, or only client-to-broker.
    pub fn partition(&self, number: u32, one_way: bool) {
        let node = self.node(number);
        let net = NetSim::current();
        net.clog_link(self.client.id(), node.id);
        if !one_way {
            net.clog_link(node.id, self.client.id());
        }
        let kind = if one_way { "one-way" } else { "symmetric" };
        self.trace
            .event(&node.label, format_args!("partition from client {kind}"));
    }

    pub fn heal(&self, number: u32) {
        let node = self.node(number);
        let net = NetSim::current();
        net.unclog_link(self.client.id(), node.id);
        net.unclog_link(node.id, self.client.id());
        self.trace.event(&node.label, "heal partition");
    }

    /// Every message takes about `latency` (instead of madsim's default 1–10 ms).
    pub fn set_latency(&self, latency: Option<Duration>) {
        let range = match latency {
            Some(latency) => latency..latency + Duration::from_millis(5),
            None => Duration::from_millis(1)..Duration::from_millis(10),
        };
        NetSim::current().update_config(|config| config.send_latency = range);
        match latency {
            Some(latency) => self.trace.event(
                "net",
                format_args!("slow latency_ms={}", latency.as_millis()),
            ),
            None => self.trace.event("net", "latency restored"),
        }
    }

    /// Sets a node's wall-clock offset (the runtime's clock adds it on that node).
    pub fn set_clock_offset(&self, number: u32, offset_ms: i64) {
        let node = self.node(number);
        node.context
            .clock_offset_ms
            .store(offset_ms, Ordering::Relaxed);
        self.trace
            .event(&node.label, format_args!("clock offset_ms={offset_ms}"));
    }
}

/// One life of a broker node: start, serve until the disk fails or the node is killed.
async fn run_node(
    label: String,
    disk: SimDisk,
    state: Arc<Mutex<NodeState>>,
    trace: Trace,
    overrides: Vec<String>,
) {
    let config = match BrokerConfig::load(None, &overrides) {
        Ok(config) => config,
        Err(error) => {
            trace.event(&label, format_args!("bad broker config: {error}"));
            return;
        }
    };
    let observe = |quorum: &Arc<QuorumService>| lock(&state).quorum = Some(quorum.clone());
    match Node::start_observed(config, Arc::new(disk), observe).await {
        Ok(node) => {
            {
                let mut state = lock(&state);
                state.up = true;
                state.broker = Some(node.broker.clone());
                state.quorum = Some(node.quorum.clone());
            }
            let reason = node.halted().await;
            *lock(&state) = NodeState::default();
            trace.event(&label, format_args!("halted: {reason}"));
        }
        Err(error) => trace.event(&label, format_args!("start failed: {error:#}")),
    }
}
