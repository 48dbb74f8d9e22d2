//! When the next `Tick` can matter: the earliest deadline among a node's timers (election,
//! fetch and fetch timeout, check-quorum, re-sent BeginQuorumEpoch and EndQuorumEpoch).
//!
//! A runtime may sleep until then instead of ticking at a fixed rate, as Kafka's
//! KafkaRaftClient polls with the time to its nearest timer. The contract: a tick before
//! [`RaftNode::next_tick_ms`] changes nothing and emits nothing, so skipping it is exact. The
//! test harness checks this after every event of every quorum test, by ticking a copy. Waking
//! early is harmless; a deadline missed here would be a tick the runtime never gives.

use super::state::{LeaderState, RaftNode, Role};

impl RaftNode {
    /// The earliest time (in the node's milliseconds) at which a tick may act; at or before
    /// the last event's time when one is due at once, `i64::MAX` when only an event can wake
    /// the node.
    pub fn next_tick_ms(&self) -> i64 {
        match &self.role {
            Role::Unattached | Role::PreCandidate(_) | Role::Candidate(_) => {
                self.election_deadline_ms
            }
            Role::Resigned(resigned) => resigned.next_end_quorum_ms.min(self.election_deadline_ms),
            Role::Follower(follower) => {
                let fetch_timeout = follower.last_leader_contact_ms + self.config.fetch_timeout_ms;
                let fetch = match follower.fetch_sent_ms {
                    None => follower.next_fetch_ms,
                    Some(sent_ms) => sent_ms + self.config.request_timeout_ms,
                };
                fetch_timeout.min(fetch)
            }
            Role::Leader(leader) => self.check_quorum_ms(leader).min(self.announce_ms(leader)),
        }
    }

    /// When check-quorum's verdict can next change without an event: a voter's last fetch
    /// ages out, or the epoch becomes old enough to judge. An instant a tick has passed changed
    /// the verdict then, and that tick judged it, so only instants after the last tick count
    /// (some may already be past, if events moved the clock on since: then a tick is due now).
    fn check_quorum_ms(&self, leader: &LeaderState) -> i64 {
        let timeout_ms = self.check_quorum_timeout_ms();
        let fetches = (leader.replicas.values()).filter_map(|replica| replica.last_fetch_ms);
        (fetches.map(|fetched_ms| fetched_ms + timeout_ms + 1))
            .chain([leader.epoch_start_ms + timeout_ms])
            .filter(|&at| at > self.last_tick_ms)
            .min()
            .unwrap_or(i64::MAX)
    }

    /// When BeginQuorumEpoch is next due to some voter: it has not fetched within the fetch
    /// timeout, and the last announcement to it is older than the request timeout.
    fn announce_ms(&self, leader: &LeaderState) -> i64 {
        let (fetch_timeout_ms, retry_ms) =
            (self.config.fetch_timeout_ms, self.config.request_timeout_ms);
        (leader.replicas.values())
            .map(|replica| {
                let unannounced = replica
                    .last_fetch_ms
                    .map_or(i64::MIN, |t| t + fetch_timeout_ms);
                let retry = replica
                    .begin_quorum_sent_ms
                    .map_or(i64::MIN, |t| t + retry_ms);
                unannounced.max(retry)
            })
            .min()
            .unwrap_or(i64::MAX)
    }
}
