//! DescribeQuorum's view: only a leader gives one, with each voter's last known log end offset
//! and fetch time.

use super::{node_in, Setup};
use crate::core::raft::describe::{QuorumDescription, ReplicaDescription};
use crate::core::raft::messages::{FetchRequest, Message};
use crate::core::raft::state::Event;

#[test]
fn the_leader_describes_each_voter() {
    let mut node = node_in(1, 3, Setup::Leader, 3, &[1, 1, 3]);
    let request = FetchRequest {
        leader_epoch: 3,
        fetch_offset: 3,
        last_fetched_epoch: 3,
    };
    let message = Message::FetchRequest(request);
    node.handle(40, Event::Received { from: 3, message });
    // A broker-only node (id 7) fetches too: described as an observer, never a voter.
    let observed = FetchRequest {
        leader_epoch: 3,
        fetch_offset: 2,
        last_fetched_epoch: 1,
    };
    let message = Message::FetchRequest(observed);
    node.handle(50, Event::Received { from: 7, message });
    node.handle(55, Event::Tick);
    let replica = |replica_id, log_end_offset, last_fetch_timestamp_ms| ReplicaDescription {
        replica_id,
        log_end_offset,
        last_fetch_timestamp_ms,
    };
    let expected = QuorumDescription {
        leader_id: 1,
        leader_epoch: 3,
        high_watermark: 3,
        current_voters: vec![
            replica(1, Some(3), Some(55)),
            replica(2, None, None),
            replica(3, Some(3), Some(40)),
        ],
        observers: vec![replica(7, Some(2), Some(50))],
    };
    assert_eq!(node.describe_quorum(), Some(expected));
    let follower = node_in(2, 3, Setup::Follower { leader: 1 }, 3, &[1, 1, 3]);
    assert_eq!(
        follower.describe_quorum(),
        None,
        "only the leader knows the voters' progress"
    );
}
