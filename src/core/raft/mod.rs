//! KRaft-style Raft for the metadata quorum, as a pure state machine: events and the current
//! time in, commands out, no IO and no clock (DESIGN.md, "State machines").
//!
//! Elections use KIP-996 pre-vote and randomized timeouts drawn from the node's seeded
//! [`RngStream`](crate::runtime::RngStream), so every election replays from a seed. Replication
//! is pull-based as in KRaft: followers fetch from the leader, which answers with entries, a
//! diverging epoch to truncate to, or a snapshot to fetch when it no longer holds the entries,
//! and advances the high watermark once a majority holds an entry of its own epoch (each new
//! leader appends a LeaderChange entry for that). The leader counts only what the runtime has
//! flushed of its own log. Snapshots taken by the runtime at committed offsets let the log drop
//! its prefix; a lagging follower fetches the leader's snapshot in bounded chunks. A node
//! restarts from its persisted quorum state, snapshot and log, and a leader can hand over the
//! lead with EndQuorumEpoch. A node outside the voter set is an observer: it follows the log
//! like a follower (finding the leader by fetching from a voter) but never votes, campaigns or
//! counts towards the high watermark. The invariants of Kafka's RaftEventSimulationTest are in
//! [`invariants`] and [`observer`].
//!
//! Layout: `types` (ids, epochs, entries), `config` (voters, timeouts, limits), `messages` (the
//! RPCs), `commands` (events in, commands out, the quorum state), `log` (the in-memory log and
//! epoch cache, starting after the snapshot), `state` (the node, its roles and the entry point),
//! `election` (pre-vote and vote), `replication` (fetch, flushes and the high watermark),
//! `snapshot` (taking and serving snapshots), `snapshot_fetch` (fetching and installing one),
//! `resign` (EndQuorumEpoch), `restore` (restart from disk), `repair` (a voter that lost
//! committed entries stays out of elections until it has them again), `describe` (DescribeQuorum),
//! `timers` (when the next tick can matter),
//! `invariants` (per-node checks) and `observer` (quorum-wide checks).
//!
//! Not yet here: voter changes (the voter set is static), observers listed in DescribeQuorum,
//! and long-polling fetches.

mod commands;
pub mod config;
mod describe;
mod election;
pub mod invariants;
pub mod log;
pub mod messages;
pub mod observer;
mod repair;
mod replication;
mod resign;
pub mod restore;
pub mod snapshot;
mod snapshot_fetch;
pub mod state;
mod timers;
pub mod types;

#[cfg(test)]
mod tests;

pub use config::{RaftConfig, RaftConfigError};
pub use describe::{QuorumDescription, ReplicaDescription};
pub use invariants::{NodeViolation, ViewKey};
pub use messages::{
    BeginQuorumEpoch, EndQuorumEpoch, FetchError, FetchRequest, FetchResponse, FetchResult,
    FetchSnapshotError, FetchSnapshotRequest, FetchSnapshotResponse, FetchSnapshotResult, Message,
    VoteRequest, VoteResponse,
};
pub use observer::{NodeView, QuorumObserver, QuorumViolation};
pub use restore::{RestoreError, Restored};
pub use snapshot::{Snapshot, SnapshotError};
pub use state::{Command, Event, ProposeError, QuorumState, RaftNode, RoleKind};
pub use types::{Entry, EntryKind, Epoch, NodeId, Offset, OffsetAndEpoch};
