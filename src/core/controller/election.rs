//! Partition leader election as one pure decision, the way Kafka's `PartitionChangeBuilder`
//! makes it: from the replica list, the ISR, which brokers are alive, and the kind of election.
//!
//! - Clean: keep a leader that is alive and in the ISR (moving it would only cost clients a
//!   round trip); otherwise the first replica, in replica order, that is alive and in the ISR.
//!   If there is none and unclean election is allowed (topic config, else broker default),
//!   the first live replica at all, recorded as unclean: it may lack acknowledged records.
//!   Otherwise the partition goes offline (leader -1) until an ISR member returns.
//! - Preferred: the first replica, if it is alive and in the ISR; nothing else qualifies.
//! - Unclean (ElectLeaders UNCLEAN): a clean choice if there is one, else any live replica,
//!   whatever the config says; the operator asked for it.
//!
//! Replica order decides ties so that every controller, replaying the same image, decides the
//! same thing.

/// Which election is being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionType {
    /// Leader failover; `unclean_allowed` is the effective `unclean.leader.election.enable`.
    Clean {
        unclean_allowed: bool,
    },
    Preferred,
    Unclean,
}

/// What the election decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionResult {
    /// `leader` leads; `unclean` when it was chosen from outside the ISR.
    Elected { leader: i32, unclean: bool },
    /// Nobody qualifies: the partition has no leader.
    Offline,
}

impl ElectionResult {
    pub fn leader(self) -> i32 {
        match self {
            ElectionResult::Elected { leader, .. } => leader,
            ElectionResult::Offline => super::image::NO_LEADER,
        }
    }
}

/// Elects a leader for a partition with `replicas` (in preference order), `isr` and current
/// `leader`, where `is_alive` says which brokers may lead.
pub fn elect_leader(
    replicas: &[i32],
    isr: &[i32],
    leader: i32,
    is_alive: impl Fn(i32) -> bool,
    election: ElectionType,
) -> ElectionResult {
    let eligible = |r: i32| isr.contains(&r) && is_alive(r);
    let clean = || {
        if replicas.contains(&leader) && eligible(leader) {
            return Some(leader);
        }
        replicas.iter().copied().find(|&r| eligible(r))
    };
    let any_live = || replicas.iter().copied().find(|&r| is_alive(r));
    let elected = |leader| ElectionResult::Elected {
        leader,
        unclean: false,
    };
    let unclean = |leader| ElectionResult::Elected {
        leader,
        unclean: true,
    };
    match election {
        ElectionType::Clean { unclean_allowed } => match clean() {
            Some(r) => elected(r),
            None if unclean_allowed => any_live().map_or(ElectionResult::Offline, unclean),
            None => ElectionResult::Offline,
        },
        ElectionType::Preferred => match replicas.first() {
            Some(&r) if eligible(r) => elected(r),
            _ => ElectionResult::Offline,
        },
        ElectionType::Unclean => match clean() {
            Some(r) => elected(r),
            None => any_live().map_or(ElectionResult::Offline, unclean),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: ElectionResult = ElectionResult::Offline;

    fn clean(leader: i32) -> ElectionResult {
        ElectionResult::Elected {
            leader,
            unclean: false,
        }
    }

    fn unclean(leader: i32) -> ElectionResult {
        ElectionResult::Elected {
            leader,
            unclean: true,
        }
    }

    const CLEAN: ElectionType = ElectionType::Clean {
        unclean_allowed: false,
    };
    const CLEAN_OR_UNCLEAN: ElectionType = ElectionType::Clean {
        unclean_allowed: true,
    };

    /// (replicas, isr, current leader, alive, election, expected)
    type Row = (
        &'static [i32],
        &'static [i32],
        i32,
        &'static [i32],
        ElectionType,
        ElectionResult,
    );

    #[test]
    fn election_table() {
        #[rustfmt::skip]
        let table: &[Row] = &[
            // Clean: a live ISR leader stays.
            (&[1, 2, 3], &[1, 2, 3], 2, &[1, 2, 3], CLEAN, clean(2)),
            // Clean: a dead leader is replaced by the first live ISR member in replica order.
            (&[1, 2, 3], &[3, 2], 1, &[2, 3], CLEAN, clean(2)),
            (&[3, 1, 2], &[1, 2, 3], 3, &[1, 2], CLEAN, clean(1)),
            // Clean: a live leader that left the ISR is replaced.
            (&[1, 2], &[2], 1, &[1, 2], CLEAN, clean(2)),
            // Clean: no live ISR member, unclean not allowed: offline.
            (&[1, 2, 3], &[1], 1, &[2, 3], CLEAN, OFF),
            // Clean: no live ISR member, unclean allowed: first live replica, marked unclean.
            (&[1, 2, 3], &[1], 1, &[3, 2], CLEAN_OR_UNCLEAN, unclean(2)),
            // Clean with unclean allowed still prefers the ISR.
            (&[1, 2, 3], &[3], 1, &[2, 3], CLEAN_OR_UNCLEAN, clean(3)),
            // Nothing alive at all: offline even with unclean allowed.
            (&[1, 2], &[1, 2], 1, &[], CLEAN_OR_UNCLEAN, OFF),
            // An offline partition comes back when an ISR member returns.
            (&[1], &[1], -1, &[1], CLEAN, clean(1)),
            // A live broker that is not a replica never leads.
            (&[1], &[1], -1, &[2], CLEAN_OR_UNCLEAN, OFF),
            // Preferred: the first replica if alive and in the ISR.
            (&[1, 2, 3], &[1, 2, 3], 2, &[1, 2, 3], ElectionType::Preferred, clean(1)),
            (&[1, 2, 3], &[2, 3], 2, &[1, 2, 3], ElectionType::Preferred, OFF),
            (&[1, 2, 3], &[1, 2, 3], 2, &[2, 3], ElectionType::Preferred, OFF),
            // Unclean (admin): clean if possible, else any live replica regardless of config.
            (&[1, 2, 3], &[1, 2], 1, &[2, 3], ElectionType::Unclean, clean(2)),
            (&[1, 2, 3], &[1], -1, &[3], ElectionType::Unclean, unclean(3)),
            (&[1, 2, 3], &[1], -1, &[], ElectionType::Unclean, OFF),
            // Empty replica list (a broken image): offline, never a panic.
            (&[], &[], -1, &[1], CLEAN_OR_UNCLEAN, OFF),
        ];
        for (i, &(replicas, isr, leader, alive, election, expected)) in table.iter().enumerate() {
            let got = elect_leader(replicas, isr, leader, |b| alive.contains(&b), election);
            assert_eq!(
                got, expected,
                "row {i}: {replicas:?} isr {isr:?} leader {leader} alive {alive:?} {election:?}"
            );
        }
    }

    #[test]
    fn offline_has_no_leader() {
        assert_eq!(OFF.leader(), -1);
        assert_eq!(clean(4).leader(), 4);
    }
}
