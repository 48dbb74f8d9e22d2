//! Restarting from persisted state: inconsistent pieces are refused with a typed error, and a
//! restored node keeps its vote, does not lead its old epoch again, and resumes its role.

use bytes::Bytes;

use super::{entries_with_epochs, sent, test_config};
use crate::core::raft::config::RaftConfigError;
use crate::core::raft::messages::{
    EndQuorumEpoch, FetchRequest, Message, VoteRequest, VoteResponse,
};
use crate::core::raft::restore::{RestoreError, Restored};
use crate::core::raft::state::{Command, Event, QuorumState, RaftNode, RoleKind};
use crate::core::raft::types::{Entry, Epoch, NodeId, Offset, OffsetAndEpoch};
use crate::runtime::RngStream;

fn restore(restored: Restored) -> Result<RaftNode, RestoreError> {
    RaftNode::restore(
        test_config(1, 3),
        RngStream::new(1, "raft"),
        1_000,
        restored,
    )
}

fn state(leader_epoch: Epoch, voted_for: Option<NodeId>, leader: Option<NodeId>) -> QuorumState {
    QuorumState {
        leader_epoch,
        voted_for,
        leader,
    }
}

fn at(epoch: Epoch, offset: Offset) -> OffsetAndEpoch {
    OffsetAndEpoch { epoch, offset }
}

/// Entries with `epochs` from offset `first`.
fn entries_from(first: Offset, epochs: &[Epoch]) -> Vec<Entry> {
    let mut entries = entries_with_epochs(epochs);
    for (entry, offset) in entries.iter_mut().zip(first..) {
        entry.offset = offset;
    }
    entries
}

#[test]
fn restore_refuses_inconsistent_pieces() {
    let snapshot = |epoch, offset| Some((at(epoch, offset), Bytes::from_static(b"image")));
    let good = Restored {
        quorum_state: state(4, Some(1), None),
        snapshot: snapshot(2, 3),
        entries: entries_from(3, &[2, 4]),
    };
    assert!(restore(good.clone()).is_ok());
    let cases: Vec<(&str, Restored, RestoreError)> = vec![
        (
            "entries not following the snapshot",
            Restored {
                entries: entries_from(4, &[2]),
                ..good.clone()
            },
            RestoreError::EntriesNotContiguous {
                expected_offset: 3,
                offset: 4,
            },
        ),
        (
            "a hole in the entries",
            Restored {
                entries: [entries_from(3, &[2]), entries_from(5, &[2])].concat(),
                ..good.clone()
            },
            RestoreError::EntriesNotContiguous {
                expected_offset: 4,
                offset: 5,
            },
        ),
        (
            "entries older than the snapshot",
            Restored {
                entries: entries_from(3, &[1]),
                ..good.clone()
            },
            RestoreError::EntryEpochWentBackwards {
                offset: 3,
                epoch: 1,
                previous_epoch: 2,
            },
        ),
        (
            "epochs going backwards",
            Restored {
                entries: entries_from(3, &[3, 2]),
                ..good.clone()
            },
            RestoreError::EntryEpochWentBackwards {
                offset: 4,
                epoch: 2,
                previous_epoch: 3,
            },
        ),
        (
            "an entry epoch above the persisted epoch",
            Restored {
                entries: entries_from(3, &[5]),
                ..good.clone()
            },
            RestoreError::EntryEpochAboveQuorumEpoch {
                offset: 3,
                epoch: 5,
                leader_epoch: 4,
            },
        ),
        (
            "an entry of no epoch",
            Restored {
                snapshot: None,
                entries: entries_from(0, &[0]),
                ..good.clone()
            },
            RestoreError::EntryEpochInvalid {
                offset: 0,
                epoch: 0,
            },
        ),
        (
            "a snapshot epoch above the persisted epoch",
            Restored {
                snapshot: snapshot(6, 3),
                ..good.clone()
            },
            RestoreError::SnapshotEpochAboveQuorumEpoch {
                snapshot_epoch: 6,
                leader_epoch: 4,
            },
        ),
        (
            "a snapshot of nothing",
            Restored {
                snapshot: snapshot(0, 0),
                entries: Vec::new(),
                ..good.clone()
            },
            RestoreError::SnapshotIdInvalid {
                snapshot_id: at(0, 0),
            },
        ),
        (
            "an epoch out of range",
            Restored {
                quorum_state: state(-1, None, None),
                ..good.clone()
            },
            RestoreError::EpochOutOfRange { leader_epoch: -1 },
        ),
        (
            "a vote for a non-voter",
            Restored {
                quorum_state: state(4, Some(9), None),
                ..good.clone()
            },
            RestoreError::VotedForNonVoter { voted_for: 9 },
        ),
        (
            "a leader that is not a voter",
            Restored {
                quorum_state: state(4, None, Some(9)),
                ..good.clone()
            },
            RestoreError::LeaderNotAVoter { leader: 9 },
        ),
        (
            "led without voting for itself",
            Restored {
                quorum_state: state(4, Some(2), Some(1)),
                ..good.clone()
            },
            RestoreError::LedWithoutOwnVote { voted_for: Some(2) },
        ),
    ];
    for (name, restored, expected) in cases {
        assert_eq!(restore(restored).err(), Some(expected), "{name}");
    }
    let mut config = test_config(1, 3);
    config.voters.clear();
    let result = RaftNode::restore(config, RngStream::new(1, "raft"), 0, good);
    assert_eq!(
        result.err(),
        Some(RestoreError::Config(RaftConfigError::NoVoters))
    );
}

#[test]
fn a_restored_node_has_its_log_snapshot_and_a_high_watermark_at_the_snapshot() {
    let node = restore(Restored {
        quorum_state: state(4, None, None),
        snapshot: Some((at(2, 3), Bytes::from_static(b"image"))),
        entries: entries_from(3, &[2, 4]),
    })
    .expect("consistent");
    assert_eq!((node.log_start_offset(), node.log_end_offset()), (3, 5));
    assert_eq!((node.high_watermark(), node.flushed_end_offset()), (3, 5));
    assert_eq!(node.snapshot().map(|s| s.id), Some(at(2, 3)));
    assert_eq!(
        (node.role(), node.leader_epoch()),
        (RoleKind::Unattached, 4)
    );
    // Without a snapshot, nothing is known committed.
    let node = restore(Restored {
        quorum_state: state(4, None, None),
        snapshot: None,
        entries: entries_from(0, &[1, 4]),
    })
    .expect("consistent");
    assert_eq!((node.high_watermark(), node.log_end_offset()), (0, 2));
}

fn vote_request(candidate_epoch: Epoch) -> VoteRequest {
    VoteRequest {
        candidate_epoch,
        last_offset_epoch: 4,
        last_offset: 9,
        pre_vote: false,
    }
}

#[test]
fn a_restored_node_never_votes_twice_in_its_epoch() {
    // (persisted vote, candidate, candidate epoch, granted)
    let table: [(Option<NodeId>, NodeId, Epoch, bool); 5] = [
        (Some(2), 3, 5, false),
        (Some(2), 2, 5, true),
        (Some(1), 2, 5, false),
        (None, 3, 5, true),
        (Some(2), 3, 6, true),
    ];
    for (voted_for, candidate, epoch, granted) in table {
        let mut node = restore(Restored {
            quorum_state: state(5, voted_for, None),
            entries: entries_from(0, &[4]),
            ..Restored::default()
        })
        .expect("consistent");
        let message = Message::VoteRequest(vote_request(epoch));
        let commands = node.handle(
            1_000,
            Event::Received {
                from: candidate,
                message,
            },
        );
        let expected = VoteResponse {
            leader_epoch: epoch,
            vote_granted: granted,
            pre_vote: false,
        };
        let case = (voted_for, candidate, epoch);
        assert_eq!(
            sent(&commands),
            [(candidate, Message::VoteResponse(expected))],
            "{case:?}"
        );
    }
}

#[test]
fn a_restarted_leader_is_resigned_and_asks_for_a_successor() {
    let mut node = restore(Restored {
        quorum_state: state(5, Some(1), Some(1)),
        entries: entries_from(0, &[4, 5]),
        ..Restored::default()
    })
    .expect("consistent");
    assert_eq!(
        (node.role(), node.leader_epoch(), node.voted_for()),
        (RoleKind::Resigned, 5, Some(1))
    );
    let commands = node.handle(1_000, Event::Tick);
    assert_eq!(
        commands[0],
        Command::PersistQuorumState(state(5, Some(1), None))
    );
    let end = Message::EndQuorumEpoch(EndQuorumEpoch {
        leader_epoch: 5,
        preferred_successors: vec![2, 3],
    });
    assert_eq!(sent(&commands), [(2, end.clone()), (3, end)]);
    // Granted votes of its old epoch never make it leader again.
    for from in [2, 3] {
        let message = Message::VoteResponse(VoteResponse {
            leader_epoch: 5,
            vote_granted: true,
            pre_vote: false,
        });
        node.handle(1_001, Event::Received { from, message });
    }
    assert_ne!(node.role(), RoleKind::Leader);
    // Its only way back is an election in a later epoch.
    node.handle(3_000, Event::Tick);
    assert_eq!(node.role(), RoleKind::PreCandidate);
    for from in [2, 3] {
        let pre = Message::VoteResponse(VoteResponse {
            leader_epoch: 5,
            vote_granted: true,
            pre_vote: true,
        });
        node.handle(3_001, Event::Received { from, message: pre });
    }
    assert_eq!((node.role(), node.leader_epoch()), (RoleKind::Candidate, 6));
}

#[test]
fn a_restored_follower_fetches_from_its_leader() {
    let mut node = restore(Restored {
        quorum_state: state(5, Some(2), Some(2)),
        snapshot: Some((at(4, 2), Bytes::from_static(b"image"))),
        entries: entries_from(2, &[5]),
    })
    .expect("consistent");
    assert_eq!(node.role(), RoleKind::Follower { leader: 2 });
    let commands = node.handle(1_000, Event::Tick);
    let fetch = FetchRequest {
        leader_epoch: 5,
        fetch_offset: 3,
        last_fetched_epoch: 5,
    };
    assert_eq!(sent(&commands), [(2, Message::FetchRequest(fetch))]);
    assert!(!commands
        .iter()
        .any(|c| matches!(c, Command::PersistQuorumState(_))));
}
