//! Pure state machines: no IO, no async, no clock reads, no OS randomness. Each takes events with
//! the current time and emits commands that [`crate::node`] executes: the KRaft quorum
//! (`raft`), the controller (`controller`) and partition replication (`replication`, its
//! leader's side so far); the group coordinator lands here in a later issue.

pub mod controller;
pub mod raft;
pub mod replication;
