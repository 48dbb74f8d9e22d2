//! Durability acknowledgements: a leader counts only the part of its own log the runtime
//! reported flushed, flushes above the log end are ignored, and truncation lowers the flushed
//! offset.

use bytes::Bytes;

use super::{node_in, Setup};
use crate::core::raft::messages::{FetchRequest, FetchResponse, FetchResult, Message};
use crate::core::raft::state::{Command, Event};
use crate::core::raft::types::{Epoch, NodeId, Offset, OffsetAndEpoch};

fn fetch(from: NodeId, fetch_offset: Offset, last_fetched_epoch: Epoch) -> Event {
    let request = FetchRequest {
        leader_epoch: 3,
        fetch_offset,
        last_fetched_epoch,
    };
    Event::Received {
        from,
        message: Message::FetchRequest(request),
    }
}

fn propose(data: &'static str) -> Event {
    Event::Propose {
        data: Bytes::from_static(data.as_bytes()),
    }
}

enum Step {
    Propose,
    Fetch(NodeId, Offset),
    Flushed(Offset),
}

#[test]
fn leader_counts_only_its_flushed_log() {
    use Step::*;
    // Leader 1 of epoch 3 with log [1, 1, 3] (all flushed), LeaderChange at offset 2; after two
    // proposals its log ends at 5. (name, steps, high watermark, flushed end offset)
    let table: [(&str, &[Step], Offset, Offset); 6] = [
        (
            "one follower holds the tail, the leader has not flushed it",
            &[Propose, Propose, Fetch(2, 5)],
            3,
            3,
        ),
        (
            "the flush completes the majority",
            &[Propose, Propose, Fetch(2, 5), Flushed(5)],
            5,
            5,
        ),
        (
            "a partial flush commits that far",
            &[Propose, Propose, Fetch(2, 5), Flushed(4)],
            4,
            4,
        ),
        (
            "two followers are a majority without the leader",
            &[Propose, Propose, Fetch(2, 5), Fetch(3, 5)],
            5,
            3,
        ),
        (
            "a flush above the log end is ignored",
            &[Propose, Fetch(2, 4), Flushed(9)],
            3,
            3,
        ),
        (
            "a flush never goes back",
            &[Propose, Flushed(4), Flushed(3), Fetch(2, 4)],
            4,
            4,
        ),
    ];
    for (name, steps, high_watermark, flushed) in table {
        let mut node = node_in(1, 3, Setup::Leader, 3, &[1, 1, 3]);
        for step in steps {
            match *step {
                Propose => {
                    node.handle(0, propose("x"));
                }
                Fetch(from, offset) => {
                    node.handle(0, fetch(from, offset, 3));
                }
                Flushed(end_offset) => {
                    node.handle(0, Event::Flushed { end_offset });
                }
            }
        }
        assert_eq!(node.high_watermark(), high_watermark, "{name}");
        assert_eq!(node.flushed_end_offset(), flushed, "{name}");
    }
}

#[test]
fn a_lone_voter_commits_when_its_flush_completes() {
    let mut node = node_in(1, 1, Setup::Leader, 3, &[1, 3]);
    node.high_watermark = 2; // Its LeaderChange entry was committed when it was flushed.
    let commands = node.handle(0, propose("x"));
    assert!(!commands
        .iter()
        .any(|c| matches!(c, Command::Committed { .. })));
    assert_eq!(node.high_watermark(), 2);
    let commands = node.handle(1, Event::Flushed { end_offset: 3 });
    assert_eq!(commands, [Command::Committed { high_watermark: 3 }]);
}

#[test]
fn truncation_lowers_the_flushed_offset() {
    let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 4, &[1, 1, 1, 3]);
    assert_eq!(node.flushed_end_offset(), 4);
    let response = FetchResponse {
        leader_epoch: 4,
        leader: Some(2),
        fetch_offset: 4,
        result: FetchResult::DivergingEpoch(OffsetAndEpoch {
            epoch: 2,
            offset: 4,
        }),
    };
    let message = Message::FetchResponse(response);
    node.handle(0, Event::Received { from: 2, message });
    assert_eq!((node.log_end_offset(), node.flushed_end_offset()), (3, 3));
    // A late flush report for the old, longer log speaks of entries no longer held.
    node.handle(1, Event::Flushed { end_offset: 4 });
    assert_eq!(node.flushed_end_offset(), 3);
}
