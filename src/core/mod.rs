//! Pure state machines: no IO, no async, no clock reads, no OS randomness. Each takes events with
//! the current time and emits commands that [`crate::node`] executes. Replication, the KRaft
//! quorum, the controller and the group coordinator land here in later issues.

pub mod controller;
pub mod raft;
