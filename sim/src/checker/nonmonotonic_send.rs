//! `nonmonotonic-send`: one producer's sends to a partition landing out of order.
//!
//! Invariant: for one producer process and one partition, acknowledged sends get strictly
//! increasing offsets in the order they were invoked. Each `ok` Send with a partition and an
//! offset ≥ 0 is paired with its `invoke` by (process, value) — values are unique — and the
//! partition is the one the `ok` reports; an `ok` without an invoke is taken as invoked where
//! the `ok` is. Ordering each (process, partition)'s acknowledged sends by invoke position, two
//! consecutive sends where the one invoked first got an offset ≥ the later one's are an anomaly
//! (one per such consecutive pair). Unacknowledged sends (`fail`, `info`) and acks=0
//! acknowledgements (offset -1) have no offset and are left out. The workload keeps one request
//! in flight per producer, so even retries cannot reorder its sends; a crash that loses an
//! acknowledged tail and hands its offsets out again does. Source: Jepsen's Kafka workload
//! (`jepsen.tests.kafka`, `nonmonotonic-send`: a process's sends to a partition whose offsets
//! do not go up).

use std::collections::BTreeMap;

use super::{Anomaly, Checker};
use crate::history::{History, Op, Outcome, Process};

pub const NAME: &str = "nonmonotonic-send";

/// The `nonmonotonic-send` checker.
#[derive(Debug, Clone, Copy, Default)]
pub struct NonmonotonicSend;

/// One acknowledged send, with where it was invoked and acknowledged in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Sent {
    invoked_at: usize,
    acked_at: usize,
    value: u64,
    offset: i64,
}

impl Checker for NonmonotonicSend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn source(&self) -> &'static str {
        "Jepsen's Kafka workload (jepsen.tests.kafka): nonmonotonic-send"
    }

    fn check(&self, history: &History) -> Vec<Anomaly> {
        let mut invoked: BTreeMap<(Process, u64), usize> = BTreeMap::new();
        let mut sends: BTreeMap<(Process, i32), Vec<Sent>> = BTreeMap::new();
        for (index, event) in history.events.iter().enumerate() {
            let Op::Send {
                value,
                partition,
                offset,
                ..
            } = event.op
            else {
                continue;
            };
            match (event.outcome, partition, offset) {
                (Outcome::Invoke, _, _) => {
                    invoked.entry((event.process, value)).or_insert(index);
                }
                (Outcome::Ok, Some(partition), Some(offset)) if offset >= 0 => {
                    let invoked_at = invoked
                        .get(&(event.process, value))
                        .copied()
                        .unwrap_or(index);
                    sends
                        .entry((event.process, partition))
                        .or_default()
                        .push(Sent {
                            invoked_at,
                            acked_at: index,
                            value,
                            offset,
                        });
                }
                _ => {}
            }
        }
        let mut anomalies = Vec::new();
        for ((process, partition), mut sent) in sends {
            sent.sort_unstable();
            for pair in sent.windows(2) {
                let (first, later) = (pair[0], pair[1]);
                if first.value != later.value && later.offset <= first.offset {
                    anomalies.push(Anomaly {
                        checker: NAME,
                        detail: format!(
                            "{process} partition {partition}: value {} was sent first but got \
                             offset {}, value {} was sent later and got offset {}",
                            first.value, first.offset, later.value, later.offset
                        ),
                    });
                }
            }
        }
        anomalies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::build::*;

    #[test]
    fn a_later_send_at_a_lower_offset_is_nonmonotonic() {
        // Acknowledged in order of offset, but invoked the other way round.
        let history = history(vec![
            send_invoke(0, 11),
            send_invoke(0, 10),
            send_ok(0, 2, 3, 10),
            send_ok(0, 2, 4, 11),
        ]);
        assert_eq!(
            NonmonotonicSend.check(&history),
            vec![Anomaly {
                checker: "nonmonotonic-send",
                detail: "producer-0 partition 2: value 11 was sent first but got offset 4, \
                         value 10 was sent later and got offset 3"
                    .into(),
            }]
        );
    }

    #[test]
    fn a_reused_offset_is_nonmonotonic() {
        // A crash lost offset 5 and handed it out again.
        let history = history(vec![
            send_invoke(1, 1),
            send_ok(1, 0, 5, 1),
            send_invoke(1, 2),
            send_ok(1, 0, 5, 2),
        ]);
        let anomalies = NonmonotonicSend.check(&history);
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert_eq!(anomalies[0].checker, "nonmonotonic-send");
        assert!(anomalies[0]
            .detail
            .starts_with("producer-1 partition 0: value 1"));
        assert!(anomalies[0]
            .detail
            .ends_with("value 2 was sent later and got offset 5"));
    }

    #[test]
    fn increasing_offsets_per_producer_and_partition_are_fine() {
        let history = history(vec![
            send_invoke(0, 1),
            send_invoke(0, 2),
            send_invoke(1, 3),
            send_invoke(0, 4),
            // Acknowledged out of order, but offsets follow invoke order.
            send_ok(0, 0, 1, 2),
            send_ok(0, 0, 0, 1),
            // Another producer's offsets interleave freely.
            send_ok(1, 0, 0, 3),
            // Another partition is a separate sequence.
            send_ok(0, 1, 0, 4),
            // Unacknowledged, acks=0, or acknowledged without an invoke: all tolerated.
            send_invoke(0, 5),
            with_outcome(send_ok(0, 0, 0, 5), crate::history::Outcome::Info),
            send_invoke(0, 6),
            send_ok(0, 0, -1, 6),
            send_ok(0, 0, 2, 7),
        ]);
        assert_eq!(NonmonotonicSend.check(&history), Vec::new());
    }
}
