//! A voter that lost committed entries (recovery cut its log below the commit point it had
//! recorded) refuses votes and pre-votes and never campaigns until its flushed log is back at
//! that point; meanwhile it finds the leader as an observer does and fetches like any follower.

use super::{entries_with_epochs, sent, test_config};
use crate::core::raft::messages::{
    FetchRequest, FetchResponse, FetchResult, Message, VoteRequest, VoteResponse,
};
use crate::core::raft::restore::Restored;
use crate::core::raft::state::{Event, QuorumState, RaftNode, RoleKind};
use crate::core::raft::types::Offset;
use crate::runtime::RngStream;

/// Node 1 of 3 in epoch 2 with no leader known, holding entries of epoch 1 below `held`, in
/// repair up to `commit_point`.
fn repairing(held: Offset, commit_point: Offset) -> RaftNode {
    let restored = Restored {
        quorum_state: QuorumState {
            leader_epoch: 2,
            voted_for: None,
            leader: None,
        },
        entries: entries_with_epochs(&vec![1; held as usize]),
        ..Restored::default()
    };
    let config = test_config(1, 3);
    let mut node = RaftNode::restore(config, RngStream::new(1, "raft"), 1_000, restored).unwrap();
    node.repair_until(commit_point);
    node
}

fn vote_request(candidate_epoch: i32, pre_vote: bool) -> Message {
    Message::VoteRequest(VoteRequest {
        candidate_epoch,
        last_offset_epoch: 1,
        last_offset: 5,
        pre_vote,
    })
}

#[test]
fn a_voter_in_repair_grants_no_vote_and_no_pre_vote() {
    let mut node = repairing(2, 5);
    assert!(node.is_repairing());
    // The candidate's log (up to offset 5) is ahead of ours, so without repair both would be
    // granted.
    for (epoch, pre_vote) in [(3, true), (3, false)] {
        let message = vote_request(epoch, pre_vote);
        let commands = node.handle(1_001, Event::Received { from: 2, message });
        let refused = Message::VoteResponse(VoteResponse {
            leader_epoch: node.leader_epoch(),
            vote_granted: false,
            pre_vote,
        });
        assert_eq!(sent(&commands), [(2, refused)], "pre_vote {pre_vote}");
    }
    assert_eq!(node.voted_for(), None);
    // The same node out of repair grants it.
    let mut whole = repairing(2, 0);
    assert!(!whole.is_repairing());
    let message = vote_request(3, false);
    let commands = whole.handle(1_001, Event::Received { from: 2, message });
    assert!(matches!(
        &sent(&commands)[..],
        [(
            2,
            Message::VoteResponse(VoteResponse {
                vote_granted: true,
                ..
            })
        )]
    ));
}

#[test]
fn a_voter_in_repair_never_campaigns_and_asks_the_others_for_the_leader() {
    let mut node = repairing(2, 5);
    let mut asked = Vec::new();
    for now_ms in (1_000..6_000).step_by(25) {
        for (to, message) in sent(&node.handle(now_ms, Event::Tick)) {
            assert!(matches!(message, Message::FetchRequest(_)), "{message:?}");
            asked.push(to);
        }
        assert!(
            !matches!(node.role(), RoleKind::PreCandidate | RoleKind::Candidate),
            "campaigned at {now_ms} ms"
        );
    }
    assert!(!asked.is_empty());
    assert!(asked.iter().all(|&to| to == 2 || to == 3), "{asked:?}");
}

#[test]
fn repair_ends_once_the_fetched_entries_are_flushed_up_to_the_commit_point() {
    let mut node = repairing(2, 5);
    // The leader answers: entries 2..5 and a high watermark of 5.
    let entries = entries_with_epochs(&[1; 5])[2..].to_vec();
    let answer = Message::FetchResponse(FetchResponse {
        leader_epoch: 2,
        leader: Some(2),
        fetch_offset: 2,
        result: FetchResult::Records {
            entries,
            high_watermark: 5,
        },
    });
    node.handle(
        1_001,
        Event::Received {
            from: 2,
            message: answer,
        },
    );
    assert_eq!(node.role(), RoleKind::Follower { leader: 2 });
    // Appended but not yet flushed: still in repair.
    assert!(node.is_repairing());
    node.handle(1_002, Event::Flushed { end_offset: 5 });
    assert!(!node.is_repairing());
    // It fetches on from where it is now, and once its leader goes silent, it campaigns.
    let commands = node.handle(1_100, Event::Tick);
    let next = Message::FetchRequest(FetchRequest {
        leader_epoch: 2,
        fetch_offset: 5,
        last_fetched_epoch: 1,
    });
    assert_eq!(sent(&commands), [(2, next)]);
    let mut now_ms = 1_100;
    while node.role() != RoleKind::PreCandidate && now_ms < 5_000 {
        now_ms += 10;
        node.handle(now_ms, Event::Tick);
    }
    assert_eq!(node.role(), RoleKind::PreCandidate);
}
