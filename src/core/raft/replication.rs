//! Pull-based replication and the high watermark, as in KRaft: followers fetch the log from the
//! leader, the leader checks each fetch against its own log and answers with entries or with
//! the diverging epoch the follower must truncate to, and counts validated fetch offsets to
//! advance the high watermark.
//!
//! The commit rule: the high watermark is the largest offset that a majority of voters (the
//! leader included) hold, and only once it is past the start of the leader's own epoch (Raft
//! section 5.4.2: entries of older epochs are committed only by committing one of the current
//! epoch). The leader counts only its flushed log end (`Event::Flushed`); a follower's fetch
//! offset counts as held because the runtime flushes a follower's appends before it sends the
//! next fetch. Followers adopt the leader's high watermark capped at their own log end, since
//! they cannot commit what they do not hold. High watermarks only ever move forward.
//!
//! A fetch the leader can no longer answer from its log (below its log start, see
//! `snapshot.rs`) is answered with the snapshot to fetch instead.

use bytes::Bytes;

use super::config::{ENTRY_BYTES_MAX, FETCH_ENTRIES_MAX};
use super::messages::{
    BeginQuorumEpoch, FetchError, FetchRequest, FetchResponse, FetchResult, Message,
};
use super::state::{
    Command, LeaderState, ProposeError, RaftNode, ReplicaProgress, Role, OBSERVERS_MAX,
};
use super::types::{majority, Entry, EntryKind, NodeId, Offset, OffsetAndEpoch, EPOCH_NONE};

/// A leader resigns when a majority has not fetched for this many fetch timeouts (KRaft's
/// check-quorum uses 1.5), so a partitioned leader stops claiming the lead.
const CHECK_QUORUM_TIMEOUT_NUMERATOR: i64 = 3;
const CHECK_QUORUM_TIMEOUT_DENOMINATOR: i64 = 2;

impl RaftNode {
    pub(super) fn on_begin_quorum_epoch(
        &mut self,
        from: NodeId,
        message: BeginQuorumEpoch,
        out: &mut Vec<Command>,
    ) {
        // A higher epoch already made us follow `from` (on_message); an older one is stale.
        if message.leader_epoch != self.leader_epoch || !self.config.is_voter(from) {
            return;
        }
        match &mut self.role {
            Role::Follower(f) if f.leader == from => f.last_leader_contact_ms = self.now_ms,
            // Two leaders in one epoch cannot happen with honest peers: ignore the claim.
            Role::Follower(_) | Role::Leader(_) | Role::Resigned(_) => {}
            Role::Unattached | Role::PreCandidate(_) | Role::Candidate(_) => {
                self.become_follower(message.leader_epoch, from, out)
            }
        }
    }

    pub(super) fn on_fetch_request(
        &mut self,
        from: NodeId,
        request: FetchRequest,
        out: &mut Vec<Command>,
    ) {
        let fetch_offset = request.fetch_offset;
        let result = if !matches!(self.role, Role::Leader(_)) {
            FetchResult::Error(FetchError::NotLeaderOrFollower)
        } else if request.leader_epoch < self.leader_epoch {
            FetchResult::Error(FetchError::FencedLeaderEpoch)
        } else if fetch_offset < 0 || request.last_fetched_epoch < 0 {
            return; // Malformed: no honest fetcher sends it, and there is nothing to answer.
        } else {
            self.validated_fetch(from, &request, out)
        };
        let response = FetchResponse {
            leader_epoch: self.leader_epoch,
            leader: self.leader(),
            fetch_offset,
            result,
        };
        self.send(from, Message::FetchResponse(response), out);
    }

    /// The leader's answer to a fetch in its epoch: a snapshot to fetch, a diverging epoch, or
    /// entries and progress.
    fn validated_fetch(
        &mut self,
        from: NodeId,
        request: &FetchRequest,
        out: &mut Vec<Command>,
    ) -> FetchResult {
        // Any fetch in our epoch shows the replica is in touch (check-quorum, DescribeQuorum).
        self.record_fetch_contact(from);
        let (fetch_offset, last_fetched_epoch) = (request.fetch_offset, request.last_fetched_epoch);
        if let Some(snapshot_id) = self.snapshot_needed_by(fetch_offset, last_fetched_epoch) {
            return FetchResult::SnapshotId(snapshot_id);
        }
        let ours = self.log.end_offset_for_epoch(last_fetched_epoch);
        if ours.epoch != last_fetched_epoch || ours.offset < fetch_offset {
            return FetchResult::DivergingEpoch(ours);
        }
        // The fetcher's log matches ours below `fetch_offset`: that is its progress.
        if let Role::Leader(leader) = &mut self.role {
            if let Some(replica) = leader.progress_of(from) {
                replica.end_offset = Some(fetch_offset);
            }
        }
        self.update_leader_high_watermark(out);
        FetchResult::Records {
            entries: self.log.read(request.fetch_offset, FETCH_ENTRIES_MAX),
            high_watermark: self.high_watermark,
        }
    }

    /// Remembers when a voter or observer last fetched (or fetched a snapshot) in the leader's
    /// epoch.
    pub(super) fn record_fetch_contact(&mut self, from: NodeId) {
        let now_ms = self.now_ms;
        if let Role::Leader(leader) = &mut self.role {
            if let Some(replica) = leader.progress_of(from) {
                replica.last_fetch_ms = Some(now_ms);
            }
        }
    }

    /// The majority rule and the current-epoch rule (see the module doc).
    pub(super) fn update_leader_high_watermark(&mut self, out: &mut Vec<Command>) {
        let Role::Leader(leader) = &self.role else {
            return;
        };
        let mut end_offsets: Vec<Offset> = (leader.replicas.values())
            .map(|replica| replica.end_offset.unwrap_or(0))
            .collect();
        // Only what is on disk counts: a leader that crashed would lose its unflushed tail.
        end_offsets.push(self.flushed_end_offset.min(self.log.end_offset()));
        end_offsets.sort_unstable_by(|a, b| b.cmp(a));
        let held_by_majority = end_offsets[majority(self.config.voters.len()) - 1];
        if held_by_majority > self.high_watermark && held_by_majority > leader.epoch_start_offset {
            self.high_watermark = held_by_majority;
            out.push(Command::Committed {
                high_watermark: held_by_majority,
            });
        }
    }

    /// The runtime made the log durable up to `end_offset`; a leader may now count it.
    pub(super) fn on_flushed(&mut self, end_offset: Offset, out: &mut Vec<Command>) {
        if end_offset > self.log.end_offset() {
            return; // Speaks of entries we do not hold (a flush from before a truncation).
        }
        if end_offset > self.flushed_end_offset {
            self.flushed_end_offset = end_offset;
            self.update_leader_high_watermark(out);
        }
    }

    pub(super) fn on_fetch_response(
        &mut self,
        from: NodeId,
        response: FetchResponse,
        out: &mut Vec<Command>,
    ) {
        let end_offset = self.log.end_offset();
        let now_ms = self.now_ms;
        let Role::Follower(follower) = &mut self.role else {
            return;
        };
        // Only the answer to our outstanding fetch, from our leader, in our epoch, counts; none
        // is outstanding while a snapshot is being fetched.
        let current = response.leader_epoch == self.leader_epoch
            && from == follower.leader
            && response.fetch_offset == end_offset
            && follower.snapshot_fetch.is_none();
        if !current {
            return;
        }
        follower.fetch_sent_ms = None;
        follower.next_fetch_ms = now_ms + self.config.fetch_interval_ms;
        match response.result {
            FetchResult::Records {
                entries,
                high_watermark,
            } => {
                follower.last_leader_contact_ms = now_ms;
                if self.is_repairing() {
                    self.repair_answered(response.fetch_offset, entries.len());
                }
                self.append_fetched(entries, high_watermark, out);
            }
            FetchResult::DivergingEpoch(diverging) => {
                follower.last_leader_contact_ms = now_ms;
                self.truncate_diverging(diverging, out);
            }
            FetchResult::SnapshotId(snapshot_id) => {
                follower.last_leader_contact_ms = now_ms;
                self.start_snapshot_fetch(snapshot_id, out);
            }
            // Our leader no longer leads this epoch: keep asking until the fetch timeout.
            FetchResult::Error(_) => {}
        }
    }

    /// Appends entries fetched from the leader (after checking they follow on from our log) and
    /// adopts the leader's high watermark, capped at what we hold.
    fn append_fetched(
        &mut self,
        entries: Vec<Entry>,
        high_watermark: Offset,
        out: &mut Vec<Command>,
    ) {
        if !self.fetched_entries_follow_on(&entries) {
            return; // A bad answer: drop it, the next fetch asks again.
        }
        let fetched_any = !entries.is_empty();
        for entry in &entries {
            self.log.append(entry.clone());
        }
        if fetched_any {
            out.push(Command::AppendToLog { entries });
        }
        let new_high_watermark = high_watermark.min(self.log.end_offset());
        if new_high_watermark > self.high_watermark {
            self.high_watermark = new_high_watermark;
            out.push(Command::Committed {
                high_watermark: new_high_watermark,
            });
        }
        if fetched_any {
            // Catching up: fetch the next batch now rather than after the idle interval.
            self.fetch_now(out);
        }
    }

    fn fetched_entries_follow_on(&self, entries: &[Entry]) -> bool {
        let mut offset = self.log.end_offset();
        let mut epoch = self.log.last_epoch();
        for entry in entries {
            let ok = entry.offset == offset && entry.epoch >= epoch && entry.epoch > EPOCH_NONE;
            if !ok || entry.epoch > self.leader_epoch {
                return false;
            }
            (offset, epoch) = (offset + 1, entry.epoch);
        }
        entries.len() <= FETCH_ENTRIES_MAX
    }

    /// Truncates to where our log last agrees with the leader's, then fetches again from there.
    fn truncate_diverging(&mut self, diverging: OffsetAndEpoch, out: &mut Vec<Command>) {
        let ours = self.log.end_offset_for_epoch(diverging.epoch);
        let to_offset = diverging.offset.min(ours.offset);
        // Committed entries are never truncated; an honest leader never asks for it.
        if to_offset < self.high_watermark || to_offset >= self.log.end_offset() {
            return;
        }
        self.log.truncate(to_offset);
        self.flushed_end_offset = self.flushed_end_offset.min(to_offset);
        out.push(Command::TruncateLog { to_offset });
        self.fetch_now(out);
    }

    pub(super) fn fetch_now(&mut self, out: &mut Vec<Command>) {
        if let Role::Follower(follower) = &mut self.role {
            follower.next_fetch_ms = self.now_ms;
        }
        self.maybe_send_fetch(out);
    }

    /// Sends the next fetch (or FetchSnapshot, during a snapshot transfer) if it is due and none
    /// is outstanding (or the outstanding one is older than `request_timeout_ms`, presumed
    /// lost).
    pub(super) fn maybe_send_fetch(&mut self, out: &mut Vec<Command>) {
        let request_timeout_ms = self.config.request_timeout_ms;
        let (now_ms, leader_epoch) = (self.now_ms, self.leader_epoch);
        let max_bytes = self.config.fetch_snapshot_max_bytes;
        let Role::Follower(follower) = &mut self.role else {
            return;
        };
        let due = match follower.fetch_sent_ms {
            None => now_ms >= follower.next_fetch_ms,
            Some(sent_ms) => now_ms - sent_ms >= request_timeout_ms,
        };
        if !due {
            return;
        }
        follower.fetch_sent_ms = Some(now_ms);
        let leader = follower.leader;
        let message = match &follower.snapshot_fetch {
            Some(fetch) => Message::FetchSnapshotRequest(fetch.request(leader_epoch, max_bytes)),
            None => Message::FetchRequest(FetchRequest {
                leader_epoch,
                fetch_offset: self.log.end_offset(),
                last_fetched_epoch: self.log.last_epoch(),
            }),
        };
        self.send(leader, message, out);
    }

    /// A follower that has not heard from its leader within the fetch timeout starts a
    /// pre-vote (KIP-996); otherwise it keeps fetching.
    pub(super) fn follower_tick(&mut self, out: &mut Vec<Command>) {
        let Role::Follower(follower) = &self.role else {
            return;
        };
        let silent_ms = self.now_ms - follower.last_leader_contact_ms;
        let campaigns = self.config.is_voter(self.config.node_id) && !self.is_repairing();
        if silent_ms >= self.config.fetch_timeout_ms && campaigns {
            self.become_pre_candidate(out);
        } else if silent_ms >= self.config.fetch_timeout_ms {
            // An observer (or a voter in repair) that lost its leader looks for the next one:
            // the voters announce a new epoch only to each other.
            self.become_unattached(self.leader_epoch);
            self.election_tick(out);
        } else {
            self.maybe_send_fetch(out);
        }
    }

    /// How long a majority may go without fetching before the leader resigns.
    pub(super) fn check_quorum_timeout_ms(&self) -> i64 {
        self.config.fetch_timeout_ms * CHECK_QUORUM_TIMEOUT_NUMERATOR
            / CHECK_QUORUM_TIMEOUT_DENOMINATOR
    }

    /// Resigns without a majority fetching (check-quorum), else re-announces the epoch to
    /// voters that have not fetched in it yet.
    pub(super) fn leader_tick(&mut self, out: &mut Vec<Command>) {
        let Role::Leader(leader) = &self.role else {
            return;
        };
        let timeout_ms = self.check_quorum_timeout_ms();
        let since_ms = (self.now_ms - timeout_ms).max(leader.epoch_start_ms);
        let fetched_recently = (leader.replicas.values())
            .filter(|replica| replica.last_fetch_ms.is_some_and(|t| t >= since_ms))
            .count();
        // The leader counts itself.
        let in_touch = fetched_recently + 1;
        let epoch_age_ms = self.now_ms - leader.epoch_start_ms;
        if in_touch < majority(self.config.voters.len()) && epoch_age_ms >= timeout_ms {
            self.become_unattached(self.leader_epoch);
            return;
        }
        self.send_begin_quorum_epoch(out);
    }

    /// Announces the epoch to every voter that has not fetched in it, or not within a fetch
    /// timeout, at most once per `request_timeout_ms` each. The second case brings back a voter
    /// that was cut off long enough to give up on us: its pre-votes are refused while we lead,
    /// and only an announcement tells it where the leader is.
    pub(super) fn send_begin_quorum_epoch(&mut self, out: &mut Vec<Command>) {
        let (now_ms, retry_ms) = (self.now_ms, self.config.request_timeout_ms);
        let fetch_timeout_ms = self.config.fetch_timeout_ms;
        let Role::Leader(leader) = &mut self.role else {
            return;
        };
        let mut due = Vec::new();
        for (&voter, replica) in &mut leader.replicas {
            let unannounced =
                (replica.last_fetch_ms).is_none_or(|t| now_ms - t >= fetch_timeout_ms);
            let retry = replica
                .begin_quorum_sent_ms
                .is_none_or(|t| now_ms - t >= retry_ms);
            if unannounced && retry {
                replica.begin_quorum_sent_ms = Some(now_ms);
                due.push(voter);
            }
        }
        let message = BeginQuorumEpoch {
            leader_epoch: self.leader_epoch,
        };
        for voter in due {
            self.send(voter, Message::BeginQuorumEpoch(message.clone()), out);
        }
    }

    pub(super) fn on_propose(&mut self, data: Bytes, out: &mut Vec<Command>) {
        if !matches!(self.role, Role::Leader(_)) {
            let leader = self.leader();
            out.push(Command::ProposalRejected(ProposeError::NotLeader {
                leader,
            }));
            return;
        }
        if data.len() > ENTRY_BYTES_MAX {
            let (bytes, bytes_max) = (data.len(), ENTRY_BYTES_MAX);
            out.push(Command::ProposalRejected(ProposeError::TooLarge {
                bytes,
                bytes_max,
            }));
            return;
        }
        let entry = Entry {
            epoch: self.leader_epoch,
            offset: self.log.end_offset(),
            kind: EntryKind::Data,
            data,
        };
        out.push(Command::ProposalAccepted {
            leader_epoch: entry.epoch,
            offset: entry.offset,
        });
        self.append_as_leader(entry, out);
    }

    /// Appends on the leader; a lone voter commits at once.
    pub(super) fn append_as_leader(&mut self, entry: Entry, out: &mut Vec<Command>) {
        self.log.append(entry.clone());
        out.push(Command::AppendToLog {
            entries: vec![entry],
        });
        self.update_leader_high_watermark(out);
    }
}

impl LeaderState {
    /// The progress entry of a fetcher: a voter's, or an observer's (tracked from its first
    /// fetch, up to `OBSERVERS_MAX`).
    fn progress_of(&mut self, from: NodeId) -> Option<&mut ReplicaProgress> {
        if self.replicas.contains_key(&from) {
            return self.replicas.get_mut(&from);
        }
        if !self.observers.contains_key(&from) && self.observers.len() >= OBSERVERS_MAX {
            return None;
        }
        Some(self.observers.entry(from).or_default())
    }
}
