//! A voter that lost committed entries (recovery cut its log below the commit point it had
//! recorded) refuses votes and pre-votes and never campaigns until its flushed log is back at
//! that point; meanwhile it finds the leader as an observer does and fetches like any follower.

use super::{entries_with_epochs, sent, test_config};
use crate::core::raft::messages::{
    EndQuorumEpoch, FetchRequest, FetchResponse, FetchResult, Message, VoteRequest, VoteResponse,
};
use crate::core::raft::restore::Restored;
use crate::core::raft::state::{Event, QuorumState, RaftNode, RoleKind};
use crate::core::raft::types::{Entry, Offset};
use crate::runtime::RngStream;

/// Node 1 of 3 in epoch 2 with no leader known, holding entries of epoch 1 below `held`, in
/// repair up to `commit_point`.
fn repairing(held: Offset, commit_point: Offset) -> RaftNode {
    let mut node = restored(held);
    node.repair_until(commit_point);
    node
}

/// Node 1 of 3 in epoch 2 with no leader known, holding entries of epoch 1 below `held`.
fn restored(held: Offset) -> RaftNode {
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
    RaftNode::restore(config, RngStream::new(1, "raft"), 1_000, restored).unwrap()
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
    let mut whole = restored(2);
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

fn records(fetch_offset: Offset, entries: Vec<Entry>, high_watermark: Offset) -> Message {
    Message::FetchResponse(FetchResponse {
        leader_epoch: 2,
        leader: Some(2),
        fetch_offset,
        result: FetchResult::Records {
            entries,
            high_watermark,
        },
    })
}

#[test]
fn repair_ends_once_the_leader_has_nothing_more_to_give() {
    let mut node = repairing(2, 5);
    // The leader answers: entries 2..5 and a high watermark of 5.
    let message = records(2, entries_with_epochs(&[1; 5])[2..].to_vec(), 5);
    node.handle(1_001, Event::Received { from: 2, message });
    assert_eq!(node.role(), RoleKind::Follower { leader: 2 });
    node.handle(1_002, Event::Flushed { end_offset: 5 });
    // Back at the commit point, flushed: but it may have acknowledged more before the damage,
    // so it stays in repair until the leader has nothing more to give.
    assert!(node.is_repairing());
    let commands = node.handle(1_100, Event::Tick);
    let next = Message::FetchRequest(FetchRequest {
        leader_epoch: 2,
        fetch_offset: 5,
        last_fetched_epoch: 1,
    });
    assert_eq!(sent(&commands), [(2, next)]);
    let message = records(5, Vec::new(), 5);
    node.handle(1_101, Event::Received { from: 2, message });
    assert!(!node.is_repairing());
    // Once its leader goes silent, it campaigns.
    let mut now_ms = 1_101;
    while node.role() != RoleKind::PreCandidate && now_ms < 5_000 {
        now_ms += 10;
        node.handle(now_ms, Event::Tick);
    }
    assert_eq!(node.role(), RoleKind::PreCandidate);
}

#[test]
fn an_empty_answer_below_the_commit_point_does_not_end_the_repair() {
    // A leader that lost the lead may answer from a shorter log: the commit point still holds.
    let mut node = repairing(2, 5);
    let message = records(2, Vec::new(), 2);
    node.handle(1_001, Event::Received { from: 2, message });
    assert!(node.is_repairing());
}

#[test]
fn a_voter_in_repair_does_not_take_over_when_its_leader_hands_over_to_it() {
    let mut node = repairing(2, 5);
    let message = records(2, entries_with_epochs(&[1; 4])[2..].to_vec(), 4);
    node.handle(1_001, Event::Received { from: 2, message });
    assert_eq!(node.role(), RoleKind::Follower { leader: 2 });
    // The leader resigns and names this node its first successor: its log is ahead of node
    // 3's, but it may lack committed entries, so it must not stand.
    let message = Message::EndQuorumEpoch(EndQuorumEpoch {
        leader_epoch: 2,
        preferred_successors: vec![1, 3],
    });
    let commands = node.handle(1_002, Event::Received { from: 2, message });
    let role = node.role();
    assert!(
        !matches!(role, RoleKind::Candidate | RoleKind::PreCandidate),
        "{role:?}"
    );
    let asked_for_votes = sent(&commands)
        .into_iter()
        .any(|(_, message)| matches!(message, Message::VoteRequest(_)));
    assert!(!asked_for_votes);
}

#[test]
fn a_voter_in_repair_named_leader_by_a_peer_that_missed_its_crash_does_not_follow_itself() {
    // It led epoch 2 before it crashed; node 3 has not noticed and still names it.
    let mut node = repairing(2, 5);
    let stale = Message::FetchResponse(FetchResponse {
        leader_epoch: 2,
        leader: Some(1),
        fetch_offset: 2,
        result: FetchResult::Records {
            entries: Vec::new(),
            high_watermark: 2,
        },
    });
    node.handle(
        1_001,
        Event::Received {
            from: 3,
            message: stale,
        },
    );
    assert_eq!(node.role(), RoleKind::Unattached);
    assert!(node.is_repairing());
    // The next leader it hears of, it follows.
    let message = records(2, Vec::new(), 2);
    node.handle(1_002, Event::Received { from: 2, message });
    assert_eq!(node.role(), RoleKind::Follower { leader: 2 });
}

#[test]
fn a_voter_that_lost_only_flushed_entries_is_in_repair_until_the_leader_has_no_more() {
    // Nothing was recorded as committed, but it had flushed (and may have acknowledged) more
    // than it holds: a leader may have counted that towards a commit it never heard of.
    let mut node = repairing(2, 0);
    assert!(node.is_repairing());
    let message = vote_request(3, true);
    let commands = node.handle(1_001, Event::Received { from: 2, message });
    assert!(matches!(
        &sent(&commands)[..],
        [(
            2,
            Message::VoteResponse(VoteResponse {
                vote_granted: false,
                ..
            })
        )]
    ));
    // Its current leader holds all it ever acknowledged in this epoch or before.
    let message = records(2, entries_with_epochs(&[1; 3])[2..].to_vec(), 3);
    node.handle(1_002, Event::Received { from: 2, message });
    node.handle(1_003, Event::Flushed { end_offset: 3 });
    assert!(
        node.is_repairing(),
        "fetched entries are not the end: more may follow"
    );
    let message = records(3, Vec::new(), 3);
    node.handle(1_004, Event::Received { from: 2, message });
    assert!(!node.is_repairing());
}
