//! Tests of the Raft core: table-driven vote, commit, snapshot, flush, resign and restore rules
//! on single nodes put in a given state, the invariant checkers fed bad states, and whole
//! quorums run on an in-memory network with simulated time ([`harness`]), including restarts
//! from a modelled disk ([`disk`]).

mod cluster;
mod cluster_lifecycle;
mod commit_rules;
mod describe_rules;
mod disk;
mod durability_rules;
mod harness;
mod invariant_checks;
mod repair_rules;
mod resign_rules;
mod restore_rules;
mod snapshot_rules;
mod vote_rules;

use std::collections::BTreeSet;

use bytes::Bytes;

use super::config::RaftConfig;
use super::state::{Command, FollowerState, LeaderState, RaftNode, ReplicaProgress, Role};
use super::types::{Entry, EntryKind, Epoch, NodeId, Offset, OffsetAndEpoch};
use crate::runtime::RngStream;

/// The chunk size followers ask for in tests.
pub(super) const SNAPSHOT_CHUNK_BYTES_TEST: u32 = 64;

/// Timeouts small enough for tests to run many elections quickly.
pub(super) fn test_config(node_id: NodeId, voter_count: i32) -> RaftConfig {
    let voters: BTreeSet<NodeId> = (1..=voter_count).collect();
    RaftConfig {
        election_timeout_ms: 100,
        fetch_timeout_ms: 300,
        fetch_interval_ms: 10,
        request_timeout_ms: 50,
        // Small chunks, so that snapshot transfers take several round trips.
        fetch_snapshot_max_bytes: SNAPSHOT_CHUNK_BYTES_TEST,
        ..RaftConfig::new(node_id, voters)
    }
}

pub(super) fn test_node(node_id: NodeId, voter_count: i32) -> RaftNode {
    let rng = RngStream::new(u64::from(node_id.unsigned_abs()), "raft");
    RaftNode::new(test_config(node_id, voter_count), rng, 0).expect("valid test config")
}

/// Entries with the given epochs from offset 0.
pub(super) fn entries_with_epochs(epochs: &[Epoch]) -> Vec<Entry> {
    (0..)
        .zip(epochs)
        .map(|(offset, &epoch)| Entry {
            epoch,
            offset,
            kind: EntryKind::Data,
            data: Bytes::from(format!("e{epoch}o{offset}")),
        })
        .collect()
}

/// How a table test wants a node to be before the event under test.
#[derive(Debug, Clone, Copy)]
pub(super) enum Setup {
    Unattached { voted_for: Option<NodeId> },
    Follower { leader: NodeId },
    Candidate,
    Leader,
}

/// Puts node `node_id` of a `voter_count` quorum straight into `setup` at `epoch` with a log of
/// `log_epochs` (tests live inside the module, so they may build states directly).
pub(super) fn node_in(
    node_id: NodeId,
    voter_count: i32,
    setup: Setup,
    epoch: Epoch,
    log_epochs: &[Epoch],
) -> RaftNode {
    let mut node = test_node(node_id, voter_count);
    node.leader_epoch = epoch;
    for entry in entries_with_epochs(log_epochs) {
        node.log.append(entry);
    }
    let me = Some(node_id);
    (node.voted_for, node.role) = match setup {
        Setup::Unattached { voted_for } => (voted_for, Role::Unattached),
        Setup::Follower { leader } => (None, Role::Follower(follower_of(leader))),
        Setup::Candidate => (me, Role::Candidate(Default::default())),
        Setup::Leader => (me, Role::Leader(leader_state(&node))),
    };
    node.persisted = node.quorum_state();
    // Everything the test put in the log is on disk.
    node.flushed_end_offset = node.log.end_offset();
    node.check_invariants();
    node
}

/// Like [`node_in`], but with the entries below `snapshot_offset` replaced by a snapshot of them
/// holding `image` (the high watermark is raised to the snapshot's end if below it).
pub(super) fn node_with_snapshot(
    node_id: NodeId,
    voter_count: i32,
    setup: Setup,
    epoch: Epoch,
    log_epochs: &[Epoch],
    snapshot_offset: Offset,
    image: Bytes,
) -> RaftNode {
    let mut node = node_in(node_id, voter_count, setup, epoch, log_epochs);
    node.high_watermark = node.high_watermark.max(snapshot_offset);
    let id = OffsetAndEpoch {
        epoch: log_epochs[snapshot_offset as usize - 1],
        offset: snapshot_offset,
    };
    let commands = node.handle(0, super::state::Event::SnapshotTaken { id, data: image });
    assert_eq!(commands, [Command::DeleteLogBefore { offset: id.offset }]);
    node
}

/// A recognisable snapshot image of `len` bytes.
pub(super) fn image(len: usize) -> Bytes {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn follower_of(leader: NodeId) -> FollowerState {
    FollowerState {
        leader,
        last_leader_contact_ms: 0,
        fetch_sent_ms: None,
        next_fetch_ms: 0,
        snapshot_fetch: None,
    }
}

/// A leader whose epoch started at its last entry (its LeaderChange entry).
fn leader_state(node: &RaftNode) -> LeaderState {
    let replicas = (node.config.voters.iter())
        .filter(|&&voter| voter != node.config.node_id)
        .map(|&voter| (voter, ReplicaProgress::default()))
        .collect();
    LeaderState {
        epoch_start_offset: node.log.end_offset() - 1,
        epoch_start_ms: 0,
        replicas,
        observers: Default::default(),
    }
}

/// The messages among `commands`, with their destinations.
pub(super) fn sent(commands: &[Command]) -> Vec<(NodeId, super::messages::Message)> {
    (commands.iter())
        .filter_map(|command| match command {
            Command::Send { to, message } => Some((*to, message.clone())),
            _ => None,
        })
        .collect()
}
