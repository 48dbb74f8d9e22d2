//! Partition leader election as one pure decision, the way Kafka's `PartitionChangeBuilder`
//! makes it: from the replica list, the ISR, the eligible leader replicas (KIP-966), which
//! brokers are alive, and the kind of election.
//!
//! - Clean: keep a leader that is alive and in the ISR (moving it would only cost clients a
//!   round trip); otherwise the first replica, in replica order, that is alive and in the ISR,
//!   or, when the ISR is empty, in the ELR: an ELR member left an ISR that was already below
//!   `min.insync.replicas`, while the high watermark stood still, so it holds every
//!   acknowledged record. With neither, the last known leader if it is alive and the only one
//!   known (an unclean choice: it may have lost unflushed records in a crash, but it is the
//!   likeliest to hold the most). Then, if unclean election is allowed (topic config, else
//!   broker default), the first live replica at all, recorded as unclean. Otherwise the
//!   partition goes offline (leader -1) until an eligible replica returns.
//! - Preferred: the first replica, if it could win a clean election; nothing else qualifies.
//! - Unclean (ElectLeaders UNCLEAN): a clean choice if there is one, else the last known
//!   leader, else any live replica, whatever the config says; the operator asked for it.
//!
//! Replica order decides ties so that every controller, replaying the same image, decides the
//! same thing. Whoever wins from outside the ISR becomes its only member (the caller's job).

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
    /// `leader` leads; `unclean` when it was chosen from outside the ISR and the ELR.
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

/// Who may lead one partition, as the change being decided leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates<'a> {
    /// In preference order.
    pub replicas: &'a [i32],
    pub isr: &'a [i32],
    pub elr: &'a [i32],
    pub last_known_elr: &'a [i32],
    /// The current leader (-1 if none).
    pub leader: i32,
}

/// Elects a leader among `candidates`, where `is_alive` says which brokers may lead.
pub fn elect_leader(
    candidates: Candidates<'_>,
    is_alive: impl Fn(i32) -> bool,
    election: ElectionType,
) -> ElectionResult {
    let Candidates {
        replicas,
        isr,
        elr,
        last_known_elr,
        leader,
    } = candidates;
    let eligible =
        |r: i32| (isr.contains(&r) || (isr.is_empty() && elr.contains(&r))) && is_alive(r);
    let clean = || {
        if replicas.contains(&leader) && eligible(leader) {
            return Some(leader);
        }
        replicas.iter().copied().find(|&r| eligible(r))
    };
    let last_known = || match last_known_elr {
        [r] if isr.is_empty() && elr.is_empty() && replicas.contains(r) && is_alive(*r) => Some(*r),
        _ => None,
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
            None => match last_known() {
                Some(r) => unclean(r),
                None if unclean_allowed => any_live().map_or(ElectionResult::Offline, unclean),
                None => ElectionResult::Offline,
            },
        },
        ElectionType::Preferred => match replicas.first() {
            Some(&r) if eligible(r) => elected(r),
            _ => ElectionResult::Offline,
        },
        ElectionType::Unclean => match clean() {
            Some(r) => elected(r),
            None => match last_known().or_else(any_live) {
                Some(r) => unclean(r),
                None => ElectionResult::Offline,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::controller::NO_LEADER;

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

    /// (replicas, isr, elr, last known leader, alive, election, expected)
    type ElrRow = (
        &'static [i32],
        &'static [i32],
        &'static [i32],
        &'static [i32],
        &'static [i32],
        ElectionType,
        ElectionResult,
    );

    fn elect(
        replicas: &[i32],
        isr: &[i32],
        leader: i32,
        alive: &[i32],
        election: ElectionType,
    ) -> ElectionResult {
        let candidates = Candidates {
            replicas,
            isr,
            elr: &[],
            last_known_elr: &[],
            leader,
        };
        elect_leader(candidates, |b| alive.contains(&b), election)
    }

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
            let got = elect(replicas, isr, leader, alive, election);
            assert_eq!(
                got, expected,
                "row {i}: {replicas:?} isr {isr:?} leader {leader} alive {alive:?} {election:?}"
            );
        }
    }

    /// KIP-966: the ELR counts only once the ISR is empty; the last known leader only once the
    /// ELR is empty too, and then as an unclean choice, even with unclean election off.
    #[test]
    fn eligible_leader_replicas_table() {
        #[rustfmt::skip]
        let table: &[ElrRow] = &[
            // An empty ISR: the first live ELR member in replica order, cleanly.
            (&[1, 2, 3], &[], &[3, 2], &[1], &[2, 3], CLEAN, clean(2)),
            // ELR members that are not alive do not count; nor does the last known leader
            // while the ELR still names someone who may return.
            (&[1, 2, 3], &[], &[2, 3], &[1], &[1], CLEAN, OFF),
            // While the ISR has a member, the ELR is not consulted.
            (&[1, 2, 3], &[1], &[2], &[], &[2], CLEAN, OFF),
            (&[1, 2, 3], &[1], &[2], &[], &[2], CLEAN_OR_UNCLEAN, unclean(2)),
            // No ISR, no ELR: the last known leader, uncleanly, whatever the config says.
            (&[1, 2, 3], &[], &[], &[3], &[2, 3], CLEAN, unclean(3)),
            (&[1, 2, 3], &[], &[], &[3], &[2], CLEAN, OFF),
            (&[1, 2, 3], &[], &[], &[3], &[2], CLEAN_OR_UNCLEAN, unclean(2)),
            // A last known leader that is no longer a replica never leads.
            (&[1, 2], &[], &[], &[3], &[3], CLEAN, OFF),
            // Preferred: the first replica if it could win cleanly, ELR included.
            (&[1, 2, 3], &[], &[1, 2], &[], &[1, 2], ElectionType::Preferred, clean(1)),
            (&[1, 2, 3], &[], &[], &[1], &[1], ElectionType::Preferred, OFF),
            // Unclean (admin): ELR, then the last known leader, then any live replica.
            (&[1, 2, 3], &[], &[3], &[1], &[1, 3], ElectionType::Unclean, clean(3)),
            (&[1, 2, 3], &[], &[], &[1], &[1, 2], ElectionType::Unclean, unclean(1)),
            (&[1, 2, 3], &[], &[], &[1], &[3], ElectionType::Unclean, unclean(3)),
        ];
        for (i, &(replicas, isr, elr, last_known_elr, alive, election, expected)) in
            table.iter().enumerate()
        {
            let candidates = Candidates {
                replicas,
                isr,
                elr,
                last_known_elr,
                leader: NO_LEADER,
            };
            let got = elect_leader(candidates, |b| alive.contains(&b), election);
            assert_eq!(
                got, expected,
                "row {i}: {replicas:?} isr {isr:?} elr {elr:?} last known {last_known_elr:?} \
                 alive {alive:?} {election:?}"
            );
        }
    }

    #[test]
    fn offline_has_no_leader() {
        assert_eq!(OFF.leader(), -1);
        assert_eq!(clean(4).leader(), 4);
    }
}
