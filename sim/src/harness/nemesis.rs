//! The nemesis: applies the plan's faults at their times during the safety phase, and heals
//! everything when it ends.
//!
//! Each fault has a start and an end (a killed node restarts, a paused one resumes, a partition
//! heals, a slow network or a full disk recovers). Overlapping faults on one node are resolved
//! conservatively: a node already down is not killed or paused again, and an end only undoes
//! what its own start did.

use std::collections::BTreeMap;
use std::time::Duration;

use super::cluster::Cluster;
use crate::scenario::{Plan, PlannedFault};

/// How long a halted node's old process gets to be torn down before it starts again.
const PROCESS_TEARDOWN_MS: u64 = 10;
/// How long the heal waits for a start that was already under way to end, one way or the
/// other (start-up takes tens of milliseconds; its retries of an unreachable quorum, longer).
const STARTING_WAIT_MS: u64 = 10_000;

/// What the nemesis has done and not yet undone.
#[derive(Default)]
pub struct Nemesis {
    /// Per node, the index (in the plan) of the fault that holds it in each state: only that
    /// fault's end undoes it.
    killed: BTreeMap<u32, usize>,
    paused: BTreeMap<u32, usize>,
    partitioned: BTreeMap<u32, usize>,
    isolated: BTreeMap<u32, usize>,
    disk_full: BTreeMap<u32, usize>,
    slow: u32,
    /// Faults started, for the run summary.
    pub injected: u64,
}

/// A point in time: a fault starts or ends.
struct Step<'a> {
    at_ms: u64,
    start: bool,
    index: usize,
    fault: &'a PlannedFault,
}

impl Nemesis {
    /// Runs the plan's faults until `safety_ms`, then heals everything.
    pub async fn run(&mut self, cluster: &Cluster, plan: &Plan) {
        let mut steps: Vec<Step<'_>> = Vec::new();
        for (index, fault) in plan.faults.iter().enumerate() {
            steps.push(Step {
                at_ms: fault.at_ms,
                start: true,
                index,
                fault,
            });
            let end = fault.at_ms.saturating_add(fault.duration_ms.max(1));
            if end < plan.safety_ms {
                steps.push(Step {
                    at_ms: end,
                    start: false,
                    index,
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
                self.start(cluster, step.index, step.fault);
            } else {
                self.end(cluster, step.index, step.fault);
            }
        }
        tokio::time::sleep_until(begin + Duration::from_millis(plan.safety_ms)).await;
        self.heal_all(cluster).await;
    }

    fn start(&mut self, cluster: &Cluster, index: usize, fault: &PlannedFault) {
        let node = fault.node;
        let down = self.killed.contains_key(&node) || self.paused.contains_key(&node);
        match fault.fault.as_str() {
            "kill" if !down => {
                cluster.kill(node);
                self.killed.insert(node, index);
            }
            "kill-controller" => {
                // Whichever node leads the metadata quorum now (the planned node if none does).
                let target = cluster.active_controller().unwrap_or(node);
                if self.killed.contains_key(&target) || self.paused.contains_key(&target) {
                    return;
                }
                cluster.kill(target);
                self.killed.insert(target, index);
            }
            "kill-all" => {
                let up: Vec<u32> = (cluster.nodes.iter())
                    .map(|node| node.number)
                    .filter(|n| !self.killed.contains_key(n) && !self.paused.contains_key(n))
                    .collect();
                if up.is_empty() {
                    return;
                }
                for number in up {
                    cluster.kill(number);
                    self.killed.insert(number, index);
                }
            }
            "isolate" if !self.isolated.contains_key(&node) => {
                cluster.isolate(node);
                self.isolated.insert(node, index);
            }
            "pause" if !down => {
                cluster.pause(node);
                self.paused.insert(node, index);
            }
            "partition" | "partition-one-way" if !self.partitioned.contains_key(&node) => {
                cluster.partition(node, fault.fault == "partition-one-way");
                self.partitioned.insert(node, index);
            }
            "slow" => {
                self.slow += 1;
                cluster.set_latency(Some(Duration::from_millis(fault.latency_ms)));
            }
            "disk-full" if !self.disk_full.contains_key(&node) => {
                let disk = &cluster.node(node).disk;
                disk.set_capacity(Some(disk.cached_bytes()));
                self.disk_full.insert(node, index);
            }
            _ => return,
        }
        self.injected += 1;
    }

    fn end(&mut self, cluster: &Cluster, index: usize, fault: &PlannedFault) {
        let node = fault.node;
        let owns = |held: &mut BTreeMap<u32, usize>| {
            let owned = held.get(&node) == Some(&index);
            if owned {
                held.remove(&node);
            }
            owned
        };
        match fault.fault.as_str() {
            "kill" | "kill-controller" | "kill-all" => {
                // Every node this fault killed (the controller's number is known only now).
                let held: Vec<u32> = (self.killed.iter())
                    .filter(|(_, &by)| by == index)
                    .map(|(&number, _)| number)
                    .collect();
                for number in held {
                    self.killed.remove(&number);
                    cluster.restart(number);
                }
            }
            "isolate" if owns(&mut self.isolated) => {
                let still: Vec<u32> = self.isolated.keys().copied().collect();
                cluster.rejoin(node, &still);
            }
            "pause" if owns(&mut self.paused) => cluster.resume(node),
            "partition" | "partition-one-way" if owns(&mut self.partitioned) => cluster.heal(node),
            "slow" if self.slow > 0 => {
                self.slow -= 1;
                if self.slow == 0 {
                    cluster.set_latency(None);
                }
            }
            "disk-full" if owns(&mut self.disk_full) => {
                cluster.node(node).disk.set_capacity(None);
            }
            _ => {}
        }
    }

    /// The liveness phase begins: every fault undone, disk faults off, every node started.
    pub async fn heal_all(&mut self, cluster: &Cluster) {
        cluster.trace.event("nemesis", "heal all");
        for node in std::mem::take(&mut self.paused).into_keys() {
            cluster.resume(node);
        }
        for node in std::mem::take(&mut self.partitioned).into_keys() {
            cluster.heal(node);
        }
        for node in std::mem::take(&mut self.isolated).into_keys() {
            cluster.rejoin(node, &[]);
        }
        if std::mem::take(&mut self.slow) > 0 {
            cluster.set_latency(None);
        }
        self.disk_full.clear();
        self.killed.clear();
        let mut to_restart = Vec::new();
        let mut starting = Vec::new();
        for node in &cluster.nodes {
            node.disk.set_capacity(None);
            node.disk.set_faults(crate::disk::DiskFaults::default());
            // A node whose process is gone (killed, halted, or failed to start) is started
            // again; one still starting up is left to finish, and watched below.
            if cluster.has_exited(node.number) {
                cluster.end_process(node.number);
                to_restart.push(node.number);
            } else if !node.is_up() {
                starting.push(node.number);
            }
        }
        Self::restart_all(cluster, to_restart).await;
        // A start that began under the faults may still fail on them (a restart into a full
        // disk whose metadata append fails just after the heal): it is the fault's doing, so
        // the node is started once more, as an operator would once the incident is over. A
        // node started after the heal gets no second chance.
        let begin = tokio::time::Instant::now();
        while !starting.is_empty() && begin.elapsed() < Duration::from_millis(STARTING_WAIT_MS) {
            tokio::time::sleep(Duration::from_millis(PROCESS_TEARDOWN_MS)).await;
            let (failed, pending): (Vec<u32>, Vec<u32>) = std::mem::take(&mut starting)
                .into_iter()
                .filter(|&number| !cluster.node(number).is_up())
                .partition(|&number| cluster.has_exited(number));
            starting = pending;
            for &number in &failed {
                cluster.trace.event(
                    "nemesis",
                    format_args!("n{number} failed a start begun before the heal"),
                );
                cluster.end_process(number);
            }
            Self::restart_all(cluster, failed).await;
        }
    }

    /// Restarts `numbers`, once madsim has dropped their old processes' tasks (and released
    /// their listeners).
    async fn restart_all(cluster: &Cluster, numbers: Vec<u32>) {
        if numbers.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(PROCESS_TEARDOWN_MS)).await;
        for number in numbers {
            cluster.restart(number);
        }
    }
}
