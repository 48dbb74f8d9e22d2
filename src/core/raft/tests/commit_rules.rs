//! Table-driven tests of the commit rules: the leader's high watermark (majority and
//! current-epoch rules), the follower's (the leader's, capped at its own log end, never
//! backwards), and the leader's diverging-epoch answers and the follower's truncation.

use super::{entries_with_epochs, node_in, sent, Setup};
use crate::core::raft::messages::{FetchRequest, FetchResponse, FetchResult, Message};
use crate::core::raft::state::{Command, Event};
use crate::core::raft::types::{Epoch, NodeId, Offset, OffsetAndEpoch};

fn fetch(from: NodeId, leader_epoch: Epoch, fetch_offset: Offset, last_epoch: Epoch) -> Event {
    let request = FetchRequest {
        leader_epoch,
        fetch_offset,
        last_fetched_epoch: last_epoch,
    };
    Event::Received {
        from,
        message: Message::FetchRequest(request),
    }
}

struct LeaderCase {
    name: &'static str,
    voters: i32,
    /// Node 1 leads epoch 3; its LeaderChange entry is the first entry of epoch 3.
    log_epochs: &'static [Epoch],
    /// `(follower, fetch_offset, last_fetched_epoch)`, in order.
    fetches: &'static [(NodeId, Offset, Epoch)],
    high_watermark: Offset,
}

#[test]
fn leader_high_watermark_rules() {
    let cases = [
        LeaderCase {
            name: "nobody fetched",
            voters: 3,
            log_epochs: &[1, 1, 3, 3],
            fetches: &[],
            high_watermark: 0,
        },
        LeaderCase {
            name: "majority holds only older-epoch entries",
            voters: 3,
            log_epochs: &[1, 1, 3, 3],
            fetches: &[(2, 2, 1)],
            high_watermark: 0,
        },
        LeaderCase {
            name: "majority holds the LeaderChange entry",
            voters: 3,
            log_epochs: &[1, 1, 3, 3],
            fetches: &[(2, 3, 3)],
            high_watermark: 3,
        },
        LeaderCase {
            name: "the majority's smallest offset counts",
            voters: 3,
            log_epochs: &[1, 1, 3, 3],
            fetches: &[(2, 4, 3), (3, 3, 3)],
            high_watermark: 4,
        },
        LeaderCase {
            name: "one of four followers is no majority of five",
            voters: 5,
            log_epochs: &[1, 3, 3],
            fetches: &[(2, 3, 3)],
            high_watermark: 0,
        },
        LeaderCase {
            name: "two of four followers and the leader are",
            voters: 5,
            log_epochs: &[1, 3, 3],
            fetches: &[(2, 3, 3), (4, 2, 3)],
            high_watermark: 2,
        },
        LeaderCase {
            name: "a follower falling back does not lower it",
            voters: 3,
            log_epochs: &[1, 3, 3],
            fetches: &[(2, 3, 3), (2, 2, 3)],
            high_watermark: 3,
        },
        LeaderCase {
            name: "a diverging fetch is no progress",
            voters: 3,
            log_epochs: &[1, 3, 3],
            fetches: &[(2, 3, 2)],
            high_watermark: 0,
        },
    ];
    for case in cases {
        let mut node = node_in(1, case.voters, Setup::Leader, 3, case.log_epochs);
        // The LeaderChange entry is the leader's last one in these logs only if it is alone in
        // epoch 3; say where the epoch started explicitly.
        if let super::Role::Leader(leader) = &mut node.role {
            leader.epoch_start_offset = case.log_epochs.iter().position(|&e| e == 3).unwrap() as _;
        }
        for &(from, fetch_offset, last_epoch) in case.fetches {
            node.handle(0, fetch(from, 3, fetch_offset, last_epoch));
        }
        assert_eq!(node.high_watermark(), case.high_watermark, "{}", case.name);
    }
}

#[test]
fn leader_answers_diverging_epoch() {
    // Leader log: epochs [1, 1, 2, 2, 4], leading epoch 4.
    let table: [(Offset, Epoch, FetchResult); 5] = [
        (2, 1, records(&[2, 2, 4], 2)),
        (4, 3, diverging(2, 4)),
        (3, 1, diverging(1, 2)),
        (7, 4, diverging(4, 5)),
        (1, 0, diverging(0, 0)),
    ];
    for (fetch_offset, last_epoch, expected) in table {
        let mut node = node_in(1, 3, Setup::Leader, 4, &[1, 1, 2, 2, 4]);
        let commands = node.handle(0, fetch(2, 4, fetch_offset, last_epoch));
        let Some((2, Message::FetchResponse(response))) = sent(&commands).pop() else {
            panic!("no fetch response for ({fetch_offset}, {last_epoch})");
        };
        let result = match response.result {
            // Compare epochs only: the data is whatever the helper generated.
            FetchResult::Records { entries, .. } => {
                records(&entries.iter().map(|e| e.epoch).collect::<Vec<_>>(), 2)
            }
            other => other,
        };
        assert_eq!(result, expected, "fetch ({fetch_offset}, {last_epoch})");
    }
}

fn records(epochs: &[Epoch], first_offset: Offset) -> FetchResult {
    let entries = (first_offset..).zip(epochs).map(|(offset, &epoch)| {
        let mut entry = entries_with_epochs(&[epoch])[0].clone();
        entry.offset = offset;
        entry.data = bytes::Bytes::new();
        entry
    });
    FetchResult::Records {
        entries: entries.collect(),
        high_watermark: 0,
    }
}

fn diverging(epoch: Epoch, offset: Offset) -> FetchResult {
    FetchResult::DivergingEpoch(OffsetAndEpoch { epoch, offset })
}

/// A fetch response from leader 2 in epoch 4 to node 1, answering a fetch at `fetch_offset`.
fn response(fetch_offset: Offset, result: FetchResult) -> Event {
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

#[test]
fn follower_high_watermark_rules() {
    // (own log length, own high watermark, entries fetched, leader's high watermark, expected)
    let table: [(usize, Offset, usize, Offset, Offset); 6] = [
        (3, 0, 0, 5, 3),
        (3, 0, 2, 4, 4),
        (3, 0, 2, 9, 5),
        (3, 2, 0, 1, 2),
        (3, 0, 0, 0, 0),
        (0, 0, 1, 1, 1),
    ];
    for (own, own_hw, fetched, leader_hw, expected) in table {
        let all = entries_with_epochs(&[1, 1, 2, 4, 4]);
        let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 4, &[1, 1, 2][..own]);
        node.high_watermark = own_hw;
        let result = FetchResult::Records {
            entries: all[own..own + fetched].to_vec(),
            high_watermark: leader_hw,
        };
        node.handle(0, response(own as Offset, result));
        let case = (own, own_hw, fetched, leader_hw);
        assert_eq!(node.high_watermark(), expected, "{case:?}");
        assert_eq!(node.log_end_offset(), (own + fetched) as Offset, "{case:?}");
    }
}

#[test]
fn follower_truncates_on_diverging_epoch_then_refetches() {
    // Follower log [1, 1, 1, 3] (epoch 3 was a leader that lost); the leader of epoch 4 says its
    // epoch 2 ends at 4: our largest epoch not above 2 is 1, ending at 3, so keep 3 entries.
    let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 4, &[1, 1, 1, 3]);
    let commands = node.handle(0, response(4, diverging(2, 4)));
    assert_eq!(commands[0], Command::TruncateLog { to_offset: 3 });
    let request = FetchRequest {
        leader_epoch: 4,
        fetch_offset: 3,
        last_fetched_epoch: 1,
    };
    assert_eq!(sent(&commands), [(2, Message::FetchRequest(request))]);
    assert_eq!(node.log_end_offset(), 3);
}

#[test]
fn follower_ignores_bad_or_stale_fetch_responses() {
    let cases: Vec<(&str, Offset, FetchResult)> = vec![
        ("diverging below the high watermark", 4, diverging(1, 1)),
        ("answer to an older fetch", 2, diverging(1, 1)),
        ("entries not at our log end", 4, {
            let mut result = records(&[4], 5);
            if let FetchResult::Records { high_watermark, .. } = &mut result {
                *high_watermark = 4;
            }
            result
        }),
        (
            "entries of a later epoch than the leader's",
            4,
            records(&[9], 4),
        ),
        ("entries going back in epoch", 4, records(&[2], 4)),
    ];
    for (name, fetch_offset, result) in cases {
        let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 4, &[1, 1, 1, 3]);
        node.high_watermark = 2;
        let before = node.log().to_vec();
        let commands = node.handle(0, response(fetch_offset, result));
        assert_eq!(node.log(), before, "{name}");
        assert_eq!(node.high_watermark(), 2, "{name}");
        let changed = commands
            .iter()
            .any(|c| matches!(c, Command::TruncateLog { .. } | Command::AppendToLog { .. }));
        assert!(!changed, "{name}");
    }
}

#[test]
fn leader_re_announces_itself_to_voters_silent_for_a_fetch_timeout() {
    use crate::core::raft::messages::BeginQuorumEpoch;
    // test_config: fetch timeout 300 ms; check-quorum needs 450 ms without a majority.
    let mut node = node_in(1, 3, Setup::Leader, 3, &[1, 3]);
    node.handle(0, fetch(2, 3, 2, 3));
    node.handle(0, fetch(3, 3, 2, 3));
    assert_eq!(sent(&node.handle(299, Event::Tick)), []);
    node.handle(299, fetch(3, 3, 2, 3));
    let announce = Message::BeginQuorumEpoch(BeginQuorumEpoch { leader_epoch: 3 });
    assert_eq!(
        sent(&node.handle(300, Event::Tick)),
        [(2, announce)],
        "2 went silent"
    );
}
