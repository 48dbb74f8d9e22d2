//! Replica placement: which brokers host a new partition's replicas, spread round-robin across
//! the live brokers the way Kafka's rack-unaware assignment does, so leadership (the first
//! replica) and load spread evenly and followers of one broker's partitions are not all on
//! the same other broker.
//!
//! Partition `p`'s first replica is broker `(p + start) mod n`; its other replicas follow at a
//! distance `1 + (shift + j) mod (n - 1)` from it, and the shift grows by one every `n`
//! partitions. `start` and `shift` come from the controller's seeded rng for a new topic, so
//! consecutive topics do not all lead on the same broker; partitions added to an existing topic
//! continue its pattern from the broker that leads partition 0.

/// Why replicas could not be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacementError {
    /// More replicas per partition than there are live brokers.
    NotEnoughBrokers {
        replication_factor: i16,
        brokers: usize,
    },
    InvalidReplicationFactor {
        replication_factor: i16,
    },
}

/// Replica lists for partitions `first_partition..first_partition + count` over `brokers`
/// (live, in id order).
pub fn place_replicas(
    brokers: &[i32],
    first_partition: i32,
    count: i32,
    replication_factor: i16,
    start: usize,
    shift: usize,
) -> Result<Vec<Vec<i32>>, PlacementError> {
    if replication_factor < 1 {
        return Err(PlacementError::InvalidReplicationFactor { replication_factor });
    }
    let n = brokers.len();
    let rf = replication_factor as usize;
    if rf > n {
        return Err(PlacementError::NotEnoughBrokers {
            replication_factor,
            brokers: n,
        });
    }
    let first_partition = first_partition.max(0) as usize;
    let start = start % n;
    let mut out = Vec::with_capacity(count.max(0) as usize);
    for p in first_partition..first_partition + count.max(0) as usize {
        // The shift grows once per full round of brokers, so each round pairs differently.
        let round_shift = shift + p / n;
        let first = (p + start) % n;
        let mut replicas = vec![brokers[first]];
        for j in 0..rf - 1 {
            let distance = 1 + (round_shift + j) % (n - 1);
            replicas.push(brokers[(first + distance) % n]);
        }
        out.push(replicas);
    }
    Ok(out)
}

/// Where a topic's placement continues when partitions are added: the index, among `brokers`,
/// of partition 0's first replica (0 if that broker is gone).
pub fn continue_from(brokers: &[i32], partition_zero_replicas: &[i32]) -> usize {
    partition_zero_replicas
        .first()
        .and_then(|first| brokers.iter().position(|b| b == first))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn single_replicas_go_round_robin_from_the_start_index() {
        let placed = place_replicas(&[1, 2, 3], 0, 6, 1, 1, 0).unwrap();
        assert_eq!(
            placed,
            vec![vec![2], vec![3], vec![1], vec![2], vec![3], vec![1]]
        );
    }

    #[test]
    fn replicas_are_distinct_and_leaders_and_load_are_even() {
        let brokers = [1, 2, 3, 4, 5];
        for start in 0..5 {
            for shift in 0..5 {
                let placed = place_replicas(&brokers, 0, 20, 3, start, shift).unwrap();
                let mut leaders = BTreeMap::new();
                let mut replicas = BTreeMap::new();
                for list in &placed {
                    let mut sorted = list.clone();
                    sorted.sort();
                    sorted.dedup();
                    assert_eq!(sorted.len(), 3, "duplicate replica in {list:?}");
                    *leaders.entry(list[0]).or_insert(0) += 1;
                    for r in list {
                        *replicas.entry(*r).or_insert(0) += 1;
                    }
                }
                assert!(leaders.values().all(|&c| c == 4), "{leaders:?}");
                assert!(replicas.values().all(|&c| c == 12), "{replicas:?}");
            }
        }
    }

    #[test]
    fn followers_of_one_broker_spread_over_the_others() {
        // Partitions led by broker 1 must not all put their second replica on the same broker.
        let placed = place_replicas(&[1, 2, 3, 4], 0, 16, 2, 0, 0).unwrap();
        let mut seconds: Vec<i32> = placed.iter().filter(|l| l[0] == 1).map(|l| l[1]).collect();
        seconds.sort();
        seconds.dedup();
        assert!(seconds.len() > 1, "{placed:?}");
    }

    #[test]
    fn added_partitions_continue_the_pattern() {
        let all = place_replicas(&[1, 2, 3], 0, 6, 1, 2, 0).unwrap();
        let start = continue_from(&[1, 2, 3], &all[0]);
        let added = place_replicas(&[1, 2, 3], 3, 3, 1, start, 0).unwrap();
        assert_eq!(added, all[3..].to_vec());
        assert_eq!(continue_from(&[1, 2], &[9]), 0);
    }

    #[test]
    fn too_few_brokers_and_bad_factors_are_errors() {
        assert_eq!(
            place_replicas(&[1, 2], 0, 1, 3, 0, 0),
            Err(PlacementError::NotEnoughBrokers {
                replication_factor: 3,
                brokers: 2
            })
        );
        assert!(place_replicas(&[], 0, 1, 1, 0, 0).is_err());
        assert_eq!(
            place_replicas(&[1], 0, 1, 0, 0, 0),
            Err(PlacementError::InvalidReplicationFactor {
                replication_factor: 0
            })
        );
        assert_eq!(place_replicas(&[1], 0, 0, 1, 5, 5), Ok(vec![]));
    }
}
