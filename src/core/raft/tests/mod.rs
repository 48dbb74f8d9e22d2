//! Tests of the Raft core: table-driven vote and commit rules on single nodes put in a given
//! state, the invariant checkers fed bad states, and whole quorums run on an in-memory network
//! with simulated time ([`harness`]).

mod cluster;
mod commit_rules;
mod harness;
mod invariant_checks;
mod vote_rules;

use std::collections::BTreeSet;

use bytes::Bytes;

use super::config::RaftConfig;
use super::state::{Command, FollowerState, LeaderState, RaftNode, ReplicaProgress, Role};
use super::types::{Entry, EntryKind, Epoch, NodeId};
use crate::runtime::RngStream;

/// Timeouts small enough for tests to run many elections quickly.
pub(super) fn test_config(node_id: NodeId, voter_count: i32) -> RaftConfig {
    let voters: BTreeSet<NodeId> = (1..=voter_count).collect();
    RaftConfig {
        election_timeout_ms: 100,
        fetch_timeout_ms: 300,
        fetch_interval_ms: 10,
        request_timeout_ms: 50,
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
    node.check_invariants();
    node
}

fn follower_of(leader: NodeId) -> FollowerState {
    FollowerState {
        leader,
        last_leader_contact_ms: 0,
        fetch_sent_ms: None,
        next_fetch_ms: 0,
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
