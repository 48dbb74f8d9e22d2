//! Every message the guard knows, built with every field its version has (transcribed from
//! `kafka-protocol`'s struct definitions and the versions their decoders read each field in;
//! `kafka-protocol`'s encoder refuses a field set in a version that lacks it, so a wrong
//! version range fails the tests rather than passing silently).

pub mod alter_partition;
pub mod alter_partition_reassignments;
pub mod api_versions;
pub mod broker_heartbeat;
pub mod broker_registration;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_topics;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_log_dirs;
pub mod describe_quorum;
pub mod describe_topic_partitions;
pub mod elect_leaders;
pub mod fetch;
pub mod incremental_alter_configs;
pub mod list_offsets;
pub mod list_partition_reassignments;
pub mod metadata;
pub mod offset_for_leader_epoch;
pub mod produce;
