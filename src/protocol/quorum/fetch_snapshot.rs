//! FetchSnapshot (api key 59) at v1: a follower (`replica_id`, the sender) reads `max_bytes` of
//! the leader's snapshot `snapshot_id` from `position`; the answer carries the chunk as
//! `unaligned_records`, the whole snapshot's `size`, and `current_leader`, or a partition
//! error (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, SNAPSHOT_NOT_FOUND,
//! POSITION_OUT_OF_RANGE).
//!
//! Kafka has no field for the whole snapshot's CRC-32C, which the core checks before
//! installing what it assembled. It travels in a tagged field of the partition,
//! [`SNAPSHOT_CRC32C_TAG`], which Kafka's readers skip as an unknown tag; a chunk without it is
//! refused, since the follower could not check the snapshot.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_snapshot_request::{
    PartitionSnapshot as RequestPartition, SnapshotId as RequestSnapshotId,
    TopicSnapshot as RequestTopic,
};
use kafka_protocol::messages::fetch_snapshot_response::{
    LeaderIdAndEpoch, PartitionSnapshot, SnapshotId, TopicSnapshot,
};
use kafka_protocol::messages::{ApiKey, BrokerId};

use super::common::{self, LocalNode, CLUSTER_METADATA_PARTITION, NONE};
use super::error::QuorumWireError;
use super::shape::{Shape, StructShape, INT16, INT32, INT64, STRING, UUID};
use super::ResponseOutcome;
use crate::core::raft::messages::{
    FetchSnapshotError, FetchSnapshotRequest, FetchSnapshotResponse, FetchSnapshotResult, Message,
};
use crate::core::raft::types::{NodeId, OffsetAndEpoch};

pub const VERSION: i16 = 1;
const API_KEY: ApiKey = ApiKey::FetchSnapshot;
/// The tagged field of a response partition holding the snapshot's CRC-32C (4 bytes, big
/// endian). Far above the small tags Kafka assigns, so it cannot collide with a future one.
pub const SNAPSHOT_CRC32C_TAG: i32 = 10_000;

static SNAPSHOT_ID: StructShape = StructShape {
    fields: &[INT64, INT32],
    tagged: &[],
};
static REQUEST_PARTITION: StructShape = StructShape {
    fields: &[INT32, INT32, Shape::Struct(&SNAPSHOT_ID), INT64],
    tagged: &[(0, UUID)],
};
static REQUEST_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&REQUEST_PARTITION)],
    tagged: &[],
};
pub(super) static REQUEST: StructShape = StructShape {
    fields: &[INT32, INT32, Shape::Array(&REQUEST_TOPIC)],
    tagged: &[(0, STRING)],
};
static LEADER_ID_AND_EPOCH: StructShape = StructShape {
    fields: &[INT32, INT32],
    tagged: &[],
};
static RESPONSE_PARTITION: StructShape = StructShape {
    fields: &[
        INT32,
        INT16,
        Shape::Struct(&SNAPSHOT_ID),
        INT64,
        INT64,
        Shape::Bytes,
    ],
    tagged: &[(0, Shape::Struct(&LEADER_ID_AND_EPOCH))],
};
static RESPONSE_TOPIC: StructShape = StructShape {
    fields: &[STRING, Shape::Array(&RESPONSE_PARTITION)],
    tagged: &[],
};
pub(super) static RESPONSE: StructShape = StructShape {
    fields: &[INT32, INT16, Shape::Array(&RESPONSE_TOPIC)],
    tagged: &[(0, Shape::Array(&common::NODE_ENDPOINT))],
};

fn to_wire(field: &'static str, value: u64) -> Result<i64, QuorumWireError> {
    i64::try_from(value).map_err(|_| QuorumWireError::OutOfRange {
        field,
        value: i64::MAX,
    })
}

fn from_wire(field: &'static str, value: i64) -> Result<u64, QuorumWireError> {
    common::offset(field, value).map(|value| value as u64)
}

pub(super) fn encode_request(
    request: &FetchSnapshotRequest,
    local: &LocalNode,
) -> Result<Bytes, QuorumWireError> {
    let max_bytes = i32::try_from(request.max_bytes).map_err(|_| QuorumWireError::OutOfRange {
        field: "max_bytes",
        value: i64::from(request.max_bytes),
    })?;
    let snapshot_id = RequestSnapshotId::default()
        .with_end_offset(request.snapshot_id.offset)
        .with_epoch(request.snapshot_id.epoch);
    let partition = RequestPartition::default()
        .with_partition(CLUSTER_METADATA_PARTITION)
        .with_current_leader_epoch(request.leader_epoch)
        .with_snapshot_id(snapshot_id)
        .with_position(to_wire("position", request.position)?);
    let body = kafka_protocol::messages::FetchSnapshotRequest::default()
        .with_cluster_id(common::cluster_id(local))
        .with_replica_id(BrokerId(local.node_id))
        .with_max_bytes(max_bytes)
        .with_topics(vec![RequestTopic::default()
            .with_name(common::topic_name())
            .with_partitions(vec![partition])]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_request(
    body: Bytes,
    local: &LocalNode,
) -> Result<(NodeId, Message), QuorumWireError> {
    let body: kafka_protocol::messages::FetchSnapshotRequest =
        common::decode_body(API_KEY, VERSION, &REQUEST, body)?;
    common::check_cluster_id(&body.cluster_id, local)?;
    let from = common::sender("replica_id", body.replica_id, local)?;
    let max_bytes = u32::try_from(body.max_bytes)
        .ok()
        .filter(|&max_bytes| max_bytes > 0)
        .ok_or(QuorumWireError::OutOfRange {
            field: "max_bytes",
            value: i64::from(body.max_bytes),
        })?;
    let topic = common::only(body.topics, common::topic_count)?;
    common::check_topic_name(&topic.name)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition)?;
    let id = &partition.snapshot_id;
    let request = FetchSnapshotRequest {
        leader_epoch: common::epoch("current_leader_epoch", partition.current_leader_epoch)?,
        snapshot_id: OffsetAndEpoch {
            epoch: common::epoch("snapshot_id.epoch", id.epoch)?,
            offset: common::offset("snapshot_id.end_offset", id.end_offset)?,
        },
        position: from_wire("position", partition.position)?,
        max_bytes,
    };
    Ok((from, Message::FetchSnapshotRequest(request)))
}

fn error_code(error: FetchSnapshotError) -> i16 {
    let kafka = match error {
        FetchSnapshotError::NotLeaderOrFollower => ResponseError::NotLeaderOrFollower,
        FetchSnapshotError::FencedLeaderEpoch => ResponseError::FencedLeaderEpoch,
        FetchSnapshotError::SnapshotNotFound => ResponseError::SnapshotNotFound,
        FetchSnapshotError::PositionOutOfRange => ResponseError::PositionOutOfRange,
    };
    kafka.code()
}

fn snapshot_error(code: i16) -> Option<FetchSnapshotError> {
    let errors = [
        FetchSnapshotError::NotLeaderOrFollower,
        FetchSnapshotError::FencedLeaderEpoch,
        FetchSnapshotError::SnapshotNotFound,
        FetchSnapshotError::PositionOutOfRange,
    ];
    errors.into_iter().find(|&error| error_code(error) == code)
}

pub(super) fn encode_response(response: &FetchSnapshotResponse) -> Result<Bytes, QuorumWireError> {
    let leader = LeaderIdAndEpoch::default()
        .with_leader_id(BrokerId(response.leader.unwrap_or(NONE)))
        .with_leader_epoch(response.leader_epoch);
    let snapshot_id = SnapshotId::default()
        .with_end_offset(response.snapshot_id.offset)
        .with_epoch(response.snapshot_id.epoch);
    let mut partition = PartitionSnapshot::default()
        .with_index(CLUSTER_METADATA_PARTITION)
        .with_snapshot_id(snapshot_id)
        .with_current_leader(leader)
        .with_position(to_wire("position", response.position)?);
    match &response.result {
        FetchSnapshotResult::Chunk {
            size,
            snapshot_crc32c,
            bytes,
        } => {
            partition.size = to_wire("size", *size)?;
            partition.unaligned_records = bytes.clone();
            let crc = Bytes::copy_from_slice(&snapshot_crc32c.to_be_bytes());
            partition
                .unknown_tagged_fields
                .insert(SNAPSHOT_CRC32C_TAG, crc);
        }
        FetchSnapshotResult::Error(error) => partition.error_code = error_code(*error),
    }
    let body = kafka_protocol::messages::FetchSnapshotResponse::default().with_topics(vec![
        TopicSnapshot::default()
            .with_name(common::topic_name())
            .with_partitions(vec![partition]),
    ]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_response(body: Bytes) -> Result<ResponseOutcome, QuorumWireError> {
    let body: kafka_protocol::messages::FetchSnapshotResponse =
        common::decode_body(API_KEY, VERSION, &RESPONSE, body)?;
    if body.error_code != 0 {
        return Ok(common::refused(body.error_code));
    }
    let topic = common::only(body.topics, common::topic_count)?;
    common::check_topic_name(&topic.name)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.index)?;
    let result = match partition.error_code {
        0 => chunk(&partition)?,
        code => match snapshot_error(code) {
            Some(error) => FetchSnapshotResult::Error(error),
            None => return Ok(common::refused(code)),
        },
    };
    let (leader, id) = (&partition.current_leader, &partition.snapshot_id);
    let response = FetchSnapshotResponse {
        leader_epoch: common::epoch("current_leader.leader_epoch", leader.leader_epoch)?,
        leader: common::leader_id("current_leader.leader_id", leader.leader_id)?,
        snapshot_id: OffsetAndEpoch {
            epoch: common::epoch("snapshot_id.epoch", id.epoch)?,
            offset: common::offset("snapshot_id.end_offset", id.end_offset)?,
        },
        position: from_wire("position", partition.position)?,
        result,
    };
    Ok(ResponseOutcome::Answer(Message::FetchSnapshotResponse(
        response,
    )))
}

fn chunk(partition: &PartitionSnapshot) -> Result<FetchSnapshotResult, QuorumWireError> {
    let crc = partition.unknown_tagged_fields.get(&SNAPSHOT_CRC32C_TAG);
    let crc = crc.ok_or(QuorumWireError::SnapshotCrc { len: None })?;
    let crc = <[u8; 4]>::try_from(&crc[..]).map_err(|_| QuorumWireError::SnapshotCrc {
        len: Some(crc.len()),
    })?;
    Ok(FetchSnapshotResult::Chunk {
        size: from_wire("size", partition.size)?,
        snapshot_crc32c: u32::from_be_bytes(crc),
        bytes: partition.unaligned_records.clone(),
    })
}
