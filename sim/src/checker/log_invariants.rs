//! `log-invariants`: every partition log on every node is whole after the run.
//!
//! Invariants, per node and partition, over the batches found on disk (in segment order) and
//! the broker's log start offset, high watermark and log end offset, after recovery:
//!
//! - every batch's CRC is valid: recovery truncates torn and corrupt tails, and nothing after
//!   it may serve a batch that fails its check;
//! - a batch's `last_offset` ≥ its `base_offset`;
//! - the batches cover the log without gaps or overlaps: the first batch starts at or before
//!   the log start offset (the log start can fall inside a batch, or past whole batches of the
//!   first segment after DeleteRecords: Kafka only deletes whole segments), each next batch's
//!   `base_offset` is the previous `last_offset` + 1, and the last batch's `last_offset` + 1 is
//!   the log end offset;
//! - a log with no batches holds no offsets: its log end offset is not above its log start
//!   offset. Kafka's `truncateFullyAndStartAt(x)`, and retention deleting every segment but an
//!   empty active one, leave log start = log end = x; a log end past the log start with no batch
//!   would claim offsets nothing holds. (A log end below the log start is caught by the next
//!   rule, and reported once, there.)
//! - log start offset ≤ high watermark ≤ log end offset.
//!
//! A batch that fails its CRC (or whose offsets are reversed) is reported as such, and its
//! header's offsets are not trusted: contiguity is not judged across it (the next batch starts
//! a new run) nor, if it is the last batch, against the log end offset. The simulator records
//! a tail that is not a whole batch as one such batch. Each anomaly names the node and
//! partition. Source: Kafka's log invariants (`kafka.log.UnifiedLog`/`LogSegment`: contiguous
//! offsets from the log start offset to the log end offset, valid batch CRCs after recovery,
//! and `logStartOffset <= highWatermark <= logEndOffset`).

use super::{Anomaly, PartitionLog};

pub const NAME: &str = "log-invariants";

/// Checks every log; the anomalies come in the logs' order, each log's in the order above.
pub fn check_logs(logs: &[PartitionLog]) -> Vec<Anomaly> {
    logs.iter().flat_map(check_log).collect()
}

fn check_log(log: &PartitionLog) -> Vec<Anomaly> {
    let mut problems: Vec<String> = Vec::new();
    let start = log.log_start_offset;
    let end = log.log_end_offset;
    // The offset the next batch must start at; None when the previous batch is untrusted.
    let mut next: Option<i64> = None;
    for (index, batch) in log.batches.iter().enumerate() {
        let (base, last) = (batch.base_offset, batch.last_offset);
        if !batch.crc_valid {
            problems.push(format!(
                "batch {index} (offsets {base}..={last}) fails its CRC check"
            ));
            next = None;
            continue;
        }
        if last < base {
            problems.push(format!(
                "batch {index} has last offset {last} below its base offset {base}"
            ));
            next = None;
            continue;
        }
        if index == 0 {
            if base > start {
                problems.push(format!(
                    "offsets {start}..={} are missing: the first batch starts at offset {base}, \
                     after the log start offset {start}",
                    base - 1
                ));
            }
        } else if let Some(expected) = next {
            if base > expected {
                problems.push(format!(
                    "offsets {expected}..={} are missing: batch {index} starts at offset {base} \
                     after a batch ending at offset {}",
                    base - 1,
                    expected - 1
                ));
            } else if base < expected {
                problems.push(format!(
                    "batch {index} starts at offset {base}, overlapping the previous batch, which \
                     ends at offset {}",
                    expected - 1
                ));
            }
        }
        next = last.checked_add(1);
    }
    if log.batches.is_empty() {
        if end > start {
            problems.push(format!(
                "no batches, but the log end offset {end} is above the log start offset {start}"
            ));
        }
    } else if let Some(expected) = next {
        if expected != end {
            problems.push(format!(
                "the last batch ends at offset {}, but the log end offset is {end}",
                expected - 1
            ));
        }
    }
    if start > log.high_watermark {
        problems.push(format!(
            "log start offset {start} is above the high watermark {}",
            log.high_watermark
        ));
    }
    if log.high_watermark > end {
        problems.push(format!(
            "high watermark {} is above the log end offset {end}",
            log.high_watermark
        ));
    }
    problems
        .into_iter()
        .map(|problem| Anomaly {
            checker: NAME,
            detail: format!("node {} partition {}: {problem}", log.node, log.partition),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::BatchInfo;

    fn batch(base_offset: i64, last_offset: i64) -> BatchInfo {
        BatchInfo {
            crc: 0,
            base_offset,
            last_offset,
            crc_valid: true,
        }
    }

    fn log(start: i64, high_watermark: i64, end: i64, batches: Vec<BatchInfo>) -> PartitionLog {
        PartitionLog {
            node: "n2".into(),
            partition: 3,
            log_start_offset: start,
            high_watermark,
            log_end_offset: end,
            batches,
        }
    }

    fn details(logs: &[PartitionLog]) -> Vec<String> {
        let anomalies = check_logs(logs);
        assert!(anomalies
            .iter()
            .all(|anomaly| anomaly.checker == "log-invariants"));
        anomalies
            .into_iter()
            .map(|anomaly| anomaly.detail)
            .collect()
    }

    #[test]
    fn whole_logs_pass() {
        let logs = [
            log(0, 10, 10, vec![batch(0, 4), batch(5, 5), batch(6, 9)]),
            // The log start inside the first batch, and past a whole batch (DeleteRecords).
            log(2, 9, 10, vec![batch(0, 4), batch(5, 9)]),
            log(7, 8, 10, vec![batch(0, 4), batch(5, 9)]),
            // Truncated fully to start at 12 (or every old segment deleted): empty at 12.
            log(12, 12, 12, vec![]),
            log(0, 0, 0, vec![]),
        ];
        assert_eq!(details(&logs), Vec::<String>::new());
    }

    #[test]
    fn a_gap_between_batches_is_reported() {
        let logs = [log(0, 10, 10, vec![batch(0, 4), batch(7, 9)])];
        assert_eq!(
            details(&logs),
            vec![
                "node n2 partition 3: offsets 5..=6 are missing: batch 1 starts at offset 7 after \
                 a batch ending at offset 4"
            ]
        );
    }

    #[test]
    fn an_overlap_between_batches_is_reported() {
        let logs = [log(0, 8, 8, vec![batch(0, 4), batch(3, 7)])];
        assert_eq!(
            details(&logs),
            vec![
                "node n2 partition 3: batch 1 starts at offset 3, overlapping the previous \
                 batch, which ends at offset 4"
            ]
        );
    }

    #[test]
    fn a_first_batch_after_the_log_start_is_reported() {
        let logs = [log(0, 10, 10, vec![batch(3, 9)])];
        assert_eq!(
            details(&logs),
            vec![
                "node n2 partition 3: offsets 0..=2 are missing: the first batch starts at \
                 offset 3, after the log start offset 0"
            ]
        );
    }

    #[test]
    fn a_log_end_offset_that_disagrees_with_the_last_batch_is_reported() {
        let logs = [
            log(0, 5, 12, vec![batch(0, 9)]),
            log(0, 5, 8, vec![batch(0, 9)]),
            log(0, 0, 4, vec![]),
        ];
        assert_eq!(
            details(&logs),
            vec![
                "node n2 partition 3: the last batch ends at offset 9, but the log end offset is \
                 12",
                "node n2 partition 3: the last batch ends at offset 9, but the log end offset is 8",
                "node n2 partition 3: no batches, but the log end offset 4 is above the log start \
                 offset 0",
            ]
        );
    }

    #[test]
    fn a_bad_crc_is_reported_and_its_offsets_not_trusted() {
        let mut corrupt = batch(5, 9);
        corrupt.crc_valid = false;
        // The simulator's record of a torn tail.
        let torn = BatchInfo {
            crc: 0,
            base_offset: -1,
            last_offset: -1,
            crc_valid: false,
        };
        let logs = [
            log(0, 15, 15, vec![batch(0, 4), corrupt, batch(10, 14)]),
            log(0, 5, 5, vec![batch(0, 4), torn]),
        ];
        assert_eq!(
            details(&logs),
            vec![
                "node n2 partition 3: batch 1 (offsets 5..=9) fails its CRC check",
                "node n2 partition 3: batch 1 (offsets -1..=-1) fails its CRC check",
            ]
        );
    }

    #[test]
    fn reversed_batch_offsets_are_reported() {
        let logs = [log(0, 5, 5, vec![batch(0, 4), batch(9, 5)])];
        assert_eq!(
            details(&logs),
            vec!["node n2 partition 3: batch 1 has last offset 5 below its base offset 9"]
        );
    }

    #[test]
    fn offsets_out_of_order_are_reported() {
        let logs = [
            log(6, 5, 10, vec![batch(0, 9)]),
            log(0, 11, 10, vec![batch(0, 9)]),
            // Truncated to start at 12 with a log end offset left behind.
            log(12, 12, 10, vec![]),
        ];
        assert_eq!(
            details(&logs),
            vec![
                "node n2 partition 3: log start offset 6 is above the high watermark 5",
                "node n2 partition 3: high watermark 11 is above the log end offset 10",
                "node n2 partition 3: high watermark 12 is above the log end offset 10",
            ]
        );
    }

    #[test]
    fn each_anomaly_names_its_node_and_partition() {
        let mut other = log(0, 0, 3, vec![]);
        other.node = "n1".into();
        other.partition = 0;
        let logs = [log(0, 0, 0, vec![]), other];
        assert_eq!(
            details(&logs),
            vec![
                "node n1 partition 0: no batches, but the log end offset 3 is above the log \
                 start offset 0"
            ]
        );
    }
}
