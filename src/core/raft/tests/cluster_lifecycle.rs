//! Whole quorums through snapshots, restarts, flushes and handovers: a lagging follower
//! catching up through a chunked snapshot (also when chunks are corrupted on the wire), nodes
//! restarted from their disks, a restarted leader never leading its old epoch again, an
//! unflushed leader tail staying uncommitted, a resignation electing a successor within an
//! election timeout, and seeded runs mixing all of it under the quorum observer.

use std::cell::Cell;
use std::rc::Rc;

use super::harness::Cluster;
use super::{test_config, SNAPSHOT_CHUNK_BYTES_TEST};
use crate::core::raft::messages::{FetchSnapshotResult, Message};
use crate::core::raft::state::{Event, RoleKind};
use crate::core::raft::types::{Epoch, NodeId};
use crate::runtime::RngStream;

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

fn others(ids: &[NodeId], but: NodeId) -> Vec<NodeId> {
    ids.iter().copied().filter(|&id| id != but).collect()
}

fn propose_many(cluster: &mut Cluster, leader: NodeId, prefix: &str, count: usize) {
    for i in 0..count {
        let accepted = cluster.propose(leader, &format!("{prefix}-{i}"));
        assert!(accepted.is_some(), "{leader} leads");
    }
}

/// Whether `node` still has `record` committed, in its log or in its snapshot image.
fn holds(cluster: &Cluster, node: NodeId, record: &str) -> bool {
    let node = &cluster.nodes[&node];
    let in_log = (node.log().iter())
        .filter(|entry| entry.offset < node.high_watermark())
        .any(|entry| entry.data == record.as_bytes());
    let image = node
        .snapshot()
        .map_or(&[][..], |snapshot| &snapshot.data[..]);
    in_log || image.windows(record.len()).any(|w| w == record.as_bytes())
}

/// Partitions `lagging` off briefly (well inside the fetch timeout, so it keeps following),
/// commits `count` records without it and snapshots the leader past them.
fn lag_behind_a_snapshot(cluster: &mut Cluster, leader: NodeId, lagging: NodeId, count: usize) {
    let ids = cluster.all_ids();
    cluster.partition(&[&[lagging]]);
    propose_many(cluster, leader, "lagged", count);
    let rest = others(&ids, lagging);
    assert!(cluster.run_until(100, |c| c.caught_up(leader, &rest)));
    let snapshot_id = cluster
        .take_snapshot(leader)
        .expect("a committed snapshot is accepted");
    assert!(cluster.nodes[&lagging].log_end_offset() < snapshot_id.offset);
    cluster.heal();
}

#[test]
fn a_lagging_follower_catches_up_through_a_chunked_snapshot() {
    let mut cluster = Cluster::new(3, 41);
    let ids = cluster.all_ids();
    let leader = elect(&mut cluster, &ids);
    let lagging = others(&ids, leader)[0];
    lag_behind_a_snapshot(&mut cluster, leader, lagging, 30);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    let snapshot = cluster.nodes[&leader].snapshot().expect("taken").clone();
    assert!(
        snapshot.data.len() > 3 * SNAPSHOT_CHUNK_BYTES_TEST as usize,
        "several chunks"
    );
    assert_eq!(
        cluster.installs,
        [(lagging, snapshot.id, snapshot.data.clone())]
    );
    let follower = &cluster.nodes[&lagging];
    assert_eq!(follower.log_start_offset(), snapshot.id.offset);
    assert_eq!(follower.snapshot().map(|s| &s.data), Some(&snapshot.data));
    // Replication goes on from the snapshot's end.
    propose_many(&mut cluster, leader, "after", 5);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    assert!(holds(&cluster, lagging, "lagged-29") && holds(&cluster, lagging, "after-4"));
    cluster.check_end_of_run();
}

#[test]
fn snapshot_chunks_corrupted_on_the_wire_are_never_installed() {
    let mut cluster = Cluster::new(3, 43);
    let ids = cluster.all_ids();
    let leader = elect(&mut cluster, &ids);
    let lagging = others(&ids, leader)[0];
    // Flip a bit in the first three chunks that reach the follower.
    let corrupted = Rc::new(Cell::new(0));
    let counter = Rc::clone(&corrupted);
    cluster.tamper = Some(Box::new(move |_, _, message| {
        if let Message::FetchSnapshotResponse(response) = message {
            if let FetchSnapshotResult::Chunk { bytes, .. } = &mut response.result {
                if counter.get() < 3 && !bytes.is_empty() {
                    let mut flipped = bytes.to_vec();
                    flipped[0] ^= 0x01;
                    *bytes = flipped.into();
                    counter.set(counter.get() + 1);
                }
            }
        }
    }));
    lag_behind_a_snapshot(&mut cluster, leader, lagging, 30);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    assert_eq!(corrupted.get(), 3);
    let snapshot = cluster.nodes[&leader].snapshot().expect("taken").clone();
    assert_eq!(
        cluster.installs,
        [(lagging, snapshot.id, snapshot.data)],
        "only the intact one"
    );
    cluster.check_end_of_run();
}

#[test]
fn restarted_followers_and_leaders_recover_from_their_disks() {
    let mut cluster = Cluster::new(3, 47);
    let ids = cluster.all_ids();
    let leader = elect(&mut cluster, &ids);
    propose_many(&mut cluster, leader, "early", 10);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    for &id in &ids {
        assert!(cluster.take_snapshot(id).is_some(), "node {id} snapshots");
    }
    propose_many(&mut cluster, leader, "late", 5);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    // A follower restarts: snapshot and log back from disk, following the same leader.
    let follower = others(&ids, leader)[0];
    cluster.restart(follower);
    let restarted = &cluster.nodes[&follower];
    assert_eq!(restarted.role(), RoleKind::Follower { leader });
    assert_eq!(
        restarted.high_watermark(),
        restarted.log_start_offset(),
        "hw is not persisted"
    );
    assert!(restarted.log_start_offset() > 0 && restarted.log_end_offset() > 0);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    // The leader restarts: it comes back resigned, and a successor takes over.
    let old_epoch = cluster.nodes[&leader].leader_epoch();
    cluster.restart(leader);
    assert_eq!(cluster.nodes[&leader].role(), RoleKind::Resigned);
    let new = elect(&mut cluster, &ids);
    assert!(cluster.nodes[&new].leader_epoch() > old_epoch);
    propose_many(&mut cluster, new, "newest", 3);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(new, &ids)));
    for &id in &ids {
        for record in ["early-0", "early-9", "late-4", "newest-2"] {
            assert!(holds(&cluster, id, record), "node {id} lost {record}");
        }
    }
    cluster.check_end_of_run();
}

#[test]
fn a_restarted_leader_never_leads_its_old_epoch_again() {
    // A lone voter: the restarted leader is the only one who can lead, and must do so in a
    // new epoch.
    let mut cluster = Cluster::new(1, 53);
    let leader = elect(&mut cluster, &[1]);
    let epoch = cluster.nodes[&leader].leader_epoch();
    cluster.propose(1, "before");
    cluster.restart(1);
    assert_eq!(cluster.nodes[&1].role(), RoleKind::Resigned);
    elect(&mut cluster, &[1]);
    assert!(cluster.nodes[&1].leader_epoch() > epoch);
    assert!(
        holds(&cluster, 1, "before"),
        "the flushed entry survived and committed"
    );
    // Three voters, the leader restarted while cut off: the others move on, it never leads
    // its old epoch, and it rejoins.
    let mut cluster = Cluster::new(3, 59);
    let ids = cluster.all_ids();
    let old = elect(&mut cluster, &ids);
    let old_epoch = cluster.nodes[&old].leader_epoch();
    cluster.partition(&[&[old]]);
    cluster.restart(old);
    let new = elect(&mut cluster, &others(&ids, old));
    cluster.run_for(1_000);
    assert_ne!(cluster.nodes[&old].role(), RoleKind::Leader);
    cluster.heal();
    assert_eq!(elect(&mut cluster, &ids), new);
    let led_old_epoch = (cluster.elections.iter())
        .filter(|&&(epoch, _)| epoch == old_epoch)
        .count();
    assert_eq!(led_old_epoch, 1, "{:?}", cluster.elections);
    cluster.check_end_of_run();
}

#[test]
fn an_unflushed_leader_tail_is_not_committed() {
    let mut cluster = Cluster::new(3, 61);
    let ids = cluster.all_ids();
    let leader = elect(&mut cluster, &ids);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    let [follower, cut_off] = others(&ids, leader)[..] else {
        panic!("two followers");
    };
    // Without the cut-off follower, the leader's own copy is needed for a majority.
    cluster.partition(&[&[cut_off]]);
    cluster.lazy_flush.insert(leader);
    let committed = cluster.nodes[&leader].high_watermark();
    propose_many(&mut cluster, leader, "tail", 3);
    cluster.run_for(100);
    let end = cluster.nodes[&leader].log_end_offset();
    assert_eq!(
        cluster.nodes[&follower].log_end_offset(),
        end,
        "the follower holds the tail"
    );
    for id in [leader, follower] {
        assert_eq!(
            cluster.nodes[&id].high_watermark(),
            committed,
            "node {id} committed it"
        );
    }
    cluster.flush(leader);
    assert_eq!(cluster.nodes[&leader].high_watermark(), end);
    cluster.lazy_flush.clear();
    cluster.heal();
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    cluster.check_end_of_run();
}

#[test]
fn a_resignation_elects_a_successor_well_within_an_election_timeout() {
    for (voters, seed) in [(3, 67), (5, 71)] {
        let mut cluster = Cluster::new(voters, seed);
        let ids = cluster.all_ids();
        let old = elect(&mut cluster, &ids);
        let old_epoch = cluster.nodes[&old].leader_epoch();
        propose_many(&mut cluster, old, "before", 5);
        assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(old, &ids)));
        let resigned_at_ms = cluster.now_ms;
        cluster.deliver(old, Event::Resign);
        let handed_over = cluster.run_until(SETTLE_MS_MAX, |c| {
            c.agreed_leader(&ids).is_some_and(|leader| leader != old)
        });
        assert!(handed_over, "{voters} voters");
        let took_ms = cluster.now_ms - resigned_at_ms;
        let election_timeout_ms = test_config(1, voters).election_timeout_ms;
        assert!(
            took_ms < election_timeout_ms / 2,
            "{voters} voters: took {took_ms} ms"
        );
        let new = cluster.agreed_leader(&ids).expect("agreed");
        assert_eq!(
            cluster.nodes[&new].leader_epoch(),
            old_epoch + 1,
            "one election"
        );
        propose_many(&mut cluster, new, "after", 5);
        assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(new, &ids)));
        assert!(holds(&cluster, old, "before-4") && holds(&cluster, old, "after-4"));
        cluster.check_end_of_run();
    }
}

/// A seeded run of leader isolations, proposals, snapshots, restarts and resignations; returns
/// its elections and how many snapshots were installed.
fn seeded_lifecycle_run(seed: u64) -> (Vec<(Epoch, NodeId)>, usize) {
    let mut cluster = Cluster::new(if seed % 2 == 0 { 3 } else { 5 }, seed);
    let ids = cluster.all_ids();
    let mut choices = RngStream::new(seed, "raft.test.choices");
    let mut pick = |from: &[NodeId]| from[choices.below(from.len() as u64) as usize];
    for round in 0..6 {
        let leader = elect(&mut cluster, &ids);
        propose_many(&mut cluster, leader, &format!("r{round}"), 4);
        cluster.run_for(20);
        cluster.take_snapshot(pick(&ids));
        match round % 3 {
            0 => cluster.restart(pick(&ids)),
            1 => {
                cluster.deliver(leader, Event::Resign);
            }
            _ => {
                // The leader is cut off and restarted while the others move on past a
                // snapshot: it will need that snapshot to rejoin.
                cluster.partition(&[&[leader]]);
                cluster.propose(leader, "maybe");
                let rest = others(&ids, leader);
                let new = elect(&mut cluster, &rest);
                propose_many(&mut cluster, new, &format!("r{round}-without"), 3);
                assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(new, &rest)));
                cluster.take_snapshot(new);
                cluster.restart(leader);
                cluster.heal();
            }
        }
        cluster.run_for(50);
    }
    let leader = elect(&mut cluster, &ids);
    propose_many(&mut cluster, leader, "last", 1);
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    for &id in &ids {
        for record in ["r0-0", "r2-without-2", "r5-without-0", "last-0"] {
            assert!(
                holds(&cluster, id, record),
                "seed {seed}: node {id} lost {record}"
            );
        }
    }
    cluster.check_end_of_run();
    (cluster.elections.clone(), cluster.installs.len())
}

#[test]
fn seeded_runs_with_snapshots_restarts_and_resignations_stay_safe() {
    assert_eq!(
        seeded_lifecycle_run(3),
        seeded_lifecycle_run(3),
        "replays from its seed"
    );
    let mut installs = 0;
    for seed in 0..12 {
        let (elections, installed) = seeded_lifecycle_run(seed);
        installs += installed;
        let epochs: std::collections::BTreeSet<Epoch> = elections.iter().map(|e| e.0).collect();
        assert_eq!(
            epochs.len(),
            elections.len(),
            "seed {seed}: one leader per epoch"
        );
    }
    assert!(
        installs >= 12,
        "the runs exercise snapshot transfer: {installs} installs"
    );
}

#[test]
fn a_follower_cut_off_past_its_fetch_timeout_rejoins_the_same_leader() {
    let mut cluster = Cluster::new(3, 73);
    let ids = cluster.all_ids();
    let leader = elect(&mut cluster, &ids);
    let epoch = cluster.nodes[&leader].leader_epoch();
    let lost = others(&ids, leader)[0];
    cluster.partition(&[&[lost]]);
    cluster.run_for(1_000);
    assert_ne!(
        cluster.nodes[&lost].role(),
        RoleKind::Follower { leader },
        "it gave up"
    );
    propose_many(&mut cluster, leader, "meanwhile", 3);
    cluster.heal();
    // Its pre-votes are refused while the leader is live; the leader's re-announcement is what
    // brings it back.
    assert!(cluster.run_until(SETTLE_MS_MAX, |c| c.caught_up(leader, &ids)));
    assert_eq!(cluster.agreed_leader(&ids), Some(leader));
    assert_eq!(
        cluster.nodes[&leader].leader_epoch(),
        epoch,
        "no election was needed"
    );
    cluster.check_end_of_run();
}
