//! `lost-write`: an acknowledged send that readers went past without ever seeing.
//!
//! Invariant: for every acknowledged send (an `ok` Send with a partition and an offset ≥ 0,
//! value v at offset o of partition p), if any successful read of p observed an offset > o,
//! then some successful read (of any partition, at any offset) returned v. A send for which
//! readers went past o but v was never returned is lost. When the run reached its final read
//! (every partition from the beginning to its end, after healing), only the final reader's
//! reads count (`History::judged_reads`): a write a consumer saw before a crash that then lost
//! it is still lost. `fail` and `info` sends are never
//! acknowledged, and acks=0 acknowledgements (offset -1) promise no offset, so neither can be
//! lost. Source: Jepsen's Kafka workload (`jepsen.tests.kafka`, `lost-write-cases`: a write
//! below the highest offset any read observed that no read returned).
//!
//! An acknowledged write that was never read and that no read went past is not lost but
//! `unseen` (see `unseen.rs`): the two checkers split the acknowledged, never-read writes.

use super::{Anomaly, Checker};
use crate::history::{AckedSend, History};

pub const NAME: &str = "lost-write";

/// The `lost-write` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct LostWrite;

impl Checker for LostWrite {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "Jepsen's Kafka workload (jepsen.tests.kafka): lost-write"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        lost_with_reach(history)
            .into_iter()
            .map(|(send, max)| Anomaly {
                checker: NAME,
                detail: format!(
                    "{}, although reads of partition {} reached offset {max}",
                    send.never_read(),
                    send.partition
                ),
            })
            .collect()
    }
}

/// Every lost write (see the module documentation), once each, ordered by partition, offset,
/// value and producer: exactly the writes `LostWrite` reports.
pub fn lost_writes(history: &History) -> Vec<AckedSend> {
    lost_with_reach(history)
        .into_iter()
        .map(|(send, _)| send)
        .collect()
}

/// The lost writes, each with the offset the reads of its partition reached.
fn lost_with_reach(history: &History) -> Vec<(AckedSend, i64)> {
    let mut lost: Vec<(AckedSend, i64)> = history
        .unread_acked_sends()
        .into_iter()
        .filter_map(|(send, max)| max.filter(|&max| max > send.offset).map(|max| (send, max)))
        .collect();
    lost.dedup();
    lost
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::build::*;
    use crate::history::{Outcome, Process};

    #[test]
    fn an_acknowledged_write_that_readers_went_past_is_lost() {
        let history = history(vec![
            send_invoke(0, 100),
            send_ok(0, 2, 0, 100),
            send_invoke(1, 101),
            not_durable(send_ok(1, 2, 1, 101)),
            send_invoke(0, 102),
            send_ok(0, 2, 2, 102),
            // The final reader sees offsets 0 and 2 but never value 101 (offset 1 was lost).
            seek(Process::FinalReader, 2, 0),
            poll(Process::FinalReader, &[(2, 0, 100), (2, 2, 102)]),
        ]);
        let anomalies = LostWrite.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert_eq!(anomalies[0].checker, "lost-write");
        let detail = &anomalies[0].detail;
        assert!(
            detail.contains("partition 2 offset 1 value 101"),
            "{detail}"
        );
        assert!(detail.contains("producer-1"), "{detail}");
        assert!(detail.contains("not durable"), "{detail}");
        assert_eq!(
            lost_writes(&history),
            vec![AckedSend {
                process: Process::Producer(1),
                partition: 2,
                offset: 1,
                value: 101,
                durable: false,
            }]
        );
    }

    #[test]
    fn a_value_reused_offset_still_counts_as_lost() {
        // Offset 0 was handed out again after a crash: value 7 is gone, value 8 took its place.
        let history = history(vec![
            send_ok(0, 0, 0, 7),
            send_ok(0, 0, 0, 8),
            send_ok(0, 0, 1, 9),
            poll(Process::Consumer(0), &[(0, 0, 8), (0, 1, 9)]),
        ]);
        let anomalies = LostWrite.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert!(anomalies[0].detail.contains("partition 0 offset 0 value 7"));
        assert!(anomalies[0]
            .detail
            .contains("(sent by producer-0, durable)"));
    }

    #[test]
    fn writes_that_were_read_or_not_yet_reached_are_not_lost() {
        let history = history(vec![
            send_ok(0, 0, 0, 1),
            send_ok(0, 0, 1, 2),
            // Not reached by any read: unseen, not lost.
            send_ok(0, 0, 5, 3),
            // Never acknowledged, or acknowledged without an offset: cannot be lost.
            with_outcome(send_ok(0, 0, 2, 4), Outcome::Info),
            with_outcome(send_ok(0, 0, 3, 5), Outcome::Fail),
            send_ok(0, 0, -1, 6),
            // Read at another offset than acknowledged: a duplicate, but not lost.
            send_ok(0, 1, 0, 7),
            poll(Process::Consumer(0), &[(0, 0, 1), (0, 1, 2), (0, 4, 7)]),
            // The final read agrees with the consumer.
            poll(
                Process::FinalReader,
                &[(0, 0, 1), (0, 1, 2), (0, 4, 7), (1, 3, 99)],
            ),
        ]);
        assert_eq!(LostWrite.check(&history), Vec::new());
        assert_eq!(lost_writes(&history), Vec::new());
    }

    #[test]
    fn a_write_read_before_a_crash_but_gone_from_the_final_read_is_lost() {
        let mut history = history(vec![
            send_ok(0, 0, 0, 10),
            send_ok(0, 0, 1, 11),
            poll(Process::Consumer(0), &[(0, 0, 10), (0, 1, 11)]),
            seek(Process::FinalReader, 0, 0),
            poll(Process::FinalReader, &[(0, 0, 10), (0, 1, 12), (0, 2, 13)]),
        ]);
        history.events[3].outcome = Outcome::Ok;
        let lost = lost_writes(&history);
        assert_eq!(lost.len(), 1, "{lost:?}");
        assert_eq!((lost[0].offset, lost[0].value), (1, 11));
    }
}
