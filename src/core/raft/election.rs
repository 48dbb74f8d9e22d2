//! Elections: KIP-996 pre-vote, then Vote, with randomized timeouts from the node's seeded
//! stream.
//!
//! The rules, each one a reason a quorum keeps at most one leader per epoch or stays live:
//! - a node votes at most once per epoch, and the vote is persisted before it is sent;
//! - a vote (or pre-vote) is granted only if the candidate's log is at least as up to date as
//!   the voter's: a later last epoch, or the same last epoch and an end offset not behind;
//! - a pre-vote does not bump anyone's epoch, and is refused by a node that has a live leader
//!   (it is the leader, or it heard from its leader within `fetch_timeout_ms`), so a node cut
//!   off and rejoining cannot depose a healthy leader;
//! - a node that knows the leader of its epoch does not vote in that epoch.

use super::config::EPOCH_MAX;
use super::messages::{FetchRequest, Message, VoteRequest, VoteResponse};
use super::state::{Ballot, Command, LeaderState, RaftNode, ReplicaProgress, Role};
use super::types::{majority, Entry, EntryKind, NodeId, OffsetAndEpoch};

impl RaftNode {
    /// Unattached, pre-candidate and candidate nodes start (another) election when their
    /// randomized deadline passes.
    pub(super) fn election_tick(&mut self, out: &mut Vec<Command>) {
        if self.now_ms < self.election_deadline_ms {
            return;
        }
        if self.config.is_voter(self.config.node_id) && !self.is_repairing() {
            self.become_pre_candidate(out);
        } else {
            self.discover_leader(out);
        }
    }

    /// An observer (a node outside the voter set, such as a broker-only node) never campaigns:
    /// it asks a voter for the log, and whoever answers names the leader (KRaft observers
    /// fetch from a bootstrap voter the same way). Voters are tried in a seeded random order.
    fn discover_leader(&mut self, out: &mut Vec<Command>) {
        // A voter in repair asks the others.
        let me = self.config.node_id;
        let voters: Vec<NodeId> = (self.config.voters.iter().copied())
            .filter(|&voter| voter != me)
            .collect();
        if voters.is_empty() {
            self.election_deadline_ms = self.now_ms + self.config.request_timeout_ms;
            return;
        }
        let voter = voters[self.rng.below(voters.len() as u64) as usize];
        let request = FetchRequest {
            leader_epoch: self.leader_epoch,
            fetch_offset: self.log.end_offset(),
            last_fetched_epoch: self.log.last_epoch(),
        };
        self.send(voter, Message::FetchRequest(request), out);
        self.election_deadline_ms = self.now_ms + self.config.request_timeout_ms;
    }

    /// The log check shared by votes and pre-votes.
    pub(super) fn candidate_log_is_up_to_date(&self, candidate: OffsetAndEpoch) -> bool {
        candidate >= self.log.last_offset_and_epoch()
    }

    /// Whether this node has a leader it heard from recently: then it refuses pre-votes.
    pub(super) fn has_live_leader(&self) -> bool {
        match &self.role {
            Role::Leader(_) => true,
            Role::Follower(f) => {
                self.now_ms - f.last_leader_contact_ms < self.config.fetch_timeout_ms
            }
            _ => false,
        }
    }

    /// Whether this node may vote for `candidate` in its current epoch.
    fn can_grant_vote(&self, candidate: NodeId) -> bool {
        let knows_leader = matches!(self.role, Role::Leader(_) | Role::Follower(_));
        let vote_free = self.voted_for.is_none_or(|voted| voted == candidate)
            || crate::canary::is_on(crate::canary::Canary::VoteTwice);
        !knows_leader && vote_free
    }

    pub(super) fn on_vote_request(
        &mut self,
        from: NodeId,
        request: VoteRequest,
        out: &mut Vec<Command>,
    ) {
        let candidate_log = OffsetAndEpoch {
            epoch: request.last_offset_epoch,
            offset: request.last_offset,
        };
        // A higher epoch was adopted already (on_message), except for a pre-vote.
        let epoch_ok = request.candidate_epoch >= self.leader_epoch;
        // A voter that lost committed entries would judge the candidate's log against too
        // little (see `repair`).
        let voters_ok = self.config.is_voter(from)
            && self.config.is_voter(self.config.node_id)
            && !self.is_repairing();
        let log_ok = self.candidate_log_is_up_to_date(candidate_log);
        let granted = if request.pre_vote {
            epoch_ok && voters_ok && log_ok && !self.has_live_leader()
        } else {
            let granted = epoch_ok && voters_ok && log_ok && self.can_grant_vote(from);
            if granted && self.voted_for.is_none() {
                self.voted_for = Some(from);
                // A prospective that votes for someone else stops campaigning (KIP-996).
                self.role = Role::Unattached;
            }
            if granted {
                // Give the candidate we voted for time to win before we campaign ourselves.
                self.reset_election_deadline();
            }
            granted
        };
        let response = VoteResponse {
            leader_epoch: self.leader_epoch,
            vote_granted: granted,
            pre_vote: request.pre_vote,
        };
        self.send(from, Message::VoteResponse(response), out);
    }

    pub(super) fn on_vote_response(
        &mut self,
        from: NodeId,
        response: VoteResponse,
        out: &mut Vec<Command>,
    ) {
        // Stale answers (an older epoch) and answers from non-voters do not count.
        if response.leader_epoch != self.leader_epoch || !self.config.is_voter(from) {
            return;
        }
        let ballot = match (&mut self.role, response.pre_vote) {
            (Role::PreCandidate(ballot), true) | (Role::Candidate(ballot), false) => ballot,
            _ => return,
        };
        if response.vote_granted {
            ballot.granted.insert(from);
        } else {
            ballot.rejected.insert(from);
        }
        self.tally(out);
    }

    /// Moves on when the ballot of the current (pre-)election has a majority.
    fn tally(&mut self, out: &mut Vec<Command>) {
        let needed = majority(self.config.voters.len());
        match &self.role {
            Role::PreCandidate(b) if b.granted.len() >= needed => self.become_candidate(out),
            Role::Candidate(b) if b.granted.len() >= needed => self.become_leader(out),
            // A pre-candidate refused by a majority just waits for its deadline to try again.
            _ => {}
        }
    }

    /// Asks the voters whether an election in the next epoch could succeed.
    pub(super) fn become_pre_candidate(&mut self, out: &mut Vec<Command>) {
        if self.leader_epoch >= EPOCH_MAX {
            // Out of epochs (only reachable with forged messages): stay put rather than overflow.
            self.reset_election_deadline();
            return;
        }
        let mut ballot = Ballot::default();
        ballot.granted.insert(self.config.node_id);
        self.role = Role::PreCandidate(ballot);
        self.reset_election_deadline();
        self.request_votes(true, out);
        self.tally(out);
    }

    /// Bumps the epoch, votes for itself (persisted first) and asks for votes.
    pub(super) fn become_candidate(&mut self, out: &mut Vec<Command>) {
        self.leader_epoch += 1;
        self.voted_for = Some(self.config.node_id);
        let mut ballot = Ballot::default();
        ballot.granted.insert(self.config.node_id);
        self.role = Role::Candidate(ballot);
        self.reset_election_deadline();
        self.request_votes(false, out);
        self.tally(out);
    }

    fn request_votes(&self, pre_vote: bool, out: &mut Vec<Command>) {
        let last = self.log.last_offset_and_epoch();
        let candidate_epoch = if pre_vote {
            self.leader_epoch + 1
        } else {
            self.leader_epoch
        };
        let request = VoteRequest {
            candidate_epoch,
            last_offset_epoch: last.epoch,
            last_offset: last.offset,
            pre_vote,
        };
        self.broadcast(&Message::VoteRequest(request), out);
    }

    /// Takes the lead: persists it, appends the LeaderChange entry that opens the epoch (the
    /// high watermark can only advance by counting replicas of an entry of the current epoch)
    /// and announces itself with BeginQuorumEpoch.
    fn become_leader(&mut self, out: &mut Vec<Command>) {
        let epoch_start_offset = self.log.end_offset();
        let replicas = (self.config.voters.iter())
            .filter(|&&voter| voter != self.config.node_id)
            .map(|&voter| (voter, ReplicaProgress::default()))
            .collect();
        self.role = Role::Leader(LeaderState {
            epoch_start_offset,
            epoch_start_ms: self.now_ms,
            replicas,
            observers: Default::default(),
        });
        out.push(Command::BecameLeader {
            leader_epoch: self.leader_epoch,
        });
        let leader_change = Entry {
            epoch: self.leader_epoch,
            offset: epoch_start_offset,
            kind: EntryKind::LeaderChange,
            data: bytes::Bytes::new(),
        };
        self.append_as_leader(leader_change, out);
        self.send_begin_quorum_epoch(out);
    }
}
