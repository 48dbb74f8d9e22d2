//! Snapshot rules on single nodes: which snapshots a node accepts, when a leader answers a
//! fetch with its snapshot, how it serves chunks, and how a follower fetches, checks and
//! installs one, dropping forged, stale and corrupt chunks.

use bytes::Bytes;

use super::{image, node_in, node_with_snapshot, sent, Setup, SNAPSHOT_CHUNK_BYTES_TEST};
use crate::core::raft::config::{SNAPSHOT_BYTES_MAX, SNAPSHOT_CHUNK_BYTES_MAX};
use crate::core::raft::messages::{
    FetchRequest, FetchResponse, FetchResult, FetchSnapshotError, FetchSnapshotRequest,
    FetchSnapshotResponse, FetchSnapshotResult, Message, VoteRequest, VoteResponse,
};
use crate::core::raft::snapshot::SnapshotError;
use crate::core::raft::state::{Command, Event, RaftNode, RoleKind};
use crate::core::raft::types::{Epoch, NodeId, Offset, OffsetAndEpoch};

fn at(epoch: Epoch, offset: Offset) -> OffsetAndEpoch {
    OffsetAndEpoch { epoch, offset }
}

fn taken(id: OffsetAndEpoch, data: Bytes) -> Event {
    Event::SnapshotTaken { id, data }
}

#[test]
fn snapshot_taken_rules() {
    // A follower with log epochs [1, 1, 2, 2, 3] and high watermark 4.
    let table: [(OffsetAndEpoch, Option<SnapshotError>); 6] = [
        (at(1, 2), None),
        (at(2, 4), None),
        (
            at(2, 5),
            Some(SnapshotError::NotCommitted {
                offset: 5,
                high_watermark: 4,
            }),
        ),
        (
            at(1, 3),
            Some(SnapshotError::EpochMismatch {
                offset: 3,
                epoch: 1,
                log_epoch: Some(2),
            }),
        ),
        (
            at(0, 0),
            Some(SnapshotError::NotAfterLogStart {
                offset: 0,
                log_start_offset: 0,
            }),
        ),
        (
            at(1, -3),
            Some(SnapshotError::NotAfterLogStart {
                offset: -3,
                log_start_offset: 0,
            }),
        ),
    ];
    for (id, error) in table {
        let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 3, &[1, 1, 2, 2, 3]);
        node.high_watermark = 4;
        let before = node.log().to_vec();
        let commands = node.handle(0, taken(id, image(10)));
        match error {
            None => {
                assert_eq!(commands, [Command::DeleteLogBefore { offset: id.offset }]);
                assert_eq!(node.log_start_offset(), id.offset, "{id:?}");
                assert_eq!(node.log(), &before[id.offset as usize..], "{id:?}");
                assert_eq!(
                    node.snapshot().map(|s| (s.id, s.data.clone())),
                    Some((id, image(10)))
                );
            }
            Some(error) => {
                assert_eq!(
                    commands,
                    [Command::SnapshotRejected { id, error }],
                    "{id:?}"
                );
                assert_eq!(
                    (node.log(), node.log_start_offset()),
                    (&before[..], 0),
                    "{id:?}"
                );
                assert!(node.snapshot().is_none(), "{id:?}");
            }
        }
    }
    // A second snapshot must move the start forward.
    let mut node = node_with_snapshot(
        1,
        3,
        Setup::Follower { leader: 2 },
        3,
        &[1, 1, 2],
        2,
        image(4),
    );
    let commands = node.handle(0, taken(at(1, 2), image(4)));
    let error = SnapshotError::NotAfterLogStart {
        offset: 2,
        log_start_offset: 2,
    };
    assert_eq!(
        commands,
        [Command::SnapshotRejected {
            id: at(1, 2),
            error
        }]
    );
    // A snapshot may cover the whole log, even a leader's: it still ends in the leader's epoch.
    let mut node = node_in(1, 3, Setup::Leader, 3, &[1, 3]);
    node.high_watermark = 2;
    node.handle(0, taken(at(3, 2), image(4)));
    assert_eq!((node.log_start_offset(), node.log().len()), (2, 0));
    assert_eq!(node.role(), RoleKind::Leader);
}

/// Leader 1 of epoch 4, log epochs [1, 1, 2, 2, 4] with a snapshot at (2, 4): it holds only the
/// LeaderChange entry at offset 4.
fn leader_with_snapshot(data: Bytes) -> RaftNode {
    node_with_snapshot(1, 3, Setup::Leader, 4, &[1, 1, 2, 2, 4], 4, data)
}

fn fetch(leader_epoch: Epoch, fetch_offset: Offset, last_fetched_epoch: Epoch) -> Event {
    let request = FetchRequest {
        leader_epoch,
        fetch_offset,
        last_fetched_epoch,
    };
    Event::Received {
        from: 2,
        message: Message::FetchRequest(request),
    }
}

#[test]
fn leader_answers_fetches_it_cannot_serve_with_its_snapshot() {
    let snapshot = FetchResult::SnapshotId(at(2, 4));
    let diverging = |epoch, offset| FetchResult::DivergingEpoch(at(epoch, offset));
    // (fetch_offset, last_fetched_epoch, answer; None = entries from fetch_offset)
    let table: [(Offset, Epoch, Option<FetchResult>); 8] = [
        (0, 0, Some(snapshot.clone())),
        (3, 2, Some(snapshot.clone())),
        (4, 1, Some(snapshot.clone())),
        (7, 1, Some(snapshot.clone())),
        (4, 2, None),
        (5, 4, None),
        (6, 4, Some(diverging(4, 5))),
        (5, 3, Some(diverging(2, 4))),
    ];
    for (fetch_offset, last_epoch, expected) in table {
        let mut node = leader_with_snapshot(image(10));
        let commands = node.handle(0, fetch(4, fetch_offset, last_epoch));
        let Some((2, Message::FetchResponse(response))) = sent(&commands).pop() else {
            panic!("no fetch response for ({fetch_offset}, {last_epoch})");
        };
        let case = (fetch_offset, last_epoch);
        match (response.result, expected) {
            (FetchResult::Records { entries, .. }, None) => {
                let first = entries.first().map_or(5, |e| e.offset);
                assert_eq!(first, fetch_offset, "{case:?}");
                assert_eq!(entries.len() as Offset, 5 - fetch_offset, "{case:?}");
            }
            (result, expected) => assert_eq!(Some(result), expected, "{case:?}"),
        }
    }
}

fn snapshot_request(epoch: Epoch, id: OffsetAndEpoch, position: u64, max_bytes: u32) -> Event {
    let request = FetchSnapshotRequest {
        leader_epoch: epoch,
        snapshot_id: id,
        position,
        max_bytes,
    };
    Event::Received {
        from: 2,
        message: Message::FetchSnapshotRequest(request),
    }
}

#[test]
fn leader_serves_bounded_chunks_of_its_snapshot() {
    let data = image(150);
    let crc = crc32c::crc32c(&data);
    let chunk = |range: std::ops::Range<usize>| FetchSnapshotResult::Chunk {
        size: 150,
        snapshot_crc32c: crc,
        bytes: data.slice(range),
    };
    let error = FetchSnapshotResult::Error;
    let id = at(2, 4);
    let table = [
        (4, id, 0, 64, chunk(0..64)),
        (4, id, 128, 64, chunk(128..150)),
        (4, id, 150, 64, chunk(150..150)),
        (4, id, 0, u32::MAX, chunk(0..150)),
        (
            4,
            id,
            151,
            64,
            error(FetchSnapshotError::PositionOutOfRange),
        ),
        (
            4,
            at(2, 3),
            0,
            64,
            error(FetchSnapshotError::SnapshotNotFound),
        ),
        (3, id, 0, 64, error(FetchSnapshotError::FencedLeaderEpoch)),
    ];
    for (epoch, snapshot_id, position, max_bytes, expected) in table {
        let mut node = leader_with_snapshot(data.clone());
        let commands = node.handle(7, snapshot_request(epoch, snapshot_id, position, max_bytes));
        let response = FetchSnapshotResponse {
            leader_epoch: 4,
            leader: Some(1),
            snapshot_id,
            position,
            result: expected,
        };
        let case = (epoch, position, max_bytes);
        assert_eq!(
            sent(&commands),
            [(2, Message::FetchSnapshotResponse(response))],
            "{case:?}"
        );
    }
    // The leader's own bound caps what a follower asks for.
    let big = image(SNAPSHOT_CHUNK_BYTES_MAX as usize + 10);
    let mut node = leader_with_snapshot(big);
    let commands = node.handle(0, snapshot_request(4, id, 0, u32::MAX));
    let Some((_, Message::FetchSnapshotResponse(response))) = sent(&commands).pop() else {
        panic!("no answer");
    };
    let FetchSnapshotResult::Chunk { bytes, .. } = response.result else {
        panic!("no chunk");
    };
    assert_eq!(bytes.len(), SNAPSHOT_CHUNK_BYTES_MAX as usize);
    // A node that does not lead serves nothing.
    let mut node = node_with_snapshot(1, 3, Setup::Follower { leader: 3 }, 4, &[1, 2], 2, image(9));
    let commands = node.handle(0, snapshot_request(4, at(2, 2), 0, 64));
    let Some((_, Message::FetchSnapshotResponse(response))) = sent(&commands).pop() else {
        panic!("no answer");
    };
    assert_eq!(
        response.result,
        error(FetchSnapshotError::NotLeaderOrFollower)
    );
}

/// Follower 1 of leader 2 in epoch 4 with log epochs [1, 1] (high watermark 2), told by its
/// leader to fetch the snapshot `(3, 10)`; returns the node and the first request it sent.
fn follower_told_to_fetch_snapshot() -> (RaftNode, FetchSnapshotRequest) {
    let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 4, &[1, 1]);
    node.high_watermark = 2;
    let commands = node.handle(0, fetch_response(2, FetchResult::SnapshotId(at(3, 10))));
    let Some((2, Message::FetchSnapshotRequest(request))) = sent(&commands).pop() else {
        panic!("no snapshot request: {commands:?}");
    };
    (node, request)
}

fn fetch_response(fetch_offset: Offset, result: FetchResult) -> Event {
    let response = FetchResponse {
        leader_epoch: 4,
        leader: Some(2),
        fetch_offset,
        result,
    };
    Event::Received {
        from: 2,
        message: Message::FetchResponse(response),
    }
}

/// A chunk from leader 2 of snapshot `(3, 10)` holding `data[position..position + len]`, as the
/// leader would send it (the CRC is the whole image's).
fn chunk(data: &Bytes, position: usize, len: usize) -> FetchSnapshotResponse {
    FetchSnapshotResponse {
        leader_epoch: 4,
        leader: Some(2),
        snapshot_id: at(3, 10),
        position: position as u64,
        result: FetchSnapshotResult::Chunk {
            size: data.len() as u64,
            snapshot_crc32c: crc32c::crc32c(data),
            bytes: data.slice(position..(position + len).min(data.len())),
        },
    }
}

fn from_leader(response: FetchSnapshotResponse) -> Event {
    Event::Received {
        from: 2,
        message: Message::FetchSnapshotResponse(response),
    }
}

#[test]
fn follower_fetches_a_snapshot_in_chunks_and_installs_it() {
    let data = image(150);
    let (mut node, first) = follower_told_to_fetch_snapshot();
    let max_bytes = SNAPSHOT_CHUNK_BYTES_TEST;
    assert_eq!(
        first,
        FetchSnapshotRequest {
            leader_epoch: 4,
            snapshot_id: at(3, 10),
            position: 0,
            max_bytes,
        }
    );
    for position in [0, 64] {
        let commands = node.handle(1, from_leader(chunk(&data, position, 64)));
        let next = FetchSnapshotRequest {
            position: position as u64 + 64,
            ..first.clone()
        };
        assert_eq!(sent(&commands), [(2, Message::FetchSnapshotRequest(next))]);
        assert!(
            node.snapshot().is_none(),
            "not installed before the last chunk"
        );
    }
    let commands = node.handle(2, from_leader(chunk(&data, 128, 64)));
    let fetch = FetchRequest {
        leader_epoch: 4,
        fetch_offset: 10,
        last_fetched_epoch: 3,
    };
    let expected = [
        Command::InstallSnapshot {
            id: at(3, 10),
            data: data.clone(),
        },
        Command::Committed { high_watermark: 10 },
        Command::Send {
            to: 2,
            message: Message::FetchRequest(fetch),
        },
    ];
    assert_eq!(commands, expected);
    assert_eq!((node.log_start_offset(), node.log_end_offset()), (10, 10));
    assert_eq!((node.high_watermark(), node.flushed_end_offset()), (10, 10));
    assert!(node.log().is_empty());
    assert_eq!(node.snapshot().map(|s| s.data.clone()), Some(data));
}

#[test]
fn forged_or_stale_snapshot_chunks_are_dropped() {
    let data = image(150);
    let good = chunk(&data, 64, 64);
    let with_chunk = |size, crc, bytes: Bytes| FetchSnapshotResponse {
        result: FetchSnapshotResult::Chunk {
            size,
            snapshot_crc32c: crc,
            bytes,
        },
        ..good.clone()
    };
    let crc = crc32c::crc32c(&data);
    let cases: Vec<(&str, NodeId, FetchSnapshotResponse)> = vec![
        ("from a node that is not the leader", 3, good.clone()),
        (
            "another snapshot",
            2,
            FetchSnapshotResponse {
                snapshot_id: at(3, 11),
                ..good.clone()
            },
        ),
        (
            "a stale duplicate of the first chunk",
            2,
            chunk(&data, 0, 64),
        ),
        ("a chunk from further on", 2, chunk(&data, 128, 64)),
        ("another size", 2, with_chunk(200, crc, data.slice(64..128))),
        (
            "another checksum",
            2,
            with_chunk(150, crc ^ 1, data.slice(64..128)),
        ),
        (
            "larger than asked for",
            2,
            with_chunk(150, crc, data.slice(64..129)),
        ),
        (
            "a size the chunk overruns",
            2,
            with_chunk(100, crc, data.slice(64..128)),
        ),
        (
            "empty before the end",
            2,
            with_chunk(150, crc, Bytes::new()),
        ),
        (
            "a size over the limit",
            2,
            with_chunk(SNAPSHOT_BYTES_MAX + 1, crc, data.slice(64..128)),
        ),
        (
            "an older epoch",
            2,
            FetchSnapshotResponse {
                leader_epoch: 3,
                ..good.clone()
            },
        ),
    ];
    for (name, from, response) in cases {
        let (mut node, _) = follower_told_to_fetch_snapshot();
        node.handle(1, from_leader(chunk(&data, 0, 64)));
        let message = Message::FetchSnapshotResponse(response);
        let commands = node.handle(2, Event::Received { from, message });
        assert_eq!(commands, [], "{name}");
        // The transfer is intact: the real next chunk still fits.
        let commands = node.handle(3, from_leader(good.clone()));
        let expected = FetchSnapshotRequest {
            leader_epoch: 4,
            snapshot_id: at(3, 10),
            position: 128,
            max_bytes: SNAPSHOT_CHUNK_BYTES_TEST,
        };
        assert_eq!(
            sent(&commands),
            [(2, Message::FetchSnapshotRequest(expected))],
            "{name}"
        );
    }
    // A first chunk that overruns the size it announces.
    let (mut node, _) = follower_told_to_fetch_snapshot();
    let overrun = with_chunk(10, crc, data.slice(0..64));
    let overrun = FetchSnapshotResponse {
        position: 0,
        ..overrun
    };
    assert_eq!(node.handle(1, from_leader(overrun)), []);
}

#[test]
fn a_snapshot_corrupted_in_flight_is_not_installed_and_fetched_again() {
    let data = image(150);
    let (mut node, _) = follower_told_to_fetch_snapshot();
    node.handle(1, from_leader(chunk(&data, 0, 64)));
    // The middle chunk arrives with a flipped bit; size and checksum fields are intact.
    let mut flipped = data.to_vec();
    flipped[100] ^= 0x10;
    let mut corrupt = chunk(&data, 64, 64);
    if let FetchSnapshotResult::Chunk { bytes, .. } = &mut corrupt.result {
        *bytes = Bytes::from(flipped).slice(64..128);
    }
    node.handle(2, from_leader(corrupt));
    let commands = node.handle(3, from_leader(chunk(&data, 128, 64)));
    assert!(
        !commands
            .iter()
            .any(|c| matches!(c, Command::InstallSnapshot { .. })),
        "a snapshot that fails its checksum is never installed"
    );
    let Some((2, Message::FetchSnapshotRequest(request))) = sent(&commands).pop() else {
        panic!("the transfer starts over: {commands:?}");
    };
    assert_eq!(request.position, 0);
    assert!(node.snapshot().is_none());
    for (at_ms, position) in [(4, 0), (5, 64), (6, 128)] {
        node.handle(at_ms, from_leader(chunk(&data, position, 64)));
    }
    assert_eq!(node.snapshot().map(|s| s.data.clone()), Some(data));
}

#[test]
fn snapshot_not_found_sends_the_follower_back_to_fetching_entries() {
    let (mut node, first) = follower_told_to_fetch_snapshot();
    let response = FetchSnapshotResponse {
        leader_epoch: 4,
        leader: Some(2),
        snapshot_id: first.snapshot_id,
        position: 0,
        result: FetchSnapshotResult::Error(FetchSnapshotError::SnapshotNotFound),
    };
    let commands = node.handle(1, from_leader(response));
    let fetch = FetchRequest {
        leader_epoch: 4,
        fetch_offset: 2,
        last_fetched_epoch: 1,
    };
    assert_eq!(sent(&commands), [(2, Message::FetchRequest(fetch))]);
}

#[test]
fn implausible_snapshot_ids_are_not_fetched() {
    // Follower of epoch 4 with log [1, 1, 1, 3] and high watermark 2.
    let table = [at(9, 10), at(3, 1), at(0, 10), at(-1, 10)];
    for id in table {
        let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 4, &[1, 1, 1, 3]);
        node.high_watermark = 2;
        let commands = node.handle(0, fetch_response(4, FetchResult::SnapshotId(id)));
        let snapshot_requests = sent(&commands)
            .into_iter()
            .filter(|(_, m)| matches!(m, Message::FetchSnapshotRequest(_)))
            .count();
        assert_eq!(snapshot_requests, 0, "{id:?}");
    }
}

#[test]
fn a_snapshot_transfer_retries_lost_requests_and_never_stalls_an_election() {
    let (mut node, first) = follower_told_to_fetch_snapshot();
    // test_config: request timeout 50 ms, fetch timeout 300 ms.
    assert_eq!(node.handle(49, Event::Tick), []);
    let commands = node.handle(50, Event::Tick);
    assert_eq!(sent(&commands), [(2, Message::FetchSnapshotRequest(first))]);
    // Entries answers to an old fetch are not expected during a transfer.
    let records = FetchResult::Records {
        entries: Vec::new(),
        high_watermark: 2,
    };
    assert_eq!(node.handle(60, fetch_response(2, records)), []);
    node.handle(300, Event::Tick);
    assert_eq!(
        node.role(),
        RoleKind::PreCandidate,
        "a silent leader still times out"
    );
}

#[test]
fn vote_log_checks_count_the_snapshot() {
    // Node 1 with a snapshot at (3, 10) and no entries after it.
    let table: [(Epoch, Offset, bool); 5] = [
        (3, 10, true),
        (3, 9, false),
        (2, 20, false),
        (4, 1, true),
        (0, 0, false),
    ];
    for (last_epoch, last_offset, granted) in table {
        let epochs = [1, 1, 1, 1, 1, 2, 2, 2, 3, 3];
        let unattached = Setup::Unattached { voted_for: None };
        let mut node = node_with_snapshot(1, 3, unattached, 5, &epochs, 10, image(3));
        assert_eq!(node.log().len(), 0);
        let request = VoteRequest {
            candidate_epoch: 5,
            last_offset_epoch: last_epoch,
            last_offset,
            pre_vote: false,
        };
        let message = Message::VoteRequest(request);
        let commands = node.handle(0, Event::Received { from: 2, message });
        let expected = VoteResponse {
            leader_epoch: 5,
            vote_granted: granted,
            pre_vote: false,
        };
        let case = (last_epoch, last_offset);
        assert_eq!(
            sent(&commands),
            [(2, Message::VoteResponse(expected))],
            "{case:?}"
        );
    }
}
