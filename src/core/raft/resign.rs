//! Handing over the lead: KRaft's EndQuorumEpoch. A leader told to resign (`Event::Resign`, a
//! controlled shutdown) stops leading at once and tells the other voters, naming them most up
//! to date first. A follower of that leader that is first in the list campaigns at once, without
//! a pre-vote: the leader itself said it is gone, so there is no live leader to protect from
//! disruption. The others become Unattached with an election deadline a short backoff per rank
//! away, so if the first successor fails the next one tries, and they grant pre-votes meanwhile
//! because they no longer have a leader. A handover so costs a round trip or two instead of a
//! fetch timeout.
//!
//! The resigned node voted for itself in its epoch, so it votes for nobody else in it, and it
//! can only lead again after winning a later epoch. EndQuorumEpoch has no response, so the
//! resigned node repeats it every `request_timeout_ms` until it leaves the epoch or its own
//! election deadline passes. A node restarted after leading comes back resigned (`restore.rs`).

use super::config::{EPOCH_MAX, VOTERS_MAX};
use super::messages::{EndQuorumEpoch, Message};
use super::state::{Command, LeaderState, RaftNode, ResignedState, Role};
use super::types::NodeId;

impl RaftNode {
    pub(super) fn on_resign(&mut self, out: &mut Vec<Command>) {
        let Role::Leader(leader) = &self.role else {
            return; // Only a leader has a lead to hand over.
        };
        let successors = preferred_successors(leader);
        self.become_resigned(successors);
        self.resigned_tick(out);
    }

    /// Stops leading in this epoch; EndQuorumEpoch goes out on the next `resigned_tick`.
    pub(super) fn become_resigned(&mut self, preferred_successors: Vec<NodeId>) {
        self.role = Role::Resigned(ResignedState {
            preferred_successors,
            next_end_quorum_ms: self.now_ms,
        });
        self.reset_election_deadline();
    }

    /// Repeats EndQuorumEpoch when due, and campaigns once the election deadline passes.
    pub(super) fn resigned_tick(&mut self, out: &mut Vec<Command>) {
        let (now_ms, retry_ms) = (self.now_ms, self.config.request_timeout_ms);
        let Role::Resigned(resigned) = &mut self.role else {
            return;
        };
        if now_ms >= resigned.next_end_quorum_ms {
            resigned.next_end_quorum_ms = now_ms + retry_ms;
            let message = EndQuorumEpoch {
                leader_epoch: self.leader_epoch,
                preferred_successors: resigned.preferred_successors.clone(),
            };
            self.broadcast(&Message::EndQuorumEpoch(message), out);
        }
        self.election_tick(out);
    }

    pub(super) fn on_end_quorum_epoch(
        &mut self,
        from: NodeId,
        message: EndQuorumEpoch,
        out: &mut Vec<Command>,
    ) {
        // A higher epoch was adopted already (on_message); an older one is stale.
        let honest = message.leader_epoch == self.leader_epoch
            && self.config.is_voter(from)
            && message.preferred_successors.len() <= VOTERS_MAX;
        if !honest || !self.config.is_voter(self.config.node_id) {
            return;
        }
        let me = self.config.node_id;
        let successors = &message.preferred_successors;
        // Not named at all: after everyone named.
        let rank = successors
            .iter()
            .position(|&id| id == me)
            .unwrap_or(successors.len());
        let backoff_ms = self.config.request_timeout_ms * rank as i64;
        // A voter in repair never campaigns, even when its leader hands over to it.
        let may_campaign = self.leader_epoch < EPOCH_MAX && !self.is_repairing();
        match &self.role {
            Role::Follower(f) if f.leader == from && rank == 0 && may_campaign => {
                self.become_candidate(out)
            }
            Role::Follower(f) if f.leader == from => {
                self.role = Role::Unattached;
                self.election_deadline_ms = self.now_ms + backoff_ms;
            }
            Role::Unattached => {
                let deadline_ms = self.now_ms + backoff_ms;
                self.election_deadline_ms = self.election_deadline_ms.min(deadline_ms);
                self.election_tick(out);
            }
            // Campaigning already, or not following the sender: nothing to hand over.
            _ => {}
        }
    }
}

/// The other voters, most up to date first: by the end offset they last fetched at, then by
/// how recently they fetched, then by id (so the order is deterministic).
fn preferred_successors(leader: &LeaderState) -> Vec<NodeId> {
    let mut voters: Vec<_> = leader.replicas.iter().collect();
    voters.sort_by_key(|&(&id, replica)| {
        let end_offset = replica.end_offset.unwrap_or(-1);
        let last_fetch_ms = replica.last_fetch_ms.unwrap_or(i64::MIN);
        (
            std::cmp::Reverse(end_offset),
            std::cmp::Reverse(last_fetch_ms),
            id,
        )
    });
    voters.into_iter().map(|(&id, _)| id).collect()
}
