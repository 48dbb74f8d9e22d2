//! One quorum member as a pure state machine: its persisted quorum state (epoch and vote), its
//! role, its log, snapshot and high watermark, and the single entry point [`RaftNode::handle`]:
//! an event and the current time in, commands out (openraft's "engine"). Role transitions live
//! here; the rules for votes are in `election.rs`, for fetches and the high watermark in
//! `replication.rs`, for snapshots in `snapshot.rs` and `snapshot_fetch.rs`, for handing over
//! the lead in `resign.rs`, for starting from disk in `restore.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{RaftConfig, RaftConfigError, EPOCH_MAX};
use super::log::RaftLog;
use super::messages::Message;
use super::snapshot::Snapshot;
use super::snapshot_fetch::SnapshotFetch;
use super::types::{Entry, Epoch, NodeId, Offset, EPOCH_NONE};
use crate::runtime::RngStream;

pub use super::commands::{Command, Event, ProposeError, QuorumState};

/// A node's role, for callers and tests; the state behind it is private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    Unattached,
    Follower {
        leader: NodeId,
    },
    PreCandidate,
    Candidate,
    Leader,
    /// A leader that stepped down (`Event::Resign`, or a restart after leading): it will not
    /// lead again in its epoch and waits for the next election.
    Resigned,
}

#[derive(Debug, Clone)]
pub(super) enum Role {
    /// No known leader in this epoch (KRaft's Unattached, with or without a vote cast).
    Unattached,
    Follower(FollowerState),
    /// KIP-996's prospective state: asking whether an election would succeed, epoch unchanged.
    PreCandidate(Ballot),
    Candidate(Ballot),
    Leader(LeaderState),
    /// KRaft's Resigned: voted for itself in this epoch (so it votes for nobody else in it),
    /// tells the voters to elect a successor, and campaigns only in a later epoch.
    Resigned(ResignedState),
}

#[derive(Debug, Clone)]
pub(super) struct FollowerState {
    pub leader: NodeId,
    /// The last time the leader answered a fetch or announced itself.
    pub last_leader_contact_ms: i64,
    /// When the outstanding fetch was sent; one fetch at a time, as in KRaft.
    pub fetch_sent_ms: Option<i64>,
    pub next_fetch_ms: i64,
    /// The snapshot being fetched from the leader, if the leader said to (instead of fetching
    /// entries until it is installed).
    pub snapshot_fetch: Option<SnapshotFetch>,
}

#[derive(Debug, Clone)]
pub(super) struct ResignedState {
    /// The other voters, most up to date first, as sent in EndQuorumEpoch.
    pub preferred_successors: Vec<NodeId>,
    /// When EndQuorumEpoch is next sent again (it has no response, so it is repeated).
    pub next_end_quorum_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Ballot {
    pub granted: BTreeSet<NodeId>,
    pub rejected: BTreeSet<NodeId>,
}

#[derive(Debug, Clone)]
pub(super) struct LeaderState {
    /// The offset of this epoch's LeaderChange entry: the high watermark may only advance past it.
    pub epoch_start_offset: Offset,
    pub epoch_start_ms: i64,
    /// Every other voter's progress, as learnt from its fetches.
    pub replicas: BTreeMap<NodeId, ReplicaProgress>,
    /// Observers (broker-only nodes) that fetched in this epoch, for DescribeQuorum only: they
    /// never count towards the high watermark. At most `OBSERVERS_MAX` are tracked.
    pub observers: BTreeMap<NodeId, ReplicaProgress>,
}

/// The most observers a leader tracks: fetches name their replica id, and a flood of made-up
/// ids must not grow the leader's memory without bound.
pub(super) const OBSERVERS_MAX: usize = 1024;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ReplicaProgress {
    /// The replica's validated fetch offset: its log matches ours below it.
    pub end_offset: Option<Offset>,
    pub last_fetch_ms: Option<i64>,
    pub begin_quorum_sent_ms: Option<i64>,
}

/// One member of the metadata quorum.
#[derive(Debug, Clone)]
pub struct RaftNode {
    pub(super) config: RaftConfig,
    pub(super) rng: RngStream,
    pub(super) now_ms: i64,
    pub(super) leader_epoch: Epoch,
    pub(super) voted_for: Option<NodeId>,
    /// What was last handed to the runtime to persist, so unchanged state is not rewritten.
    pub(super) persisted: QuorumState,
    pub(super) role: Role,
    pub(super) log: RaftLog,
    /// The latest snapshot; the log starts at its id.
    pub(super) snapshot: Option<Snapshot>,
    pub(super) high_watermark: Offset,
    /// How far the runtime reported the log durable (`Event::Flushed`); a leader counts only
    /// this much of its own log towards the high watermark.
    pub(super) flushed_end_offset: Offset,
    pub(super) election_deadline_ms: i64,
    /// While a damaged log is repaired (see `repair`): the commit point it must reach again,
    /// at least; `None` when nothing was lost or the repair is over.
    pub(super) repair_until: Option<Offset>,
    /// When the last tick ran: `timers` counts deadlines after it as still to come, even when
    /// events have moved `now_ms` past them since.
    pub(super) last_tick_ms: i64,
}

impl RaftNode {
    /// A fresh node: epoch 0, empty log, Unattached, with a randomized first election deadline.
    pub fn new(config: RaftConfig, rng: RngStream, now_ms: i64) -> Result<Self, RaftConfigError> {
        config.validate()?;
        Ok(Self::unattached(
            config,
            rng,
            now_ms,
            QuorumState::default(),
        ))
    }

    /// An Unattached node in `quorum_state`'s epoch with its vote, an empty log and no
    /// snapshot; `restore` fills in the rest.
    pub(super) fn unattached(
        config: RaftConfig,
        rng: RngStream,
        now_ms: i64,
        quorum_state: QuorumState,
    ) -> Self {
        let mut node = Self {
            config,
            rng,
            now_ms,
            leader_epoch: quorum_state.leader_epoch,
            voted_for: quorum_state.voted_for,
            persisted: quorum_state,
            role: Role::Unattached,
            log: RaftLog::default(),
            snapshot: None,
            high_watermark: 0,
            flushed_end_offset: 0,
            election_deadline_ms: now_ms,
            repair_until: None,
            last_tick_ms: i64::MIN,
        };
        node.reset_election_deadline();
        node
    }

    /// The single entry point: one event at `now_ms`, the commands it causes.
    pub fn handle(&mut self, now_ms: i64, event: Event) -> Vec<Command> {
        // The runtime's clock is monotonic; never let a late caller move our time backwards.
        self.now_ms = self.now_ms.max(now_ms);
        let mut out = Vec::new();
        match event {
            Event::Received { from, message } => self.on_message(from, message, &mut out),
            Event::Tick => self.on_tick(&mut out),
            Event::Propose { data } => self.on_propose(data, &mut out),
            Event::SnapshotTaken { id, data } => self.on_snapshot_taken(id, data, &mut out),
            Event::Flushed { end_offset } => self.on_flushed(end_offset, &mut out),
            Event::Resign => self.on_resign(&mut out),
        }
        self.persist_first_if_changed(&mut out);
        if cfg!(any(test, debug_assertions, madsim)) {
            self.check_invariants();
        }
        out
    }

    fn on_message(&mut self, from: NodeId, message: Message, out: &mut Vec<Command>) {
        if from == self.config.node_id {
            return; // Nobody sends to itself; a looped-back message is noise.
        }
        if !(EPOCH_NONE..=EPOCH_MAX).contains(&message.epoch()) {
            return; // No honest node is there: a forged or corrupt epoch.
        }
        let is_pre_vote = matches!(&message, Message::VoteRequest(m) if m.pre_vote);
        // A pre-vote speaks for an epoch nobody is in yet (the sender's own plus one); adopting
        // that would defeat KIP-996. The sender's own epoch is real, though, and Kafka adopts
        // it from a pre-vote too (`handleVoteRequest`): a voter that bumped its epoch as a
        // candidate and cannot win (its log is behind) would otherwise stay in an epoch nobody
        // else knows, refusing the leader's older messages for good, while its pre-votes,
        // refused for its log, never tell anyone.
        let sender_epoch = match is_pre_vote {
            true => message.epoch() - 1,
            false => message.epoch(),
        };
        if sender_epoch > self.leader_epoch {
            match Self::leader_named_by(from, &message) {
                Some(leader) if self.config.is_voter(leader) && leader != self.config.node_id => {
                    self.become_follower(sender_epoch, leader, out)
                }
                _ => self.become_unattached(sender_epoch),
            }
        }
        // An observer (or a voter in repair, which looks for the leader the same way) adopts
        // whoever a voter names in its epoch: never itself, which a voter in repair that led
        // this epoch before its crash hears from a peer that has not noticed yet.
        let is_observer = !self.config.is_voter(self.config.node_id) || self.is_repairing();
        if is_observer
            && matches!(self.role, Role::Unattached)
            && message.epoch() == self.leader_epoch
        {
            if let Some(leader) = Self::leader_named_by(from, &message) {
                if self.config.is_voter(leader) && leader != self.config.node_id {
                    self.become_follower(self.leader_epoch, leader, out);
                }
            }
        }
        match message {
            Message::VoteRequest(m) => self.on_vote_request(from, m, out),
            Message::VoteResponse(m) => self.on_vote_response(from, m, out),
            Message::BeginQuorumEpoch(m) => self.on_begin_quorum_epoch(from, m, out),
            Message::EndQuorumEpoch(m) => self.on_end_quorum_epoch(from, m, out),
            Message::FetchRequest(m) => self.on_fetch_request(from, m, out),
            Message::FetchResponse(m) => self.on_fetch_response(from, m, out),
            Message::FetchSnapshotRequest(m) => self.on_fetch_snapshot_request(from, m, out),
            Message::FetchSnapshotResponse(m) => self.on_fetch_snapshot_response(from, m, out),
        }
    }

    /// The leader a message names for its epoch, if it names one.
    fn leader_named_by(from: NodeId, message: &Message) -> Option<NodeId> {
        match message {
            Message::BeginQuorumEpoch(_) => Some(from),
            Message::FetchResponse(m) => m.leader,
            Message::FetchSnapshotResponse(m) => m.leader,
            _ => None,
        }
    }

    fn on_tick(&mut self, out: &mut Vec<Command>) {
        self.last_tick_ms = self.now_ms;
        match &self.role {
            Role::Leader(_) => self.leader_tick(out),
            Role::Follower(_) => self.follower_tick(out),
            Role::Resigned(_) => self.resigned_tick(out),
            Role::Unattached | Role::PreCandidate(_) | Role::Candidate(_) => {
                self.election_tick(out)
            }
        }
    }

    /// Steps to Unattached in `epoch` (>= ours); a new epoch clears the vote.
    pub(super) fn become_unattached(&mut self, epoch: Epoch) {
        assert!(epoch >= self.leader_epoch, "epochs never go backwards");
        if epoch > self.leader_epoch {
            self.leader_epoch = epoch;
            self.voted_for = None;
        }
        self.role = Role::Unattached;
        self.reset_election_deadline();
    }

    /// Follows `leader` in `epoch` (>= ours) and starts fetching from it at once.
    pub(super) fn become_follower(&mut self, epoch: Epoch, leader: NodeId, out: &mut Vec<Command>) {
        assert!(epoch >= self.leader_epoch, "epochs never go backwards");
        assert_ne!(leader, self.config.node_id, "a node does not follow itself");
        if epoch > self.leader_epoch {
            self.leader_epoch = epoch;
            self.voted_for = None;
        }
        self.role = Role::Follower(FollowerState {
            leader,
            last_leader_contact_ms: self.now_ms,
            fetch_sent_ms: None,
            next_fetch_ms: self.now_ms,
            snapshot_fetch: None,
        });
        self.maybe_send_fetch(out);
    }

    /// Puts `PersistQuorumState` first when epoch, vote or leader changed during the event, so
    /// the runtime makes the state durable before sending anything that depends on it (a vote,
    /// a vote request in a new epoch). One write per event is enough: within an event the
    /// state only moves forward (epochs up, a vote cast once per epoch), so the final state
    /// covers every intermediate one.
    fn persist_first_if_changed(&mut self, out: &mut Vec<Command>) {
        let state = self.quorum_state();
        if state != self.persisted {
            self.persisted = state;
            out.insert(0, Command::PersistQuorumState(state));
        }
    }

    /// A new randomized election deadline in [timeout, 2 * timeout) from now, drawn from the
    /// node's seeded stream so that every election is replayable.
    pub(super) fn reset_election_deadline(&mut self) {
        let is_voter = self.config.is_voter(self.config.node_id);
        if !is_voter || self.config.voters.len() == 1 {
            // The only voter: no one else can win or split the vote, so it campaigns at once
            // (a single-node cluster leads as soon as it starts, as in Kafka). An observer
            // never campaigns: its "election" is asking a voter who leads, at once.
            self.election_deadline_ms = self.now_ms;
            return;
        }
        let timeout_ms = self.config.election_timeout_ms;
        // `validate` bounds the timeout to a small positive range, so the casts are exact.
        let jitter_ms = self.rng.below(timeout_ms as u64) as i64;
        self.election_deadline_ms = self.now_ms + timeout_ms + jitter_ms;
    }

    pub(super) fn send(&self, to: NodeId, message: Message, out: &mut Vec<Command>) {
        out.push(Command::Send { to, message });
    }

    /// Sends `message` to every voter but this node.
    pub(super) fn broadcast(&self, message: &Message, out: &mut Vec<Command>) {
        for &voter in &self.config.voters {
            if voter != self.config.node_id {
                self.send(voter, message.clone(), out);
            }
        }
    }

    pub fn node_id(&self) -> NodeId {
        self.config.node_id
    }

    pub fn leader_epoch(&self) -> Epoch {
        self.leader_epoch
    }

    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }

    pub fn high_watermark(&self) -> Offset {
        self.high_watermark
    }

    /// The entries held, from `log_start_offset()` on.
    pub fn log(&self) -> &[Entry] {
        self.log.entries()
    }

    pub fn log_start_offset(&self) -> Offset {
        self.log.start_offset()
    }

    pub fn log_end_offset(&self) -> Offset {
        self.log.end_offset()
    }

    /// How far the runtime has reported the log durable.
    pub fn flushed_end_offset(&self) -> Offset {
        self.flushed_end_offset
    }

    /// The latest snapshot, taken here or installed from the leader.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    pub fn leader(&self) -> Option<NodeId> {
        match &self.role {
            Role::Follower(f) => Some(f.leader),
            Role::Leader(_) => Some(self.config.node_id),
            _ => None,
        }
    }

    pub fn role(&self) -> RoleKind {
        match &self.role {
            Role::Unattached => RoleKind::Unattached,
            Role::Follower(f) => RoleKind::Follower { leader: f.leader },
            Role::PreCandidate(_) => RoleKind::PreCandidate,
            Role::Candidate(_) => RoleKind::Candidate,
            Role::Leader(_) => RoleKind::Leader,
            Role::Resigned(_) => RoleKind::Resigned,
        }
    }

    pub fn quorum_state(&self) -> QuorumState {
        QuorumState {
            leader_epoch: self.leader_epoch,
            voted_for: self.voted_for,
            leader: self.leader(),
        }
    }
}
