//! One seeded run: build the cluster, run the workloads through a safety phase under the
//! nemesis, heal, run the liveness phase (every producer writes again and each write is
//! acknowledged, every partition is read to its end, every node is up, all within the phase's
//! bound), then hand the history and each node's logs to the checkers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::madsim::runtime::{Handle, Runtime};
use tokio::madsim::Config;
use weir::canary::{self, Canary};
use weir::storage::batch::{check_crc, BatchSplitter};
use weir::storage::{Disk, OpenMode};
use weir::types::TopicPartition;

use super::broker_events;
use super::cluster::{lock, Cluster, DATA_DIR};
use super::isr_heal;
use super::metadata_workload;
use super::nemesis::Nemesis;
use super::watch;
use super::workload::{self, Recorder, TOPIC};
use crate::checker::{self, BatchInfo, PartitionLog};
use crate::disk::SimDisk;
use crate::history::{History, Outcome, Process};
use crate::scenario::Plan;
use crate::trace::Trace;
use crate::verdict::Verdict;

/// What a run did and found.
pub struct RunReport {
    pub plan: Plan,
    pub verdict: Verdict,
    pub history: History,
    pub trace: Trace,
    pub operations: usize,
    pub acknowledged: usize,
    pub faults_injected: u64,
    pub disk_faults: u64,
    pub simulated_ms: u64,
    /// The semantic election trace (see `harness::elections`).
    pub elections: Vec<String>,
}

/// Runs `plan` (its seed included) with `canaries` switched on.
pub fn run(plan: &Plan, canaries: &[Canary]) -> RunReport {
    // Canaries are process-wide switches, so runs on parallel threads (cargo's test runner)
    // would see each other's: one run at a time.
    static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    canary::set(canaries);
    let trace = Trace::new();
    let plan_for_run = plan.clone();
    let trace_for_run = trace.clone();
    // A fresh thread per run: std's HashMap keys are drawn once per thread (from the seeded
    // randomness madsim provides inside a runtime) and then only incremented, so a second run
    // on the same thread would iterate madsim's internal maps in another order. Needed, not
    // enough: madsim's task ids are process-wide, so only a fresh process replays a seed
    // exactly (the binary's `fresh.rs`). (The simulator's harness, not Weir, owns this thread.)
    let simulated = std::thread::spawn(move || {
        // The runtime first: it keys the thread's HashMaps from the seed, which works only
        // before anything on the thread has made one (the tracing subscriber does).
        let runtime = Runtime::with_seed_and_config(plan_for_run.seed, Config::default());
        let _events = broker_events::install(trace_for_run.clone());
        runtime.block_on(async move { simulate(plan_for_run, trace_for_run).await })
    })
    .join();
    canary::set(&[]);
    let Simulated {
        history,
        logs,
        liveness,
        watched,
        elections,
        faults_injected,
        disk_faults,
        simulated_ms,
    } = simulated.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let mut anomalies = checker::check_history(&history);
    anomalies.extend(checker::log_invariants::check_logs(&logs));
    anomalies.extend(checker::replica_agreement::check_logs(&logs));
    anomalies.extend(watched);
    // A run in which nothing was acknowledged checked nothing: say so rather than pass.
    let acknowledged = history.acked_sends().len();
    let liveness = liveness.or_else(|| {
        (acknowledged == 0).then(|| "no write was acknowledged in the whole run".to_string())
    });
    let verdict = Verdict::judge(anomalies, &plan.allow, liveness);
    RunReport {
        plan: plan.clone(),
        verdict,
        operations: history
            .events
            .iter()
            .filter(|e| e.outcome == Outcome::Invoke)
            .count(),
        acknowledged,
        history,
        trace,
        faults_injected,
        disk_faults,
        simulated_ms,
        elections,
    }
}

/// What the simulation hands the checkers, and counts for the report.
struct Simulated {
    history: History,
    logs: Vec<PartitionLog>,
    /// The liveness failure, if any.
    liveness: Option<String>,
    /// The run-time watchers' anomalies and election trace.
    watched: Vec<checker::Anomaly>,
    elections: Vec<String>,
    faults_injected: u64,
    disk_faults: u64,
    simulated_ms: u64,
}

async fn simulate(plan: Plan, trace: Trace) -> Simulated {
    let handle = Handle::current();
    let start = tokio::time::Instant::now();
    trace.event(
        "sim",
        format_args!("plan seed={} {}", plan.seed, plan.describe()),
    );
    let cluster = Arc::new(Cluster::start(handle, &plan, trace.clone()));
    let watching = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch::watch(cluster.clone(), watching.clone()));
    for (index, offset) in plan.clock_offsets_ms.iter().enumerate() {
        if *offset != 0 {
            cluster.set_clock_offset(index as u32 + 1, *offset);
        }
    }
    let recorder = Recorder::new(trace.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let bootstrap = cluster.bootstrap();
    let clients = {
        let (plan, recorder, stop, bootstrap) = (
            plan.clone(),
            recorder.clone(),
            stop.clone(),
            bootstrap.clone(),
        );
        cluster
            .client
            .spawn(async move { safety_clients(plan, bootstrap, recorder, stop).await })
    };
    let mut nemesis = Nemesis::default();
    nemesis.run(&cluster, &plan).await;
    stop.store(true, Ordering::Relaxed);
    // Producers finish their in-flight sends (bounded by their delivery timeout).
    let _ = tokio::time::timeout(Duration::from_secs(30), clients).await;
    let liveness_deadline = Duration::from_millis(plan.liveness_ms);
    let healed = tokio::time::Instant::now();
    let after_heal = {
        let (plan, recorder, bootstrap) = (plan.clone(), recorder.clone(), bootstrap.clone());
        cluster
            .client
            .spawn(async move { after_heal(plan, bootstrap, recorder).await })
    };
    let mut liveness = match tokio::time::timeout(liveness_deadline, after_heal).await {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(error))) => Some(error),
        Ok(Err(_)) => Some("the liveness phase's clients panicked".into()),
        Err(_) => Some(unfinished_after_heal(
            &recorder.history(),
            &plan,
            plan.liveness_ms,
        )),
    };
    // Every node must be serving again too. A restarted cluster node may need a broker
    // session's length for the controller to accept its new incarnation: wait, within the
    // liveness phase.
    while liveness.is_none()
        && cluster.nodes.iter().any(|node| !node.is_up())
        && healed.elapsed() < liveness_deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let down: Vec<&str> = cluster
        .nodes
        .iter()
        .filter(|node| !node.is_up())
        .map(|node| node.label.as_str())
        .collect();
    if liveness.is_none() && !down.is_empty() {
        liveness = Some(format!("nodes down after healing: {}", down.join(", ")));
    }
    if liveness.is_none() {
        liveness =
            list_topics_converged(&cluster, &bootstrap, &recorder, healed, liveness_deadline)
                .await
                .err();
    }
    if liveness.is_none() {
        liveness = isr_heal::isr_healed(&cluster, healed, liveness_deadline)
            .await
            .err();
    }
    watching.store(true, Ordering::Relaxed);
    let _ = watcher.await;
    let (watched, elections) = {
        let watch = lock(&cluster.watch);
        (watch.anomalies(), watch.elections.lines())
    };
    let logs = cluster
        .nodes
        .iter()
        .flat_map(|node| partition_logs(node, &plan))
        .collect();
    let disk_faults = cluster
        .nodes
        .iter()
        .map(|node| node.disk.fault_counts().values().sum::<u64>())
        .sum();
    let simulated_ms = start.elapsed().as_millis() as u64;
    trace.event("sim", format_args!("end simulated_ms={simulated_ms}"));
    Simulated {
        history: recorder.history(),
        logs,
        liveness,
        watched,
        elections,
        faults_injected: nemesis.injected,
        disk_faults,
        simulated_ms,
    }
}

/// The safety phase's clients: create the topic, then producers and consumers until `stop`.
async fn safety_clients(plan: Plan, bootstrap: String, recorder: Recorder, stop: Arc<AtomicBool>) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    if !workload::create_topic(&bootstrap, &plan, &recorder).await {
        return;
    }
    let mut tasks = Vec::new();
    let shared = || {
        (
            plan.clone(),
            bootstrap.clone(),
            recorder.clone(),
            stop.clone(),
        )
    };
    for number in 0..plan.producers {
        let (plan, bootstrap, recorder, stop) = shared();
        tasks.push(weir::runtime::spawn(async move {
            workload::produce(number, bootstrap, plan, recorder, stop).await;
        }));
    }
    if let Some(every_ms) = plan.create_topic_every_ms {
        let (_, bootstrap, recorder, stop) = shared();
        tasks.push(weir::runtime::spawn(async move {
            metadata_workload::create_topics(bootstrap, every_ms, recorder, stop).await;
        }));
    }
    for number in 0..plan.consumers {
        let (plan, bootstrap, recorder, stop) = shared();
        tasks.push(weir::runtime::spawn(async move {
            let process = Process::Consumer(number);
            workload::consume(process, bootstrap, plan, recorder, stop, None).await;
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// Once every node serves the same metadata image (any broker may answer, and Kafka's
/// metadata is only eventually consistent), lists the topics for `lost-topic`.
async fn list_topics_converged(
    cluster: &Cluster,
    bootstrap: &str,
    recorder: &Recorder,
    healed: tokio::time::Instant,
    deadline: Duration,
) -> Result<(), String> {
    let offsets = || -> Vec<Option<i64>> {
        (cluster.nodes.iter())
            .map(|node| node.quorum().map(|quorum| quorum.published_image().offset))
            .collect()
    };
    let converged = || {
        let offsets = offsets();
        offsets
            .iter()
            .all(|offset| offset.is_some() && *offset == offsets[0])
    };
    while !converged() {
        if healed.elapsed() >= deadline {
            let each: Vec<String> = (cluster.nodes.iter())
                .map(|node| match node.quorum() {
                    Some(quorum) => {
                        let (_, epoch, role) = quorum.leadership();
                        let offset = quorum.published_image().offset;
                        format!("{} at {offset}, {role:?} in epoch {epoch}", node.label)
                    }
                    None => format!("{} not running a quorum member", node.label),
                })
                .collect();
            return Err(format!(
                "the nodes' metadata images did not converge after healing ({})",
                each.join(", ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (bootstrap, recorder) = (bootstrap.to_string(), recorder.clone());
    let listed = cluster
        .client
        .spawn(async move { metadata_workload::list_topics(&bootstrap, &recorder).await });
    match listed.await {
        Ok(result) => result,
        Err(_) => Err("the topic lister panicked".into()),
    }
}

/// The liveness phase's clients, as users would go on after the incident: make sure the topic
/// exists (it may never have been created if no quorum formed), have every producer write and
/// each write acknowledged, then read every partition from the beginning to its log end offset
/// (the writes after the heal included).
async fn after_heal(plan: Plan, bootstrap: String, recorder: Recorder) -> Result<(), String> {
    if !workload::create_topic(&bootstrap, &plan, &recorder).await {
        return Err(format!(
            "the topic {TOPIC} could not be created after healing"
        ));
    }
    let producers: Vec<_> = (0..plan.producers)
        .map(|number| {
            let (plan, bootstrap, recorder) = (plan.clone(), bootstrap.clone(), recorder.clone());
            weir::runtime::spawn(async move {
                workload::produce_after_heal(number, bootstrap, plan, recorder).await;
            })
        })
        .collect();
    for producer in producers {
        producer
            .await
            .map_err(|_| "a producer after healing panicked".to_string())?;
    }
    // The writes acknowledged after the heal are the run's promise: read until the ends
    // cover them. A new leader's high watermark can trail what its predecessor acknowledged
    // until its ISR is back to min.insync.replicas (KIP-966), as a Kafka consumer would see.
    let promised: BTreeMap<i32, i64> = (recorder.history().acked_sends().into_iter())
        .filter(|send| matches!(send.process, Process::HealedProducer(_)))
        .fold(BTreeMap::new(), |mut ends, send| {
            let end = ends.entry(send.partition).or_insert(0);
            *end = (*end).max(send.offset + 1);
            ends
        });
    let covers = |ends: &workload::Positions| {
        (promised.iter()).all(|(p, end)| ends.get(p).is_some_and(|at| at >= end))
    };
    let ends = loop {
        if let Some(ends) = workload::log_end_offsets(&bootstrap, &plan).await {
            if covers(&ends) {
                break ends;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    recorder.trace().event(
        "final-reader",
        format_args!("log end offsets {:?}", ends.values().collect::<Vec<_>>()),
    );
    let never = Arc::new(AtomicBool::new(false));
    workload::consume(
        Process::FinalReader,
        bootstrap,
        plan,
        recorder,
        never,
        Some(ends),
    )
    .await;
    Ok(())
}

/// What the liveness phase had not done when its deadline passed: the producers whose writes
/// after the heal were not all acknowledged, or else the final read.
fn unfinished_after_heal(history: &History, plan: &Plan, liveness_ms: u64) -> String {
    let acknowledged = workload::acknowledged_after_heal(history);
    let short: Vec<String> = (0..plan.producers)
        .filter_map(|number| {
            let done = acknowledged.get(&number).copied().unwrap_or(0);
            (done < workload::WRITES_AFTER_HEAL).then(|| {
                format!(
                    "{} had {done} of {} writes acknowledged",
                    Process::HealedProducer(number),
                    workload::WRITES_AFTER_HEAL
                )
            })
        })
        .collect();
    if short.is_empty() {
        format!("the final read did not finish within {liveness_ms} ms of healing")
    } else {
        format!("within {liveness_ms} ms of healing, {}", short.join(", "))
    }
}

/// Every partition log of `node` as its disk holds it, batch by batch, with the broker's
/// offsets (empty if the node is not running).
fn partition_logs(node: &super::cluster::SimNode, plan: &Plan) -> Vec<PartitionLog> {
    let Some(broker) = node.broker() else {
        return Vec::new();
    };
    let mut logs = Vec::new();
    for partition in 0..plan.partitions {
        let tp = TopicPartition::new(TOPIC, partition);
        let Some(log) = broker.log(&tp) else {
            continue;
        };
        let (log_start_offset, high_watermark, log_end_offset) = {
            let log = log.lock().unwrap_or_else(|e| e.into_inner());
            (
                log.log_start_offset(),
                log.high_watermark(),
                log.log_end_offset(),
            )
        };
        let dir = PathBuf::from(DATA_DIR).join(tp.dir_name());
        logs.push(PartitionLog {
            node: node.label.clone(),
            partition,
            log_start_offset,
            high_watermark,
            log_end_offset,
            batches: scan_batches(&node.disk, &dir),
        });
    }
    logs
}

/// Every batch of every segment in `dir`, in order, with its CRC checked. A tail that is not
/// a whole batch counts as one batch with a bad CRC.
fn scan_batches(disk: &SimDisk, dir: &Path) -> Vec<BatchInfo> {
    let mut batches = Vec::new();
    let Ok(entries) = disk.read_dir(dir) else {
        return batches;
    };
    let segments: BTreeMap<String, PathBuf> = entries
        .into_iter()
        .filter(|entry| entry.name.ends_with(".log"))
        .map(|entry| (entry.name.clone(), dir.join(entry.name)))
        .collect();
    for path in segments.values() {
        let Ok(file) = disk.open(path, OpenMode::Read) else {
            continue;
        };
        let len = file.len().unwrap_or(0) as usize;
        let mut bytes = vec![0; len];
        if file.read_exact_at(&mut bytes, 0).is_err() {
            continue;
        }
        let mut splitter = BatchSplitter::new(&bytes);
        for split in splitter.by_ref() {
            match split {
                Ok(batch) => batches.push(BatchInfo {
                    base_offset: batch.header.base_offset,
                    last_offset: batch.header.last_offset(),
                    crc_valid: check_crc(batch.bytes, &batch.header).is_ok(),
                    crc: batch.header.crc,
                }),
                Err(_) => {
                    batches.push(BatchInfo {
                        base_offset: -1,
                        last_offset: -1,
                        crc_valid: false,
                        crc: 0,
                    });
                    break;
                }
            }
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Op;
    use crate::scenario::Scenario;

    fn send(value: u64, offset: Option<i64>) -> Op {
        Op::Send {
            value,
            partition: offset.map(|_| 0),
            offset,
            durable: true,
        }
    }

    #[test]
    fn a_missed_deadline_names_the_producers_still_short_of_their_writes() {
        let text = "name = \"x\"\n[workload]\nproducers = 2";
        let plan = Plan::draw(&Scenario::parse(text).unwrap(), 1);
        let mut history = History::default();
        let healed = Process::HealedProducer(0);
        for value in 0..2 {
            history.push(healed, Outcome::Invoke, send(value, None), 1);
            history.push(healed, Outcome::Ok, send(value, Some(value as i64)), 2);
        }
        history.push(healed, Outcome::Info, send(9, None), 3);
        // Safety-phase acknowledgements do not count towards the writes after the heal.
        history.push(Process::Producer(1), Outcome::Ok, send(7, Some(7)), 4);
        let message = unfinished_after_heal(&history, &plan, 500);
        assert_eq!(
            message,
            "within 500 ms of healing, healed-producer-0 had 2 of 5 writes acknowledged, \
             healed-producer-1 had 0 of 5 writes acknowledged"
        );
        for number in 0..2 {
            let process = Process::HealedProducer(number);
            for value in 0..workload::WRITES_AFTER_HEAL {
                let value = 100 * u64::from(number) + 10 + value;
                history.push(process, Outcome::Ok, send(value, Some(value as i64)), 5);
            }
        }
        assert_eq!(
            unfinished_after_heal(&history, &plan, 500),
            "the final read did not finish within 500 ms of healing"
        );
    }
}
