//! Fetch (api key 1) at v18, as KRaft's followers use it: one topic, `__cluster_metadata` by
//! its fixed topic id, partition 0; the fetcher is `replica_state.replica_id` (v15+) and
//! sends `current_leader_epoch`, `fetch_offset` and `last_fetched_epoch` (v12+). The answer
//! carries the entries as record batches and the high watermark, or a `diverging_epoch`, or
//! a `snapshot_id`, or a partition error (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH), with
//! `current_leader` saying where the leadership is. Kafka's response does not echo the
//! `fetch_offset`: the decoder takes it from the request the response answers.
//!
//! Fetches are sessionless (`session_epoch` -1, Kafka's FINAL_EPOCH), `max_wait_ms` is 0
//! because the core does not long-poll yet, and the byte limits are KRaft's 8 MiB, advisory
//! since the core bounds a response by entry count.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic, ReplicaState};
use kafka_protocol::messages::fetch_response::{
    EpochEndOffset, FetchableTopicResponse, LeaderIdAndEpoch, PartitionData, SnapshotId,
};
use kafka_protocol::messages::{ApiKey, BrokerId};

use super::common::{self, LocalNode, CLUSTER_METADATA_PARTITION, CLUSTER_METADATA_TOPIC_ID, NONE};
use super::error::QuorumWireError;
use super::records;
use super::shape::{Shape, StructShape, INT16, INT32, INT64, INT8, STRING, UUID};
use super::ResponseOutcome;
use crate::core::raft::messages::{FetchError, FetchRequest, FetchResponse, FetchResult, Message};
use crate::core::raft::types::{NodeId, OffsetAndEpoch};

pub const VERSION: i16 = 18;
const API_KEY: ApiKey = ApiKey::Fetch;
/// KRaft's `MAX_FETCH_SIZE_BYTES`.
const FETCH_MAX_BYTES: i32 = 8 * 1024 * 1024;
/// Kafka's FINAL_EPOCH: a fetch outside any fetch session.
const SESSIONLESS_EPOCH: i32 = -1;

static FETCH_PARTITION: StructShape = StructShape {
    fields: &[INT32, INT32, INT64, INT32, INT64, INT32],
    tagged: &[(0, UUID), (1, INT64)],
};
static FETCH_TOPIC: StructShape = StructShape {
    fields: &[UUID, Shape::Array(&FETCH_PARTITION)],
    tagged: &[],
};
static FORGOTTEN_TOPIC: StructShape = StructShape {
    fields: &[UUID, Shape::Int32Array],
    tagged: &[],
};
static REPLICA_STATE: StructShape = StructShape {
    fields: &[INT32, INT64],
    tagged: &[],
};
pub(super) static REQUEST: StructShape = StructShape {
    fields: &[
        INT32,
        INT32,
        INT32,
        INT8,
        INT32,
        INT32,
        Shape::Array(&FETCH_TOPIC),
        Shape::Array(&FORGOTTEN_TOPIC),
        STRING,
    ],
    tagged: &[(0, STRING), (1, Shape::Struct(&REPLICA_STATE))],
};
static ABORTED_TRANSACTION: StructShape = StructShape {
    fields: &[INT64, INT64],
    tagged: &[],
};
static EPOCH_END_OFFSET: StructShape = StructShape {
    fields: &[INT32, INT64],
    tagged: &[],
};
static LEADER_ID_AND_EPOCH: StructShape = StructShape {
    fields: &[INT32, INT32],
    tagged: &[],
};
static SNAPSHOT_ID: StructShape = StructShape {
    fields: &[INT64, INT32],
    tagged: &[],
};
static PARTITION_DATA: StructShape = StructShape {
    fields: &[
        INT32,
        INT16,
        INT64,
        INT64,
        INT64,
        Shape::Array(&ABORTED_TRANSACTION),
        INT32,
        Shape::Bytes,
    ],
    tagged: &[
        (0, Shape::Struct(&EPOCH_END_OFFSET)),
        (1, Shape::Struct(&LEADER_ID_AND_EPOCH)),
        (2, Shape::Struct(&SNAPSHOT_ID)),
    ],
};
static FETCHABLE_TOPIC: StructShape = StructShape {
    fields: &[UUID, Shape::Array(&PARTITION_DATA)],
    tagged: &[],
};
/// Fetch's node endpoint differs from the other APIs': an int32 port and a rack.
static NODE_ENDPOINT: StructShape = StructShape {
    fields: &[INT32, STRING, INT32, STRING],
    tagged: &[],
};
pub(super) static RESPONSE: StructShape = StructShape {
    fields: &[INT32, INT16, INT32, Shape::Array(&FETCHABLE_TOPIC)],
    tagged: &[(0, Shape::Array(&NODE_ENDPOINT))],
};

pub(super) fn encode_request(
    request: &FetchRequest,
    local: &LocalNode,
) -> Result<Bytes, QuorumWireError> {
    let partition = FetchPartition::default()
        .with_partition(CLUSTER_METADATA_PARTITION)
        .with_current_leader_epoch(request.leader_epoch)
        .with_fetch_offset(request.fetch_offset)
        .with_last_fetched_epoch(request.last_fetched_epoch)
        .with_partition_max_bytes(FETCH_MAX_BYTES);
    let body = kafka_protocol::messages::FetchRequest::default()
        .with_cluster_id(common::cluster_id(local))
        .with_replica_state(ReplicaState::default().with_replica_id(BrokerId(local.node_id)))
        .with_max_wait_ms(0)
        .with_min_bytes(0)
        .with_max_bytes(FETCH_MAX_BYTES)
        .with_session_epoch(SESSIONLESS_EPOCH)
        .with_topics(vec![FetchTopic::default()
            .with_topic_id(CLUSTER_METADATA_TOPIC_ID)
            .with_partitions(vec![partition])]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_request(
    body: Bytes,
    local: &LocalNode,
) -> Result<(NodeId, Message), QuorumWireError> {
    let body: kafka_protocol::messages::FetchRequest =
        common::decode_body(API_KEY, VERSION, &REQUEST, body)?;
    common::check_cluster_id(&body.cluster_id, local)?;
    let from = common::sender("replica_id", body.replica_state.replica_id, local)?;
    let topic = common::only(body.topics, common::topic_count)?;
    check_topic_id(topic.topic_id)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition)?;
    let request = FetchRequest {
        leader_epoch: common::epoch("current_leader_epoch", partition.current_leader_epoch)?,
        fetch_offset: common::offset("fetch_offset", partition.fetch_offset)?,
        last_fetched_epoch: common::epoch("last_fetched_epoch", partition.last_fetched_epoch)?,
    };
    Ok((from, Message::FetchRequest(request)))
}

fn check_topic_id(topic_id: uuid::Uuid) -> Result<(), QuorumWireError> {
    if topic_id != CLUSTER_METADATA_TOPIC_ID {
        return Err(QuorumWireError::UnknownTopicId { topic_id });
    }
    Ok(())
}

fn error_code(error: FetchError) -> i16 {
    match error {
        FetchError::NotLeaderOrFollower => ResponseError::NotLeaderOrFollower.code(),
        FetchError::FencedLeaderEpoch => ResponseError::FencedLeaderEpoch.code(),
    }
}

fn fetch_error(code: i16) -> Option<FetchError> {
    [
        FetchError::NotLeaderOrFollower,
        FetchError::FencedLeaderEpoch,
    ]
    .into_iter()
    .find(|&error| error_code(error) == code)
}

pub(super) fn encode_response(response: &FetchResponse) -> Result<Bytes, QuorumWireError> {
    let leader = LeaderIdAndEpoch::default()
        .with_leader_id(BrokerId(response.leader.unwrap_or(NONE)))
        .with_leader_epoch(response.leader_epoch);
    let mut partition = PartitionData::default()
        .with_partition_index(CLUSTER_METADATA_PARTITION)
        .with_high_watermark(i64::from(NONE))
        .with_current_leader(leader)
        .with_records(Some(Bytes::new()));
    match &response.result {
        FetchResult::Records {
            entries,
            high_watermark,
        } => {
            partition.high_watermark = *high_watermark;
            partition.records = Some(records::encode_entries(entries)?);
        }
        FetchResult::DivergingEpoch(diverging) => {
            partition.diverging_epoch = EpochEndOffset::default()
                .with_epoch(diverging.epoch)
                .with_end_offset(diverging.offset);
        }
        FetchResult::SnapshotId(id) => {
            partition.snapshot_id = SnapshotId::default()
                .with_end_offset(id.offset)
                .with_epoch(id.epoch);
        }
        FetchResult::Error(error) => partition.error_code = error_code(*error),
    }
    let body = kafka_protocol::messages::FetchResponse::default().with_responses(vec![
        FetchableTopicResponse::default()
            .with_topic_id(CLUSTER_METADATA_TOPIC_ID)
            .with_partitions(vec![partition]),
    ]);
    common::encode_body(API_KEY, VERSION, &body)
}

pub(super) fn decode_response(
    request: &FetchRequest,
    body: Bytes,
) -> Result<ResponseOutcome, QuorumWireError> {
    let body: kafka_protocol::messages::FetchResponse =
        common::decode_body(API_KEY, VERSION, &RESPONSE, body)?;
    if body.error_code != 0 {
        return Ok(common::refused(body.error_code));
    }
    let topic = common::only(body.responses, common::topic_count)?;
    check_topic_id(topic.topic_id)?;
    let partition = common::only(topic.partitions, common::partition_count)?;
    common::check_partition(partition.partition_index)?;
    let result = match partition.error_code {
        0 => fetch_result(&partition, request)?,
        code => match fetch_error(code) {
            Some(error) => FetchResult::Error(error),
            None => return Ok(common::refused(code)),
        },
    };
    let leader = &partition.current_leader;
    let response = FetchResponse {
        leader_epoch: common::epoch("current_leader.leader_epoch", leader.leader_epoch)?,
        leader: common::leader_id("current_leader.leader_id", leader.leader_id)?,
        fetch_offset: request.fetch_offset,
        result,
    };
    Ok(ResponseOutcome::Answer(Message::FetchResponse(response)))
}

/// The one result a successful partition carries. Kafka's "absent" is -1 in both fields.
fn fetch_result(
    partition: &PartitionData,
    request: &FetchRequest,
) -> Result<FetchResult, QuorumWireError> {
    let diverging = &partition.diverging_epoch;
    let snapshot = &partition.snapshot_id;
    let has_diverging = diverging.epoch != NONE || diverging.end_offset != i64::from(NONE);
    let has_snapshot = snapshot.epoch != NONE || snapshot.end_offset != i64::from(NONE);
    let records = partition.records.as_deref().unwrap_or_default();
    match (has_diverging, has_snapshot) {
        (false, false) => Ok(FetchResult::Records {
            entries: records::decode_entries(records, request.fetch_offset)?,
            high_watermark: common::offset("high_watermark", partition.high_watermark)?,
        }),
        (true, false) if records.is_empty() => Ok(FetchResult::DivergingEpoch(OffsetAndEpoch {
            epoch: common::epoch("diverging_epoch.epoch", diverging.epoch)?,
            offset: common::offset("diverging_epoch.end_offset", diverging.end_offset)?,
        })),
        (false, true) if records.is_empty() => Ok(FetchResult::SnapshotId(OffsetAndEpoch {
            epoch: common::epoch("snapshot_id.epoch", snapshot.epoch)?,
            offset: common::offset("snapshot_id.end_offset", snapshot.end_offset)?,
        })),
        _ => Err(QuorumWireError::ConflictingFetchResult),
    }
}
