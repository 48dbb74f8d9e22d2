//! Checkers: one invariant per file, each naming where the invariant comes from.
//!
//! Three watch the run as it goes rather than what it left: `quorum-invariants` (the metadata
//! quorum's Raft rules), `metadata-invariants` (every node's metadata image) and
//! `isr-invariants` (every in-sync replica reaches its leader's high watermark), sampled by the
//! harness every few milliseconds of simulated time.
//!
//! History checkers (Jepsen's Kafka workload, `jepsen.tests.kafka`) read the client history;
//! the log checkers read what the simulator found on each node's disk after the run: each log
//! whole (`log-invariants`), and the replicas of a partition agreeing (`replica-agreement`). Each
//! returns the anomalies it found, with enough detail to point at the records involved; the
//! scenario's expectations then decide which kinds are allowed (for example lost writes on a
//! node that does not fsync). A checker that cannot fail is a defect: every file has a unit
//! test that feeds it a bad history and sees it report.

pub mod duplicate;
pub mod inconsistent_offsets;
pub mod isr;
pub mod log_invariants;
pub mod lost_topic;
pub mod lost_write;
pub mod metadata;
pub mod nonmonotonic_poll;
pub mod nonmonotonic_send;
pub mod poll_skip;
pub mod quorum;
pub mod replica_agreement;
pub mod unseen;

use std::fmt::Display;

use crate::history::{History, Op, Outcome, Process, Read};

/// One violation found by a checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// The checker's name, as scenarios name it in `[expect] allow = [...]`.
    pub checker: &'static str,
    /// What was wrong, naming partitions, offsets and values.
    pub detail: String,
}

/// A history checker.
pub trait Checker {
    /// Stable name (`lost-write`, `duplicate`, ...).
    fn name(&self) -> &'static str;
    /// Where the invariant comes from.
    fn source(&self) -> &'static str;
    fn check(&self, history: &History) -> Vec<Anomaly>;
}

/// One partition's log as found on a node's disk after the run (and after recovery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLog {
    pub node: String,
    pub partition: i32,
    pub log_start_offset: i64,
    pub high_watermark: i64,
    pub log_end_offset: i64,
    pub batches: Vec<BatchInfo>,
}

/// One batch of a partition log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    pub base_offset: i64,
    pub last_offset: i64,
    pub crc_valid: bool,
    /// The CRC the batch header carries (covers its records).
    pub crc: u32,
}

/// The checkers that are not history checkers, by name: what a scenario may also `allow`.
pub const OTHER_CHECKERS: &[&str] = &[
    isr::NAME,
    log_invariants::NAME,
    replica_agreement::NAME,
    quorum::NAME,
    metadata::NAME,
];

/// Every history checker, in a fixed order (the order their anomalies are reported in).
pub fn all() -> Vec<Box<dyn Checker>> {
    vec![
        Box::new(lost_write::LostWrite),
        Box::new(unseen::Unseen),
        Box::new(duplicate::Duplicate),
        Box::new(inconsistent_offsets::InconsistentOffsets),
        Box::new(nonmonotonic_send::NonmonotonicSend),
        Box::new(poll_skip::PollSkip),
        Box::new(nonmonotonic_poll::NonmonotonicPoll),
        Box::new(lost_topic::LostTopic),
    ]
}

/// Runs every history checker over `history`, concatenating their anomalies in `all()` order.
pub fn check_history(history: &History) -> Vec<Anomaly> {
    all()
        .iter()
        .flat_map(|checker| checker.check(history))
        .collect()
}

/// What came before a read in its consumer's sequence for that partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Before {
    /// Nothing: the consumer's first read of the partition, with no seek recorded.
    Nothing,
    /// A seek to this offset, with no read of the partition since.
    Seek(i64),
    /// The consumer's previous read of the partition, with no seek since.
    Read(Read),
}

/// One read by a consumer, with what preceded it for the same (process, partition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PollStep {
    pub process: Process,
    pub before: Before,
    pub read: Read,
}

/// Every record a successful poll returned, in history order (and in order within a poll),
/// each with what came before it for its process and partition: the previous read, or a seek
/// since (any seek that did not `fail` counts: an `info` seek may have taken effect). The poll
/// checkers (`poll-skip`, `nonmonotonic-poll`) judge these steps.
pub(crate) fn poll_steps(history: &History) -> Vec<PollStep> {
    let mut last: std::collections::BTreeMap<(Process, i32), Before> = Default::default();
    let mut steps = Vec::new();
    for event in &history.events {
        match (&event.op, event.outcome) {
            (Op::Seek { .. }, Outcome::Fail) => {}
            (Op::Seek { partition, offset }, _) => {
                last.insert((event.process, *partition), Before::Seek(*offset));
            }
            (Op::Poll { reads }, Outcome::Ok) => {
                for read in reads {
                    let key = (event.process, read.partition);
                    let before = last
                        .insert(key, Before::Read(*read))
                        .unwrap_or(Before::Nothing);
                    steps.push(PollStep {
                        process: event.process,
                        before,
                        read: *read,
                    });
                }
            }
            _ => {}
        }
    }
    steps
}

/// How many items `list` names before summarising the rest.
const LIST_LIMIT: usize = 20;

/// `a, b, c`, or for long lists the first `LIST_LIMIT` items and `... (N in all)`, so one
/// anomaly's detail stays readable however much went wrong.
pub(crate) fn list<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|item| item.to_string()).collect();
    if items.len() <= LIST_LIMIT {
        return items.join(", ");
    }
    format!(
        "{}, ... ({} in all)",
        items[..LIST_LIMIT].join(", "),
        items.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::build::*;
    use crate::history::Process;

    #[test]
    fn every_checker_has_a_unique_kebab_case_name_and_a_source() {
        let names: Vec<&str> = all().iter().map(|checker| checker.name()).collect();
        assert_eq!(
            names,
            vec![
                "lost-write",
                "unseen",
                "duplicate",
                "inconsistent-offsets",
                "nonmonotonic-send",
                "poll-skip",
                "nonmonotonic-poll",
                "lost-topic",
            ]
        );
        for checker in all() {
            assert!(checker
                .name()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!checker.source().is_empty());
        }
    }

    #[test]
    fn a_clean_history_passes_every_checker() {
        let history = history(vec![
            send_invoke(0, 10),
            send_ok(0, 0, 0, 10),
            send_invoke(0, 11),
            send_ok(0, 0, 1, 11),
            seek(Process::Consumer(0), 0, 0),
            poll(Process::Consumer(0), &[(0, 0, 10), (0, 1, 11)]),
            seek(Process::FinalReader, 0, 0),
            poll(Process::FinalReader, &[(0, 0, 10), (0, 1, 11)]),
        ]);
        assert_eq!(check_history(&history), Vec::new());
        assert_eq!(check_history(&History::new()), Vec::new());
    }

    #[test]
    fn check_history_runs_every_checker() {
        // Value 10 is read at two offsets (duplicate), offset 1 holds two values
        // (inconsistent-offsets) and is read twice in a row (nonmonotonic-poll), the read of 3
        // jumps over known offset 2 (poll-skip), and value 12, acknowledged at offset 2, is
        // never read although offset 3 was (lost-write).
        let history = history(vec![
            send_ok(0, 0, 0, 10),
            send_ok(0, 0, 2, 12),
            poll(
                Process::Consumer(0),
                &[(0, 0, 10), (0, 1, 10), (0, 1, 11), (0, 3, 13)],
            ),
        ]);
        let checkers: Vec<&str> = check_history(&history)
            .iter()
            .map(|anomaly| anomaly.checker)
            .collect();
        assert_eq!(
            checkers,
            vec![
                "lost-write",
                "duplicate",
                "inconsistent-offsets",
                "poll-skip",
                "nonmonotonic-poll",
            ]
        );
    }

    #[test]
    fn long_lists_are_summarised() {
        assert_eq!(list([1, 2, 3]), "1, 2, 3");
        let long = list(0..25);
        assert!(long.starts_with("0, 1, 2"));
        assert!(long.ends_with("19, ... (25 in all)"));
    }
}
