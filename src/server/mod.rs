//! The broker's network server: shared broker state, the accept loop, the per-connection
//! request loop, and one handler per Kafka API in `handlers/`. Kafka error codes are chosen in
//! `errors`, once.

mod alter_partition_api;
pub mod broker;
pub mod configs;
mod connection;
pub mod controller_apis;
pub mod controller_client;
mod controller_describe;
pub mod disk_health;
pub mod errors;
pub mod handlers;
pub mod listener;
pub mod meta_properties;
pub mod publish;
pub mod quorum;
pub mod replication;
pub mod topic_name;
pub mod topic_ops;
pub mod topics;

pub use broker::{Broker, StartError};
pub use handlers::SUPPORTED_APIS;

// Real sockets and a multi-threaded runtime: the simulator has its own slow-disk scenario.
#[cfg(all(test, not(madsim)))]
mod slow_disk_tests;
