//! Graceful resignation (EndQuorumEpoch) on single nodes: what a resigning leader sends and
//! becomes, and how each kind of receiver reacts, by its rank among the preferred successors.

use super::{node_in, sent, Setup};
use crate::core::raft::messages::{
    EndQuorumEpoch, FetchRequest, Message, VoteRequest, VoteResponse,
};
use crate::core::raft::state::{Command, Event, ProposeError, QuorumState, RoleKind};
use crate::core::raft::types::{Epoch, NodeId, Offset};

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

#[test]
fn a_resigning_leader_names_successors_by_progress_and_steps_down() {
    // Leader 1 of five in epoch 3, log [1, 3]: 4 then 3 fetched at 2, 2 is at 1, 5 never fetched.
    let mut node = node_in(1, 5, Setup::Leader, 3, &[1, 3]);
    node.handle(1, fetch(4, 2, 3));
    node.handle(2, fetch(3, 2, 3));
    node.handle(3, fetch(2, 1, 1));
    let commands = node.handle(4, Event::Resign);
    let persisted = QuorumState {
        leader_epoch: 3,
        voted_for: Some(1),
        leader: None,
    };
    assert_eq!(
        commands[0],
        Command::PersistQuorumState(persisted),
        "before anything is sent"
    );
    let end = Message::EndQuorumEpoch(EndQuorumEpoch {
        leader_epoch: 3,
        preferred_successors: vec![3, 4, 2, 5],
    });
    let expected: Vec<_> = [2, 3, 4, 5]
        .into_iter()
        .map(|to| (to, end.clone()))
        .collect();
    assert_eq!(sent(&commands), expected);
    assert_eq!((node.role(), node.leader_epoch()), (RoleKind::Resigned, 3));
    let commands = node.handle(5, Event::Propose { data: "x".into() });
    let rejected = ProposeError::NotLeader { leader: None };
    assert_eq!(commands, [Command::ProposalRejected(rejected)]);
    // Resigning again, or as a non-leader, does nothing.
    assert_eq!(node.handle(6, Event::Resign), []);
}

#[test]
fn a_resigned_leader_repeats_itself_and_never_leads_its_epoch_again() {
    let mut node = node_in(1, 3, Setup::Leader, 3, &[1, 3]);
    node.handle(0, Event::Resign);
    // test_config: request timeout 50 ms, election timeout 100 ms (deadline in [100, 200)).
    assert_eq!(sent(&node.handle(49, Event::Tick)), []);
    assert_eq!(
        sent(&node.handle(50, Event::Tick)).len(),
        2,
        "EndQuorumEpoch again"
    );
    // Votes granted in its own epoch (say, delayed answers) do not make it leader.
    for from in [2, 3] {
        let message = Message::VoteResponse(VoteResponse {
            leader_epoch: 3,
            vote_granted: true,
            pre_vote: false,
        });
        node.handle(60, Event::Received { from, message });
    }
    assert_eq!(node.role(), RoleKind::Resigned);
    // It voted for itself in epoch 3, so it votes for nobody else in it.
    let vote = |candidate_epoch, pre_vote| VoteRequest {
        candidate_epoch,
        last_offset_epoch: 3,
        last_offset: 2,
        pre_vote,
    };
    let commands = node.handle(
        61,
        Event::Received {
            from: 2,
            message: Message::VoteRequest(vote(3, false)),
        },
    );
    let refused = VoteResponse {
        leader_epoch: 3,
        vote_granted: false,
        pre_vote: false,
    };
    assert_eq!(sent(&commands), [(2, Message::VoteResponse(refused))]);
    // It has no live leader, so it grants a pre-vote to an up-to-date candidate.
    let commands = node.handle(
        62,
        Event::Received {
            from: 2,
            message: Message::VoteRequest(vote(4, true)),
        },
    );
    let granted = VoteResponse {
        leader_epoch: 3,
        vote_granted: true,
        pre_vote: true,
    };
    assert_eq!(sent(&commands), [(2, Message::VoteResponse(granted))]);
    // Left alone, it campaigns for a later epoch once its election deadline passes.
    node.handle(200, Event::Tick);
    assert_eq!(node.role(), RoleKind::PreCandidate);
}

#[derive(Debug)]
struct Case {
    name: &'static str,
    setup: Setup,
    epoch: Epoch,
    from: NodeId,
    message_epoch: Epoch,
    successors: &'static [NodeId],
    /// Role and epoch right after the message, then 49 ms later, then 50 ms later.
    after: (RoleKind, Epoch),
    at_49_ms: RoleKind,
    at_50_ms: RoleKind,
}

#[test]
fn end_quorum_epoch_rules() {
    use RoleKind::{Candidate, PreCandidate, Unattached};
    let follower_of_2 = Setup::Follower { leader: 2 };
    let followed = RoleKind::Follower { leader: 2 };
    let case = |name, setup, from, successors, after, at_49_ms, at_50_ms| Case {
        name,
        setup,
        epoch: 3,
        from,
        message_epoch: 3,
        successors,
        after,
        at_49_ms,
        at_50_ms,
    };
    let cases = [
        case(
            "first successor campaigns at once",
            follower_of_2,
            2,
            &[1, 3],
            (Candidate, 4),
            Candidate,
            Candidate,
        ),
        case(
            "second successor waits one step",
            follower_of_2,
            2,
            &[3, 1],
            (Unattached, 3),
            Unattached,
            PreCandidate,
        ),
        case(
            "unnamed waits after everyone named",
            follower_of_2,
            2,
            &[3],
            (Unattached, 3),
            Unattached,
            PreCandidate,
        ),
        case(
            "not our leader",
            Setup::Follower { leader: 3 },
            2,
            &[1],
            (RoleKind::Follower { leader: 3 }, 3),
            RoleKind::Follower { leader: 3 },
            RoleKind::Follower { leader: 3 },
        ),
        case(
            "unattached, named first",
            Setup::Unattached { voted_for: None },
            2,
            &[1, 3],
            (PreCandidate, 3),
            PreCandidate,
            PreCandidate,
        ),
        case(
            "already campaigning",
            Setup::Candidate,
            2,
            &[1, 3],
            (Candidate, 3),
            Candidate,
            Candidate,
        ),
        case(
            "from a non-voter",
            follower_of_2,
            9,
            &[1, 3],
            (followed, 3),
            followed,
            followed,
        ),
        Case {
            message_epoch: 2,
            ..case(
                "stale epoch",
                follower_of_2,
                2,
                &[1, 3],
                (followed, 3),
                followed,
                followed,
            )
        },
    ];
    for case in cases {
        let mut node = node_in(1, 3, case.setup, case.epoch, &[1, 3]);
        let message = Message::EndQuorumEpoch(EndQuorumEpoch {
            leader_epoch: case.message_epoch,
            preferred_successors: case.successors.to_vec(),
        });
        let commands = node.handle(
            10,
            Event::Received {
                from: case.from,
                message,
            },
        );
        assert_eq!(
            (node.role(), node.leader_epoch()),
            case.after,
            "{}",
            case.name
        );
        if case.after.0 == Candidate && case.after.1 == 4 {
            let votes = sent(&commands);
            assert!(
                votes.len() == 2
                    && votes
                        .iter()
                        .all(|(_, m)| matches!(m, Message::VoteRequest(r) if !r.pre_vote)),
                "{}: a real vote, no pre-vote: {votes:?}",
                case.name
            );
        }
        node.handle(59, Event::Tick);
        assert_eq!(node.role(), case.at_49_ms, "{} at +49 ms", case.name);
        node.handle(60, Event::Tick);
        assert_eq!(node.role(), case.at_50_ms, "{} at +50 ms", case.name);
    }
}

#[test]
fn a_follower_told_its_leader_resigned_grants_pre_votes() {
    let mut node = node_in(1, 3, Setup::Follower { leader: 2 }, 3, &[1, 3]);
    let pre_vote = Message::VoteRequest(VoteRequest {
        candidate_epoch: 4,
        last_offset_epoch: 3,
        last_offset: 2,
        pre_vote: true,
    });
    let answer = |granted| VoteResponse {
        leader_epoch: 3,
        vote_granted: granted,
        pre_vote: true,
    };
    let commands = node.handle(
        1,
        Event::Received {
            from: 3,
            message: pre_vote.clone(),
        },
    );
    assert_eq!(
        sent(&commands),
        [(3, Message::VoteResponse(answer(false)))],
        "leader is live"
    );
    let end = Message::EndQuorumEpoch(EndQuorumEpoch {
        leader_epoch: 3,
        preferred_successors: vec![3, 1],
    });
    node.handle(
        2,
        Event::Received {
            from: 2,
            message: end,
        },
    );
    let commands = node.handle(
        3,
        Event::Received {
            from: 3,
            message: pre_vote,
        },
    );
    assert_eq!(sent(&commands), [(3, Message::VoteResponse(answer(true)))]);
}
