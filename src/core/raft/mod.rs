//! KRaft-style Raft for the metadata quorum, as a pure state machine: events and the current
//! time in, commands out, no IO and no clock (DESIGN.md, "State machines").
//!
//! Elections use KIP-996 pre-vote and randomized timeouts drawn from the node's seeded
//! [`RngStream`](crate::runtime::RngStream), so every election replays from a seed. Replication
//! is pull-based as in KRaft: followers fetch from the leader, which answers with entries or a
//! diverging epoch to truncate to, and advances the high watermark once a majority holds an
//! entry of its own epoch (each new leader appends a LeaderChange entry for that). The
//! invariants of Kafka's RaftEventSimulationTest are in [`invariants`].
//!
//! Layout: `types` (ids, epochs, entries), `config` (voters, timeouts, limits), `messages` (the
//! RPCs), `log` (the in-memory log and epoch cache), `state` (the node, its roles and the entry
//! point), `election` (pre-vote and vote), `replication` (fetch and the high watermark),
//! `invariants` (per-node and quorum-wide checks).
//!
//! Not yet here: snapshots, durability acknowledgements (the leader counts its own log end as
//! held), restart from disk, EndQuorumEpoch, voter changes.

pub mod config;
mod election;
pub mod invariants;
pub mod log;
pub mod messages;
mod replication;
pub mod state;
pub mod types;

#[cfg(test)]
mod tests;

pub use config::{RaftConfig, RaftConfigError};
pub use invariants::{NodeView, NodeViolation, QuorumObserver, QuorumViolation};
pub use messages::{
    BeginQuorumEpoch, FetchError, FetchRequest, FetchResponse, FetchResult, Message, VoteRequest,
    VoteResponse,
};
pub use state::{Command, Event, ProposeError, QuorumState, RaftNode, RoleKind};
pub use types::{Entry, EntryKind, Epoch, NodeId, Offset, OffsetAndEpoch};
