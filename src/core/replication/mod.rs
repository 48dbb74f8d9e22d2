//! Kafka's replication protocol, decided in pure state machines: no IO, no async, no clock
//! reads. The runtime feeds each machine events with the current time and carries out the
//! commands it returns, in order, so the simulator explores exactly the decisions a real broker
//! makes.
//!
//! [`PartitionLeader`] is the leader's side of one partition (Kafka's `Partition` with its
//! `ReplicaState`s): each follower's fetch state, the in-sync replica set, the AlterPartition
//! proposals that change it, and the high watermark. It is not driven by the broker yet: the
//! follower fetchers, acks=all waits and elections with data behind them come with the rest of
//! #15, and until then a partition has one copy and its leader sets its own high watermark.
//!
//! `divergence` holds the two sides of KIP-279's truncation: the leader's `DivergingEpoch`
//! answer to a follower's fetch, and where the follower truncates on it.

pub mod divergence;
mod invariants;
mod leader;
#[cfg(test)]
mod tests;

pub use invariants::LeaderViolation;
pub use leader::{Command, Event, LeaderConfig, Leadership, PartitionLeader, ReplicaId};
