//! Whole quorums on the in-memory network: elections, replication, leader loss, minority
//! partitions and replay from a seed. Every event is checked by the quorum observer (see
//! `harness.rs`), so these tests also exercise the invariants under real message orderings.

use super::harness::Cluster;
use crate::core::raft::state::RoleKind;
use crate::core::raft::types::{Entry, EntryKind, NodeId};

/// Generous bound for a quorum to settle: several election timeouts of `test_config`.
const SETTLE_MS_MAX: i64 = 5_000;

fn elect(cluster: &mut Cluster, ids: &[NodeId]) -> NodeId {
    let agreed = cluster.run_until(SETTLE_MS_MAX, |c| c.agreed_leader(ids).is_some());
    assert!(
        agreed,
        "no leader agreed by {ids:?} at {} ms",
        cluster.now_ms
    );
    cluster.agreed_leader(ids).expect("agreed")
}

fn data_of(log: &[Entry]) -> Vec<&[u8]> {
    (log.iter())
        .filter(|entry| entry.kind == EntryKind::Data)
        .map(|entry| &entry.data[..])
        .collect()
}

#[test]
fn quorums_elect_exactly_one_leader() {
    for voters in [1, 3, 5] {
        let mut cluster = Cluster::new(voters, 7);
        let ids = cluster.all_ids();
        let leader = elect(&mut cluster, &ids);
        assert_eq!(cluster.leaders().len(), 1, "{voters} voters");
        assert_eq!(cluster.nodes[&leader].role(), RoleKind::Leader);
        assert!(cluster.nodes[&leader].leader_epoch() >= 1);
    }
}

#[test]
fn proposals_replicate_and_commit_everywhere() {
    for voters in [3, 5] {
        let mut cluster = Cluster::new(voters, 11);
        let ids = cluster.all_ids();
        let leader = elect(&mut cluster, &ids);
        for i in 0..20 {
            assert!(cluster.propose(leader, &format!("record-{i}")).is_some());
        }
        let follower = ids
            .iter()
            .copied()
            .find(|&id| id != leader)
            .expect("a follower");
        assert_eq!(
            cluster.propose(follower, "not here"),
            None,
            "only the leader accepts"
        );
        assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
        let expected: Vec<String> = (0..20).map(|i| format!("record-{i}")).collect();
        for id in &ids {
            let data = data_of(cluster.nodes[id].log());
            assert_eq!(
                data,
                expected.iter().map(|s| s.as_bytes()).collect::<Vec<_>>()
            );
        }
        cluster.check_end_of_run();
    }
}

#[test]
fn losing_the_leader_elects_a_new_one_in_a_higher_epoch() {
    for voters in [3, 5] {
        let mut cluster = Cluster::new(voters, 23);
        let ids = cluster.all_ids();
        let old = elect(&mut cluster, &ids);
        let old_epoch = cluster.nodes[&old].leader_epoch();
        for i in 0..5 {
            cluster.propose(old, &format!("before-{i}"));
        }
        assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(old, &ids)));
        // "Kill" the leader: nothing reaches it or leaves it. It may still append, unheard.
        cluster.partition(&[&[old]]);
        cluster.propose(old, "lost");
        let rest: Vec<NodeId> = ids.iter().copied().filter(|&id| id != old).collect();
        let new = elect(&mut cluster, &rest);
        assert_ne!(new, old);
        assert!(cluster.nodes[&new].leader_epoch() > old_epoch);
        for i in 0..5 {
            assert!(cluster.propose(new, &format!("after-{i}")).is_some());
        }
        assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(new, &rest)));
        // The old leader comes back, follows, and drops its uncommitted entry.
        cluster.heal();
        let back = cluster.run_until(SETTLE_MS_MAX, |c| {
            c.agreed_leader(&ids) == Some(new) && c.caught_up(new, &ids)
        });
        assert!(back, "old leader {old} did not rejoin");
        let data = data_of(cluster.nodes[&old].log());
        assert!(
            !data.contains(&&b"lost"[..]),
            "uncommitted entry of a deposed leader survived"
        );
        assert_eq!(data.len(), 10);
        cluster.check_end_of_run();
    }
}

#[test]
fn a_minority_partition_makes_no_progress() {
    let mut cluster = Cluster::new(5, 31);
    let ids = cluster.all_ids();
    let old = elect(&mut cluster, &ids);
    let buddy = ids
        .iter()
        .copied()
        .find(|&id| id != old)
        .expect("a follower");
    let majority: Vec<NodeId> = ids
        .iter()
        .copied()
        .filter(|&id| id != old && id != buddy)
        .collect();
    cluster.partition(&[&[old, buddy]]);
    let committed_before = cluster.nodes[&old].high_watermark();
    let accepted = cluster.propose(old, "minority");
    assert!(accepted.is_some(), "the old leader still thinks it leads");
    cluster.run_for(2_000);
    for id in [old, buddy] {
        assert_eq!(
            cluster.nodes[&id].high_watermark(),
            committed_before,
            "minority committed"
        );
        assert_ne!(
            cluster.nodes[&id].role(),
            RoleKind::Leader,
            "check-quorum: it resigned"
        );
    }
    // The majority side elects and commits on its own.
    let new = elect(&mut cluster, &majority);
    assert!(cluster.propose(new, "majority").is_some());
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(new, &majority)));
    cluster.heal();
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(new, &ids)));
    for id in &ids {
        let data = data_of(cluster.nodes[id].log());
        assert_eq!(data, [&b"majority"[..]], "node {id}");
    }
    cluster.check_end_of_run();
}

/// Runs a seeded scenario with leader isolations and proposals; returns its trace.
fn seeded_run(seed: u64) -> (Vec<(i32, NodeId)>, Vec<Entry>) {
    let mut cluster = Cluster::new(3, seed);
    let ids = cluster.all_ids();
    for round in 0..4 {
        let leader = elect(&mut cluster, &ids);
        for i in 0..3 {
            cluster.propose(leader, &format!("r{round}-{i}"));
        }
        cluster.run_for(30 + 7 * round);
        cluster.partition(&[&[leader]]);
        cluster.propose(leader, "maybe");
        cluster.run_for(600);
        cluster.heal();
    }
    let leader = elect(&mut cluster, &ids);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    cluster.check_end_of_run();
    (
        cluster.elections.clone(),
        cluster.nodes[&leader].log().to_vec(),
    )
}

#[test]
fn runs_replay_from_their_seed_and_stay_safe_across_seeds() {
    assert_eq!(
        seeded_run(5),
        seeded_run(5),
        "same seed, same elections and log"
    );
    for seed in 0..20 {
        let (elections, _) = seeded_run(seed);
        assert!(elections.len() >= 5, "seed {seed}: {elections:?}");
    }
}

#[test]
fn observers_follow_the_log_find_each_new_leader_and_never_vote_or_count() {
    let mut cluster = Cluster::with_observers(3, 2, 11);
    let voters = [1, 2, 3];
    let leader = elect(&mut cluster, &voters);
    cluster.propose(leader, "a");
    let everyone = cluster.all_ids();
    assert_eq!(everyone, vec![1, 2, 3, 4, 5]);
    let caught_up = cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &everyone));
    assert!(caught_up, "observers replicate the committed log");
    for observer in [4, 5] {
        assert_eq!(
            cluster.nodes[&observer].role(),
            RoleKind::Follower { leader }
        );
    }
    // The leader goes away: the voters elect another, and the observers find it themselves
    // (nobody tells them), then follow its log.
    cluster.partition(&[&[leader]]);
    let others: Vec<NodeId> = everyone
        .iter()
        .copied()
        .filter(|&id| id != leader)
        .collect();
    let voters_left: Vec<NodeId> = voters.iter().copied().filter(|&id| id != leader).collect();
    let next = elect(&mut cluster, &voters_left);
    cluster.propose(next, "b");
    let found = cluster.run_until(SETTLE_MS_MAX, |c| c.agreed_leader(&others) == Some(next));
    assert!(found, "observers follow the new leader");
    let caught_up = cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(next, &others));
    assert!(caught_up);
    // Observers never campaign, and a quorum of observers cannot commit: with two voters
    // gone, nothing commits although both observers hold the entry.
    assert!(cluster.elections.iter().all(|&(_, id)| id <= 3));
    let survivor = voters_left.iter().copied().find(|&id| id != next).unwrap();
    cluster.partition(&[&[leader], &[survivor]]);
    let before = cluster.nodes[&next].high_watermark();
    cluster.propose(next, "c");
    cluster.run_for(200);
    assert_eq!(cluster.nodes[&next].high_watermark(), before);
    cluster.heal();
    cluster.check_end_of_run();
}
