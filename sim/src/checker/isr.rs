//! `isr-invariants`: every in-sync replica holds what its leader calls committed, watched while
//! the run goes on.
//!
//! Invariant, at every sample: for each partition a running broker leads, each other member of
//! the ISR its leader acts on that is running has a log that reaches the leader's high
//! watermark. The high watermark is the lowest log end of the ISR, and a follower joins the
//! ISR only once it has reached it, so an ISR member behind it means the leader counted
//! records a member lacks: a failover to that member would lose acknowledged writes. The
//! followers' logs are read from their own disks, not from what the leader believes.
//! Where a crash may lose a follower's unsynced tail (a scenario that allows lost writes), a
//! member whose running process is a later incarnation than the one the leader's metadata
//! lists is not held to it: its disk lost what that incarnation had, and its registration,
//! once the old session lets it in, takes it out of the ISR (Kafka's KIP-966 handling of an
//! unclean shutdown). With fsync on, a restarted member is held to the invariant too.
//! Source: Kafka's replication protocol (`Partition.maybeIncrementLeaderHW` over the ISR,
//! `isFollowerInSync` before an ISR expansion; KIP-966).
//!
//! Reported once per partition, member and leader epoch, with the simulated time.

use std::collections::{BTreeMap, BTreeSet};

use super::Anomaly;

pub const NAME: &str = "isr-invariants";

/// What one running leader shows of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderSample {
    pub leader: i32,
    pub partition: i32,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub isr: BTreeSet<i32>,
    /// The broker epoch of each registered broker as the leader's metadata lists it.
    pub registered: BTreeMap<i32, i64>,
}

/// What one running broker holds of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberLog {
    pub log_end: i64,
    /// The broker epoch the running process registered with (-1 before it has).
    pub broker_epoch: i64,
}

/// Watches one run.
#[derive(Default)]
pub struct IsrWatch {
    unsynced_tails: bool,
    /// (partition, member, leader epoch) already reported.
    reported: BTreeSet<(i32, i32, i32)>,
    anomalies: Vec<Anomaly>,
}

impl IsrWatch {
    /// `unsynced_tails`: crashes may lose unsynced tails (see the module's doc).
    pub fn new(unsynced_tails: bool) -> Self {
        Self {
            unsynced_tails,
            ..Self::default()
        }
    }

    /// One sample: the leaders' views, and every running broker's log end per partition.
    pub fn observe(
        &mut self,
        at_ms: u64,
        leaders: &[LeaderSample],
        logs: &BTreeMap<(i32, i32), MemberLog>,
    ) {
        for sample in leaders {
            for &member in &sample.isr {
                if member == sample.leader {
                    continue;
                }
                let Some(log) = logs.get(&(member, sample.partition)) else {
                    continue;
                };
                let known = sample.registered.get(&member) == Some(&log.broker_epoch);
                if self.unsynced_tails && !known {
                    continue;
                }
                let end = log.log_end;
                let key = (sample.partition, member, sample.leader_epoch);
                if end < sample.high_watermark && self.reported.insert(key) {
                    self.anomalies.push(Anomaly {
                        checker: NAME,
                        detail: format!(
                            "at {at_ms} ms partition {} led by node {} in epoch {} has its \
                             high watermark at {}, but ISR member node {member} holds only up \
                             to {end}",
                            sample.partition,
                            sample.leader,
                            sample.leader_epoch,
                            sample.high_watermark
                        ),
                    });
                }
            }
        }
    }

    pub fn anomalies(&self) -> Vec<Anomaly> {
        self.anomalies.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leader(high_watermark: i64, isr: &[i32]) -> LeaderSample {
        LeaderSample {
            leader: 1,
            partition: 0,
            leader_epoch: 3,
            high_watermark,
            isr: isr.iter().copied().collect(),
            registered: BTreeMap::from([(1, 10), (2, 20), (3, 30)]),
        }
    }

    /// Node `n`'s log ending at `end`, run by the incarnation registered at epoch `10 * n`.
    fn logs(list: &[(i32, i64)]) -> BTreeMap<(i32, i32), MemberLog> {
        (list.iter())
            .map(|&(n, end)| {
                let broker_epoch = i64::from(n) * 10;
                (
                    (n, 0),
                    MemberLog {
                        log_end: end,
                        broker_epoch,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_member_behind_the_high_watermark_is_caught_once() {
        let mut watch = IsrWatch::default();
        let ends = logs(&[(1, 10), (2, 10), (3, 7)]);
        // Node 3 is behind but not in the ISR: fine.
        watch.observe(5, &[leader(10, &[1, 2])], &ends);
        assert!(watch.anomalies().is_empty());
        watch.observe(6, &[leader(10, &[1, 2, 3])], &ends);
        watch.observe(7, &[leader(10, &[1, 2, 3])], &ends);
        let anomalies = watch.anomalies();
        assert_eq!(anomalies.len(), 1);
        assert!(anomalies[0].detail.contains("node 3 holds only up to 7"));
        // A member that is down (no log end seen) says nothing.
        let mut watch = IsrWatch::default();
        let ends = logs(&[(1, 10)]);
        watch.observe(5, &[leader(10, &[1, 3])], &ends);
        assert!(watch.anomalies().is_empty());
    }

    #[test]
    fn a_restarted_member_is_excused_only_where_crashes_lose_unsynced_tails() {
        let mut behind = logs(&[(1, 10), (2, 4)]);
        behind.get_mut(&(2, 0)).unwrap().broker_epoch = -1; // not registered again yet
        let mut strict = IsrWatch::default();
        strict.observe(5, &[leader(10, &[1, 2])], &behind);
        assert_eq!(
            strict.anomalies().len(),
            1,
            "with fsync, a restart loses nothing"
        );
        let mut unsynced = IsrWatch::new(true);
        unsynced.observe(5, &[leader(10, &[1, 2])], &behind);
        assert!(unsynced.anomalies().is_empty());
        // The incarnation the ISR was formed with is held to it even then.
        unsynced.observe(6, &[leader(10, &[1, 2])], &logs(&[(1, 10), (2, 4)]));
        assert_eq!(unsynced.anomalies().len(), 1);
    }
}
