//! Table-driven tests of the vote and pre-vote rules: one node in a given state, one request
//! in, the answer and the node's epoch and vote out.

use super::{node_in, sent, Setup};
use crate::core::raft::messages::{Message, VoteRequest, VoteResponse};
use crate::core::raft::state::{Command, Event, QuorumState, RoleKind};
use crate::core::raft::types::{Epoch, NodeId, Offset};

struct Case {
    name: &'static str,
    setup: Setup,
    epoch: Epoch,
    log_epochs: &'static [Epoch],
    /// Time of the request; the node last heard from its leader at 0.
    at_ms: i64,
    from: NodeId,
    request: VoteRequest,
    granted: bool,
    epoch_after: Epoch,
    voted_for_after: Option<NodeId>,
}

const fn vote(candidate_epoch: Epoch, last_epoch: Epoch, last_offset: Offset) -> VoteRequest {
    VoteRequest {
        candidate_epoch,
        last_offset_epoch: last_epoch,
        last_offset,
        pre_vote: false,
    }
}

const fn pre_vote(candidate_epoch: Epoch, last_epoch: Epoch, last_offset: Offset) -> VoteRequest {
    VoteRequest {
        pre_vote: true,
        ..vote(candidate_epoch, last_epoch, last_offset)
    }
}

const UNATTACHED: Setup = Setup::Unattached { voted_for: None };
/// Node 1's log in most cases: last epoch 2, end offset 3.
const LOG: &[Epoch] = &[1, 2, 2];

fn cases() -> Vec<Case> {
    let case = |name, setup, epoch, from, request, granted, epoch_after, voted_for_after| Case {
        name,
        setup,
        epoch,
        log_epochs: LOG,
        at_ms: 0,
        from,
        request,
        granted,
        epoch_after,
        voted_for_after,
    };
    let voted_3 = Setup::Unattached { voted_for: Some(3) };
    let voted_2 = Setup::Unattached { voted_for: Some(2) };
    let follower = Setup::Follower { leader: 3 };
    vec![
        case(
            "fresh vote, same log",
            UNATTACHED,
            2,
            2,
            vote(2, 2, 3),
            true,
            2,
            Some(2),
        ),
        case(
            "higher epoch adopted, vote cast",
            UNATTACHED,
            2,
            2,
            vote(4, 2, 3),
            true,
            4,
            Some(2),
        ),
        case(
            "already voted for another",
            voted_3,
            2,
            2,
            vote(2, 2, 9),
            false,
            2,
            Some(3),
        ),
        case(
            "repeat vote for the same",
            voted_2,
            2,
            2,
            vote(2, 2, 3),
            true,
            2,
            Some(2),
        ),
        case(
            "new epoch frees the vote",
            voted_3,
            2,
            2,
            vote(3, 2, 3),
            true,
            3,
            Some(2),
        ),
        case(
            "log behind by epoch",
            UNATTACHED,
            2,
            2,
            vote(3, 1, 9),
            false,
            3,
            None,
        ),
        case(
            "log behind by offset",
            UNATTACHED,
            2,
            2,
            vote(3, 2, 2),
            false,
            3,
            None,
        ),
        case(
            "log ahead by epoch",
            UNATTACHED,
            2,
            2,
            vote(3, 3, 1),
            true,
            3,
            Some(2),
        ),
        case(
            "stale candidate epoch",
            UNATTACHED,
            3,
            2,
            vote(2, 2, 3),
            false,
            3,
            None,
        ),
        case(
            "follower keeps its leader",
            follower,
            2,
            2,
            vote(2, 2, 3),
            false,
            2,
            None,
        ),
        case(
            "follower steps down on higher",
            follower,
            2,
            2,
            vote(3, 2, 3),
            true,
            3,
            Some(2),
        ),
        case(
            "candidate voted for itself",
            Setup::Candidate,
            2,
            2,
            vote(2, 2, 3),
            false,
            2,
            Some(1),
        ),
        case(
            "leader steps down on higher",
            Setup::Leader,
            2,
            2,
            vote(3, 2, 3),
            true,
            3,
            Some(2),
        ),
        case(
            "non-voter candidate",
            UNATTACHED,
            2,
            7,
            vote(2, 2, 3),
            false,
            2,
            None,
        ),
        case(
            "pre-vote keeps the epoch",
            UNATTACHED,
            2,
            2,
            pre_vote(3, 2, 3),
            true,
            2,
            None,
        ),
        case(
            "pre-vote, log behind",
            UNATTACHED,
            2,
            2,
            pre_vote(3, 1, 9),
            false,
            2,
            None,
        ),
        case(
            "pre-vote, leader is live",
            follower,
            2,
            2,
            pre_vote(3, 2, 3),
            false,
            2,
            None,
        ),
        case(
            "pre-vote to the leader",
            Setup::Leader,
            2,
            2,
            pre_vote(3, 2, 3),
            false,
            2,
            Some(1),
        ),
        case(
            "pre-vote, stale epoch",
            UNATTACHED,
            3,
            2,
            pre_vote(2, 2, 3),
            false,
            3,
            None,
        ),
        // The sender is in epoch 4 already (a pre-vote proposes its own epoch plus one): the
        // leader of epoch 2 steps down to it, as Kafka's handleVoteRequest does, and refuses
        // the pre-vote for the candidate's log behind.
        case(
            "pre-vote from a voter in a higher epoch",
            Setup::Leader,
            2,
            2,
            pre_vote(5, 1, 9),
            false,
            4,
            None,
        ),
        Case {
            at_ms: 300, // test_config's fetch timeout: the leader is no longer live
            ..case(
                "pre-vote, leader silent",
                follower,
                2,
                2,
                pre_vote(3, 2, 3),
                true,
                2,
                None,
            )
        },
    ]
}

#[test]
fn vote_rules() {
    for case in cases() {
        let mut node = node_in(1, 3, case.setup, case.epoch, case.log_epochs);
        let before = node.quorum_state();
        let message = Message::VoteRequest(case.request.clone());
        let event = Event::Received {
            from: case.from,
            message,
        };
        let commands = node.handle(case.at_ms, event);
        let expected = VoteResponse {
            leader_epoch: case.epoch_after,
            vote_granted: case.granted,
            pre_vote: case.request.pre_vote,
        };
        let replies = sent(&commands);
        assert_eq!(
            replies,
            [(case.from, Message::VoteResponse(expected))],
            "{}",
            case.name
        );
        assert_eq!(node.leader_epoch(), case.epoch_after, "{}", case.name);
        assert_eq!(node.voted_for(), case.voted_for_after, "{}", case.name);
        // What the vote depends on is persisted before the reply goes out.
        let persisted = commands
            .iter()
            .position(|c| matches!(c, Command::PersistQuorumState(_)));
        let reply = commands
            .iter()
            .position(|c| matches!(c, Command::Send { .. }));
        if let Some(persisted) = persisted {
            assert!(
                persisted < reply.unwrap(),
                "{}: persist before send",
                case.name
            );
        }
        let after = QuorumState {
            leader_epoch: case.epoch_after,
            voted_for: case.voted_for_after,
            leader: node.leader(),
        };
        let persisted_state = persisted.map(|i| commands[i].clone());
        let expected = (after != before).then_some(Command::PersistQuorumState(after));
        assert_eq!(persisted_state, expected, "{}", case.name);
        // A pre-vote changes nothing durable, unless its sender is in a higher epoch already
        // (which the receiver adopts, as from any message).
        if case.request.pre_vote && case.epoch_after == case.epoch {
            assert!(
                persisted.is_none(),
                "{}: a pre-vote changes nothing durable",
                case.name
            );
        }
    }
}

#[test]
fn higher_epoch_in_any_message_steps_down() {
    use crate::core::raft::messages::{BeginQuorumEpoch, FetchRequest};
    let begin = Message::BeginQuorumEpoch(BeginQuorumEpoch { leader_epoch: 5 });
    let fetch = Message::FetchRequest(FetchRequest {
        leader_epoch: 5,
        fetch_offset: 0,
        last_fetched_epoch: 0,
    });
    let response = Message::VoteResponse(VoteResponse {
        leader_epoch: 5,
        vote_granted: false,
        pre_vote: true,
    });
    let table = [
        (
            Setup::Leader,
            begin.clone(),
            RoleKind::Follower { leader: 2 },
        ),
        (Setup::Candidate, begin, RoleKind::Follower { leader: 2 }),
        (Setup::Leader, fetch.clone(), RoleKind::Unattached),
        (Setup::Follower { leader: 3 }, fetch, RoleKind::Unattached),
        (Setup::Candidate, response, RoleKind::Unattached),
    ];
    for (setup, message, role) in table {
        let mut node = node_in(1, 3, setup, 2, LOG);
        node.handle(0, Event::Received { from: 2, message });
        assert_eq!((node.leader_epoch(), node.role()), (5, role), "{setup:?}");
        assert_eq!(node.voted_for(), None, "{setup:?}");
    }
}

#[test]
fn election_timeouts_are_randomized_in_one_to_two_timeouts() {
    let mut deadlines = std::collections::BTreeSet::new();
    for node_id in 1..=15 {
        let node = super::test_node(node_id, 15);
        let timeout_ms = node.config.election_timeout_ms;
        assert!((timeout_ms..2 * timeout_ms).contains(&node.election_deadline_ms));
        deadlines.insert(node.election_deadline_ms);
    }
    // An observer does not campaign: it asks a voter who leads at once.
    assert_eq!(super::test_node(16, 15).election_deadline_ms, 0);
    assert!(
        deadlines.len() > 5,
        "seeded streams spread the deadlines: {deadlines:?}"
    );
}

#[test]
fn pre_candidate_becomes_candidate_then_leader_with_majorities() {
    let mut node = node_in(1, 3, UNATTACHED, 2, LOG);
    let commands = node.handle(1_000, Event::Tick);
    assert_eq!(node.role(), RoleKind::PreCandidate);
    assert_eq!(node.leader_epoch(), 2, "a pre-vote does not bump the epoch");
    let requests = sent(&commands);
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|(_, m)| *m == Message::VoteRequest(pre_vote(3, 2, 3))));
    let grant = |pre_vote| {
        let message = Message::VoteResponse(VoteResponse {
            leader_epoch: 3,
            vote_granted: true,
            pre_vote,
        });
        Event::Received { from: 2, message }
    };
    let granted_pre_vote = Event::Received {
        from: 3,
        message: Message::VoteResponse(VoteResponse {
            leader_epoch: 2,
            vote_granted: true,
            pre_vote: true,
        }),
    };
    let commands = node.handle(1_001, granted_pre_vote);
    assert_eq!((node.role(), node.leader_epoch()), (RoleKind::Candidate, 3));
    assert_eq!(node.voted_for(), Some(1));
    assert!(sent(&commands)
        .iter()
        .all(|(_, m)| *m == Message::VoteRequest(vote(3, 2, 3))));
    let commands = node.handle(1_002, grant(false));
    assert_eq!(node.role(), RoleKind::Leader);
    assert!(commands.contains(&Command::BecameLeader { leader_epoch: 3 }));
    assert_eq!(
        node.log().last().map(|e| e.epoch),
        Some(3),
        "LeaderChange opens the epoch"
    );
    assert_eq!(
        node.high_watermark(),
        0,
        "nothing committed before a follower fetches"
    );
}

#[test]
fn forged_epochs_are_ignored() {
    use crate::core::raft::config::EPOCH_MAX;
    for epoch in [-1, EPOCH_MAX + 1, Epoch::MAX] {
        let mut node = node_in(1, 3, UNATTACHED, 2, LOG);
        let message = Message::VoteRequest(vote(epoch, Epoch::MAX, Offset::MAX));
        let commands = node.handle(0, Event::Received { from: 2, message });
        assert!(commands.is_empty(), "epoch {epoch}");
        assert_eq!(node.leader_epoch(), 2, "epoch {epoch}");
    }
    // At the largest epoch a node still answers, but never campaigns past it.
    let mut node = node_in(1, 3, UNATTACHED, EPOCH_MAX, LOG);
    node.handle(10_000, Event::Tick);
    assert_eq!(
        (node.role(), node.leader_epoch()),
        (RoleKind::Unattached, EPOCH_MAX)
    );
}
