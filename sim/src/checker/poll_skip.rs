//! `poll-skip`: a consumer under assign jumping over offsets that hold records.
//!
//! Invariant: for one consumer process and one partition, taking the records its successful
//! polls returned in history order (and in order within each poll), two consecutive reads at
//! offsets a then b with b > a + 1 must not straddle a known offset: no offset strictly between
//! a and b may hold a known value, where known means acknowledged to a producer or returned by
//! any read of anyone (`History::values_by_offset`). A `Seek` by that consumer for that
//! partition (any that did not `fail`) restarts the sequence: after a seek to offset s, the
//! first read, at b, skips if some offset in [s, b) is known. The first read of a partition with
//! no seek before it is not judged (there is nothing to compare it with; the workload records a
//! seek whenever a consumer starts). Reads that go backwards are `nonmonotonic-poll`'s business.
//! One anomaly per skipping read, naming the process, partition and the known offsets skipped.
//! Source: Jepsen's Kafka workload (`jepsen.tests.kafka`, `poll-skip`: consecutive polls by one
//! process that skip over records known to exist).

use std::collections::BTreeMap;

use super::{list, poll_steps, Anomaly, Before, Checker};
use crate::history::History;

pub const NAME: &str = "poll-skip";

/// The `poll-skip` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct PollSkip;

impl Checker for PollSkip {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "Jepsen's Kafka workload (jepsen.tests.kafka): poll-skip"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        let known = history.values_by_offset();
        let empty = BTreeMap::new();
        let mut anomalies = Vec::new();
        for step in poll_steps(history) {
            let read = step.read;
            // The first offset the consumer should have read next, and how it got there.
            let (expected, after) = match step.before {
                Before::Nothing => continue,
                Before::Seek(offset) => (offset, format!("after a seek to offset {offset}")),
                Before::Read(previous) => match previous.offset.checked_add(1) {
                    Some(next) => (next, format!("after offset {}", previous.offset)),
                    None => continue,
                },
            };
            if read.offset <= expected {
                continue;
            }
            let skipped: Vec<i64> = known
                .get(&read.partition)
                .unwrap_or(&empty)
                .range(expected..read.offset)
                .map(|(&offset, _)| offset)
                .collect();
            if skipped.is_empty() {
                continue;
            }
            anomalies.push(Anomaly {
                checker: NAME,
                detail: format!(
                    "{} partition {}: read offset {} {after}, skipping known offsets {}",
                    step.process,
                    read.partition,
                    read.offset,
                    list(&skipped)
                ),
            });
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
    fn jumping_over_a_known_offset_is_a_skip() {
        let consumer = Process::Consumer(0);
        let history = history(vec![
            send_ok(0, 1, 0, 10),
            send_ok(0, 1, 1, 11),
            send_ok(0, 1, 2, 12),
            send_ok(0, 1, 3, 13),
            seek(consumer, 1, 0),
            poll(consumer, &[(1, 0, 10)]),
            // Offsets 1 and 2 are known (acknowledged), and this consumer jumps to 3.
            poll(consumer, &[(1, 3, 13)]),
        ]);
        assert_eq!(
            PollSkip.check(&history),
            vec![Anomaly {
                checker: "poll-skip",
                detail: "consumer-0 partition 1: read offset 3 after offset 0, skipping known \
                         offsets 1, 2"
                    .into(),
            }]
        );
    }

    #[test]
    fn starting_past_a_known_offset_after_a_seek_is_a_skip() {
        let consumer = Process::Consumer(2);
        let history = history(vec![
            // Offset 4 is known from another consumer's read.
            poll(Process::Consumer(1), &[(0, 4, 40)]),
            seek(consumer, 0, 4),
            poll(consumer, &[(0, 6, 60)]),
        ]);
        let anomalies = PollSkip.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert_eq!(anomalies[0].checker, "poll-skip");
        assert_eq!(
            anomalies[0].detail,
            "consumer-2 partition 0: read offset 6 after a seek to offset 4, skipping known \
             offsets 4"
        );
    }

    #[test]
    fn gaps_without_known_records_and_seeks_forward_are_fine() {
        let consumer = Process::Consumer(0);
        let history = history(vec![
            send_ok(0, 0, 0, 1),
            send_ok(0, 0, 3, 4),
            send_ok(0, 0, 9, 10),
            // Offsets 1 and 2 hold nothing anyone knows of (never-acknowledged sends).
            with_outcome(send_ok(0, 0, 1, 2), Outcome::Info),
            seek(consumer, 0, 0),
            poll(consumer, &[(0, 0, 1), (0, 3, 4)]),
            // A seek forward moves the sequence on: offsets 4..8 are not skipped.
            seek(consumer, 0, 9),
            poll(consumer, &[(0, 9, 10)]),
            // A failed seek does not: reading on from 9 is fine.
            with_outcome(seek(consumer, 0, 0), Outcome::Fail),
            poll(consumer, &[(0, 10, 11)]),
            // The first read with no seek before it is not judged.
            poll(Process::Consumer(1), &[(0, 9, 10)]),
            // Nor is a read that goes backwards (nonmonotonic-poll's case).
            poll(Process::Consumer(1), &[(0, 3, 4)]),
            // Odd shapes do not panic.
            poll(Process::Consumer(3), &[(0, i64::MAX, 5), (0, i64::MIN, 6)]),
        ]);
        assert_eq!(PollSkip.check(&history), Vec::new());
    }
}
