//! Every invariant check fed a state that breaks it, and seen to fail: a checker that cannot
//! fail is a defect.

use std::collections::BTreeSet;

use super::{entries_with_epochs, node_in, Setup};
use crate::core::raft::invariants::{NodeView, NodeViolation, QuorumObserver, QuorumViolation};
use crate::core::raft::types::{Entry, Epoch, NodeId, Offset};

fn view(node_id: NodeId, epoch: Epoch, leader: bool, hw: Offset, log: &[Entry]) -> NodeView<'_> {
    NodeView {
        node_id,
        leader_epoch: epoch,
        is_leader: leader,
        high_watermark: hw,
        log,
    }
}

fn observer() -> QuorumObserver {
    QuorumObserver::new(BTreeSet::from([1, 2, 3]))
}

#[test]
fn observer_accepts_a_healthy_quorum() {
    let log = entries_with_epochs(&[1, 1, 2]);
    let mut observer = observer();
    let views = [
        view(1, 2, true, 3, &log),
        view(2, 2, false, 3, &log),
        view(3, 2, false, 1, &log[..1]),
    ];
    assert_eq!(observer.observe(&views), Ok(()));
    assert_eq!(observer.committed(), &log[..]);
}

#[test]
fn observer_catches_two_leaders_in_one_epoch() {
    let log = entries_with_epochs(&[1]);
    let mut observer = observer();
    observer.observe(&[view(1, 2, true, 0, &log)]).unwrap();
    let result = observer.observe(&[view(2, 2, true, 0, &log)]);
    let expected = QuorumViolation::TwoLeadersInOneEpoch {
        leader_epoch: 2,
        first: 1,
        second: 2,
    };
    assert_eq!(result, Err(expected));
}

#[test]
fn observer_catches_an_epoch_going_backwards() {
    let mut observer = observer();
    observer.observe(&[view(1, 3, false, 0, &[])]).unwrap();
    let result = observer.observe(&[view(1, 2, false, 0, &[])]);
    assert_eq!(
        result,
        Err(QuorumViolation::EpochWentBackwards {
            node: 1,
            from: 3,
            to: 2
        })
    );
}

#[test]
fn observer_catches_a_high_watermark_going_backwards() {
    let log = entries_with_epochs(&[1, 1]);
    let mut observer = observer();
    let healthy = [view(1, 1, false, 2, &log), view(2, 1, false, 0, &log)];
    observer.observe(&healthy).unwrap();
    let result = observer.observe(&[view(1, 1, false, 1, &log), view(2, 1, false, 0, &log)]);
    let expected = QuorumViolation::HighWatermarkWentBackwards {
        node: 1,
        from: 2,
        to: 1,
    };
    assert_eq!(result, Err(expected));
}

#[test]
fn observer_catches_a_high_watermark_held_by_a_minority() {
    let log = entries_with_epochs(&[1, 1]);
    let mut observer = observer();
    let views = [
        view(1, 1, true, 2, &log),
        view(2, 1, false, 0, &log[..1]),
        view(3, 1, false, 0, &[]),
    ];
    let expected = QuorumViolation::HighWatermarkNotHeldByMajority {
        node: 1,
        high_watermark: 2,
        holders: 1,
    };
    assert_eq!(observer.observe(&views), Err(expected));
}

#[test]
fn observer_catches_committed_entries_that_differ_or_change() {
    let log = entries_with_epochs(&[1, 1]);
    let other = entries_with_epochs(&[1, 2]);
    // Two nodes disagree at the same moment.
    let views = [
        view(1, 2, false, 2, &log),
        view(2, 2, false, 2, &other),
        view(3, 2, false, 0, &log),
    ];
    let expected = QuorumViolation::CommittedEntryDiffers { node: 2, offset: 1 };
    assert_eq!(observer().observe(&views), Err(expected.clone()));
    // One node's committed entry is replaced later, with nobody left to disagree.
    let mut observer = observer();
    observer
        .observe(&[view(2, 2, false, 2, &log), view(3, 2, false, 0, &log)])
        .unwrap();
    let result = observer.observe(&[view(2, 2, false, 2, &other), view(3, 2, false, 0, &other)]);
    assert_eq!(result, Err(expected));
}

#[test]
fn node_validation_catches_broken_states() {
    let me = || node_in(1, 3, Setup::Leader, 2, &[1, 2]);
    let mut node = me();
    node.high_watermark = 3;
    let expected = NodeViolation::HighWatermarkPastLogEnd {
        high_watermark: 3,
        log_end_offset: 2,
    };
    assert_eq!(node.validate(), Err(expected));

    let mut node = me();
    node.leader_epoch = 1;
    let expected = NodeViolation::LogEpochAheadOfNode {
        last_epoch: 2,
        leader_epoch: 1,
    };
    assert_eq!(node.validate(), Err(expected));

    let mut node = me();
    node.voted_for = Some(2);
    let expected = NodeViolation::LeaderDidNotVoteForItself { voted_for: Some(2) };
    assert_eq!(node.validate(), Err(expected));

    let mut node = me();
    node.leader_epoch = 3;
    let expected = NodeViolation::LeaderLogNotInOwnEpoch {
        last_epoch: 2,
        leader_epoch: 3,
    };
    assert_eq!(node.validate(), Err(expected));

    let mut node = node_in(1, 3, Setup::Candidate, 2, &[1]);
    node.voted_for = None;
    let expected = NodeViolation::CandidateDidNotVoteForItself { voted_for: None };
    assert_eq!(node.validate(), Err(expected));

    let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 2, &[1]);
    if let super::Role::Follower(follower) = &mut node.role {
        follower.leader = 9;
    }
    assert_eq!(
        node.validate(),
        Err(NodeViolation::LeaderIsNotAVoter { leader: 9 })
    );

    let mut node = me();
    let entries = node.log().to_vec();
    node.log = crate::core::raft::log::RaftLog::from_parts_unchecked(entries, vec![(1, 0)]);
    assert_eq!(node.validate(), Err(NodeViolation::EpochCacheInconsistent));

    let mut node = me();
    node.log.truncate(0);
    node.high_watermark = 0;
    let expected = NodeViolation::LeaderLogNotInOwnEpoch {
        last_epoch: 0,
        leader_epoch: 2,
    };
    assert_eq!(
        node.validate(),
        Err(expected),
        "a leader whose LeaderChange entry is gone"
    );
}

#[test]
#[should_panic(expected = "broke an invariant")]
fn check_invariants_panics_on_a_broken_state() {
    let mut node = node_in(1, 3, Setup::Leader, 2, &[1, 2]);
    node.high_watermark = 5;
    node.check_invariants();
}
