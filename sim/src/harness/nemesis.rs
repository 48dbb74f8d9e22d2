//! The nemesis: applies the plan's faults at their times during the safety phase, and heals
//! everything when it ends.
//!
//! Each fault has a start and an end (a killed node restarts, a paused one resumes, a partition
//! heals, a slow network or a full disk recovers). Overlapping faults on one node are resolved
//! conservatively: a node already down is not killed or paused again, and an end only undoes
//! what its own start did.

use std::collections::BTreeSet;
use std::time::Duration;

use super::cluster::Cluster;
use crate::scenario::{Plan, PlannedFault};

/// What the nemesis has done and not yet undone.
#[derive(Default)]
pub struct Nemesis {
    killed: BTreeSet<u32>,
    paused: BTreeSet<u32>,
    partitioned: BTreeSet<u32>,
    disk_full: BTreeSet<u32>,
    slow: u32,
    /// Faults started, for the run summary.
    pub injected: u64,
}

/// A point in time: a fault starts or ends.
struct Step<'a> {
    at_ms: u64,
    start: bool,
    fault: &'a PlannedFault,
}

impl Nemesis {
    /// Runs the plan's faults until `safety_ms`, then heals everything.
    pub async fn run(&mut self, cluster: &Cluster, plan: &Plan) {
        let mut steps: Vec<Step<'_>> = Vec::new();
        for fault in &plan.faults {
            steps.push(Step {
                at_ms: fault.at_ms,
                start: true,
                fault,
            });
            let end = fault.at_ms.saturating_add(fault.duration_ms.max(1));
            if end < plan.safety_ms {
                steps.push(Step {
                    at_ms: end,
                    start: false,
                    fault,
                });
            }
        }
        // Stable: ends before starts at the same millisecond, then plan order.
        steps.sort_by_key(|step| (step.at_ms, step.start));
        let begin = tokio::time::Instant::now();
        for step in steps {
            tokio::time::sleep_until(begin + Duration::from_millis(step.at_ms)).await;
            if step.start {
                self.start(cluster, step.fault);
            } else {
                self.end(cluster, step.fault);
            }
        }
        tokio::time::sleep_until(begin + Duration::from_millis(plan.safety_ms)).await;
        self.heal_all(cluster);
    }

    fn start(&mut self, cluster: &Cluster, fault: &PlannedFault) {
        let node = fault.node;
        let down = self.killed.contains(&node) || self.paused.contains(&node);
        match fault.fault.as_str() {
            "kill" if !down => {
                cluster.kill(node);
                self.killed.insert(node);
            }
            "pause" if !down => {
                cluster.pause(node);
                self.paused.insert(node);
            }
            "partition" | "partition-one-way" if !self.partitioned.contains(&node) => {
                cluster.partition(node, fault.fault == "partition-one-way");
                self.partitioned.insert(node);
            }
            "slow" => {
                self.slow += 1;
                cluster.set_latency(Some(Duration::from_millis(fault.latency_ms)));
            }
            "disk-full" if !self.disk_full.contains(&node) => {
                let disk = &cluster.node(node).disk;
                disk.set_capacity(Some(disk.cached_bytes()));
                self.disk_full.insert(node);
            }
            _ => return,
        }
        self.injected += 1;
    }

    fn end(&mut self, cluster: &Cluster, fault: &PlannedFault) {
        let node = fault.node;
        match fault.fault.as_str() {
            "kill" if self.killed.remove(&node) => cluster.restart(node),
            "pause" if self.paused.remove(&node) => cluster.resume(node),
            "partition" | "partition-one-way" if self.partitioned.remove(&node) => {
                cluster.heal(node)
            }
            "slow" if self.slow > 0 => {
                self.slow -= 1;
                if self.slow == 0 {
                    cluster.set_latency(None);
                }
            }
            "disk-full" if self.disk_full.remove(&node) => {
                cluster.node(node).disk.set_capacity(None);
            }
            _ => {}
        }
    }

    /// The liveness phase begins: every fault undone, disk faults off, every node started.
    pub fn heal_all(&mut self, cluster: &Cluster) {
        cluster.trace.event("nemesis", "heal all");
        for node in std::mem::take(&mut self.paused) {
            cluster.resume(node);
        }
        for node in std::mem::take(&mut self.partitioned) {
            cluster.heal(node);
        }
        if std::mem::take(&mut self.slow) > 0 {
            cluster.set_latency(None);
        }
        self.disk_full.clear();
        self.killed.clear();
        for node in &cluster.nodes {
            node.disk.set_capacity(None);
            node.disk.set_faults(crate::disk::DiskFaults::default());
            if !node.is_up() {
                cluster.restart(node.number);
            }
        }
    }
}
