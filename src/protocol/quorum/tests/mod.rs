//! Tests of the quorum wire codec: round trips of every message, refusals by name, responses
//! that carry no answer, the shapes against everything `kafka-protocol` can encode, and
//! random or truncated bytes that must never panic.

mod describe;
mod fuzz;
mod refusals;
mod round_trip;
mod shapes;

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::Encodable;

use super::{LocalNode, QuorumWireError};
use crate::core::raft::messages::*;
use crate::core::raft::types::{Entry, EntryKind, NodeId, OffsetAndEpoch};

pub(super) const CLUSTER: &str = "weir-test-cluster";

pub(super) fn node(node_id: NodeId) -> LocalNode<'static> {
    LocalNode {
        cluster_id: CLUSTER,
        node_id,
    }
}

/// Encodes a `kafka-protocol` body as a peer could, to forge what our encoder never writes.
pub(super) fn forge<M: Encodable>(body: &M, version: i16) -> Bytes {
    let mut buf = BytesMut::new();
    body.encode(&mut buf, version).expect("forged body encodes");
    buf.freeze()
}

pub(super) fn entry(epoch: i32, offset: i64, kind: EntryKind, data: &'static [u8]) -> Entry {
    Entry {
        epoch,
        offset,
        kind,
        data: Bytes::from_static(data),
    }
}

/// One or more samples of every request the core sends.
pub(super) fn requests() -> Vec<Message> {
    vec![
        Message::VoteRequest(VoteRequest {
            candidate_epoch: 7,
            last_offset_epoch: 6,
            last_offset: 1234,
            pre_vote: false,
        }),
        Message::VoteRequest(VoteRequest {
            candidate_epoch: 1,
            last_offset_epoch: 0,
            last_offset: 0,
            pre_vote: true,
        }),
        Message::BeginQuorumEpoch(BeginQuorumEpoch { leader_epoch: 9 }),
        Message::EndQuorumEpoch(EndQuorumEpoch {
            leader_epoch: 9,
            preferred_successors: vec![3, 2, 5],
        }),
        Message::EndQuorumEpoch(EndQuorumEpoch {
            leader_epoch: 1,
            preferred_successors: vec![],
        }),
        fetch_request(5, 100, 4),
        fetch_request(0, 0, 0),
        Message::FetchSnapshotRequest(FetchSnapshotRequest {
            leader_epoch: 4,
            snapshot_id: OffsetAndEpoch {
                epoch: 3,
                offset: 1 << 40,
            },
            position: 3 << 32,
            max_bytes: 1024 * 1024,
        }),
    ]
}

pub(super) fn fetch_request(leader_epoch: i32, fetch_offset: i64, last_epoch: i32) -> Message {
    Message::FetchRequest(FetchRequest {
        leader_epoch,
        fetch_offset,
        last_fetched_epoch: last_epoch,
    })
}

pub(super) fn fetch_response(leader: Option<NodeId>, result: FetchResult) -> Message {
    Message::FetchResponse(FetchResponse {
        leader_epoch: 5,
        leader,
        fetch_offset: 100,
        result,
    })
}

pub(super) fn snapshot_response(result: FetchSnapshotResult) -> Message {
    Message::FetchSnapshotResponse(FetchSnapshotResponse {
        leader_epoch: 4,
        leader: Some(1),
        snapshot_id: OffsetAndEpoch {
            epoch: 3,
            offset: 1 << 40,
        },
        position: 3 << 32,
        result,
    })
}

/// Every response the core sends, each with the request it answers.
pub(super) fn responses() -> Vec<(Message, Message)> {
    let vote = |pre_vote, vote_granted| {
        let request = VoteRequest {
            candidate_epoch: 7,
            last_offset_epoch: 6,
            last_offset: 10,
            pre_vote,
        };
        let response = VoteResponse {
            leader_epoch: 6,
            vote_granted,
            pre_vote,
        };
        (
            Message::VoteRequest(request),
            Message::VoteResponse(response),
        )
    };
    let fetch = fetch_request(5, 100, 4);
    let entries = vec![
        entry(5, 100, EntryKind::LeaderChange, b""),
        entry(5, 101, EntryKind::Data, b"record one"),
        entry(5, 102, EntryKind::Data, &[0xff; 300]),
    ];
    let fetch_results = [
        FetchResult::Records {
            entries,
            high_watermark: 99,
        },
        FetchResult::Records {
            entries: vec![],
            high_watermark: 0,
        },
        FetchResult::DivergingEpoch(OffsetAndEpoch {
            epoch: 3,
            offset: 80,
        }),
        FetchResult::DivergingEpoch(OffsetAndEpoch {
            epoch: 0,
            offset: 0,
        }),
        FetchResult::SnapshotId(OffsetAndEpoch {
            epoch: 2,
            offset: 50,
        }),
        FetchResult::Error(FetchError::NotLeaderOrFollower),
        FetchResult::Error(FetchError::FencedLeaderEpoch),
    ];
    let snapshot_request = requests().pop().unwrap();
    let snapshot_results = [
        FetchSnapshotResult::Chunk {
            size: 5 << 32,
            snapshot_crc32c: 0xdead_beef,
            bytes: Bytes::from_static(b"snapshot bytes"),
        },
        FetchSnapshotResult::Error(FetchSnapshotError::NotLeaderOrFollower),
        FetchSnapshotResult::Error(FetchSnapshotError::FencedLeaderEpoch),
        FetchSnapshotResult::Error(FetchSnapshotError::SnapshotNotFound),
        FetchSnapshotResult::Error(FetchSnapshotError::PositionOutOfRange),
    ];
    let mut pairs = vec![vote(false, true), vote(true, false), vote(true, true)];
    for (i, result) in fetch_results.into_iter().enumerate() {
        let leader = (i % 2 == 0).then_some(1);
        pairs.push((fetch.clone(), fetch_response(leader, result)));
    }
    for result in snapshot_results {
        pairs.push((snapshot_request.clone(), snapshot_response(result)));
    }
    pairs
}

/// The error of a decode that must fail.
pub(super) fn refused<T: std::fmt::Debug>(result: Result<T, QuorumWireError>) -> QuorumWireError {
    result.expect_err("must be refused")
}
