//! `duplicate`: one value stored at more than one place.
//!
//! Invariant: values are unique per run, so each value is written once and must occupy one
//! (partition, offset) only. Collecting, for every value, the positions it was observed at — the
//! partition and offset of each acknowledged send (an `ok` Send with an offset ≥ 0) and of each
//! record a successful poll returned — a value observed at more than one offset of a partition,
//! or in more than one partition, is a duplicate. Without idempotent producers a retry after a
//! lost response writes a value twice, so crash and partition scenarios expect this one. `fail`
//! and `info` sends, and acks=0 acknowledgements (offset -1), say nothing about where a value is.
//! One anomaly per value, naming every position. Source: Jepsen's Kafka workload
//! (`jepsen.tests.kafka`, `duplicate-cases`: a single value at more than one offset), extended
//! here to a value in more than one partition.

use std::collections::{BTreeMap, BTreeSet};

use super::{list, Anomaly, Checker};
use crate::history::History;

pub const NAME: &str = "duplicate";

/// The `duplicate` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct Duplicate;

impl Checker for Duplicate {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "Jepsen's Kafka workload (jepsen.tests.kafka): duplicate"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        let mut positions: BTreeMap<u64, BTreeSet<(i32, i64)>> = BTreeMap::new();
        for send in history.acked_sends() {
            positions
                .entry(send.value)
                .or_default()
                .insert((send.partition, send.offset));
        }
        for (_, read) in history.reads() {
            positions
                .entry(read.value)
                .or_default()
                .insert((read.partition, read.offset));
        }
        positions
            .into_iter()
            .filter(|(_, at)| at.len() > 1)
            .map(|(value, at)| {
                let partitions: BTreeSet<i32> =
                    at.iter().map(|&(partition, _)| partition).collect();
                let spread = if partitions.len() > 1 {
                    format!("{} partitions", partitions.len())
                } else {
                    format!("{} offsets", at.len())
                };
                Anomaly {
                    checker: NAME,
                    detail: format!(
                        "value {value} is at {spread}: {}",
                        list(at.iter().map(|(partition, offset)| {
                            format!("partition {partition} offset {offset}")
                        }))
                    ),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::build::*;
    use crate::history::{Outcome, Process};

    #[test]
    fn a_value_at_two_offsets_is_a_duplicate() {
        let history = history(vec![
            send_ok(0, 0, 3, 42),
            poll(Process::Consumer(0), &[(0, 3, 42), (0, 4, 43), (0, 5, 42)]),
        ]);
        let anomalies = Duplicate.check(&history);
        assert_eq!(
            anomalies,
            vec![Anomaly {
                checker: "duplicate",
                detail: "value 42 is at 2 offsets: partition 0 offset 3, partition 0 offset 5"
                    .into(),
            }]
        );
    }

    #[test]
    fn a_value_in_two_partitions_is_a_duplicate() {
        let history = history(vec![
            send_ok(0, 1, 0, 7),
            poll(Process::FinalReader, &[(2, 0, 7)]),
        ]);
        let anomalies = Duplicate.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert_eq!(anomalies[0].checker, "duplicate");
        assert_eq!(
            anomalies[0].detail,
            "value 7 is at 2 partitions: partition 1 offset 0, partition 2 offset 0"
        );
    }

    #[test]
    fn one_value_at_one_place_is_fine() {
        let history = history(vec![
            send_ok(0, 0, 0, 1),
            send_ok(0, 0, 1, 2),
            // Unacknowledged attempts say nothing about where the value is.
            with_outcome(send_ok(0, 0, 9, 1), Outcome::Info),
            send_ok(0, 0, -1, 2),
            poll(Process::Consumer(0), &[(0, 0, 1), (0, 1, 2)]),
            poll(Process::Consumer(1), &[(0, 0, 1)]),
            poll(Process::FinalReader, &[(0, 0, 1), (0, 1, 2)]),
        ]);
        assert_eq!(Duplicate.check(&history), Vec::new());
    }
}
