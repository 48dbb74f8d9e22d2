//! Every invariant check fed a state that breaks it, and seen to fail: a checker that cannot
//! fail is a defect.

use std::collections::BTreeSet;

use super::{entries_with_epochs, image, node_in, node_with_snapshot, Setup};
use crate::core::raft::invariants::{NodeView, NodeViolation, QuorumObserver, QuorumViolation};
use crate::core::raft::types::{Entry, Epoch, NodeId, Offset, OffsetAndEpoch};

fn view(node_id: NodeId, epoch: Epoch, leader: bool, hw: Offset, log: &[Entry]) -> NodeView<'_> {
    NodeView {
        node_id,
        leader_epoch: epoch,
        is_leader: leader,
        high_watermark: hw,
        log_start_offset: 0,
        snapshot_id: None,
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
    assert_eq!(observer.committed(), (0, &log[..]));
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
fn entries_lost_to_disk_count_as_held_until_fetched_back_and_only_as_far_as_they_reached() {
    let log = entries_with_epochs(&[1, 1, 1]);
    let look = |observer: &mut QuorumObserver, damaged: &[Entry]| {
        observer.observe(&[
            view(1, 1, true, 3, &log),
            view(2, 1, false, 0, damaged),
            view(3, 1, false, 0, &log[..1]),
        ])
    };
    let minority = Err(QuorumViolation::HighWatermarkNotHeldByMajority {
        node: 1,
        high_watermark: 3,
        holders: 1,
    });
    let mut observer = self::observer();
    look(&mut observer, &log).unwrap();
    // Node 2's disk destroyed entries 1 and 2: told, the loss is the disk's, not a minority.
    observer.lost_to_disk(2, 3);
    assert_eq!(look(&mut observer, &log[..1]), Ok(()));
    assert_eq!(look(&mut observer, &log[..2]), Ok(()));
    // Once it holds them again the credit is spent: losing them again is a minority.
    assert_eq!(look(&mut observer, &log), Ok(()));
    assert_eq!(look(&mut observer, &log[..1]), minority);
    // A credit reaches only as far as the node's log did: node 2 held two entries, not three.
    let mut observer = self::observer();
    observer.lost_to_disk(2, 2);
    assert_eq!(look(&mut observer, &log[..1]), minority);
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
    node.flushed_end_offset = 0;
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

fn at(epoch: Epoch, offset: Offset) -> OffsetAndEpoch {
    OffsetAndEpoch { epoch, offset }
}

/// A view of a node whose log starts after a snapshot at `snapshot`.
fn snapshot_view(
    node_id: NodeId,
    hw: Offset,
    snapshot: OffsetAndEpoch,
    log: &[Entry],
) -> NodeView<'_> {
    NodeView {
        log_start_offset: snapshot.offset,
        snapshot_id: Some(snapshot),
        ..view(node_id, 2, false, hw, log)
    }
}

#[test]
fn observer_compares_only_what_both_nodes_still_hold() {
    let full = entries_with_epochs(&[1, 1, 2, 2]);
    let mut observer = observer();
    let views = [
        view(1, 2, true, 4, &full),
        snapshot_view(2, 4, at(1, 2), &full[2..]),
        snapshot_view(3, 4, at(2, 4), &[]),
    ];
    assert_eq!(observer.observe(&views), Ok(()));
    // A node that holds only a snapshot's tail still has its tail compared.
    let mut other = full.clone();
    other[3].data = "forged".into();
    let views = [
        view(1, 2, true, 4, &full),
        snapshot_view(2, 4, at(1, 2), &other[2..]),
    ];
    let expected = QuorumViolation::CommittedEntryDiffers { node: 2, offset: 3 };
    assert_eq!(observer.observe(&views), Err(expected));
}

#[test]
fn observer_catches_a_log_start_offset_going_backwards() {
    let log = entries_with_epochs(&[1, 1, 2, 2]);
    let mut observer = observer();
    let majority = [view(1, 2, false, 4, &log), view(3, 2, false, 0, &log)];
    let mut views = majority.to_vec();
    views.push(snapshot_view(2, 4, at(1, 2), &log[2..]));
    observer.observe(&views).unwrap();
    // The node comes back with its older snapshot: a lost snapshot or a log restored wrong.
    views[2] = snapshot_view(2, 4, at(1, 1), &log[1..]);
    let expected = QuorumViolation::LogStartOffsetWentBackwards {
        node: 2,
        from: 2,
        to: 1,
    };
    assert_eq!(observer.observe(&views), Err(expected));
}

#[test]
fn observer_catches_snapshot_ids_that_disagree() {
    let log = entries_with_epochs(&[1, 1, 2, 2]);
    // Two snapshots at one offset with different epochs.
    let views = [
        view(1, 2, false, 4, &log),
        snapshot_view(2, 4, at(2, 4), &[]),
        snapshot_view(3, 4, at(3, 4), &[]),
    ];
    let expected = QuorumViolation::SnapshotIdDiffers {
        node: 3,
        snapshot_id: at(3, 4),
        known_epoch: 2,
    };
    assert_eq!(observer().observe(&views), Err(expected));
    // A snapshot whose epoch is not that of the committed entry before it, seen after the entry.
    let mut observer = observer();
    observer
        .observe(&[view(1, 2, false, 4, &log), view(2, 2, false, 4, &log)])
        .unwrap();
    let result = observer.observe(&[
        view(1, 2, false, 4, &log),
        snapshot_view(2, 4, at(1, 3), &log[3..]),
    ]);
    let expected = QuorumViolation::SnapshotIdDiffers {
        node: 2,
        snapshot_id: at(1, 3),
        known_epoch: 2,
    };
    assert_eq!(result, Err(expected));
    // ... and seen before the entry is committed anywhere.
    let mut observer = self::observer();
    let snapshotted = snapshot_view(2, 3, at(1, 3), &log[3..]);
    observer
        .observe(&[view(1, 2, false, 0, &log), snapshotted])
        .unwrap();
    let result = observer.observe(&[view(1, 2, false, 4, &log), snapshotted]);
    let expected = QuorumViolation::SnapshotIdDiffers {
        node: 1,
        snapshot_id: at(1, 3),
        known_epoch: 2,
    };
    assert_eq!(result, Err(expected));
    // A snapshot that agrees with the entry before it is fine.
    let mut observer = self::observer();
    observer
        .observe(&[
            view(1, 2, false, 2, &log),
            snapshot_view(2, 2, at(1, 2), &log[2..]),
        ])
        .unwrap();
    let result = observer.observe(&[view(1, 2, false, 3, &log), view(3, 2, false, 3, &log)]);
    assert_eq!(result, Ok(()), "(1, 2) agrees with the entry at 1");
}

#[test]
fn observer_catches_a_snapshot_past_everything_committed() {
    let log = entries_with_epochs(&[1, 1, 2, 2]);
    let mut observer = observer();
    let healthy = [
        view(1, 2, true, 2, &log),
        view(2, 2, false, 2, &log),
        view(3, 2, false, 0, &log),
    ];
    observer.observe(&healthy).unwrap();
    // Node 2 snapshots at 4 (and claims a high watermark of 4 with it) although nothing past 2
    // was ever committed.
    let result = observer.observe(&[
        view(1, 2, true, 2, &log),
        snapshot_view(2, 4, at(2, 4), &[]),
        view(3, 2, false, 0, &log),
    ]);
    let expected = QuorumViolation::SnapshotPastCommitted {
        node: 2,
        snapshot_offset: 4,
        high_watermark_max: 2,
    };
    assert_eq!(result, Err(expected));
}

#[test]
fn observer_forgets_a_restarted_nodes_high_watermark_but_not_its_epoch() {
    let log = entries_with_epochs(&[1, 1]);
    let mut observer = observer();
    let healthy = [view(1, 2, false, 2, &log), view(2, 2, false, 2, &log)];
    observer.observe(&healthy).unwrap();
    observer.restarted(1);
    let restarted = [view(1, 2, false, 0, &log), view(2, 2, false, 2, &log)];
    assert_eq!(observer.observe(&restarted), Ok(()));
    let result = observer.observe(&[view(1, 1, false, 0, &log), view(2, 2, false, 2, &log)]);
    let expected = QuorumViolation::EpochWentBackwards {
        node: 1,
        from: 2,
        to: 1,
    };
    assert_eq!(result, Err(expected));
}

#[test]
fn node_validation_catches_broken_snapshot_states() {
    use crate::core::raft::snapshot::Snapshot;
    let follower = Setup::Follower { leader: 2 };
    let with_snapshot = || node_with_snapshot(1, 3, follower, 2, &[1, 1, 2], 2, image(5));

    let mut node = with_snapshot();
    node.snapshot = Some(Snapshot::new(at(1, 1), image(5)));
    let expected = NodeViolation::LogStartNotAtSnapshot {
        log_start: at(1, 2),
        snapshot_id: Some(at(1, 1)),
    };
    assert_eq!(node.validate(), Err(expected));

    let mut node = with_snapshot();
    node.snapshot = None;
    let expected = NodeViolation::LogStartNotAtSnapshot {
        log_start: at(1, 2),
        snapshot_id: None,
    };
    assert_eq!(
        node.validate(),
        Err(expected),
        "entries dropped without a snapshot"
    );

    let mut node = with_snapshot();
    node.high_watermark = 1;
    let expected = NodeViolation::SnapshotPastHighWatermark {
        snapshot_offset: 2,
        high_watermark: 1,
    };
    assert_eq!(node.validate(), Err(expected));

    for flushed in [1, 4] {
        let mut node = with_snapshot();
        node.flushed_end_offset = flushed;
        let expected = NodeViolation::FlushedOutsideLog {
            flushed_end_offset: flushed,
            log_start_offset: 2,
            log_end_offset: 3,
        };
        assert_eq!(node.validate(), Err(expected), "flushed {flushed}");
    }

    let mut node = node_in(1, 3, Setup::Leader, 2, &[1, 2]);
    node.handle(0, crate::core::raft::state::Event::Resign);
    assert_eq!(node.validate(), Ok(()));
    node.voted_for = None;
    let expected = NodeViolation::ResignedDidNotVoteForItself { voted_for: None };
    assert_eq!(node.validate(), Err(expected));
}
