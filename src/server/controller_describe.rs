//! What an admin client asks a controller before anything else when it is given
//! `--bootstrap-controller` (`kafka-metadata-quorum`, `kafka-features`, `kafka-configs`): the
//! controller's ApiVersions table, and DescribeCluster for the controllers' own endpoints
//! (KIP-919), so it can find the active controller and send it DescribeQuorum. A broker
//! listener answers DescribeCluster for brokers; a controller refuses any other endpoint type
//! with MISMATCHED_ENDPOINT_TYPE, as Kafka's do.

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, DescribeClusterRequest, DescribeClusterResponse,
};
use kafka_protocol::ResponseError;

use super::alter_partition_api::ALTER_PARTITION_VERSIONS;
use super::controller_apis::{BROKER_HEARTBEAT_VERSION, BROKER_REGISTRATION_VERSIONS};
use super::handlers::{str_bytes, supported, RequestContext};
use super::quorum::QuorumService;
use crate::protocol::quorum::QUORUM_API_VERSIONS;

/// The admin requests brokers forward to the active controller, served at the broker
/// listener's versions.
pub const FORWARDED_APIS: [ApiKey; 7] = [
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::CreatePartitions,
    ApiKey::ElectLeaders,
    ApiKey::IncrementalAlterConfigs,
    ApiKey::AlterPartitionReassignments,
    ApiKey::ListPartitionReassignments,
];

/// `endpoint_type` of DescribeCluster v1+: 1 brokers, 2 controllers.
const CONTROLLER_ENDPOINTS: i8 = 2;

/// Every API the CONTROLLER listener serves, with its versions, in API-key order.
pub fn controller_api_table() -> Vec<ApiVersion> {
    let version = |key: ApiKey, min: i16, max: i16| {
        ApiVersion::default()
            .with_api_key(key as i16)
            .with_min_version(min)
            .with_max_version(max)
    };
    let mut table: Vec<ApiVersion> = QUORUM_API_VERSIONS
        .iter()
        .map(|&(key, v)| version(key, v, v))
        .collect();
    for key in FORWARDED_APIS.into_iter().chain([ApiKey::ApiVersions]) {
        if let Some(api) = supported(key) {
            table.push(version(key, api.min_version, api.max_version));
        }
    }
    table.push(version(ApiKey::DescribeCluster, 1, 2));
    table.push(version(
        ApiKey::BrokerRegistration,
        *BROKER_REGISTRATION_VERSIONS.start(),
        *BROKER_REGISTRATION_VERSIONS.end(),
    ));
    table.push(version(
        ApiKey::BrokerHeartbeat,
        BROKER_HEARTBEAT_VERSION,
        BROKER_HEARTBEAT_VERSION,
    ));
    let alter = ALTER_PARTITION_VERSIONS;
    table.push(version(
        ApiKey::AlterPartition,
        *alter.start(),
        *alter.end(),
    ));
    table.sort_by_key(|api| api.api_key);
    table
}

/// ApiVersions on the CONTROLLER listener; `known_version` false gives the KIP-511 answer.
pub fn api_versions(known_version: bool) -> ApiVersionsResponse {
    let response = ApiVersionsResponse::default().with_api_keys(controller_api_table());
    if known_version {
        response
    } else {
        response.with_error_code(ResponseError::UnsupportedVersion.code())
    }
}

/// DescribeCluster on the CONTROLLER listener: the voters at their controller endpoints, and
/// the quorum leader as the controller (-1 while there is none).
pub fn describe_cluster(
    ctx: &RequestContext,
    quorum: &QuorumService,
    request: &DescribeClusterRequest,
) -> DescribeClusterResponse {
    let response = DescribeClusterResponse::default()
        .with_endpoint_type(CONTROLLER_ENDPOINTS)
        .with_cluster_id(str_bytes(ctx.broker.cluster_id.clone()));
    if request.endpoint_type != CONTROLLER_ENDPOINTS {
        return response
            .with_error_code(ResponseError::MismatchedEndpointType.code())
            .with_error_message(Some(str_bytes(
                "this is a controller listener: ask it for controller endpoints (2)",
            )));
    }
    let voters = (ctx.broker.config.kraft.voters.iter())
        .map(|(&id, address)| {
            DescribeClusterBroker::default()
                .with_broker_id(BrokerId(id))
                .with_host(str_bytes(address.host.clone()))
                .with_port(i32::from(address.port))
        })
        .collect();
    let (leader, _, _) = quorum.leadership();
    response
        .with_controller_id(BrokerId(leader.unwrap_or(-1)))
        .with_brokers(voters)
}
