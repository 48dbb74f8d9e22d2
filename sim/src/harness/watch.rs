//! The run-time watchers: every few milliseconds of simulated time, each node's Raft state and
//! metadata image go to the `quorum-invariants` and `metadata-invariants` checkers, and each
//! partition leader's high watermark and ISR, with every replica's log end, to
//! `isr-invariants`.
//!
//! A node whose process is down still counts in the quorum with what its disk holds (read, from
//! a copy of its durable files, when it crashed), as in Kafka's RaftEventSimulationTest: a majority is a majority of voters, not
//! of the voters that happen to be up. From a halt on, what its disk holds stands in.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use weir::core::controller::MetadataImage;
use weir::core::raft::{RaftNode, ViewKey};

use weir::types::TopicPartition;

use super::cluster::{lock, Cluster, SimNode};
use super::elections::ElectionLog;
use super::workload::TOPIC;
use crate::checker::isr::{IsrWatch, LeaderSample, MemberLog};
use crate::checker::metadata::MetadataWatch;
use crate::checker::quorum::QuorumWatch;
use crate::checker::Anomaly;

/// How often the watchers sample the nodes.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(10);

pub struct Watch {
    quorum: QuorumWatch,
    metadata: MetadataWatch,
    isr: IsrWatch,
    /// The workload topic's partitions (the ones whose replicas are watched).
    partitions: i32,
    /// Each node's Raft state as last seen: live, or read from its disk after a crash.
    last: BTreeMap<i32, RaftNode>,
    /// What each live node's Raft state was when last copied: the quorum service (one per
    /// incarnation) with the state's key. A node whose key is unchanged shows the quorum
    /// checker nothing new, so it is neither copied nor observed again (the metadata checker
    /// skips an image it has seen by itself).
    seen: BTreeMap<i32, (usize, ViewKey)>,
    /// Something changed that the quorum checker has not observed yet.
    unobserved: bool,
    pub elections: ElectionLog,
}

impl Watch {
    /// `unsynced_tails`: crashes may lose acknowledged tails (see `IsrWatch`).
    pub fn new(
        voters: std::ops::RangeInclusive<u32>,
        partitions: i32,
        unsynced_tails: bool,
    ) -> Self {
        Self {
            quorum: QuorumWatch::new(voters.map(|id| id as i32).collect()),
            metadata: MetadataWatch::default(),
            isr: IsrWatch::new(unsynced_tails),
            partitions,
            last: BTreeMap::new(),
            seen: BTreeMap::new(),
            unobserved: false,
            elections: ElectionLog::default(),
        }
    }

    /// `node` crashed (its disk already has): it counts with its durable state until it runs
    /// again, and its unpersisted high watermark and replayed image start over.
    pub fn crashed(&mut self, node: &SimNode) {
        self.process_ended(node, "crashed");
    }

    /// `node`'s process crashed or halted (`how`): see [`Self::crashed`].
    fn process_ended(&mut self, node: &SimNode, how: &str) {
        let id = node.number as i32;
        let at_ms = crate::trace::sim_time_ms();
        self.elections.note(at_ms, &format!("node {id} {how}"));
        self.quorum.restarted(id);
        self.metadata.restarted(&node.label);
        self.seen.remove(&id);
        self.unobserved = true;
        // Unreadable: the state last seen stands in (it can hide a violation, never invent
        // one).
        if let Some(durable) = node.durable_raft_node() {
            self.last.insert(id, durable);
        }
    }

    /// A bit of `node`'s metadata log flipped at rest after the crash [`Self::crashed`] was
    /// told of: what its disk holds now stands in, and the entries the flip cost it still
    /// count as held for the majority check until it fetched them back (see
    /// `QuorumObserver::lost_to_disk`).
    pub fn metadata_flipped(&mut self, node: &SimNode) {
        let id = node.number as i32;
        let Some(damaged) = node.durable_raft_node() else {
            return;
        };
        if let Some(intact) = self.last.get(&id) {
            let (held, left) = (
                intact.view().log_end_offset(),
                damaged.view().log_end_offset(),
            );
            if left < held {
                let at_ms = crate::trace::sim_time_ms();
                let what = format!(
                    "node {id}'s disk destroyed metadata entries: it holds {left} of {held}{}",
                    if damaged.is_repairing() {
                        ", repairing"
                    } else {
                        ""
                    }
                );
                self.elections.note(at_ms, &what);
                self.quorum.lost_to_disk(id, held);
            }
        }
        self.last.insert(id, damaged);
        self.unobserved = true;
    }

    /// One look at every node. Unchanged nodes are skipped (see `seen`), and the quorum
    /// checker runs only when some view changed: its checks are functions of the views and of
    /// what it has seen, so observing the same views again could find nothing new.
    pub fn sample(&mut self, nodes: &[SimNode], at_ms: u64) {
        let mut newest: Option<Arc<MetadataImage>> = None;
        for node in nodes {
            let id = node.number as i32;
            let Some(quorum) = node.quorum() else {
                // Halted since the last look (a crash has told `crashed` already): what its
                // disk holds stands in from now on, not the live view up to 10 ms older than
                // the halt, which may lack entries the leader since counted it as holding.
                if self.seen.contains_key(&id) {
                    self.process_ended(node, "halted");
                }
                continue;
            };
            let key = quorum.view_key();
            if key.is_leader {
                self.elections.quorum_leader(at_ms, id, key.leader_epoch);
            }
            let incarnation = Arc::as_ptr(&quorum) as usize;
            if self.seen.get(&id) != Some(&(incarnation, key)) {
                self.seen.insert(id, (incarnation, key));
                self.last.insert(id, quorum.raft_node());
                self.unobserved = true;
            }
            let image = quorum.published_image();
            self.metadata.observe(at_ms, &node.label, &image);
            if newest
                .as_ref()
                .is_none_or(|newest| newest.offset < image.offset)
            {
                newest = Some(image);
            }
        }
        if let Some(image) = newest {
            self.elections.image(at_ms, &image);
        }
        self.sample_replicas(nodes, at_ms);
        if std::mem::take(&mut self.unobserved) {
            let views: Vec<_> = self.last.values().map(RaftNode::view).collect();
            self.quorum.observe(at_ms, &views);
        }
    }

    /// Each running leader's high watermark and ISR, and every running broker's log ends, of
    /// the workload topic, for the `isr-invariants` checker.
    fn sample_replicas(&mut self, nodes: &[SimNode], at_ms: u64) {
        let mut leaders = Vec::new();
        let mut logs = BTreeMap::new();
        for node in nodes {
            let Some(broker) = node.broker() else {
                continue;
            };
            let id = node.number as i32;
            for partition in 0..self.partitions {
                let tp = TopicPartition::new(TOPIC, partition);
                let Some(log) = broker.log(&tp) else {
                    continue;
                };
                let (end, high_watermark) = {
                    let log = log.lock().unwrap_or_else(|e| e.into_inner());
                    (log.log_end_offset(), log.high_watermark())
                };
                let broker_epoch = broker.broker_epoch();
                logs.insert(
                    (id, partition),
                    MemberLog {
                        log_end: end,
                        broker_epoch,
                    },
                );
                let Some((isr, leader_epoch)) = broker.replicas.leading(&tp) else {
                    continue;
                };
                let registered = (broker.image().brokers.iter())
                    .map(|(&b, registration)| (b, registration.broker_epoch))
                    .collect();
                leaders.push(LeaderSample {
                    leader: id,
                    partition,
                    leader_epoch,
                    high_watermark,
                    isr,
                    registered,
                });
            }
        }
        self.isr.observe(at_ms, &leaders, &logs);
    }

    pub fn anomalies(&self) -> Vec<Anomaly> {
        let mut anomalies = self.quorum.anomalies();
        anomalies.extend(self.metadata.anomalies());
        anomalies.extend(self.isr.anomalies());
        anomalies
    }
}

/// Samples `cluster` until `done` is set.
pub async fn watch(cluster: Arc<Cluster>, done: Arc<std::sync::atomic::AtomicBool>) {
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        tokio::time::sleep(SAMPLE_EVERY).await;
        let at_ms = crate::trace::sim_time_ms();
        lock(&cluster.watch).sample(&cluster.nodes, at_ms);
    }
}
