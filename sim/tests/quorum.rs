//! The metadata quorum under crashes: three madsim nodes run the quorum service (the code a
//! controller runs) on their own `SimDisk`s and talk Kafka's KRaft RPCs; a nemesis kills and
//! restarts nodes (each kill loses whatever was not fsynced) while a workload creates topics
//! through whichever node leads. Kafka's RaftEventSimulationTest invariants are checked every
//! 10 ms of simulated time, and at the end every topic whose creation was acknowledged must be
//! in every node's image, and every image must be the same.
#![cfg(madsim)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::madsim::runtime::{Handle, Runtime};
use tokio::madsim::Config;
use weir::canary::{self, Canary};
use weir::core::controller::{
    ControllerSettings, CreateTopicRequest, HeartbeatRequest, RegisterBrokerRequest,
};
use weir::core::raft::{QuorumObserver, RaftConfig, RaftNode};
use weir::runtime::{listen, RngStream};
use weir::server::quorum::transport::accept_peers;
use weir::server::quorum::{ActiveController, MetadataReplica, QuorumService, ReplicaSettings};
use weir::storage::raft_store::RaftStoreConfig;
use weir_sim::disk::{DiskFaults, SimDisk};
use weir_sim::trace::Trace;

const PORT: u16 = 9093;
const VOTERS: [i32; 3] = [1, 2, 3];
const WAIT: Duration = Duration::from_secs(2);

type Slot = Arc<Mutex<Option<Arc<QuorumService>>>>;

fn ip(id: i32) -> String {
    format!("192.0.2.{id}")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// One node's process: open the replica from its disk, serve the quorum, run until killed.
async fn run_node(id: i32, disk: SimDisk, slot: Slot, seed: u64) {
    let voters: BTreeMap<i32, String> = VOTERS
        .iter()
        .map(|&v| (v, format!("{}:{PORT}", ip(v))))
        .collect();
    let settings = ReplicaSettings {
        raft: RaftConfig::new(id, VOTERS.iter().copied().collect::<BTreeSet<_>>()),
        store: RaftStoreConfig::default(),
        snapshot_after_bytes: 4_096,
    };
    let rng = RngStream::new(seed ^ id as u64, "raft");
    let replica = MetadataReplica::open(Arc::new(disk), Path::new("/meta"), settings, rng, 0)
        .expect("the metadata log opens after a crash");
    let active = ActiveController::new(ControllerSettings::default(), seed);
    let listener = listen(&format!("{}:{PORT}", ip(id))).await.unwrap();
    let service = QuorumService::start(replica, active, id, "sim".into(), voters);
    service.track(weir::runtime::spawn(accept_peers(
        service.clone(),
        listener,
    )));
    *lock(&slot) = Some(service);
    std::future::pending::<()>().await;
}

/// What a killed node's disk holds, as the Raft state it would restart with.
fn durable_node(id: i32, disk: &SimDisk, seed: u64) -> RaftNode {
    let settings = ReplicaSettings {
        raft: RaftConfig::new(id, VOTERS.iter().copied().collect::<BTreeSet<_>>()),
        store: RaftStoreConfig::default(),
        snapshot_after_bytes: u64::MAX,
    };
    let rng = RngStream::new(seed ^ id as u64, "raft");
    let replica =
        MetadataReplica::open(Arc::new(disk.clone()), Path::new("/meta"), settings, rng, 0)
            .expect("the metadata log opens after a crash");
    replica.node().clone()
}

/// Runs one seed; returns how many topic creations were acknowledged.
fn run_seed(seed: u64) -> usize {
    let runtime = Runtime::with_seed_and_config(seed, Config::default());
    runtime.block_on(async move {
        let handle = Handle::current();
        let mut nodes = BTreeMap::new();
        for id in VOTERS {
            let disk = SimDisk::new(&format!("n{id}"), seed ^ id as u64, DiskFaults::default(), Trace::new());
            let slot: Slot = Arc::new(Mutex::new(None));
            let init = {
                let (disk, slot) = (disk.clone(), slot.clone());
                move || run_node(id, disk.clone(), slot.clone(), seed)
            };
            let node = handle
                .create_node()
                .name(format!("n{id}"))
                .ip(ip(id).parse().unwrap())
                .init(init)
                .build();
            nodes.insert(id, (node.id(), disk, slot));
        }
        let observer = Arc::new(Mutex::new(QuorumObserver::sampled(VOTERS.iter().copied().collect())));
        let services = |nodes: &BTreeMap<i32, (_, SimDisk, Slot)>| -> Vec<(i32, Arc<QuorumService>)> {
            nodes
                .iter()
                .filter_map(|(&id, (_, _, slot))| lock(slot).clone().map(|s| (id, s)))
                .collect()
        };
        // A node that is down still counts towards majorities with what its disk holds (as in
        // Kafka's RaftEventSimulationTest): its durable state, read when it was killed.
        let durable: Arc<Mutex<BTreeMap<i32, RaftNode>>> = Arc::default();
        let check = |nodes: &BTreeMap<i32, (_, SimDisk, Slot)>| {
            let live = services(nodes);
            let mut copies: Vec<RaftNode> = live.iter().map(|(_, s)| s.raft_node()).collect();
            let mut durable = lock(&durable);
            durable.retain(|id, _| !live.iter().any(|(up, _)| up == id));
            copies.extend(durable.values().cloned());
            let views: Vec<_> = copies.iter().map(|n| n.view()).collect();
            if let Err(violation) = lock(&observer).observe(&views) {
                panic!("seed {seed}: quorum invariant broken: {violation:?}");
            }
        };
        let mut chaos = RngStream::new(seed, "nemesis");
        let mut acknowledged: Vec<String> = Vec::new();
        let mut broker_epoch = None;
        let mut next_fault_ms = 2_000 + chaos.below(2_000) as i64;
        let mut down: Option<(i32, i64)> = None;
        let mut next_topic = 0;
        for step in 0..2_000_i64 {
            let now_ms = step * 10;
            tokio::time::sleep(Duration::from_millis(10)).await;
            check(&nodes);
            // Nemesis for the first 15 s: kill one node, restart it 0.5-2.5 s later.
            if now_ms < 15_000 {
                if let Some((id, back_at)) = down {
                    if now_ms >= back_at {
                        handle.restart(nodes[&id].0);
                        down = None;
                        next_fault_ms = now_ms + 1_000 + chaos.below(2_000) as i64;
                    }
                } else if now_ms >= next_fault_ms {
                    let id = VOTERS[chaos.below(3) as usize];
                    let (node, disk, slot) = &nodes[&id];
                    if let Some(service) = lock(slot).take() {
                        service.stop();
                    }
                    handle.kill(*node);
                    disk.crash();
                    lock(&observer).restarted(id);
                    lock(&durable).insert(id, durable_node(id, disk, seed));
                    down = Some((id, now_ms + 500 + chaos.below(2_000) as i64));
                }
            } else if let Some((id, _)) = down.take() {
                handle.restart(nodes[&id].0);
            }
            // Workload for 16 s: a registered, unfenced broker, then a topic every 100 ms;
            // afterwards, stop once every node holds the same image with every acknowledged topic.
            if step % 10 != 0 || now_ms >= 16_000 {
                if now_ms > 16_000 {
                    let live = services(&nodes);
                    let images: Vec<_> = live.iter().map(|(_, s)| s.image()).collect();
                    let same = live.len() == 3 && images.windows(2).all(|p| p[0] == p[1]);
                    let all = acknowledged
                        .iter()
                        .all(|t| images[0].topic_by_name(t).is_some());
                    if same && all {
                        return acknowledged.len();
                    }
                }
                continue;
            }
            for (_, service) in services(&nodes) {
                let result = match broker_epoch {
                    None => {
                        let request = RegisterBrokerRequest {
                            broker_id: 1,
                            incarnation_id: 1,
                            endpoints: Vec::new(),
                            rack: None,
                            previous_broker_epoch: -1,
                        };
                        service
                            .submit(|c, at| c.register_broker(request, 0, at), WAIT)
                            .await
                            .map(|epoch| broker_epoch = Some(epoch))
                    }
                    Some(epoch) => {
                        let heartbeat = HeartbeatRequest {
                            broker_id: 1,
                            broker_epoch: epoch,
                            current_metadata_offset: i64::MAX,
                            want_fence: false,
                            want_shutdown: false,
                        };
                        let _ = service.submit(|c, at| c.heartbeat(heartbeat, 0, at), WAIT).await;
                        let name = format!("t{next_topic}");
                        let request = CreateTopicRequest {
                            name: name.clone(),
                            num_partitions: 1,
                            replication_factor: 1,
                            assignments: BTreeMap::new(),
                            configs: BTreeMap::new(),
                        };
                        let created = service
                            .submit(|c, at| c.create_topic(request, false, at), WAIT)
                            .await;
                        if created.is_ok() {
                            acknowledged.push(name);
                            next_topic += 1;
                        }
                        created.map(|_| ())
                    }
                };
                if result.is_ok() {
                    break;
                }
            }
        }
        let images: Vec<_> = services(&nodes).iter().map(|(id, s)| (*id, s.image().topics.len())).collect();
        panic!("seed {seed}: no convergence with every acknowledged topic: {} acknowledged, topics per node {images:?}", acknowledged.len());
    })
}

/// Canaries are process-wide switches and cargo runs tests on parallel threads: one test at a
/// time.
static ONE_TEST_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn the_quorum_keeps_acknowledged_metadata_through_crashes() {
    let _one = lock(&ONE_TEST_AT_A_TIME);
    let seeds = if cfg!(debug_assertions) {
        0..10
    } else {
        0..100
    };
    for seed in seeds {
        let acknowledged = run_seed(seed);
        assert!(
            acknowledged > 5,
            "seed {seed}: only {acknowledged} topics acknowledged"
        );
    }
}

/// Runs seeds until one fails; the seed that caught the bug, if any within `limit`.
fn first_failing_seed(limit: u64) -> Option<u64> {
    (0..limit).find(|&seed| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_seed(seed))).is_err()
    })
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn quorum_canaries_are_caught_within_fifty_seeds() {
    let _one = lock(&ONE_TEST_AT_A_TIME);
    for canary in [Canary::VoteTwice, Canary::MetadataFlushSkipped] {
        canary::set(&[canary]);
        let caught = first_failing_seed(50);
        canary::set(&[]);
        let seed = caught.unwrap_or_else(|| panic!("{canary:?} survived 50 seeds"));
        eprintln!("{canary:?} caught at seed {seed}");
    }
}
