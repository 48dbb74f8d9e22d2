//! A deterministic in-memory network for whole quorums: nodes exchange messages with seeded
//! delays in simulated time, partitions drop messages between groups, and after every event the
//! quorum observer checks Kafka's invariants. Each node's storage commands are carried out on a
//! modelled disk of its own (`disk.rs`), so the commands are checked to describe the node's log
//! exactly, and a node can be restarted from what its disk holds.
//!
//! Flushing: by default a node's runtime flushes right after every event, so existing tests
//! keep their meaning. A node in `lazy_flush` flushes only when a test says so, or before it
//! sends a fetch (the follower contract), so a leader's unflushed tail can be observed.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::disk::Disk;
use super::test_config;
use crate::core::raft::invariants::{NodeView, QuorumObserver};
use crate::core::raft::messages::Message;
use crate::core::raft::state::{Command, Event, RaftNode, RoleKind};
use crate::core::raft::types::{Epoch, NodeId, Offset, OffsetAndEpoch};
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

/// The runtime sleeps until [`RaftNode::next_tick_ms`]: a tick before then must change nothing
/// and send nothing, or sleeping would change what the node does. Checked on a copy before
/// every tick of every quorum test.
fn assert_tick_is_idle_before_its_time(node: &RaftNode, now_ms: i64) {
    let due_ms = node.next_tick_ms();
    if now_ms >= due_ms {
        return;
    }
    let mut ticked = node.clone();
    let commands = ticked.handle(now_ms, Event::Tick);
    assert!(
        commands.is_empty(),
        "a tick at {now_ms} ms, before next_tick_ms {due_ms}, emitted {commands:?}"
    );
    // `handle` records the time it was called at, and a tick when it ran; nothing else may
    // move.
    let mut untouched = node.clone();
    untouched.now_ms = untouched.now_ms.max(now_ms);
    untouched.last_tick_ms = untouched.now_ms;
    assert_eq!(
        format!("{ticked:?}"),
        format!("{untouched:?}"),
        "a tick at {now_ms} ms, before next_tick_ms {due_ms}, changed the node"
    );
}

/// Changes a message on its way from one node to another (corruption, forgery).
pub(super) type Tamper = Box<dyn FnMut(NodeId, NodeId, &mut Message)>;

pub(super) struct Cluster {
    pub nodes: BTreeMap<NodeId, RaftNode>,
    pub disks: BTreeMap<NodeId, Disk>,
    pub now_ms: i64,
    /// `(deliver_at_ms, sequence)` orders delivery deterministically.
    in_flight: BTreeMap<(i64, u64), InFlight>,
    sequence: u64,
    /// Nodes talk only within their group; everyone starts in group 0.
    groups: BTreeMap<NodeId, u32>,
    observer: QuorumObserver,
    network_rng: RngStream,
    seed: u64,
    voter_count: i32,
    restarts: u64,
    /// Nodes whose runtime does not flush after every event.
    pub lazy_flush: BTreeSet<NodeId>,
    pub tamper: Option<Tamper>,
    /// Every `(leader_epoch, node)` that became leader, in order.
    pub elections: Vec<(Epoch, NodeId)>,
    /// Every snapshot installed from a leader: `(node, id, data)`.
    pub installs: Vec<(NodeId, OffsetAndEpoch, Bytes)>,
}

impl Cluster {
    pub fn new(voter_count: i32, seed: u64) -> Self {
        Self::with_observers(voter_count, 0, seed)
    }

    /// `voter_count` voters (ids 1..) and `observers` non-voting nodes after them.
    pub fn with_observers(voter_count: i32, observers: i32, seed: u64) -> Self {
        let ids: BTreeSet<NodeId> = (1..=voter_count + observers).collect();
        let voter_ids: BTreeSet<NodeId> = (1..=voter_count).collect();
        let nodes = (ids.iter())
            .map(|&id| {
                let rng = RngStream::new(seed.wrapping_mul(31).wrapping_add(id as u64), "raft");
                let node = RaftNode::new(test_config(id, voter_count), rng, 0);
                (id, node.expect("valid test config"))
            })
            .collect();
        Self {
            nodes,
            disks: ids.iter().map(|&id| (id, Disk::default())).collect(),
            now_ms: 0,
            in_flight: BTreeMap::new(),
            sequence: 0,
            groups: ids.iter().map(|&id| (id, 0)).collect(),
            observer: QuorumObserver::new(voter_ids),
            network_rng: RngStream::new(seed, "raft.test.network"),
            seed,
            voter_count,
            restarts: 0,
            lazy_flush: BTreeSet::new(),
            tamper: None,
            elections: Vec::new(),
            installs: Vec::new(),
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

    /// Delivers an event to one node and carries out its commands, flushing afterwards unless
    /// the node is lazy (and even then before a fetch goes out).
    pub fn deliver(&mut self, id: NodeId, event: Event) -> Vec<Command> {
        let node = self.nodes.get_mut(&id).expect("known node");
        if matches!(event, Event::Tick) {
            assert_tick_is_idle_before_its_time(node, self.now_ms);
        }
        let commands = node.handle(self.now_ms, event);
        let mut fetches = false;
        for command in &commands {
            fetches |= matches!(
                command,
                Command::Send {
                    message: Message::FetchRequest(_) | Message::FetchSnapshotRequest(_),
                    ..
                }
            );
            self.apply(id, command);
        }
        self.observe();
        if !self.lazy_flush.contains(&id) || fetches {
            self.flush(id);
        }
        commands
    }

    /// The node's runtime fsyncs its log and reports it.
    pub fn flush(&mut self, id: NodeId) {
        let disk = self.disks.get_mut(&id).expect("known node");
        if disk.flushed_end_offset < disk.end_offset() {
            disk.flushed_end_offset = disk.end_offset();
            let end_offset = disk.end_offset();
            self.deliver(id, Event::Flushed { end_offset });
        }
    }

    fn apply(&mut self, id: NodeId, command: &Command) {
        self.disks.get_mut(&id).expect("known node").apply(command);
        match command {
            // Unreachable destinations drop the message: the partition is the network's.
            Command::Send { to, message } if self.reachable(id, *to) => {
                let delay_ms = 1 + self.network_rng.below(DELAY_SPREAD_MS) as i64;
                self.sequence += 1;
                let from = id;
                let (to, message) = (*to, message.clone());
                let key = (self.now_ms + delay_ms, self.sequence);
                self.in_flight.insert(key, InFlight { from, to, message });
            }
            Command::BecameLeader { leader_epoch } => self.elections.push((*leader_epoch, id)),
            Command::InstallSnapshot {
                id: snapshot_id,
                data,
            } => self.installs.push((id, *snapshot_id, data.clone())),
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
            let InFlight {
                from,
                to,
                mut message,
            } = entry.remove();
            // A partition made since sending drops the message too.
            if self.reachable(from, to) {
                if let Some(tamper) = &mut self.tamper {
                    tamper(from, to, &mut message);
                }
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

    /// Has `id`'s runtime snapshot its state machine at its high watermark; the image is the
    /// previous image followed by the data of the newly covered entries, so it grows with the
    /// log. The snapshot id, if the node accepted it.
    pub fn take_snapshot(&mut self, id: NodeId) -> Option<OffsetAndEpoch> {
        let node = &self.nodes[&id];
        let (start, hw) = (node.log_start_offset(), node.high_watermark());
        if hw <= start {
            return None;
        }
        let covered = &node.log()[..(hw - start) as usize];
        let snapshot_id = OffsetAndEpoch {
            epoch: covered.last().expect("hw > start").epoch,
            offset: hw,
        };
        let mut image = node.snapshot().map_or_else(Vec::new, |s| s.data.to_vec());
        for entry in covered {
            image.extend_from_slice(format!("[{}:{}]", entry.offset, entry.data.len()).as_bytes());
            image.extend_from_slice(&entry.data);
        }
        let data = Bytes::from(image);
        let disk = self.disks.get_mut(&id).expect("known node");
        disk.pending_snapshot = Some((snapshot_id, data.clone()));
        let event = Event::SnapshotTaken {
            id: snapshot_id,
            data,
        };
        let commands = self.deliver(id, event);
        let accepted = commands
            .iter()
            .any(|c| matches!(c, Command::DeleteLogBefore { .. }));
        accepted.then_some(snapshot_id)
    }

    /// Crashes `id` (its unflushed entries and the messages on their way to it are lost) and
    /// starts it again from its disk.
    pub fn restart(&mut self, id: NodeId) {
        let disk = self.disks.get_mut(&id).expect("known node");
        disk.crash();
        let restored = disk.restored();
        self.restarts += 1;
        let seed = (self.seed.wrapping_mul(31).wrapping_add(id as u64)) ^ (self.restarts << 32);
        let rng = RngStream::new(seed, "raft.restart");
        let config = test_config(id, self.voter_count);
        let node = RaftNode::restore(config, rng, self.now_ms, restored).expect("restorable disk");
        self.nodes.insert(id, node);
        self.in_flight.retain(|_, message| message.to != id);
        self.observer.restarted(id);
        self.observe();
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

    /// End-of-run checks: every committed entry a node holds is the one the observer saw
    /// committed, and every node's commands left its disk equal to its in-memory state.
    pub fn check_end_of_run(&self) {
        let (committed_start, committed) = self.observer.committed();
        for (id, node) in &self.nodes {
            for entry in node
                .log()
                .iter()
                .filter(|e| e.offset < node.high_watermark())
            {
                let index = (entry.offset - committed_start) as usize;
                assert_eq!(
                    Some(entry),
                    committed.get(index),
                    "node {id}: committed entry"
                );
            }
            let disk = &self.disks[id];
            assert_eq!(
                node.log(),
                &disk.entries[..],
                "node {id}: commands describe the log"
            );
            assert_eq!(
                node.log_start_offset(),
                disk.log_start_offset,
                "node {id}: log start"
            );
            let snapshot = node.snapshot().map(|s| (s.id, s.data.clone()));
            assert_eq!(snapshot, disk.snapshot, "node {id}: snapshot on disk");
        }
    }
}
