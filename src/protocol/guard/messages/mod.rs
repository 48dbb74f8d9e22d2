//! The layouts of every message the broker decodes (requests) and the native client decodes
//! (responses), plus the broker-to-controller APIs the CONTROLLER listener decodes, one file per
//! API, in every version `kafka-protocol` 0.18 decodes: wider than
//! what we advertise or ask for, so a change to `SUPPORTED_APIS` or `CLIENT_VERSIONS` within
//! `kafka-protocol`'s range needs no new shape.

mod alter_partition;
mod alter_partition_reassignments;
mod api_versions;
mod broker_heartbeat;
mod broker_registration;
mod create_partitions;
mod create_topics;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_log_dirs;
mod describe_quorum;
mod describe_topic_partitions;
mod elect_leaders;
mod fetch;
mod incremental_alter_configs;
mod list_offsets;
mod list_partition_reassignments;
mod metadata;
mod offset_for_leader_epoch;
mod produce;

use kafka_protocol::messages::ApiKey;

use super::shape::MessageShape;

/// The request and response layouts of `api_key`, if known.
pub fn shapes(api_key: ApiKey) -> Option<(&'static MessageShape, &'static MessageShape)> {
    Some(match api_key {
        ApiKey::Produce => (&produce::REQUEST, &produce::RESPONSE),
        ApiKey::Fetch => (&fetch::REQUEST, &fetch::RESPONSE),
        ApiKey::ListOffsets => (&list_offsets::REQUEST, &list_offsets::RESPONSE),
        ApiKey::Metadata => (&metadata::REQUEST, &metadata::RESPONSE),
        ApiKey::ApiVersions => (&api_versions::REQUEST, &api_versions::RESPONSE),
        ApiKey::CreateTopics => (&create_topics::REQUEST, &create_topics::RESPONSE),
        ApiKey::DeleteTopics => (&delete_topics::REQUEST, &delete_topics::RESPONSE),
        ApiKey::DescribeConfigs => (&describe_configs::REQUEST, &describe_configs::RESPONSE),
        ApiKey::DescribeLogDirs => (&describe_log_dirs::REQUEST, &describe_log_dirs::RESPONSE),
        ApiKey::AlterPartition => (&alter_partition::REQUEST, &alter_partition::RESPONSE),
        ApiKey::OffsetForLeaderEpoch => (
            &offset_for_leader_epoch::REQUEST,
            &offset_for_leader_epoch::RESPONSE,
        ),
        ApiKey::CreatePartitions => (&create_partitions::REQUEST, &create_partitions::RESPONSE),
        ApiKey::IncrementalAlterConfigs => (
            &incremental_alter_configs::REQUEST,
            &incremental_alter_configs::RESPONSE,
        ),
        ApiKey::DescribeCluster => (&describe_cluster::REQUEST, &describe_cluster::RESPONSE),
        ApiKey::BrokerRegistration => (
            &broker_registration::REQUEST,
            &broker_registration::RESPONSE,
        ),
        ApiKey::BrokerHeartbeat => (&broker_heartbeat::REQUEST, &broker_heartbeat::RESPONSE),
        ApiKey::DescribeQuorum => (&describe_quorum::REQUEST, &describe_quorum::RESPONSE),
        ApiKey::DescribeTopicPartitions => (
            &describe_topic_partitions::REQUEST,
            &describe_topic_partitions::RESPONSE,
        ),
        ApiKey::ElectLeaders => (&elect_leaders::REQUEST, &elect_leaders::RESPONSE),
        ApiKey::AlterPartitionReassignments => (
            &alter_partition_reassignments::REQUEST,
            &alter_partition_reassignments::RESPONSE,
        ),
        ApiKey::ListPartitionReassignments => (
            &list_partition_reassignments::REQUEST,
            &list_partition_reassignments::RESPONSE,
        ),
        _ => return None,
    })
}
