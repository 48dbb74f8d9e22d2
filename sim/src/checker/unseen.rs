//! `unseen`: an acknowledged send that no read ever returned, and that no read went past.
//!
//! Invariant: every acknowledged send (an `ok` Send with a partition and an offset ≥ 0, value v
//! at offset o of partition p) is eventually returned by some successful read (of any partition,
//! at any offset). A value that no read returned, where no read of p observed an offset > o, is
//! unseen: readers never got as far as its offset (reads that went past it make it `lost-write`
//! instead, so the two checkers split the acknowledged, never-read writes between them). The
//! final reader reads every partition from the beginning to its log end offset, so after a run
//! that converged an unseen write is one the log no longer holds (a lost tail) or one the reader
//! could not reach. `fail` and `info` sends are never acknowledged, and acks=0 acknowledgements
//! (offset -1) promise nothing, so neither can be unseen. One anomaly per value. Source:
//! Jepsen's Kafka workload (`jepsen.tests.kafka`, `:unseen`: acknowledged values that no poll
//! ever observed by the end of the test).

use std::collections::BTreeSet;

use super::{Anomaly, Checker};
use crate::history::History;

pub const NAME: &str = "unseen";

/// The `unseen` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unseen;

impl Checker for Unseen {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "Jepsen's Kafka workload (jepsen.tests.kafka): unseen"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        let mut reported = BTreeSet::new();
        let mut anomalies = Vec::new();
        for (send, reached) in history.unread_acked_sends() {
            if reached.is_some_and(|max| max > send.offset) {
                continue; // Readers went past it: lost-write's case.
            }
            if !reported.insert(send.value) {
                continue;
            }
            let reached = match reached {
                Some(max) => format!("reads of partition {} reached offset {max}", send.partition),
                None => format!("no read of partition {} returned anything", send.partition),
            };
            anomalies.push(Anomaly {
                checker: NAME,
                detail: format!("{}; {reached}", send.never_read()),
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
    fn an_acknowledged_write_never_read_is_unseen() {
        let history = history(vec![
            send_invoke(0, 100),
            send_ok(0, 1, 0, 100),
            send_invoke(0, 101),
            send_ok(0, 1, 1, 101),
            send_ok(0, 3, 0, 102),
            poll(Process::FinalReader, &[(1, 0, 100)]),
        ]);
        let anomalies = Unseen.check(&history);
        assert_eq!(anomalies.len(), 2, "{anomalies:?}");
        assert!(anomalies.iter().all(|anomaly| anomaly.checker == "unseen"));
        assert!(anomalies[0]
            .detail
            .contains("partition 1 offset 1 value 101"));
        assert!(anomalies[0].detail.contains("reached offset 0"));
        assert!(anomalies[1]
            .detail
            .contains("partition 3 offset 0 value 102"));
        assert!(anomalies[1].detail.contains("no read of partition 3"));
    }

    #[test]
    fn a_value_acknowledged_twice_is_reported_once() {
        let history = history(vec![send_ok(0, 0, 4, 9), send_ok(0, 0, 5, 9)]);
        let anomalies = Unseen.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert!(anomalies[0].detail.contains("partition 0 offset 4 value 9"));
    }

    #[test]
    fn read_lost_or_unacknowledged_writes_are_not_unseen() {
        let history = history(vec![
            send_ok(0, 0, 0, 1),
            // Readers went past offset 1: lost-write's case, not unseen.
            send_ok(0, 0, 1, 2),
            // Never acknowledged, or without an offset (acks=0).
            with_outcome(send_ok(0, 0, 7, 3), Outcome::Info),
            with_outcome(send_ok(0, 0, 8, 4), Outcome::Fail),
            send_ok(0, 0, -1, 5),
            send_invoke(0, 6),
            poll(Process::Consumer(0), &[(0, 0, 1), (0, 2, 7)]),
        ]);
        assert_eq!(Unseen.check(&history), Vec::new());
    }
}
