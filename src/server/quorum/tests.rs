//! Three metadata replicas on in-memory disks, wired by a hand-driven network: elections,
//! controller operations committed everywhere, leader failover with the new controller
//! continuing from the committed image, restart from disk, and snapshots.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::core::controller::{
    ControllerSettings, CreateTopicRequest, Endpoint, HeartbeatRequest, MetadataImage,
    RegisterBrokerRequest,
};
use crate::core::raft::{Event, QuorumObserver, RaftConfig};
use crate::runtime::RngStream;
use crate::storage::raft_store::RaftStoreConfig;
use crate::storage::MemDisk;

const STEP_MS: i64 = 10;

struct Member {
    disk: Arc<MemDisk>,
    up: Option<(MetadataReplica, ActiveController)>,
}

struct Cluster {
    members: BTreeMap<i32, Member>,
    /// Kafka's RaftEventSimulationTest invariants, checked after every delivery round.
    observer: QuorumObserver,
    now: i64,
    snapshot_after_bytes: u64,
}

impl Cluster {
    fn new(snapshot_after_bytes: u64) -> Self {
        let mut cluster = Self {
            members: BTreeMap::new(),
            observer: QuorumObserver::new((1..=3).collect()),
            now: 0,
            snapshot_after_bytes,
        };
        for id in 1..=3 {
            let disk = Arc::new(MemDisk::new());
            cluster.members.insert(id, Member { disk, up: None });
        }
        for id in 1..=3 {
            cluster.start(id);
        }
        cluster
    }

    fn start(&mut self, id: i32) {
        let voters: BTreeSet<i32> = self.members.keys().copied().collect();
        let settings = ReplicaSettings {
            raft: RaftConfig::new(id, voters),
            // As a node of a three-voter quorum opens it (node/quorum.rs).
            store: RaftStoreConfig {
                refetch_lost_commits: true,
                ..RaftStoreConfig::default()
            },
            snapshot_after_bytes: self.snapshot_after_bytes,
        };
        let member = self.members.get_mut(&id).unwrap();
        let rng = RngStream::new(id as u64 + self.now as u64, "raft");
        let disk = member.disk.clone();
        let replica =
            MetadataReplica::open(disk, Path::new("/meta"), settings, rng, self.now).unwrap();
        let active = ActiveController::new(ControllerSettings::default(), 42);
        member.up = Some((replica, active));
    }

    fn kill(&mut self, id: i32) {
        self.members.get_mut(&id).unwrap().up = None;
        self.observer.restarted(id);
    }

    fn observe(&mut self) {
        let views: Vec<_> = self
            .members
            .values()
            .filter_map(|m| m.up.as_ref().map(|(replica, _)| replica.node().view()))
            .collect();
        self.observer.observe(&views).unwrap();
    }

    /// Advances time by one step: every live replica ticks, then messages are delivered until
    /// none are left (a network with no delay, but only between live nodes).
    fn step(&mut self) {
        self.now += STEP_MS;
        let now = self.now;
        for member in self.members.values_mut() {
            if let Some((replica, _)) = &mut member.up {
                replica.handle(now, Event::Tick).unwrap();
            }
        }
        self.observe();
        self.deliver();
    }

    fn deliver(&mut self) {
        let now = self.now;
        loop {
            let mut mail = Vec::new();
            for (&from, member) in &mut self.members {
                if let Some((replica, _)) = &mut member.up {
                    for (to, message) in replica.take_outbox() {
                        mail.push((from, to, message));
                    }
                }
            }
            if mail.is_empty() {
                return;
            }
            for (from, to, message) in mail {
                if let Some(Member {
                    up: Some((replica, _)),
                    ..
                }) = self.members.get_mut(&to)
                {
                    replica
                        .handle(now, Event::Received { from, message })
                        .unwrap();
                }
                self.observe();
            }
        }
    }

    fn run_until(&mut self, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        for _ in 0..2_000 {
            if done(self) {
                return;
            }
            self.step();
        }
        panic!("{what} did not happen within {} ms", 2_000 * STEP_MS);
    }

    /// The node whose controller is active, once there is one.
    fn controller(&mut self) -> i32 {
        let now = self.now;
        let mut active = None;
        self.run_until("an active controller", |cluster| {
            for (&id, member) in &mut cluster.members {
                if let Some((replica, controller)) = &mut member.up {
                    if controller.is_active(replica, now) {
                        active = Some(id);
                        return true;
                    }
                }
            }
            false
        });
        active.unwrap()
    }

    fn submit<R>(
        &mut self,
        operation: impl FnOnce(
            &mut crate::core::controller::Controller,
            i64,
        ) -> Result<
            crate::core::controller::Outcome<R>,
            crate::core::controller::ControllerError,
        >,
    ) -> R {
        let id = self.controller();
        let now = self.now;
        let (replica, active) = self.members.get_mut(&id).unwrap().up.as_mut().unwrap();
        let submitted = active.submit(replica, now, operation).unwrap();
        if let Some(offset) = submitted.commit_offset {
            self.deliver();
            self.run_until("the commit", |cluster| {
                let (replica, _) = cluster.members[&id].up.as_ref().unwrap();
                replica.image().offset > offset
            });
        }
        submitted.reply
    }

    /// Registers `broker` (incarnation `incarnation_base + broker`); its broker epoch.
    fn register(&mut self, broker: i32, incarnation_base: u128) -> i64 {
        let request = RegisterBrokerRequest {
            broker_id: broker,
            incarnation_id: incarnation_base + broker as u128,
            endpoints: vec![Endpoint {
                listener: "PLAINTEXT".into(),
                host: "127.0.0.1".into(),
                port: 9090 + broker as u16,
            }],
            rack: None,
            previous_broker_epoch: -1,
        };
        let now = self.now;
        self.submit(|c, at| c.register_broker(request, now, at))
    }

    /// One heartbeat from `broker`, caught up with everything so far.
    fn heartbeat(&mut self, broker: i32, broker_epoch: i64) {
        let now = self.now;
        self.submit(|c, at| {
            let heartbeat = HeartbeatRequest {
                broker_id: broker,
                broker_epoch,
                current_metadata_offset: at,
                want_fence: false,
                want_shutdown: false,
            };
            c.heartbeat(heartbeat, now, at)
        });
    }

    fn images(&self) -> Vec<MetadataImage> {
        self.members
            .values()
            .filter_map(|m| m.up.as_ref().map(|(replica, _)| replica.image().clone()))
            .collect()
    }

    /// Runs until every live replica holds the same image.
    fn converge(&mut self) -> MetadataImage {
        self.run_until("convergence", |cluster| {
            let images = cluster.images();
            images.windows(2).all(|pair| pair[0] == pair[1])
        });
        self.images().remove(0)
    }
}

fn register_and_create(cluster: &mut Cluster, topic: &str) {
    for broker in 1..=3 {
        let epoch = cluster.register(broker, 500);
        cluster.heartbeat(broker, epoch);
    }
    create(cluster, topic);
}

fn create(cluster: &mut Cluster, topic: &str) {
    let request = CreateTopicRequest {
        name: topic.into(),
        num_partitions: 6,
        replication_factor: 1,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    cluster.submit(|c, at| c.create_topic(request, false, at));
}

#[test]
fn decisions_commit_on_every_replica() {
    let mut cluster = Cluster::new(u64::MAX);
    register_and_create(&mut cluster, "orders");
    let image = cluster.converge();
    assert_eq!(image.active_brokers(), vec![1, 2, 3]);
    let topic = image.topic_by_name("orders").unwrap();
    assert_eq!(topic.partitions.len(), 6);
}

#[test]
fn a_replica_with_damaged_committed_metadata_refetches_it_before_it_votes_again() {
    let mut cluster = Cluster::new(u64::MAX);
    register_and_create(&mut cluster, "orders");
    create(&mut cluster, "payments");
    let image = cluster.converge();
    let leader = cluster.controller();
    let victim = (1..=3).find(|&id| id != leader).unwrap();
    cluster.kill(victim);
    // A bit flipped inside the records of the second batch: committed, CRC-covered.
    let disk = cluster.members[&victim].disk.clone();
    let segment = Path::new("/meta/__cluster_metadata-0/00000000000000000000.log");
    let bytes = disk.file_bytes(segment).unwrap();
    let first_batch = 12 + i32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize;
    assert!(disk.flip_bit(segment, first_batch + 61 + 5, 3));
    cluster.start(victim);
    let node = |cluster: &Cluster| {
        cluster.members[&victim]
            .up
            .as_ref()
            .unwrap()
            .0
            .node()
            .clone()
    };
    assert!(node(&cluster).is_repairing());
    assert_eq!(
        node(&cluster).log_end_offset(),
        1,
        "cut where the damage starts"
    );
    cluster.run_until("the repair", |cluster| !node(cluster).is_repairing());
    assert_eq!(cluster.converge(), image);
    // Whole again: the next election may pick it.
    assert!(node(&cluster).log_end_offset() >= image.offset);
}

#[test]
fn a_new_controller_continues_from_the_committed_image_and_the_old_one_catches_up() {
    let mut cluster = Cluster::new(u64::MAX);
    register_and_create(&mut cluster, "orders");
    let first = cluster.controller();
    cluster.kill(first);
    let second = cluster.controller();
    assert_ne!(first, second);
    create(&mut cluster, "payments");
    // A topic the old controller created is still there, and names are still unique.
    let now = cluster.now;
    let (replica, active) = cluster
        .members
        .get_mut(&second)
        .unwrap()
        .up
        .as_mut()
        .unwrap();
    let again = CreateTopicRequest {
        name: "orders".into(),
        num_partitions: 1,
        replication_factor: 1,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    let refused = active.submit(replica, now, |c, at| c.create_topic(again, false, at));
    assert!(
        matches!(refused, Err(SubmitError::Refused(_))),
        "{refused:?}"
    );
    cluster.start(first);
    let image = cluster.converge();
    assert!(image.topic_by_name("orders").is_some());
    assert!(image.topic_by_name("payments").is_some());
    assert_eq!(cluster.images().len(), 3);
}

#[test]
fn a_follower_refuses_controller_work_and_names_the_leader() {
    let mut cluster = Cluster::new(u64::MAX);
    let leader = cluster.controller();
    let follower = *cluster.members.keys().find(|&&id| id != leader).unwrap();
    let now = cluster.now;
    let (replica, active) = cluster
        .members
        .get_mut(&follower)
        .unwrap()
        .up
        .as_mut()
        .unwrap();
    let result = active.submit(replica, now, |c, at| c.delete_topic("x", at));
    match result {
        Err(SubmitError::NotController { leader: named }) => assert_eq!(named, Some(leader)),
        other => panic!("expected NotController, got {other:?}"),
    }
}

#[test]
fn snapshots_bound_the_log_and_restarts_rebuild_the_image_from_them() {
    let mut cluster = Cluster::new(512);
    register_and_create(&mut cluster, "a");
    create(&mut cluster, "b");
    create(&mut cluster, "c");
    let before = cluster.converge();
    for id in 1..=3 {
        let (replica, _) = cluster.members[&id].up.as_ref().unwrap();
        assert!(
            replica.node().log_start_offset() > 0,
            "node {id} snapshotted and dropped its log prefix"
        );
    }
    // Restart everyone from disk: the images come back from snapshot + log.
    for id in 1..=3 {
        cluster.kill(id);
    }
    for id in 1..=3 {
        cluster.start(id);
    }
    let after = cluster.converge();
    assert_eq!(after.topics, before.topics);
    assert_eq!(after.brokers, before.brokers);
    // And the quorum still works.
    create(&mut cluster, "d");
    assert!(cluster.converge().topic_by_name("d").is_some());
}

/// The semantic election trace: who leads the quorum in which epoch, brokers registering and
/// being fenced or unfenced, and partition leadership with its epochs, each line stamped with
/// the simulated time. Pinned with insta for fixed seeds, so a change in election or fencing
/// behaviour shows up as a reviewed diff.
#[derive(Default)]
struct ElectionTrace {
    lines: Vec<String>,
    leaders: BTreeMap<i32, i32>,
    brokers: BTreeMap<i32, (i64, bool)>,
    partitions: BTreeMap<(String, i32), (i32, i32)>,
}

impl ElectionTrace {
    fn observe(&mut self, cluster: &Cluster) {
        let t = cluster.now;
        for (&id, member) in &cluster.members {
            let Some((replica, _)) = &member.up else {
                continue;
            };
            let node = replica.node();
            let epoch = node.leader_epoch();
            if node.role() == crate::core::raft::RoleKind::Leader
                && self.leaders.get(&epoch) != Some(&id)
            {
                self.leaders.insert(epoch, id);
                self.lines.push(format!(
                    "{t:>6}ms node {id} leads the quorum in epoch {epoch}"
                ));
            }
        }
        let Some(image) = cluster.images().into_iter().max_by_key(|i| i.offset) else {
            return;
        };
        for broker in image.brokers.values() {
            let now = (broker.broker_epoch, broker.fenced);
            let before = self.brokers.insert(broker.broker_id, now);
            let id = broker.broker_id;
            match before {
                None => self.lines.push(format!(
                    "{t:>6}ms broker {id} registered with epoch {}",
                    broker.broker_epoch
                )),
                Some((_, was_fenced)) if was_fenced != broker.fenced => {
                    let what = if broker.fenced { "fenced" } else { "unfenced" };
                    self.lines.push(format!("{t:>6}ms broker {id} {what}"));
                }
                Some(_) => {}
            }
        }
        for topic in image.topics.values() {
            for (&p, reg) in &topic.partitions {
                let now = (reg.leader, reg.leader_epoch);
                let key = (topic.name.clone(), p);
                if self.partitions.insert(key, now) != Some(now) {
                    self.lines.push(format!(
                        "{t:>6}ms {}-{p} leader {} leader epoch {}",
                        topic.name, reg.leader, reg.leader_epoch
                    ));
                }
            }
        }
    }
}

/// Runs the cluster for `ms`, with brokers in `heartbeating` sending heartbeats every 2 s
/// (their epochs from `epochs`) and the controller ticking, tracing as it goes.
fn run_brokers(
    cluster: &mut Cluster,
    trace: &mut ElectionTrace,
    epochs: &BTreeMap<i32, i64>,
    heartbeating: &[i32],
    ms: i64,
) {
    let until = cluster.now + ms;
    let mut next_heartbeat = cluster.now;
    while cluster.now < until {
        if cluster.now >= next_heartbeat {
            for &broker in heartbeating {
                cluster.heartbeat(broker, epochs[&broker]);
                trace.observe(cluster);
            }
            next_heartbeat = cluster.now + 2_000;
        }
        let now = cluster.now;
        cluster.submit(|c, at| c.tick(now, at));
        cluster.step();
        trace.observe(cluster);
    }
}

fn register_brokers(cluster: &mut Cluster, trace: &mut ElectionTrace) -> BTreeMap<i32, i64> {
    let mut epochs = BTreeMap::new();
    for broker in 1..=3 {
        epochs.insert(broker, cluster.register(broker, 700));
        trace.observe(cluster);
    }
    epochs
}

#[test]
fn election_trace_initial_election_fencing_and_leadership_return() {
    let mut cluster = Cluster::new(u64::MAX);
    let mut trace = ElectionTrace::default();
    cluster.controller();
    trace.observe(&cluster);
    let epochs = register_brokers(&mut cluster, &mut trace);
    run_brokers(&mut cluster, &mut trace, &epochs, &[1, 2, 3], 100);
    create(&mut cluster, "orders");
    trace.observe(&cluster);
    // Broker 2 falls silent: fenced after broker.session.timeout.ms, its partitions offline.
    run_brokers(&mut cluster, &mut trace, &epochs, &[1, 3], 12_000);
    // It comes back: unfenced, and its partitions return with a new leader epoch.
    run_brokers(&mut cluster, &mut trace, &epochs, &[1, 2, 3], 3_000);
    insta::assert_snapshot!(trace.lines.join("\n"));
}

#[test]
fn election_trace_controller_failover() {
    let mut cluster = Cluster::new(u64::MAX);
    let mut trace = ElectionTrace::default();
    let first = cluster.controller();
    trace.observe(&cluster);
    let epochs = register_brokers(&mut cluster, &mut trace);
    run_brokers(&mut cluster, &mut trace, &epochs, &[1, 2, 3], 100);
    cluster.kill(first);
    trace
        .lines
        .push(format!("{:>6}ms node {first} killed", cluster.now));
    cluster.controller();
    trace.observe(&cluster);
    // The new controller keeps every broker: nobody is fenced for the change of controller.
    run_brokers(&mut cluster, &mut trace, &epochs, &[1, 2, 3], 10_000);
    cluster.start(first);
    trace
        .lines
        .push(format!("{:>6}ms node {first} restarted", cluster.now));
    cluster.converge();
    trace.observe(&cluster);
    insta::assert_snapshot!(trace.lines.join("\n"));
}
