//! `inconsistent-offsets`: one offset holding more than one value.
//!
//! Invariant: an offset of a partition names one record forever, so every observation of
//! (partition p, offset o) — each acknowledged send (an `ok` Send with an offset ≥ 0) and each
//! record a successful poll returned, as `History::values_by_offset` collects them — carries the
//! same value. Two values at one offset mean the log changed under the clients: typically a
//! crash lost an acknowledged tail and the broker handed its offsets out again. One anomaly per
//! (partition, offset), naming its values in ascending order. Source: Jepsen's Kafka workload
//! (`jepsen.tests.kafka`, `inconsistent-offsets`: one offset observed with different values).

use super::{list, Anomaly, Checker};
use crate::history::History;

pub const NAME: &str = "inconsistent-offsets";

/// The `inconsistent-offsets` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct InconsistentOffsets;

impl Checker for InconsistentOffsets {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "Jepsen's Kafka workload (jepsen.tests.kafka): inconsistent-offsets"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        let mut anomalies = Vec::new();
        for (partition, offsets) in history.values_by_offset() {
            for (offset, mut values) in offsets {
                if values.len() < 2 {
                    continue;
                }
                values.sort_unstable();
                anomalies.push(Anomaly {
                    checker: NAME,
                    detail: format!(
                        "partition {partition} offset {offset} holds {} values: {}",
                        values.len(),
                        list(values)
                    ),
                });
            }
        }
        anomalies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::build::*;
    use crate::history::{Outcome, Process};

    #[test]
    fn an_offset_acknowledged_and_read_with_different_values_is_inconsistent() {
        let history = history(vec![
            send_ok(0, 1, 4, 20),
            send_ok(1, 1, 5, 21),
            poll(Process::Consumer(0), &[(1, 4, 30), (1, 5, 21)]),
        ]);
        assert_eq!(
            InconsistentOffsets.check(&history),
            vec![Anomaly {
                checker: "inconsistent-offsets",
                detail: "partition 1 offset 4 holds 2 values: 20, 30".into(),
            }]
        );
    }

    #[test]
    fn two_reads_disagreeing_are_inconsistent() {
        let history = history(vec![
            poll(Process::Consumer(0), &[(0, 0, 9)]),
            poll(Process::FinalReader, &[(0, 0, 8)]),
        ]);
        let anomalies = InconsistentOffsets.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert_eq!(anomalies[0].checker, "inconsistent-offsets");
        assert_eq!(
            anomalies[0].detail,
            "partition 0 offset 0 holds 2 values: 8, 9"
        );
    }

    #[test]
    fn agreeing_observations_are_consistent() {
        let history = history(vec![
            send_ok(0, 0, 0, 1),
            send_ok(0, 1, 0, 2),
            // Not acknowledged: says nothing about offset 0.
            with_outcome(send_ok(0, 0, 0, 3), Outcome::Info),
            poll(Process::Consumer(0), &[(0, 0, 1), (1, 0, 2)]),
            poll(Process::FinalReader, &[(0, 0, 1), (1, 0, 2)]),
        ]);
        assert_eq!(InconsistentOffsets.check(&history), Vec::new());
    }
}
