//! The metadata quorum on a node: the replica of the metadata log (`replica`: the Raft core,
//! its store on `Disk` and the committed image) and the active controller on top of it
//! (`active`). Both are synchronous and clock-free so that tests, and later the node's async
//! task and the simulator, drive them the same way; the network transport is not here yet.

pub mod active;
pub mod replica;

#[cfg(test)]
mod tests;

pub use active::{ActiveController, SubmitError, Submitted};
pub use replica::{MetadataReplica, ReplicaError, ReplicaSettings};
