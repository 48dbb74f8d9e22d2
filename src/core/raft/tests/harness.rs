//! A deterministic in-memory network for whole quorums: nodes exchange messages with seeded
//! delays in simulated time, partitions drop messages between groups, and after every event the
//! quorum observer checks Kafka's invariants. The harness also applies each node's log commands
//! to a "disk" of its own, so the commands are checked to describe the node's log exactly.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::test_config;
use crate::core::raft::invariants::{NodeView, QuorumObserver};
use crate::core::raft::messages::Message;
use crate::core::raft::state::{Command, Event, RaftNode, RoleKind};
use crate::core::raft::types::{Entry, Epoch, NodeId, Offset};
use crate::runtime::RngStream;

/// How often every node gets a tick.
const TICK_INTERVAL_MS: i64 = 5;
/// Network delay per message, drawn in [1, 1 + DELAY_SPREAD_MS).
const DELAY_SPREAD_MS: u64 = 5;

struct InFlight {
    from: NodeId,
    to: NodeId,
    message: Message,
}

pub(super) struct Cluster {
    pub nodes: BTreeMap<NodeId, RaftNode>,
    /// What each node's AppendToLog/TruncateLog commands left on its "disk".
    pub disks: BTreeMap<NodeId, Vec<Entry>>,
    pub now_ms: i64,
    /// `(deliver_at_ms, sequence)` orders delivery deterministically.
    in_flight: BTreeMap<(i64, u64), InFlight>,
    sequence: u64,
    /// Nodes talk only within their group; everyone starts in group 0.
    groups: BTreeMap<NodeId, u32>,
    observer: QuorumObserver,
    network_rng: RngStream,
    /// Every `(leader_epoch, node)` that became leader, in order.
    pub elections: Vec<(Epoch, NodeId)>,
}

impl Cluster {
    pub fn new(voter_count: i32, seed: u64) -> Self {
        let ids: BTreeSet<NodeId> = (1..=voter_count).collect();
        let nodes = (ids.iter())
            .map(|&id| {
                let rng = RngStream::new(seed.wrapping_mul(31).wrapping_add(id as u64), "raft");
                let node = RaftNode::new(test_config(id, voter_count), rng, 0);
                (id, node.expect("valid test config"))
            })
            .collect();
        Self {
            nodes,
            disks: ids.iter().map(|&id| (id, Vec::new())).collect(),
            now_ms: 0,
            in_flight: BTreeMap::new(),
            sequence: 0,
            groups: ids.iter().map(|&id| (id, 0)).collect(),
            observer: QuorumObserver::new(ids),
            network_rng: RngStream::new(seed, "raft.test.network"),
            elections: Vec::new(),
        }
    }

    /// Splits the nodes: each listed group can only reach itself; unlisted nodes form group 0.
    pub fn partition(&mut self, groups: &[&[NodeId]]) {
        self.heal();
        for (index, group) in (1..).zip(groups) {
            for node in group.iter() {
                self.groups.insert(*node, index);
            }
        }
    }

    pub fn heal(&mut self) {
        self.groups.values_mut().for_each(|group| *group = 0);
    }

    fn reachable(&self, a: NodeId, b: NodeId) -> bool {
        self.groups.get(&a) == self.groups.get(&b)
    }

    /// Delivers an event to one node and carries out its commands.
    fn deliver(&mut self, id: NodeId, event: Event) -> Vec<Command> {
        let node = self.nodes.get_mut(&id).expect("known node");
        let commands = node.handle(self.now_ms, event);
        for command in &commands {
            self.apply(id, command);
        }
        self.observe();
        commands
    }

    fn apply(&mut self, id: NodeId, command: &Command) {
        let disk = self.disks.get_mut(&id).expect("known node");
        match command {
            // Unreachable destinations drop the message: the partition is the network's.
            Command::Send { to, message } if self.groups.get(&id) == self.groups.get(to) => {
                let delay_ms = 1 + self.network_rng.below(DELAY_SPREAD_MS) as i64;
                self.sequence += 1;
                let from = id;
                let (to, message) = (*to, message.clone());
                let key = (self.now_ms + delay_ms, self.sequence);
                self.in_flight.insert(key, InFlight { from, to, message });
            }
            Command::AppendToLog { entries } => {
                for entry in entries {
                    assert_eq!(entry.offset, disk.len() as Offset, "appends are contiguous");
                    disk.push(entry.clone());
                }
            }
            Command::TruncateLog { to_offset } => disk.truncate(*to_offset as usize),
            Command::BecameLeader { leader_epoch } => self.elections.push((*leader_epoch, id)),
            _ => {}
        }
    }

    fn observe(&mut self) {
        let views: Vec<NodeView<'_>> = self.nodes.values().map(RaftNode::view).collect();
        if let Err(violation) = self.observer.observe(&views) {
            panic!(
                "quorum invariant broken at {} ms: {violation:?}",
                self.now_ms
            );
        }
    }

    /// One millisecond: deliver what arrives, then tick everyone on tick boundaries.
    pub fn step(&mut self) {
        self.now_ms += 1;
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > self.now_ms {
                break;
            }
            let InFlight { from, to, message } = entry.remove();
            // A partition made since sending drops the message too.
            if self.reachable(from, to) {
                self.deliver(to, Event::Received { from, message });
            }
        }
        if self.now_ms % TICK_INTERVAL_MS == 0 {
            let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
            for id in ids {
                self.deliver(id, Event::Tick);
            }
        }
    }

    pub fn run_for(&mut self, duration_ms: i64) {
        for _ in 0..duration_ms {
            self.step();
        }
    }

    /// Steps until `done` holds; false if it never did within `duration_ms_max`.
    pub fn run_until(&mut self, duration_ms_max: i64, done: impl Fn(&Self) -> bool) -> bool {
        for _ in 0..duration_ms_max {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// Proposes on `id`; the offset it got, if it leads.
    pub fn propose(&mut self, id: NodeId, data: &str) -> Option<Offset> {
        let event = Event::Propose {
            data: Bytes::from(data.to_string()),
        };
        let commands = self.deliver(id, event);
        commands.iter().find_map(|command| match command {
            Command::ProposalAccepted { offset, .. } => Some(*offset),
            _ => None,
        })
    }

    /// Nodes that consider themselves leader, with their epochs.
    pub fn leaders(&self) -> Vec<(NodeId, Epoch)> {
        (self.nodes.values())
            .filter(|node| node.role() == RoleKind::Leader)
            .map(|node| (node.node_id(), node.leader_epoch()))
            .collect()
    }

    /// The one leader among `ids` that all of `ids` follow in one epoch, if there is one.
    pub fn agreed_leader(&self, ids: &[NodeId]) -> Option<NodeId> {
        let node = |id: &NodeId| &self.nodes[id];
        let leaders: BTreeSet<Option<NodeId>> = ids.iter().map(|id| node(id).leader()).collect();
        let epochs: BTreeSet<Epoch> = ids.iter().map(|id| node(id).leader_epoch()).collect();
        let leader = match (leaders.len(), epochs.len()) {
            (1, 1) => (*leaders.first().expect("one"))?,
            _ => return None,
        };
        let leads = ids.contains(&leader) && node(&leader).role() == RoleKind::Leader;
        leads.then_some(leader)
    }

    /// Whether every one of `ids` has committed everything `leader` holds.
    pub fn caught_up(&self, leader: NodeId, ids: &[NodeId]) -> bool {
        let end = self.nodes[&leader].log_end_offset();
        ids.iter().all(|id| self.nodes[id].high_watermark() == end)
    }

    pub fn all_ids(&self) -> Vec<NodeId> {
        self.nodes.keys().copied().collect()
    }

    /// End-of-run checks: committed prefixes identical on every node, and every node's
    /// commands left its disk equal to its in-memory log.
    pub fn check_end_of_run(&self) {
        let committed = self.observer.committed();
        for (id, node) in &self.nodes {
            let hw = node.high_watermark() as usize;
            assert_eq!(
                &node.log()[..hw],
                &committed[..hw],
                "node {id}: committed prefix"
            );
            assert_eq!(
                node.log(),
                &self.disks[id][..],
                "node {id}: commands describe the log"
            );
        }
    }
}
