//! `nonmonotonic-poll`: a consumer under assign reading a partition backwards (or in place).
//!
//! Invariant: for one consumer process and one partition, taking the records its successful
//! polls returned in history order (and in order within each poll), each read's offset is
//! strictly greater than the previous read's, unless a `Seek` by that consumer for that
//! partition (any that did not `fail`) came in between: a seek restarts the sequence, so the
//! first read after it is compared with nothing. Two consecutive reads at offsets a then b with
//! b ≤ a are an anomaly (one per such read), naming the process, partition, both offsets and
//! their values. The workload records a seek whenever it repositions a consumer (a fresh
//! consumer after an error, or a log that a crash shortened), so only the broker can make a
//! consumer go back. Source: Jepsen's Kafka workload (`jepsen.tests.kafka`,
//! `nonmonotonic-poll`: consecutive polls by one process whose offsets do not go up).

use super::{poll_steps, Anomaly, Before, Checker};
use crate::history::History;

pub const NAME: &str = "nonmonotonic-poll";

/// The `nonmonotonic-poll` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct NonmonotonicPoll;

impl Checker for NonmonotonicPoll {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "Jepsen's Kafka workload (jepsen.tests.kafka): nonmonotonic-poll"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        poll_steps(history)
            .into_iter()
            .filter_map(|step| match step.before {
                Before::Read(previous) if step.read.offset <= previous.offset => Some(Anomaly {
                    checker: NAME,
                    detail: format!(
                        "{} partition {}: read offset {} value {} after offset {} value {}",
                        step.process,
                        step.read.partition,
                        step.read.offset,
                        step.read.value,
                        previous.offset,
                        previous.value
                    ),
                }),
                _ => None,
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
    fn reading_an_earlier_offset_without_a_seek_is_nonmonotonic() {
        let consumer = Process::Consumer(1);
        let history = history(vec![
            seek(consumer, 2, 0),
            poll(consumer, &[(2, 0, 10), (2, 1, 11)]),
            poll(consumer, &[(2, 2, 12)]),
            poll(consumer, &[(2, 1, 11)]),
        ]);
        assert_eq!(
            NonmonotonicPoll.check(&history),
            vec![Anomaly {
                checker: "nonmonotonic-poll",
                detail: "consumer-1 partition 2: read offset 1 value 11 after offset 2 value 12"
                    .into(),
            }]
        );
    }

    #[test]
    fn reading_the_same_offset_twice_within_a_poll_is_nonmonotonic() {
        let history = history(vec![poll(Process::FinalReader, &[(0, 5, 50), (0, 5, 51)])]);
        let anomalies = NonmonotonicPoll.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert_eq!(anomalies[0].checker, "nonmonotonic-poll");
        assert_eq!(
            anomalies[0].detail,
            "final-reader partition 0: read offset 5 value 51 after offset 5 value 50"
        );
    }

    #[test]
    fn increasing_offsets_and_seeks_back_are_fine() {
        let consumer = Process::Consumer(0);
        let history = history(vec![
            seek(consumer, 0, 0),
            poll(consumer, &[(0, 0, 1), (1, 7, 8), (0, 1, 2), (0, 3, 4)]),
            // Another partition and another consumer are separate sequences.
            poll(consumer, &[(1, 8, 9)]),
            poll(Process::Consumer(1), &[(0, 0, 1)]),
            // A seek back restarts the sequence.
            seek(consumer, 0, 1),
            poll(consumer, &[(0, 1, 2), (0, 2, 3)]),
            // Failed polls return nothing; a failed seek changes nothing.
            with_outcome(poll(consumer, &[(0, 0, 1)]), Outcome::Fail),
            with_outcome(seek(consumer, 0, 0), Outcome::Fail),
            poll(consumer, &[(0, 3, 4)]),
        ]);
        assert_eq!(NonmonotonicPoll.check(&history), Vec::new());
    }

    #[test]
    fn a_failed_seek_does_not_excuse_going_back() {
        let consumer = Process::Consumer(0);
        let history = history(vec![
            poll(consumer, &[(0, 3, 4)]),
            with_outcome(seek(consumer, 0, 0), Outcome::Fail),
            poll(consumer, &[(0, 0, 1)]),
        ]);
        let anomalies = NonmonotonicPoll.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert!(anomalies[0]
            .detail
            .contains("partition 0: read offset 0 value 1 after offset 3"));
    }
}
