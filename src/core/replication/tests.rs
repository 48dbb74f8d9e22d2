//! Events in, commands out: the high watermark, ISR shrink and expand, and the checker fed bad
//! states. Leader 1 of replicas [1, 2, 3] unless a test says otherwise; times in ms.

use std::collections::{BTreeMap, BTreeSet};

use super::invariants::{check, LeaderView};
use super::*;

const LAG_MS: i64 = 30_000;

fn set(ids: &[ReplicaId]) -> BTreeSet<ReplicaId> {
    ids.iter().copied().collect()
}

fn config(min_insync_replicas: usize) -> LeaderConfig {
    LeaderConfig {
        replica_lag_time_max_ms: LAG_MS,
        min_insync_replicas,
    }
}

/// Leader 1 of [1, 2, 3] with `isr` at `partition_epoch`, its log at `end`, its high
/// watermark at `hw`, from time 0.
fn leading(
    isr: &[ReplicaId],
    partition_epoch: i32,
    end: i64,
    hw: i64,
    min: usize,
) -> PartitionLeader {
    let start = Leadership {
        leader: 1,
        replicas: vec![1, 2, 3],
        isr: set(isr),
        partition_epoch,
        log_end_offset: end,
        high_watermark: hw,
    };
    let mut p = PartitionLeader::new(start, config(min), 0);
    // As the runtime does: the leader vouches for its log as it finds it.
    p.handle(append(end), 0);
    p
}

/// Leader 1 of [1, 2, 3], its log and high watermark at `end`, all three in sync.
fn leader(end: i64, min_insync_replicas: usize) -> PartitionLeader {
    leading(&[1, 2, 3], 5, end, end, min_insync_replicas)
}

/// [`leader`] with every replica fetched up to 10 at `now_ms` (the high watermark at 10).
fn in_sync_at_10(min_insync_replicas: usize, now_ms: i64) -> PartitionLeader {
    let mut p = leader(0, min_insync_replicas);
    p.handle(append(10), now_ms);
    p.handle(fetch(2, 10), now_ms);
    assert_eq!(p.handle(fetch(3, 10), now_ms), hw(10));
    p
}

fn append(end: i64) -> Event {
    Event::LeaderAppended {
        log_end_offset: end,
        vouched_end: end,
    }
}

fn fetch(replica: ReplicaId, offset: i64) -> Event {
    Event::FollowerFetched {
        replica,
        broker_epoch: 100 + i64::from(replica),
        fetch_offset: offset,
    }
}

fn hw(offset: i64) -> Vec<Command> {
    vec![Command::HighWatermark { offset }]
}

/// An AlterPartition proposing `isr`, each follower in it having fetched as broker epoch
/// 100 + its id (as `fetch` does).
fn alter(isr: &[ReplicaId], partition_epoch: i32) -> Vec<Command> {
    let followers = isr.iter().filter(|&&id| id != 1);
    vec![Command::AlterPartition {
        isr: set(isr),
        broker_epochs: followers.map(|&id| (id, 100 + i64::from(id))).collect(),
        partition_epoch,
    }]
}

fn committed(isr: &[ReplicaId], partition_epoch: i32) -> Event {
    Event::IsrCommitted {
        isr: set(isr),
        partition_epoch,
    }
}

#[test]
fn the_high_watermark_is_the_lowest_end_of_the_isr() {
    let mut p = leader(0, 2);
    assert_eq!(
        p.handle(append(10), 1),
        vec![],
        "no follower has fetched yet"
    );
    assert_eq!(
        p.handle(fetch(2, 10), 2),
        vec![],
        "replica 3 is still unknown"
    );
    assert_eq!(p.handle(fetch(3, 4), 3), hw(4));
    assert_eq!(p.handle(fetch(3, 10), 4), hw(10));
    assert_eq!(p.handle(append(12), 5), vec![]);
    assert_eq!(p.high_watermark(), 10);
}

#[test]
fn the_high_watermark_never_moves_back() {
    let mut p = in_sync_at_10(2, 3);
    // Replica 3 restarted and truncated below it: the high watermark stays.
    assert_eq!(p.handle(fetch(3, 6), 4), vec![]);
    assert_eq!(p.high_watermark(), 10);
    assert_eq!(p.follower_end(3), Some(6));
}

#[test]
fn the_high_watermark_waits_while_the_isr_is_under_min_insync_replicas() {
    let mut p = leading(&[1], 5, 0, 0, 2);
    p.handle(append(10), 1);
    // Replica 2 catches up: proposed for the ISR, but the high watermark waits for the commit.
    assert_eq!(p.handle(fetch(2, 10), 2), alter(&[1, 2], 5));
    assert_eq!(p.high_watermark(), 0);
    assert_eq!(p.handle(committed(&[1, 2], 6), 3), hw(10));
}

#[test]
fn a_lagging_follower_is_proposed_out_and_the_high_watermark_waits_for_the_commit() {
    let mut p = in_sync_at_10(2, 1_000);
    p.handle(append(20), 2_000);
    p.handle(fetch(2, 20), 2_000);
    // Replica 3 stops fetching at 10; replica 2 keeps up.
    assert_eq!(
        p.handle(Event::Tick, 1_000 + LAG_MS),
        vec![],
        "not lagging for long yet"
    );
    p.handle(fetch(2, 20), 40_000);
    assert_eq!(p.handle(Event::Tick, 40_000), alter(&[1, 2], 5));
    // Until the controller commits, replica 3 is still in the ISR: the high watermark waits.
    assert_eq!(p.handle(fetch(2, 20), 40_001), vec![]);
    assert_eq!(p.high_watermark(), 10);
    assert_eq!(
        p.handle(Event::Tick, 50_000),
        vec![],
        "one change at a time"
    );
    assert_eq!(p.handle(committed(&[1, 2], 6), 50_001), hw(20));
    assert_eq!(p.isr(), &set(&[1, 2]));
    assert_eq!(p.partition_epoch(), 6);
}

#[test]
fn a_follower_level_with_the_leader_is_never_lagging() {
    let mut p = in_sync_at_10(2, 0);
    // Nothing appended for a long time: no fetch is needed to stay in sync.
    assert_eq!(p.handle(Event::Tick, 10 * LAG_MS), vec![]);
}

#[test]
fn catching_up_to_the_end_seen_at_the_last_fetch_counts_from_that_fetch() {
    let mut p = leader(0, 1);
    p.handle(append(10), 0);
    p.handle(fetch(2, 10), 0);
    p.handle(fetch(3, 5), 0);
    // Replica 3 is always one append behind, but reaches what the leader had at its last
    // fetch each time: it stays in sync as of that last fetch.
    for step in 1..=5 {
        let now = step * 20_000;
        p.handle(append(10 * (step + 1)), now);
        p.handle(fetch(2, 10 * (step + 1)), now);
        p.handle(fetch(3, 10 * step), now);
        assert_eq!(p.handle(Event::Tick, now), vec![], "step {step}");
    }
}

#[test]
fn a_follower_joins_once_past_the_high_watermark_and_the_epoch_start() {
    // A new leader whose epoch starts at 20, its high watermark at 10.
    let mut p = leading(&[1, 2], 7, 20, 10, 1);
    assert_eq!(p.handle(fetch(2, 10), 0), vec![]);
    assert_eq!(
        p.handle(fetch(3, 15), 1),
        vec![],
        "past the high watermark, not the epoch start"
    );
    assert_eq!(p.handle(fetch(3, 20), 2), alter(&[1, 2, 3], 7));
    assert_eq!(p.pending_isr(), Some(&set(&[1, 2, 3])));
    // The pending member already counts for the high watermark.
    assert_eq!(p.maximal_isr(), set(&[1, 2, 3]));
    assert_eq!(p.handle(fetch(2, 20), 3), hw(20));
    p.handle(append(30), 4);
    p.handle(fetch(2, 30), 5);
    assert_eq!(
        p.high_watermark(),
        20,
        "waits for the replica about to join"
    );
}

#[test]
fn an_ineligible_follower_is_never_proposed() {
    let mut p = leading(&[1, 2], 7, 0, 0, 1);
    p.handle(
        Event::Ineligible {
            replicas: set(&[3]),
        },
        0,
    );
    p.handle(append(10), 1);
    assert_eq!(p.handle(fetch(3, 10), 2), vec![]);
    // Nor does the high watermark wait for it.
    assert_eq!(p.handle(fetch(2, 10), 3), hw(10));
    p.handle(Event::Ineligible { replicas: set(&[]) }, 4);
    assert_eq!(p.handle(fetch(3, 10), 5), alter(&[1, 2, 3], 7));
}

#[test]
fn a_refused_or_stale_answer_leaves_the_isr_and_the_leader_proposes_again() {
    let mut p = in_sync_at_10(1, 0);
    p.handle(append(20), 1);
    p.handle(fetch(2, 20), 40_000);
    assert_eq!(p.handle(Event::Tick, 40_000), alter(&[1, 2], 5));
    assert_eq!(
        p.handle(committed(&[1, 2], 4), 40_001),
        vec![],
        "an older epoch is stale"
    );
    p.handle(committed(&[1, 2, 3], 5), 40_001);
    assert_eq!(
        p.pending_isr(),
        Some(&set(&[1, 2])),
        "a replay of the current epoch"
    );
    assert_eq!(
        p.handle(committed(&[2, 3], 9), 40_002),
        vec![],
        "without the leader"
    );
    assert_eq!(p.isr(), &set(&[1, 2, 3]));
    // An answer to another proposal (an earlier one, retried and overtaken) leaves ours.
    let other = Event::AlterPartitionFailed {
        isr: set(&[1, 3]),
        partition_epoch: 5,
    };
    p.handle(other, 40_003);
    assert_eq!(p.pending_isr(), Some(&set(&[1, 2])));
    let stale = Event::AlterPartitionFailed {
        isr: set(&[1, 2]),
        partition_epoch: 4,
    };
    p.handle(stale, 40_003);
    assert_eq!(p.pending_isr(), Some(&set(&[1, 2])));
    let ours = Event::AlterPartitionFailed {
        isr: set(&[1, 2]),
        partition_epoch: 5,
    };
    assert_eq!(p.handle(ours, 40_003), vec![]);
    assert_eq!(p.pending_isr(), None);
    assert_eq!(p.handle(Event::Tick, 40_004), alter(&[1, 2], 5));
}

#[test]
fn fetches_from_strangers_or_past_the_log_end_change_nothing() {
    let mut p = leader(0, 2);
    p.handle(append(10), 0);
    assert_eq!(p.handle(fetch(4, 10), 1), vec![]);
    assert_eq!(p.follower_end(4), None);
    assert_eq!(p.handle(fetch(2, 11), 1), vec![]);
    assert_eq!(p.handle(fetch(2, -5), 1), vec![]);
    assert_eq!(p.follower_end(2), Some(-1));
}

/// A sound view of leader 1 with followers 2 and 3 at 10, its high watermark moving 5 → 10.
fn check_with(edit: impl FnOnce(&mut SoundView)) -> Result<(), LeaderViolation> {
    let mut view = SoundView {
        isr: set(&[1, 2, 3]),
        maximal: set(&[1, 2, 3]),
        pending: None,
        ends: BTreeMap::from([(2, 10), (3, 10)]),
        min_insync: 2,
        log_end: 12,
        before: 5,
        hw: 10,
    };
    edit(&mut view);
    check(&LeaderView {
        leader: 1,
        isr: &view.isr,
        maximal_isr: &view.maximal,
        pending: view.pending.as_ref(),
        follower_ends: &view.ends,
        min_insync_replicas: view.min_insync,
        log_end_offset: view.log_end,
        high_watermark_before: view.before,
        high_watermark: view.hw,
    })
}

struct SoundView {
    isr: BTreeSet<ReplicaId>,
    maximal: BTreeSet<ReplicaId>,
    pending: Option<BTreeSet<ReplicaId>>,
    ends: BTreeMap<ReplicaId, i64>,
    min_insync: usize,
    log_end: i64,
    before: i64,
    hw: i64,
}

#[test]
fn the_checker_catches_every_broken_rule() {
    assert_eq!(check_with(|_| {}), Ok(()));
    assert!(matches!(
        check_with(|v| v.hw = 13),
        Err(LeaderViolation::HighWatermarkPastLogEnd { .. })
    ));
    assert!(matches!(
        check_with(|v| v.before = 11),
        Err(LeaderViolation::HighWatermarkMovedBack { from: 11, to: 10 })
    ));
    assert_eq!(
        check_with(|v| {
            v.ends.insert(3, 9);
        }),
        Err(LeaderViolation::HighWatermarkPastInSyncReplica {
            replica: 3,
            log_end_offset: 9,
            high_watermark: 10
        })
    );
    assert!(matches!(
        check_with(|v| {
            v.isr = set(&[1]);
            v.maximal = set(&[1]);
        }),
        Err(LeaderViolation::HighWatermarkMovedUnderMinIsr { isr_size: 1, .. })
    ));
    assert_eq!(
        check_with(|v| {
            v.isr.remove(&1);
            v.maximal.remove(&1);
        }),
        Err(LeaderViolation::LeaderNotInIsr { leader: 1 })
    );
    assert_eq!(
        check_with(|v| {
            v.maximal.insert(7);
        }),
        Err(LeaderViolation::IsrMemberNotAReplica { replica: 7 })
    );
    assert_eq!(
        check_with(|v| v.pending = Some(set(&[1, 2, 4]))),
        Err(LeaderViolation::PendingChangeMixesDirections)
    );
    // A lagging replica outside the maximal ISR does not hold the high watermark.
    assert_eq!(
        check_with(|v| {
            v.isr = set(&[1, 2]);
            v.maximal = set(&[1, 2]);
            v.ends.insert(3, 0);
        }),
        Ok(())
    );
}

#[test]
fn the_leader_answers_with_a_diverging_epoch_only_when_the_logs_disagree() {
    use super::divergence::diverging_epoch;
    // The leader's epoch 3 ends at 50.
    assert_eq!(diverging_epoch(40, 3, (3, 50)), None, "inside epoch 3");
    assert_eq!(diverging_epoch(50, 3, (3, 50)), None, "at its end");
    assert_eq!(
        diverging_epoch(60, 3, (3, 50)),
        Some((3, 50)),
        "past its end"
    );
    // The follower's epoch 4 never existed on the leader, whose largest below it is 3.
    assert_eq!(diverging_epoch(45, 4, (3, 50)), Some((3, 50)));
    // Epoch 2 is below the leader's first (its log starts later, at 30): the cache answers
    // with the asked epoch ending where its first known one starts.
    assert_eq!(diverging_epoch(45, 2, (2, 30)), Some((2, 30)));
}

#[test]
fn a_follower_truncates_to_where_both_logs_last_agree() {
    use super::divergence::truncation_offset;
    // Same epoch on both sides: the smaller end.
    assert_eq!(truncation_offset((3, 50), Some((3, 60)), 70), 50);
    assert_eq!(truncation_offset((3, 50), Some((3, 45)), 70), 45);
    // The follower's largest epoch at or below 3 is 2, ending at 40: truncate there and ask
    // again from epoch 2.
    assert_eq!(truncation_offset((3, 50), Some((2, 40)), 70), 40);
    // Never past the follower's own end, nor anything it cannot vouch for.
    assert_eq!(truncation_offset((3, 50), Some((3, 60)), 48), 48);
    assert_eq!(truncation_offset((3, 50), None, 70), 50);
}

/// Records the flush policy wants durable count for the leader only once they are: the high
/// watermark waits at what the leader vouches for even when every follower has more, and
/// followers may fetch past it (up to the log end) meanwhile.
#[test]
fn the_high_watermark_waits_for_what_the_leader_vouches_for() {
    let mut p = leader(0, 2);
    let unflushed = Event::LeaderAppended {
        log_end_offset: 10,
        vouched_end: 4,
    };
    assert_eq!(p.handle(unflushed, 1), vec![]);
    p.handle(fetch(2, 10), 1);
    assert_eq!(p.handle(fetch(3, 10), 1), hw(4));
    assert_eq!(
        p.follower_end(2),
        Some(10),
        "a fetch past the vouched end is recorded"
    );
    let flushed = Event::LeaderAppended {
        log_end_offset: 10,
        vouched_end: 10,
    };
    assert_eq!(p.handle(flushed, 2), hw(10));
    // An older report never takes the vouched end back.
    let stale = Event::LeaderAppended {
        log_end_offset: 10,
        vouched_end: -1,
    };
    assert_eq!(p.handle(stale, 3), vec![]);
    assert_eq!(p.high_watermark(), 10);
}

/// A lower `min.insync.replicas` lets the high watermark move with the ISR it has; a higher
/// one stops it.
#[test]
fn a_new_min_insync_replicas_takes_effect_at_once() {
    let mut p = leading(&[1], 5, 0, 0, 2);
    assert_eq!(p.handle(append(10), 0), vec![]);
    let lower = Event::Reconfigured { config: config(1) };
    assert_eq!(p.handle(lower, 1), hw(10));
    let higher = Event::Reconfigured { config: config(2) };
    p.handle(higher, 2);
    assert_eq!(p.handle(append(20), 3), vec![]);
    assert_eq!(p.high_watermark(), 10);
}
