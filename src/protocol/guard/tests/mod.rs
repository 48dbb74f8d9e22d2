//! Tests of the guard: the shapes against everything `kafka-protocol` encodes in every version
//! (`shapes`), every array count forged huge and refused (`forged`), random and damaged bodies
//! that never panic (`fuzz`), the walk's non-flexible encoding (`walk`) and why headers need
//! no walk (`header`).

mod fill;
mod filled;
mod forged;
mod fuzz;
mod header;
mod shapes;
mod walk;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable};

use super::shape::{self, Encoding, MessageShape, Seen, ShapeError};
use super::{check_request, check_response, shapes, GuardError};

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

/// One direction of one API: encoders of its filled and default messages, and its decoder.
pub struct Codec {
    pub filled: fn(i16) -> Bytes,
    pub default: fn(i16) -> Bytes,
    /// Decodes with `kafka-protocol`; the bytes left over, or `None` if refused. Only ever
    /// called on bodies the guard accepted.
    pub decode: fn(Bytes, i16) -> Option<usize>,
}

pub struct Api {
    pub key: ApiKey,
    pub request: Codec,
    pub response: Codec,
}

impl Api {
    pub fn codec(&self, direction: Direction) -> &Codec {
        match direction {
            Direction::Request => &self.request,
            Direction::Response => &self.response,
        }
    }

    pub fn shape(&self, direction: Direction) -> &'static MessageShape {
        let (request, response) = shapes(self.key).expect("the guard knows every API here");
        match direction {
            Direction::Request => request,
            Direction::Response => response,
        }
    }

    /// Every (direction, version, encoding) the guard knows for this API.
    pub fn versions(&self) -> Vec<(Direction, i16, Encoding)> {
        let mut all = Vec::new();
        for direction in [Direction::Request, Direction::Response] {
            let shape = self.shape(direction);
            for version in shape.version_min..=shape.version_max {
                let encoding = shape.encoding(version).expect("in range");
                all.push((direction, version, encoding));
            }
        }
        all
    }

    /// The guard's public verdict on `body`.
    pub fn guard(&self, direction: Direction, version: i16, body: &[u8]) -> Result<(), GuardError> {
        match direction {
            Direction::Request => check_request(self.key, version, body),
            Direction::Response => check_response(self.key, version, body),
        }
    }
}

pub fn encode<M: Encodable>(message: &M, version: i16) -> Bytes {
    let mut buf = BytesMut::new();
    message
        .encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("v{version}: {e}"));
    buf.freeze()
}

pub fn decode<M: Decodable>(mut body: Bytes, version: i16) -> Option<usize> {
    M::decode(&mut body, version).ok().map(|_| body.len())
}

macro_rules! codec {
    ($message:ty, $filled:path) => {
        Codec {
            filled: |version| encode(&$filled(version), version),
            default: |version| encode(&<$message>::default(), version),
            decode: decode::<$message>,
        }
    };
}

macro_rules! api {
    ($key:expr, $api:ident, $request:ident, $response:ident) => {
        Api {
            key: $key,
            request: codec!($request, filled::$api::request::message),
            response: codec!($response, filled::$api::response::message),
        }
    };
}

/// Every API the guard knows.
pub fn apis() -> Vec<Api> {
    vec![
        api!(ApiKey::Produce, produce, ProduceRequest, ProduceResponse),
        api!(ApiKey::Fetch, fetch, FetchRequest, FetchResponse),
        api!(
            ApiKey::ListOffsets,
            list_offsets,
            ListOffsetsRequest,
            ListOffsetsResponse
        ),
        api!(
            ApiKey::Metadata,
            metadata,
            MetadataRequest,
            MetadataResponse
        ),
        api!(
            ApiKey::ApiVersions,
            api_versions,
            ApiVersionsRequest,
            ApiVersionsResponse
        ),
        api!(
            ApiKey::CreateTopics,
            create_topics,
            CreateTopicsRequest,
            CreateTopicsResponse
        ),
        api!(
            ApiKey::DeleteTopics,
            delete_topics,
            DeleteTopicsRequest,
            DeleteTopicsResponse
        ),
        api!(
            ApiKey::DescribeConfigs,
            describe_configs,
            DescribeConfigsRequest,
            DescribeConfigsResponse
        ),
        api!(
            ApiKey::CreatePartitions,
            create_partitions,
            CreatePartitionsRequest,
            CreatePartitionsResponse
        ),
        api!(
            ApiKey::IncrementalAlterConfigs,
            incremental_alter_configs,
            IncrementalAlterConfigsRequest,
            IncrementalAlterConfigsResponse
        ),
        api!(
            ApiKey::DescribeCluster,
            describe_cluster,
            DescribeClusterRequest,
            DescribeClusterResponse
        ),
        api!(
            ApiKey::BrokerRegistration,
            broker_registration,
            BrokerRegistrationRequest,
            BrokerRegistrationResponse
        ),
        api!(
            ApiKey::BrokerHeartbeat,
            broker_heartbeat,
            BrokerHeartbeatRequest,
            BrokerHeartbeatResponse
        ),
        api!(
            ApiKey::DescribeQuorum,
            describe_quorum,
            DescribeQuorumRequest,
            DescribeQuorumResponse
        ),
        api!(
            ApiKey::ElectLeaders,
            elect_leaders,
            ElectLeadersRequest,
            ElectLeadersResponse
        ),
        api!(
            ApiKey::AlterPartitionReassignments,
            alter_partition_reassignments,
            AlterPartitionReassignmentsRequest,
            AlterPartitionReassignmentsResponse
        ),
        api!(
            ApiKey::ListPartitionReassignments,
            list_partition_reassignments,
            ListPartitionReassignmentsRequest,
            ListPartitionReassignmentsResponse
        ),
        api!(
            ApiKey::DescribeLogDirs,
            describe_log_dirs,
            DescribeLogDirsRequest,
            DescribeLogDirsResponse
        ),
        api!(
            ApiKey::AlterPartition,
            alter_partition,
            AlterPartitionRequest,
            AlterPartitionResponse
        ),
        api!(
            ApiKey::OffsetForLeaderEpoch,
            offset_for_leader_epoch,
            OffsetForLeaderEpochRequest,
            OffsetForLeaderEpochResponse
        ),
        api!(
            ApiKey::DescribeTopicPartitions,
            describe_topic_partitions,
            DescribeTopicPartitionsRequest,
            DescribeTopicPartitionsResponse
        ),
    ]
}

pub fn api(key: ApiKey) -> Api {
    apis()
        .into_iter()
        .find(|api| api.key == key)
        .expect("known API")
}
