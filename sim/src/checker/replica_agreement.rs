//! `replica-agreement`: the replicas of a partition hold the same records wherever both call
//! them committed.
//!
//! Invariant, per partition, for every two nodes holding it after the run: below the lower of
//! their two high watermarks (and at or above the higher of their log starts), both logs hold
//! the same batches, with the same offsets and the same CRC (which covers the records). A high
//! watermark covers only records every in-sync replica had, and a committed record is never
//! truncated, so two replicas that disagree there mean one of them kept a tail the leader never
//! had (a skipped truncation), took a leader that lacked committed records, or appended the
//! leader's batches wrongly. Source: Kafka's replication guarantee (KIP-101, KIP-279: replicas
//! agree up to the high watermark; a follower truncates what diverged before fetching on).

use std::collections::BTreeMap;

use super::{Anomaly, PartitionLog};

pub const NAME: &str = "replica-agreement";

/// Checks every partition held by more than one node; one anomaly per disagreeing pair, at
/// the first batch where they differ.
pub fn check_logs(logs: &[PartitionLog]) -> Vec<Anomaly> {
    let mut by_partition: BTreeMap<i32, Vec<&PartitionLog>> = BTreeMap::new();
    for log in logs {
        by_partition.entry(log.partition).or_default().push(log);
    }
    let mut anomalies = Vec::new();
    for replicas in by_partition.values() {
        for (i, a) in replicas.iter().enumerate() {
            for b in &replicas[i + 1..] {
                if let Some(detail) = disagreement(a, b) {
                    anomalies.push(Anomaly {
                        checker: NAME,
                        detail,
                    });
                }
            }
        }
    }
    anomalies
}

/// The batches of `log` that lie wholly in `[from, below)`, by base offset: (last, CRC).
fn committed(log: &PartitionLog, from: i64, below: i64) -> BTreeMap<i64, (i64, Option<u32>)> {
    (log.batches.iter())
        .filter(|b| b.base_offset >= from && b.base_offset < below)
        .map(|b| (b.base_offset, (b.last_offset, b.crc_valid.then_some(b.crc))))
        .collect()
}

fn disagreement(a: &PartitionLog, b: &PartitionLog) -> Option<String> {
    let below = a.high_watermark.min(b.high_watermark);
    let from = a.log_start_offset.max(b.log_start_offset);
    let (ours, theirs) = (committed(a, from, below), committed(b, from, below));
    let offsets = ours.keys().chain(theirs.keys()).copied();
    let first = offsets
        .filter(|offset| ours.get(offset) != theirs.get(offset))
        .min()?;
    let show = |batch: Option<&(i64, Option<u32>)>| match batch {
        Some((last, Some(crc))) => format!("a batch {first}..={last} with CRC {crc:#010x}"),
        Some((last, None)) => format!("a damaged batch {first}..={last}"),
        None => "no batch starting there".to_string(),
    };
    Some(format!(
        "partition {}: below both high watermarks ({} on {}, {} on {}), at offset {first} {} \
         holds {} but {} holds {}",
        a.partition,
        a.high_watermark,
        a.node,
        b.high_watermark,
        b.node,
        a.node,
        show(ours.get(&first)),
        b.node,
        show(theirs.get(&first))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::BatchInfo;

    fn log(node: &str, high_watermark: i64, batches: &[(i64, i64, u32)]) -> PartitionLog {
        PartitionLog {
            node: node.into(),
            partition: 0,
            log_start_offset: 0,
            high_watermark,
            log_end_offset: batches.last().map_or(0, |b| b.1 + 1),
            batches: (batches.iter())
                .map(|&(base_offset, last_offset, crc)| BatchInfo {
                    base_offset,
                    last_offset,
                    crc_valid: true,
                    crc,
                })
                .collect(),
        }
    }

    #[test]
    fn replicas_that_agree_below_the_high_watermark_pass() {
        // n2 is behind and n3 has a tail past the high watermark the others lack: both fine.
        let leader = log("n1", 6, &[(0, 2, 7), (3, 5, 8)]);
        let behind = log("n2", 3, &[(0, 2, 7)]);
        let tail = log("n3", 6, &[(0, 2, 7), (3, 5, 8), (6, 9, 99)]);
        assert!(check_logs(&[leader, behind, tail]).is_empty());
    }

    #[test]
    fn a_replica_that_kept_a_diverged_tail_is_caught() {
        let leader = log("n1", 6, &[(0, 2, 7), (3, 5, 8)]);
        let diverged = log("n2", 6, &[(0, 2, 7), (3, 5, 9)]);
        let anomalies = check_logs(&[leader, diverged]);
        assert_eq!(anomalies.len(), 1);
        assert!(
            anomalies[0].detail.contains("at offset 3"),
            "{}",
            anomalies[0].detail
        );
        // Different batch boundaries over the same offsets disagree too.
        let leader = log("n1", 6, &[(0, 2, 7), (3, 5, 8)]);
        let split = log("n2", 6, &[(0, 2, 7), (3, 3, 8), (4, 5, 8)]);
        assert_eq!(check_logs(&[leader, split]).len(), 1);
    }
}
