//! The history of a run: every client operation as invoke / ok / fail / info, in the order the
//! simulator saw them, in the shape Jepsen's Kafka workload records (one process per client).
//!
//! - `invoke`: the client is about to do something;
//! - `ok`: it happened, with what the client learnt (the offset of a send, the records of a
//!   poll);
//! - `fail`: it certainly did not happen (the broker said so before doing anything);
//! - `info`: unknown (a timeout or a dropped connection: a send may or may not have landed).
//!
//! Values are unique per run, so a value identifies the send that wrote it. Checkers read
//! nothing but this (and, for the log invariants, what the simulator found on each node's disk).

use std::collections::BTreeMap;

/// Which client did something: producers, consumers and the admin client each have their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Process {
    Producer(u32),
    Consumer(u32),
    Admin,
    /// The liveness phase's final read of every partition from the beginning.
    FinalReader,
    /// Producer `n` again once the faults are healed: the application's writes after the
    /// incident, each of which must be acknowledged within the liveness phase.
    HealedProducer(u32),
}

impl std::fmt::Display for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Process::Producer(n) => write!(f, "producer-{n}"),
            Process::Consumer(n) => write!(f, "consumer-{n}"),
            Process::Admin => write!(f, "admin"),
            Process::FinalReader => write!(f, "final-reader"),
            Process::HealedProducer(n) => write!(f, "healed-producer-{n}"),
        }
    }
}

/// Whether an operation happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// One record seen by a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Read {
    pub partition: i32,
    pub offset: i64,
    pub value: u64,
}

/// What an operation was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A produce of one record. `partition` is known at invoke when the producer chose it, and
    /// at ok in any case; `offset` only at ok. `durable` says whether the acknowledgement
    /// promised durability across a crash (acks and the flush policy of the run decide).
    Send {
        value: u64,
        partition: Option<i32>,
        offset: Option<i64>,
        durable: bool,
    },
    /// One poll by a consumer using assign; at ok, the records it returned, in order.
    Poll { reads: Vec<Read> },
    /// assign + seek: the consumer's next read of `partition` starts at `offset`, so monotonicity
    /// and skip checks restart there.
    Seek { partition: i32, offset: i64 },
    /// An admin operation (create topic, ...), described.
    Admin { what: String },
    /// The creation of one more topic while the run goes on (the metadata workload).
    CreateTopic { name: String },
    /// Every topic the cluster listed, in the liveness phase.
    ListTopics { names: Vec<String> },
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub process: Process,
    pub outcome: Outcome,
    pub op: Op,
    /// Simulated milliseconds since the run started.
    pub at_ms: u64,
}

/// Every client operation of a run, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub events: Vec<Event>,
}

/// An acknowledged send: the value, where it landed, and whether it was promised durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AckedSend {
    pub process: Process,
    pub partition: i32,
    pub offset: i64,
    pub value: u64,
    pub durable: bool,
}

impl AckedSend {
    /// "partition P offset O value V (sent by X, durable) was acknowledged but never read".
    pub fn never_read(&self) -> String {
        let durable = if self.durable {
            "durable"
        } else {
            "not durable"
        };
        format!(
            "partition {} offset {} value {} (sent by {}, {durable}) was acknowledged but never \
             read",
            self.partition, self.offset, self.value, self.process
        )
    }
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, process: Process, outcome: Outcome, op: Op, at_ms: u64) {
        self.events.push(Event {
            process,
            outcome,
            op,
            at_ms,
        });
    }

    /// Every send acknowledged with an offset, in history order.
    pub fn acked_sends(&self) -> Vec<AckedSend> {
        self.events
            .iter()
            .filter(|event| event.outcome == Outcome::Ok)
            .filter_map(|event| match event.op {
                Op::Send {
                    value,
                    partition: Some(partition),
                    offset: Some(offset),
                    durable,
                } if offset >= 0 => Some(AckedSend {
                    process: event.process,
                    partition,
                    offset,
                    value,
                    durable,
                }),
                _ => None,
            })
            .collect()
    }

    /// Every record any successful poll returned, with the process that read it, in order.
    pub fn reads(&self) -> Vec<(Process, Read)> {
        self.events
            .iter()
            .filter(|event| event.outcome == Outcome::Ok)
            .flat_map(|event| match &event.op {
                Op::Poll { reads } => reads.iter().map(|r| (event.process, *r)).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// The reads that say what the logs finally hold: the final reader's, when the run got
    /// that far (it reads every partition from the beginning after healing), else every read.
    /// A write that a consumer saw before a crash and the log then lost is judged by these, so
    /// having been read once does not excuse its loss.
    pub fn judged_reads(&self) -> Vec<(Process, Read)> {
        let final_read = self
            .events
            .iter()
            .any(|e| e.process == Process::FinalReader && e.outcome == Outcome::Ok);
        let reads = self.reads();
        if !final_read {
            return reads;
        }
        reads
            .into_iter()
            .filter(|(process, _)| *process == Process::FinalReader)
            .collect()
    }

    /// Every acknowledged send the judged reads never returned, ordered by partition, offset,
    /// value and producer, each with the highest offset the judged reads reached in its
    /// partition: `lost-write` takes those the reads went past, `unseen` the rest.
    pub fn unread_acked_sends(&self) -> Vec<(AckedSend, Option<i64>)> {
        let read_values = self.judged_values();
        let max_read = self.max_judged_offset();
        let mut unread: Vec<(AckedSend, Option<i64>)> = self
            .acked_sends()
            .into_iter()
            .filter(|send| !read_values.contains(&send.value))
            .map(|send| (send, max_read.get(&send.partition).copied()))
            .collect();
        unread.sort_by_key(|(send, _)| (send.partition, send.offset, send.value, send.process));
        unread
    }

    /// Every value the judged reads returned.
    pub fn judged_values(&self) -> std::collections::BTreeSet<u64> {
        self.judged_reads()
            .iter()
            .map(|(_, read)| read.value)
            .collect()
    }

    /// The highest offset the judged reads observed, per partition.
    pub fn max_judged_offset(&self) -> BTreeMap<i32, i64> {
        let mut max: BTreeMap<i32, i64> = BTreeMap::new();
        for (_, read) in self.judged_reads() {
            let entry = max.entry(read.partition).or_insert(read.offset);
            *entry = (*entry).max(read.offset);
        }
        max
    }

    /// Per partition, every value known at each offset (from acknowledgements and reads).
    /// More than one value at an offset is itself an anomaly (inconsistent offsets).
    pub fn values_by_offset(&self) -> BTreeMap<i32, BTreeMap<i64, Vec<u64>>> {
        let mut known: BTreeMap<i32, BTreeMap<i64, Vec<u64>>> = BTreeMap::new();
        let mut note = |partition: i32, offset: i64, value: u64| {
            let values = known
                .entry(partition)
                .or_default()
                .entry(offset)
                .or_default();
            if !values.contains(&value) {
                values.push(value);
            }
        };
        for send in self.acked_sends() {
            note(send.partition, send.offset, send.value);
        }
        for (_, read) in self.reads() {
            note(read.partition, read.offset, read.value);
        }
        known
    }
}

/// Builders for tests (checkers' bad histories are written with these).
#[cfg(test)]
pub mod build {
    use super::*;

    pub fn send_ok(process: u32, partition: i32, offset: i64, value: u64) -> Event {
        Event {
            process: Process::Producer(process),
            outcome: Outcome::Ok,
            op: Op::Send {
                value,
                partition: Some(partition),
                offset: Some(offset),
                durable: true,
            },
            at_ms: 0,
        }
    }

    pub fn poll(process: Process, reads: &[(i32, i64, u64)]) -> Event {
        Event {
            process,
            outcome: Outcome::Ok,
            op: Op::Poll {
                reads: reads
                    .iter()
                    .map(|&(partition, offset, value)| Read {
                        partition,
                        offset,
                        value,
                    })
                    .collect(),
            },
            at_ms: 0,
        }
    }

    pub fn seek(process: Process, partition: i32, offset: i64) -> Event {
        Event {
            process,
            outcome: Outcome::Ok,
            op: Op::Seek { partition, offset },
            at_ms: 0,
        }
    }

    /// A producer's invoke of a send of `value` (partition and offset still unknown).
    pub fn send_invoke(process: u32, value: u64) -> Event {
        Event {
            process: Process::Producer(process),
            outcome: Outcome::Invoke,
            op: Op::Send {
                value,
                partition: None,
                offset: None,
                durable: true,
            },
            at_ms: 0,
        }
    }

    /// `event` with another outcome (a send that failed or timed out, say).
    pub fn with_outcome(event: Event, outcome: Outcome) -> Event {
        Event { outcome, ..event }
    }

    /// `event` (a send) acknowledged without a promise of durability.
    pub fn not_durable(mut event: Event) -> Event {
        if let Op::Send { durable, .. } = &mut event.op {
            *durable = false;
        }
        event
    }

    pub fn history(events: Vec<Event>) -> History {
        History { events }
    }
}
