//! Weir: a Kafka-compatible broker whose broker, storage and (later) replication, controller and
//! group coordination run unchanged on real sockets and disks or inside madsim's deterministic
//! simulator.
//!
//! The map of the crate, following one request from the wire to the disk:
//!
//! - [`runtime`]: the seam. The only module naming tokio/madsim: clock, timers, tasks, sockets,
//!   signals and seeded random streams.
//! - [`protocol`]: Kafka framing and the codec (the `kafka-protocol` crate), the ApiVersions table
//!   derived from the registered handlers.
//! - [`server`]: the connection loop and one handler per Kafka API; Kafka error codes are chosen
//!   there, once.
//! - [`storage`]: the [`storage::Disk`] seam and the log engine in Kafka's on-disk layout.
//! - [`core`]: pure state machines (no IO, no async, no clock reads) that later issues fill in.
//! - [`client`]: the native client (admin, producer, consumer) used by the CLI and the simulator.
//! - [`node`]: wires one broker together from a [`config::BrokerConfig`].
//!
//! [`limits`] names every bound; [`types`] holds the identifier newtypes; [`backoff`] the
//! retry waits. [`events`] are the
//! semantic events the simulator traces; [`canary`] holds its deliberate bugs (simulator builds
//! only).

pub mod backoff;
pub mod canary;
pub mod client;
pub mod config;
pub mod core;
pub mod events;
pub mod limits;
pub mod node;
pub mod protocol;
pub mod runtime;
pub mod server;
pub mod storage;
pub mod types;
