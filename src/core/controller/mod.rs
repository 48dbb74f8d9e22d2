//! The KRaft controller's state and decisions, pure: the metadata records written to the
//! metadata log, the image every node replays them into, and the active controller's decisions
//! (broker registration, heartbeats and fencing, topic creation and placement, leader
//! elections, reassignments) as functions from the image and a request to records.
//!
//! The quorum ([`crate::core::raft`]) makes the records durable and ordered; this module decides
//! what they are. Keeping the two apart is what lets the same decisions be table-tested here,
//! replayed in the simulator, and run by the node's runtime unchanged.
//!
//! Layout: `records` (the records and their batch encoding), `image` (replay into the metadata
//! image, and snapshots as records), `election` (the pure leader-election decision), `change`
//! (a partition change as a record, with the eligible leader replica rules),
//! `placement` (round-robin replica placement), `sessions` (broker heartbeat sessions),
//! `controller` (the active controller's state and shared helpers), `brokers` (registration,
//! heartbeats, fencing, controlled shutdown), `topics` (create, grow, delete, configs),
//! `leadership` (ElectLeaders, rebalance, reassignment, ISR changes), `errors`.

pub mod brokers;
pub mod change;
#[allow(clippy::module_inception)]
pub mod controller;
pub mod election;
pub mod errors;
pub mod image;
pub mod leadership;
pub mod placement;
pub mod records;
pub mod sessions;
pub mod topics;

#[cfg(test)]
mod elr_tests;
#[cfg(test)]
mod tests;

pub use brokers::{HeartbeatReply, HeartbeatRequest, RegisterBrokerRequest};
pub use controller::{Controller, ControllerSettings, Outcome, MIN_INSYNC_REPLICAS};
pub use election::{elect_leader, Candidates, ElectionResult, ElectionType};
pub use errors::ControllerError;
pub use image::{
    BrokerRegistration, MetadataImage, PartitionRegistration, ReplayError, TopicImage, NO_LEADER,
};
pub use leadership::{AlterIsrRequest, ElectionKind};
pub use records::{decode_batch, encode_batch, ConfigResource, Endpoint, MetadataRecord};
pub use topics::{CreateTopicRequest, CreatedTopic};
