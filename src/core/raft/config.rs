//! The quorum's configuration and the named limits it is checked against.
//!
//! The voter set is fixed for now (KRaft's static `controller.quorum.voters`). Timeouts use
//! Kafka's names: `election_timeout_ms` is `controller.quorum.election.timeout.ms`,
//! `fetch_timeout_ms` is `controller.quorum.fetch.timeout.ms`. A configuration is validated once,
//! when the node is built, so the state machine itself can assume sane values.

use std::collections::BTreeSet;

use super::types::{Epoch, NodeId};

/// Most voters in a quorum; majorities are counted over sets this small.
pub const VOTERS_MAX: usize = 15;
/// Shortest election timeout accepted: below this, elections race the network's own delay.
pub const ELECTION_TIMEOUT_MS_MIN: i64 = 10;
/// Longest election timeout accepted (ten minutes); beyond it a lost leader is an outage.
pub const ELECTION_TIMEOUT_MS_MAX: i64 = 600_000;
/// Largest entry a client may propose, in bytes (Kafka's default `max.message.bytes`).
pub const ENTRY_BYTES_MAX: usize = 1024 * 1024 + 12;
/// Most entries one fetch response carries, so a lagging follower catches up in bounded steps.
pub const FETCH_ENTRIES_MAX: usize = 256;
/// Most snapshot bytes one FetchSnapshot response carries (Kafka's leader caps a FetchSnapshot
/// at its own limit whatever the follower asks for), so one answer never holds a whole image.
pub const SNAPSHOT_CHUNK_BYTES_MAX: u32 = 1024 * 1024;
/// Largest snapshot accepted, taken or fetched. Metadata images are small; the bound keeps a
/// forged `size` from making a follower buffer without end.
pub const SNAPSHOT_BYTES_MAX: u64 = 1024 * 1024 * 1024;

/// Largest epoch a message may carry and the node may campaign from. Every election adds one,
/// so real quorums never get near it; the bound keeps a forged epoch from overflowing
/// `epoch + 1`.
pub const EPOCH_MAX: Epoch = i32::MAX / 2;

const _: () = assert!(ELECTION_TIMEOUT_MS_MIN < ELECTION_TIMEOUT_MS_MAX);
const _: () = assert!(SNAPSHOT_CHUNK_BYTES_MAX as u64 <= SNAPSHOT_BYTES_MAX);
// The randomized timeout is drawn from [t, 2t): 2t must not overflow.
const _: () = assert!(ELECTION_TIMEOUT_MS_MAX < i64::MAX / 2);

/// Defaults, Kafka's where Kafka has one.
pub const ELECTION_TIMEOUT_MS_DEFAULT: i64 = 1_000;
pub const FETCH_TIMEOUT_MS_DEFAULT: i64 = 2_000;
/// How often an idle follower fetches; KRaft long-polls instead, which we do not model yet.
pub const FETCH_INTERVAL_MS_DEFAULT: i64 = 50;
/// How long a request may go unanswered before it is sent again.
pub const REQUEST_TIMEOUT_MS_DEFAULT: i64 = 200;

/// One node's view of the quorum's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaftConfig {
    pub node_id: NodeId,
    pub voters: BTreeSet<NodeId>,
    pub election_timeout_ms: i64,
    pub fetch_timeout_ms: i64,
    pub fetch_interval_ms: i64,
    pub request_timeout_ms: i64,
    /// How many snapshot bytes a follower asks for per FetchSnapshot (its `max_bytes`), at
    /// most [`SNAPSHOT_CHUNK_BYTES_MAX`].
    pub fetch_snapshot_max_bytes: u32,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaftConfigError {
    NoVoters,
    TooManyVoters {
        voters: usize,
        voters_max: usize,
    },
    ElectionTimeoutOutOfRange {
        election_timeout_ms: i64,
    },
    /// A follower must give up on its leader later than an election would start, or pre-votes
    /// are refused while followers still think the old leader is alive.
    FetchTimeoutBelowElectionTimeout {
        fetch_timeout_ms: i64,
        election_timeout_ms: i64,
    },
    /// Fetches and retries must come well inside the fetch timeout, or a live leader looks dead.
    IntervalNotBelowFetchTimeout {
        interval_ms: i64,
        fetch_timeout_ms: i64,
    },
    FetchSnapshotMaxBytesOutOfRange {
        fetch_snapshot_max_bytes: u32,
        bytes_max: u32,
    },
}

impl RaftConfig {
    /// A configuration with Kafka's default timeouts.
    pub fn new(node_id: NodeId, voters: BTreeSet<NodeId>) -> Self {
        Self {
            node_id,
            voters,
            election_timeout_ms: ELECTION_TIMEOUT_MS_DEFAULT,
            fetch_timeout_ms: FETCH_TIMEOUT_MS_DEFAULT,
            fetch_interval_ms: FETCH_INTERVAL_MS_DEFAULT,
            request_timeout_ms: REQUEST_TIMEOUT_MS_DEFAULT,
            fetch_snapshot_max_bytes: SNAPSHOT_CHUNK_BYTES_MAX,
        }
    }

    pub fn validate(&self) -> Result<(), RaftConfigError> {
        if self.voters.is_empty() {
            return Err(RaftConfigError::NoVoters);
        }
        if self.voters.len() > VOTERS_MAX {
            return Err(RaftConfigError::TooManyVoters {
                voters: self.voters.len(),
                voters_max: VOTERS_MAX,
            });
        }
        let timeout = self.election_timeout_ms;
        if !(ELECTION_TIMEOUT_MS_MIN..=ELECTION_TIMEOUT_MS_MAX).contains(&timeout) {
            return Err(RaftConfigError::ElectionTimeoutOutOfRange {
                election_timeout_ms: timeout,
            });
        }
        if self.fetch_timeout_ms < timeout {
            return Err(RaftConfigError::FetchTimeoutBelowElectionTimeout {
                fetch_timeout_ms: self.fetch_timeout_ms,
                election_timeout_ms: timeout,
            });
        }
        for interval_ms in [self.fetch_interval_ms, self.request_timeout_ms] {
            if interval_ms <= 0 || interval_ms * 2 > self.fetch_timeout_ms {
                return Err(RaftConfigError::IntervalNotBelowFetchTimeout {
                    interval_ms,
                    fetch_timeout_ms: self.fetch_timeout_ms,
                });
            }
        }
        let chunk = self.fetch_snapshot_max_bytes;
        if !(1..=SNAPSHOT_CHUNK_BYTES_MAX).contains(&chunk) {
            return Err(RaftConfigError::FetchSnapshotMaxBytesOutOfRange {
                fetch_snapshot_max_bytes: chunk,
                bytes_max: SNAPSHOT_CHUNK_BYTES_MAX,
            });
        }
        Ok(())
    }

    pub fn is_voter(&self, node: NodeId) -> bool {
        self.voters.contains(&node)
    }
}
