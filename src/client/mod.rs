//! The native Kafka client: admin calls, producer and consumer, on the runtime seam.
//!
//! Layers, bottom up:
//!
//! - [`connection`]: one broker connection; framing, pipelining by correlation id, ApiVersions
//!   negotiation, request timeouts.
//! - [`cluster`] and [`metadata`]: bootstrap, Metadata, connections by broker id, leaders.
//! - [`admin`] and [`offsets`]: topics, partitions, configs, ListOffsets, DescribeCluster;
//!   [`topic_partitions`]: eligible leader replicas (DescribeTopicPartitions).
//! - [`producer`] with [`partitioner`] (Java-compatible murmur2, sticky keyless),
//!   [`accumulator`] (linger.ms / batch.size) and `produce_request` (one Produce per leader).
//! - [`consumer`] with [`fetch`]: manual assignment, seeks, `poll`.
//! - [`records`] and [`batch`]: records in and out of magic v2 batches, all codecs.
//!
//! Everything async runs on [`crate::runtime`], so the same client drives real brokers from the
//! CLI and simulated ones inside madsim.

pub mod accumulator;
pub mod admin;
pub mod batch;
pub mod cluster;
pub mod connection;
pub mod consumer;
pub mod error;
pub mod fetch;
pub mod metadata;
pub mod offsets;
pub mod partitioner;
mod produce_request;
pub mod producer;
pub mod reassign;
pub mod records;
pub mod topic_partitions;

pub use crate::types::TopicPartition;

use std::sync::{Mutex, MutexGuard};

/// Locks client state, recovering it if a holder panicked: every holder changes it in single
/// steps (an insert, a removal, a field set), so what a panic leaves is still consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
pub(crate) mod mock_broker;
pub use admin::{
    Admin, AlterConfigOp, ClusterDescription, ConfigEntry, ConfigResource, Election, NewTopic,
    ResourceType,
};
pub use cluster::{Cluster, ClusterOptions};
pub use connection::{Connection, ConnectionOptions};
pub use consumer::{Consumer, ConsumerConfig, OffsetReset};
pub use error::{ClientError, Result};
pub use kafka_protocol::records::Compression;
pub use metadata::{BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo};
pub use offsets::{ListedOffset, OffsetSpec};
pub use producer::{
    parse_compression, Acks, DeliveryFuture, Producer, ProducerConfig, RecordMetadata,
};
pub use reassign::OngoingReassignment;
pub use records::{ConsumerRecord, Header, ProducerRecord, TimestampType};
