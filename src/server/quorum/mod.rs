//! The metadata quorum on a node: the replica of the metadata log (`replica`: the Raft core,
//! its store on `Disk` and the committed image) and the active controller on top of it
//! (`active`), both synchronous and clock-free so tests drive them by hand; and the running
//! service (`service`: lock, ticker, peer senders, commit waits) with its wire transport over
//! the CONTROLLER listener (`transport`). Not yet started by `node.rs`.

pub mod active;
pub mod replica;
pub mod service;
pub mod transport;

#[cfg(test)]
mod service_tests;
#[cfg(test)]
mod tests;

pub use active::{ActiveController, SubmitError, Submitted};
pub use replica::{MetadataReplica, ReplicaError, ReplicaSettings};
pub use service::QuorumService;
