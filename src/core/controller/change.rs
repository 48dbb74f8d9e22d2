//! One partition's change as a record, and the eligible-leader-replica rules every change
//! follows (KIP-966, as Kafka's `PartitionChangeBuilder` applies them):
//!
//! - While the ISR has at least `min.insync.replicas` members (capped at the replica count)
//!   the ELR is empty: the high watermark moves, so a replica that leaves may lack what it
//!   then acknowledges.
//! - Below that, the leader holds the high watermark still (`core::replication`), so every
//!   replica that leaves the ISR holds every record below it: it joins the ELR, and the ISR
//!   may shrink to nothing (the last member fenced) with its members remembered there.
//! - A replica leaves the ELR when it rejoins the ISR, when the ISR is back at the minimum,
//!   when its broker restarts after an unclean shutdown (it may have lost unflushed records),
//!   and when an unclean election makes the old history moot.
//! - The last known leader is remembered when the partition goes leaderless and forgotten when
//!   it has a leader again.

use super::image::{PartitionRegistration, NO_LEADER};
use super::records::MetadataRecord;

/// The ELR once the ISR goes from `current.isr` to `isr`, with `min_isr` the effective
/// `min.insync.replicas` and `unclean_shutdown` a broker that restarted without a clean
/// shutdown, in ascending id order.
pub fn target_elr(
    current: &PartitionRegistration,
    isr: &[i32],
    min_isr: usize,
    unclean_shutdown: Option<i32>,
) -> Vec<i32> {
    if isr.len() >= min_isr.min(current.replicas.len()).max(1) {
        return Vec::new();
    }
    let mut elr: Vec<i32> = (current.elr.iter().chain(&current.isr).copied())
        .filter(|r| !isr.contains(r) && Some(*r) != unclean_shutdown)
        .collect();
    elr.sort_unstable();
    elr.dedup();
    elr
}

/// The last known leader after `current`'s leader becomes `proposed`'s.
fn last_known_elr(current: &PartitionRegistration, proposed: &PartitionRegistration) -> Vec<i32> {
    let remembered = || !current.last_known_elr.is_empty();
    if proposed.leader != NO_LEADER {
        Vec::new()
    } else if current.leader != NO_LEADER && !remembered() {
        vec![current.leader]
    } else if !remembered() && current.isr.len() == 1 && proposed.isr.is_empty() {
        // Offline already, its last leader still the ISR's one member: how Weir before
        // KIP-966 left a partition whose last replica was fenced (KIP-841). That member
        // leaving now (an unclean restart after the upgrade) must not strand the partition.
        current.isr.clone()
    } else {
        current.last_known_elr.clone()
    }
}

/// The PartitionChange record that turns `current` into `proposed` (its ELR already decided,
/// its last known leader following from the leaders), or `None` if equal. With `bump_epoch`
/// the leader is written even if unchanged, which bumps the leader epoch.
pub fn change_record(
    topic_id: u128,
    partition: i32,
    current: &PartitionRegistration,
    proposed: &PartitionRegistration,
    bump_epoch: bool,
) -> Option<MetadataRecord> {
    let changed = |a: &Vec<i32>, b: &Vec<i32>| (a != b).then(|| b.clone());
    let leader = (bump_epoch || proposed.leader != current.leader).then_some(proposed.leader);
    let isr = changed(&current.isr, &proposed.isr);
    let replicas = changed(&current.replicas, &proposed.replicas);
    let adding_replicas = changed(&current.adding_replicas, &proposed.adding_replicas);
    let removing_replicas = changed(&current.removing_replicas, &proposed.removing_replicas);
    let elr = changed(&current.elr, &proposed.elr);
    let last_known = last_known_elr(current, proposed);
    let last_known_elr = changed(&current.last_known_elr, &last_known);
    let recovered = current.unclean && !proposed.unclean && leader.is_none();
    let nothing = leader.is_none()
        && isr.is_none()
        && replicas.is_none()
        && adding_replicas.is_none()
        && removing_replicas.is_none()
        && elr.is_none()
        && last_known_elr.is_none()
        && !recovered;
    (!nothing).then_some(MetadataRecord::PartitionChange {
        topic_id,
        partition,
        leader,
        isr,
        replicas,
        adding_replicas,
        removing_replicas,
        unclean: leader.is_some() && proposed.unclean,
        recovered,
        elr,
        last_known_elr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(
        isr: &[i32],
        elr: &[i32],
        leader: i32,
        last_known: &[i32],
    ) -> PartitionRegistration {
        PartitionRegistration {
            replicas: vec![1, 2, 3],
            isr: isr.to_vec(),
            adding_replicas: vec![],
            removing_replicas: vec![],
            leader,
            leader_epoch: 3,
            partition_epoch: 7,
            unclean: false,
            elr: elr.to_vec(),
            last_known_elr: last_known.to_vec(),
        }
    }

    /// (current ISR, current ELR, new ISR, min ISR, unclean shutdown, expected ELR)
    type Row = (
        &'static [i32],
        &'static [i32],
        &'static [i32],
        usize,
        Option<i32>,
        &'static [i32],
    );

    #[test]
    fn elr_table() {
        #[rustfmt::skip]
        let table: &[Row] = &[
            // At or above the minimum: no ELR, and one that was is cleared.
            (&[1, 2, 3], &[], &[1, 2], 2, None, &[]),
            (&[1], &[2, 3], &[1, 2], 2, None, &[]),
            // Below it: whoever leaves joins, whoever stays or rejoins is not in it.
            (&[1, 2], &[], &[1], 2, None, &[2]),
            (&[1, 2, 3], &[], &[1], 2, None, &[2, 3]),
            (&[1], &[2, 3], &[1, 3], 3, None, &[2]),
            // The last member fenced: an empty ISR, everyone remembered.
            (&[3], &[1, 2], &[], 2, None, &[1, 2, 3]),
            // min.insync.replicas=1: only the last member fenced makes an ELR.
            (&[1, 2], &[], &[1], 1, None, &[]),
            (&[1], &[], &[], 1, None, &[1]),
            // A broker back from an unclean shutdown leaves it.
            (&[], &[1, 2, 3], &[], 2, Some(2), &[1, 3]),
            (&[2], &[1], &[], 2, Some(2), &[1]),
            // A minimum above the replica count counts as the replica count.
            (&[1, 2, 3], &[], &[1, 2, 3], 5, None, &[]),
            (&[1, 2, 3], &[], &[1, 2], 5, None, &[3]),
        ];
        for (i, &(isr, elr, new_isr, min_isr, unclean, expected)) in table.iter().enumerate() {
            let current = partition(isr, elr, 1, &[]);
            assert_eq!(
                target_elr(&current, new_isr, min_isr, unclean),
                expected,
                "row {i}: isr {isr:?} elr {elr:?} -> isr {new_isr:?} min {min_isr} {unclean:?}"
            );
        }
    }

    #[test]
    fn the_last_known_leader_is_set_going_offline_and_cleared_coming_back() {
        let led = partition(&[2], &[1], 2, &[]);
        let offline = PartitionRegistration {
            leader: NO_LEADER,
            isr: vec![],
            elr: vec![1, 2],
            ..led.clone()
        };
        let Some(MetadataRecord::PartitionChange {
            leader,
            isr,
            elr,
            last_known_elr,
            ..
        }) = change_record(5, 0, &led, &offline, false)
        else {
            panic!("going offline is a change");
        };
        assert_eq!(leader, Some(NO_LEADER));
        assert_eq!(isr, Some(vec![]));
        assert_eq!(elr, Some(vec![1, 2]));
        assert_eq!(last_known_elr, Some(vec![2]));
        // Offline already, with a last known leader: it stays as it is.
        let still = PartitionRegistration {
            last_known_elr: vec![2],
            ..offline.clone()
        };
        let elr_only = PartitionRegistration {
            elr: vec![1],
            ..still.clone()
        };
        assert!(matches!(
            change_record(5, 0, &still, &elr_only, false),
            Some(MetadataRecord::PartitionChange {
                leader: None,
                last_known_elr: None,
                elr: Some(_),
                ..
            })
        ));
        // A leader again: forgotten.
        let back = PartitionRegistration {
            leader: 1,
            isr: vec![1],
            elr: vec![],
            ..still.clone()
        };
        assert!(matches!(
            change_record(5, 0, &still, &back, false),
            Some(MetadataRecord::PartitionChange {
                leader: Some(1),
                last_known_elr: Some(ref l),
                ..
            }) if l.is_empty()
        ));
        assert_eq!(change_record(5, 0, &still, &still, false), None);
    }

    /// Weir before KIP-966 kept the last fenced replica in the ISR of an offline partition.
    /// When that replica restarts uncleanly after the upgrade and leaves the ISR, it becomes
    /// the last known leader, so the partition can come back (uncleanly) rather than never.
    #[test]
    fn an_offline_partition_from_before_elr_remembers_its_last_member() {
        let old_style = partition(&[2], &[], NO_LEADER, &[]);
        let emptied = PartitionRegistration {
            isr: vec![],
            ..old_style.clone()
        };
        let Some(MetadataRecord::PartitionChange { last_known_elr, .. }) =
            change_record(5, 0, &old_style, &emptied, false)
        else {
            panic!("the ISR changed");
        };
        assert_eq!(last_known_elr, Some(vec![2]));
    }
}
