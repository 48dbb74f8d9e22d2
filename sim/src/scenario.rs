//! Scenarios: TOML files under `scenarios/` that say what to run, and the seed's choices for
//! everything a scenario leaves open (swarm testing).
//!
//! Any number in a scenario may be written as a value (`3`) or as an inclusive range
//! (`[1, 4]`); any string as a value or a list of options (`["1", "all"]`). The seed picks
//! within ranges and among options, so one scenario file covers a family of runs and a sweep
//! explores it. `Plan::draw` makes every choice up front from the seed, so a seed names one
//! exact run. The format is documented in docs/SIMULATION.md.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use weir::runtime::RngStream;

use crate::disk::DiskFaults;

/// A number or an inclusive range of numbers, for the seed to pick from.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Num {
    Fixed(f64),
    Range([f64; 2]),
}

impl Num {
    fn pick(self, rng: &mut RngStream) -> f64 {
        match self {
            Num::Fixed(value) => value,
            Num::Range([low, high]) if high > low => {
                // 53 random bits: a uniform fraction in [0, 1].
                let unit = (rng.next_u64() >> 11) as f64 / ((1u64 << 53) - 1) as f64;
                low + (high - low) * unit
            }
            Num::Range([low, _]) => low,
        }
    }

    fn pick_u64(self, rng: &mut RngStream) -> u64 {
        match self {
            Num::Range([low, high]) if high > low => {
                let (low, high) = (low.max(0.0) as u64, high.max(0.0) as u64);
                low + rng.below(high - low + 1)
            }
            other => other.pick(rng).max(0.0).round() as u64,
        }
    }
}

/// A string or a list of options, for the seed to pick from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Choice {
    Fixed(String),
    OneOf(Vec<String>),
}

impl Choice {
    fn pick(&self, rng: &mut RngStream) -> String {
        match self {
            Choice::Fixed(value) => value.clone(),
            Choice::OneOf(options) if options.is_empty() => String::new(),
            Choice::OneOf(options) => options[rng.below(options.len() as u64) as usize].clone(),
        }
    }
}

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// Broker configuration (Kafka keys), each value fixed or a list of options.
    #[serde(default)]
    pub broker: BTreeMap<String, Choice>,
    #[serde(default)]
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub phases: PhasesSpec,
    #[serde(default)]
    pub nemesis: NemesisSpec,
    #[serde(default)]
    pub disk: DiskSpec,
    #[serde(default)]
    pub expect: ExpectSpec,
    /// Seeds this scenario must always pass: regression files (scenarios/regression/) list the
    /// seeds that once failed, and CI runs exactly those.
    #[serde(default)]
    pub seeds: Vec<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    pub nodes: u32,
    /// Separate roles: nodes 1..=controllers run only the metadata quorum
    /// (`process.roles=controller`), the rest only brokers, which follow the quorum as Raft
    /// observers. Absent: with more than one node, every node is both.
    #[serde(default)]
    pub controllers: Option<u32>,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        Self {
            nodes: 1,
            controllers: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadSpec {
    pub partitions: Num,
    pub producers: Num,
    pub consumers: Num,
    /// Sends per producer.
    pub records: Num,
    pub record_bytes: Num,
    /// "1", "all" (or a list to pick from).
    pub acks: Choice,
    /// "true", "false" (or both, for the seed to pick).
    pub keyed: Choice,
    /// Pause between one producer's sends, in ms.
    pub send_interval_ms: Num,
    /// An admin client creates one more topic this often during the safety phase (absent:
    /// never); the `lost-topic` checker holds the acknowledged ones to the final topic list.
    pub create_topic_every_ms: Option<Num>,
    /// Replicas of the workload's topic (absent: 1).
    pub replication_factor: Option<Num>,
    /// Configs the workload's topic is created with (`min.insync.replicas`, ...).
    pub topic_configs: BTreeMap<String, String>,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        Self {
            partitions: Num::Fixed(3.0),
            producers: Num::Range([1.0, 3.0]),
            consumers: Num::Range([1.0, 2.0]),
            records: Num::Range([50.0, 200.0]),
            record_bytes: Num::Range([16.0, 2000.0]),
            acks: Choice::OneOf(vec!["1".into(), "all".into()]),
            keyed: Choice::OneOf(vec!["true".into(), "false".into()]),
            send_interval_ms: Num::Range([0.0, 20.0]),
            create_topic_every_ms: None,
            replication_factor: None,
            topic_configs: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhasesSpec {
    /// Faults on, clients working.
    pub safety_ms: Num,
    /// Faults healed: every node must be up and every promised write readable within this.
    pub liveness_ms: Num,
}

impl Default for PhasesSpec {
    fn default() -> Self {
        Self {
            safety_ms: Num::Fixed(20_000.0),
            liveness_ms: Num::Fixed(30_000.0),
        }
    }
}

/// Faults drawn from the seed at rates, plus an explicit schedule. Each `*_every_ms` is the
/// mean gap between two faults of that kind (absent: never); `*_ms` how long one lasts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NemesisSpec {
    pub kill_every_ms: Option<Num>,
    pub down_ms: Option<Num>,
    /// Kill whichever node is the active controller at the time (down for `down_ms`).
    pub kill_controller_every_ms: Option<Num>,
    /// Kill every node at once (down for `down_ms`).
    pub kill_all_every_ms: Option<Num>,
    /// A node cut off from every other node (the client still reaches it).
    pub isolate_every_ms: Option<Num>,
    pub isolate_ms: Option<Num>,
    pub pause_every_ms: Option<Num>,
    pub pause_ms: Option<Num>,
    /// Client-to-broker partitions; `partition_kind` is "symmetric" or "one-way" (or both).
    pub partition_every_ms: Option<Num>,
    pub partition_ms: Option<Num>,
    pub partition_kind: Option<Choice>,
    /// Slow network windows: every message takes `slow_latency_ms` instead of about 1 ms.
    pub slow_every_ms: Option<Num>,
    pub slow_ms: Option<Num>,
    pub slow_latency_ms: Option<Num>,
    /// Disk-full windows: the disk's capacity drops to what is in use, then comes back.
    pub disk_full_every_ms: Option<Num>,
    pub disk_full_ms: Option<Num>,
    /// Per-node wall-clock offset, set at start.
    pub clock_offset_ms: Option<Num>,
    #[serde(default)]
    pub schedule: Vec<ScheduledFault>,
}

/// One fault at a fixed time.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFault {
    pub at_ms: u64,
    /// One of `FAULT_KINDS`.
    pub fault: String,
    /// Node number (1-based); default 1.
    #[serde(default = "first_node")]
    pub node: u32,
    /// How long it lasts (kill: how long the node stays down).
    pub duration_ms: u64,
}

fn first_node() -> u32 {
    1
}

/// Disk fault probabilities (per operation) and latency, each fixed or a range.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiskSpec {
    pub fsync_eio: Option<Num>,
    pub read_bitflip: Option<Num>,
    pub bitflip_at_rest: Option<Num>,
    /// Clusters only: probability, per crash, that one bit of the metadata log flips at rest
    /// on the cluster's one bad disk, a voter drawn for the run. Where the flip lands in
    /// committed entries the voter must fetch them back from the leader before it votes again.
    pub metadata_bitflip_at_rest: Option<Num>,
    pub latency_us: Option<Num>,
}

/// What a run may show without failing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpectSpec {
    /// Anomaly kinds that are expected (reported, not failures), e.g. `["lost-write"]` for a
    /// node that does not fsync.
    pub allow: Vec<String>,
    /// Why, printed with the verdict.
    pub reason: String,
}

impl Scenario {
    pub fn load(path: &Path) -> anyhow::Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| anyhow::anyhow!("cannot read scenario {}: {error}", path.display()))?;
        Self::parse(&text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Scenario> {
        let scenario: Scenario = toml::from_str(text)?;
        if !(1..=MAX_NODES).contains(&scenario.cluster.nodes) {
            anyhow::bail!(
                "cluster.nodes must be between 1 and {MAX_NODES}, not {}",
                scenario.cluster.nodes
            );
        }
        if let Some(controllers) = scenario.cluster.controllers {
            if controllers == 0 || controllers >= scenario.cluster.nodes {
                anyhow::bail!(
                    "cluster.controllers must leave at least one broker: between 1 and {}, not \
                     {controllers}",
                    scenario.cluster.nodes - 1
                );
            }
        }
        let choices = |choice: &Choice| match choice {
            Choice::Fixed(value) => vec![value.clone()],
            Choice::OneOf(options) => options.clone(),
        };
        let known = |what: &str, choice: &Choice, allowed: &[&str]| match choices(choice)
            .iter()
            .find(|v| !allowed.contains(&v.as_str()))
        {
            Some(bad) => anyhow::bail!("{what}: unknown value {bad:?} (one of {allowed:?})"),
            None => Ok(()),
        };
        known("workload.acks", &scenario.workload.acks, &["1", "all"])?;
        known(
            "workload.keyed",
            &scenario.workload.keyed,
            &["true", "false"],
        )?;
        if let Some(kind) = &scenario.nemesis.partition_kind {
            known("nemesis.partition_kind", kind, &["symmetric", "one-way"])?;
        }
        let checkers: Vec<&str> = crate::checker::all().iter().map(|c| c.name()).collect();
        for kind in &scenario.expect.allow {
            if !crate::checker::OTHER_CHECKERS.contains(&kind.as_str())
                && !checkers.contains(&kind.as_str())
            {
                anyhow::bail!("expect.allow: no checker is called {kind:?} (one of {checkers:?})");
            }
        }
        if scenario.disk.metadata_bitflip_at_rest.is_some() && scenario.cluster.nodes == 1 {
            anyhow::bail!(
                "disk.metadata_bitflip_at_rest needs a cluster (cluster.nodes > 1): a single \
                 voter has no other copy of its metadata and stops on damage"
            );
        }
        for fault in &scenario.nemesis.schedule {
            if fault.node == 0 || fault.node > scenario.cluster.nodes {
                anyhow::bail!("schedule: node {} does not exist", fault.node);
            }
            if !FAULT_KINDS.contains(&fault.fault.as_str()) {
                anyhow::bail!(
                    "schedule: unknown fault {:?} (one of {})",
                    fault.fault,
                    FAULT_KINDS.join(", ")
                );
            }
        }
        Ok(scenario)
    }
}

/// The most nodes a scenario may run (addresses are 192.0.2.1 to .9; the client is .100).
pub const MAX_NODES: u32 = 9;

/// Drawn disk-full faults start no earlier than this: the disk is filled to what is in use, and
/// before a node has started that is too little to hold its own start-up (the metadata log
/// fills at once and the node halts for the whole safety phase, which then checks nothing). A
/// schedule can still fill the disk at any time, on purpose.
pub const DISK_FULL_NOT_BEFORE_MS: u64 = 1_000;

/// The faults a schedule may name.
pub const FAULT_KINDS: &[&str] = &[
    "kill",
    "kill-controller",
    "kill-all",
    "isolate",
    "pause",
    "partition",
    "partition-one-way",
    "slow",
    "disk-full",
];

/// One exact run: every choice the scenario left open, made by the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub seed: u64,
    pub nodes: u32,
    /// See `ClusterSpec::controllers`.
    pub controllers: Option<u32>,
    pub broker: BTreeMap<String, String>,
    pub partitions: i32,
    pub producers: u32,
    pub consumers: u32,
    pub records: u64,
    pub record_bytes: usize,
    pub acks: String,
    pub keyed: bool,
    pub send_interval_ms: u64,
    /// See `WorkloadSpec::create_topic_every_ms`.
    pub create_topic_every_ms: Option<u64>,
    pub replication_factor: i16,
    pub topic_configs: BTreeMap<String, String>,
    pub safety_ms: u64,
    pub liveness_ms: u64,
    pub faults: Vec<PlannedFault>,
    pub clock_offsets_ms: Vec<i64>,
    pub disk: DiskFaults,
    /// See `DiskSpec::metadata_bitflip_at_rest`.
    pub bad_metadata_disk: Option<BadMetadataDisk>,
    pub allow: Vec<String>,
}

/// The one voter whose disk flips bits of its metadata log at rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BadMetadataDisk {
    pub node: u32,
    /// Probability per crash.
    pub bitflip_at_rest: f64,
}

/// A fault at a time, for a while.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedFault {
    pub at_ms: u64,
    pub fault: String,
    pub node: u32,
    pub duration_ms: u64,
    /// For "slow": the latency in ms.
    pub latency_ms: u64,
}

impl Plan {
    /// Makes every open choice of `scenario` from `seed`.
    pub fn draw(scenario: &Scenario, seed: u64) -> Plan {
        let mut rng = RngStream::new(seed, "sim.plan");
        let rng = &mut rng;
        let broker = scenario
            .broker
            .iter()
            .map(|(key, choice)| (key.clone(), choice.pick(rng)))
            .collect();
        let w = &scenario.workload;
        let nodes = scenario.cluster.nodes;
        let safety_ms = scenario.phases.safety_ms.pick_u64(rng);
        let n = &scenario.nemesis;
        let mut faults: Vec<PlannedFault> = scenario
            .nemesis
            .schedule
            .iter()
            .map(|f| PlannedFault {
                at_ms: f.at_ms,
                fault: f.fault.clone(),
                node: f.node,
                duration_ms: f.duration_ms,
                latency_ms: 200,
            })
            .collect();
        let mut random = |every: Option<Num>,
                          length: Option<Num>,
                          kind: &dyn Fn(&mut RngStream) -> String,
                          from_ms: u64,
                          rng: &mut RngStream| {
            let Some(every) = every else { return };
            let every_ms = every.pick_u64(rng).max(1);
            let mut at_ms = from_ms;
            loop {
                // Exponential-ish gaps: uniform in [0, 2 * mean].
                at_ms += 1 + rng.below(2 * every_ms);
                if at_ms >= safety_ms {
                    break;
                }
                let duration_ms = length.map_or(1000, |l| l.pick_u64(rng));
                let node = 1 + rng.below(u64::from(nodes)) as u32;
                let fault = kind(rng);
                let latency_ms = n.slow_latency_ms.map_or(200, |l| l.pick_u64(rng));
                faults.push(PlannedFault {
                    at_ms,
                    fault,
                    node,
                    duration_ms,
                    latency_ms,
                });
            }
        };
        random(n.kill_every_ms, n.down_ms, &|_| "kill".into(), 0, rng);
        random(
            n.kill_controller_every_ms,
            n.down_ms,
            &|_| "kill-controller".into(),
            0,
            rng,
        );
        random(
            n.kill_all_every_ms,
            n.down_ms,
            &|_| "kill-all".into(),
            0,
            rng,
        );
        random(
            n.isolate_every_ms,
            n.isolate_ms,
            &|_| "isolate".into(),
            0,
            rng,
        );
        random(n.pause_every_ms, n.pause_ms, &|_| "pause".into(), 0, rng);
        let partition_kind = n.partition_kind.clone();
        random(
            n.partition_every_ms,
            n.partition_ms,
            &|rng| match partition_kind.as_ref().map(|c| c.pick(rng)).as_deref() {
                Some("one-way") => "partition-one-way".into(),
                _ => "partition".into(),
            },
            0,
            rng,
        );
        random(n.slow_every_ms, n.slow_ms, &|_| "slow".into(), 0, rng);
        random(
            n.disk_full_every_ms,
            n.disk_full_ms,
            &|_| "disk-full".into(),
            DISK_FULL_NOT_BEFORE_MS,
            rng,
        );
        faults.sort_by(|a, b| (a.at_ms, &a.fault, a.node).cmp(&(b.at_ms, &b.fault, b.node)));
        let clock_offsets_ms = (0..nodes)
            .map(|_| {
                n.clock_offset_ms.map_or(0, |offset| {
                    let magnitude = offset.pick_u64(rng) as i64;
                    if rng.below(2) == 0 {
                        magnitude
                    } else {
                        -magnitude
                    }
                })
            })
            .collect();
        let d = &scenario.disk;
        let disk = DiskFaults {
            fsync_eio: d.fsync_eio.map_or(0.0, |p| p.pick(rng)),
            read_bitflip: d.read_bitflip.map_or(0.0, |p| p.pick(rng)),
            bitflip_at_rest: d.bitflip_at_rest.map_or(0.0, |p| p.pick(rng)),
            // Segment data only: see `DiskFaults::bitflip_at_rest_suffix`.
            bitflip_at_rest_suffix: Some(".log".into()),
            bitflip_at_rest_skip: Some(format!(
                "/{}/",
                weir::storage::raft_store::METADATA_PARTITION_DIR
            )),
            latency_us: d.latency_us.map_or((0, 0), |l| {
                let high = l.pick_u64(rng);
                (high / 4, high)
            }),
            ..DiskFaults::default()
        };
        // Drawn last, so that scenarios without it draw everything else as before.
        let bad_metadata_disk = d.metadata_bitflip_at_rest.map(|p| BadMetadataDisk {
            bitflip_at_rest: p.pick(rng),
            node: 1 + rng.below(u64::from(scenario.cluster.controllers.unwrap_or(nodes))) as u32,
        });
        // Drawn last too, for the same reason.
        let replication_factor = (w.replication_factor).map_or(1, |rf| rf.pick_u64(rng).max(1));
        Plan {
            seed,
            nodes,
            controllers: scenario.cluster.controllers,
            broker,
            partitions: w.partitions.pick_u64(rng).max(1) as i32,
            producers: w.producers.pick_u64(rng).max(1) as u32,
            consumers: w.consumers.pick_u64(rng) as u32,
            records: w.records.pick_u64(rng),
            record_bytes: w.record_bytes.pick_u64(rng).max(16) as usize,
            acks: w.acks.pick(rng),
            keyed: w.keyed.pick(rng) == "true",
            send_interval_ms: w.send_interval_ms.pick_u64(rng),
            create_topic_every_ms: w
                .create_topic_every_ms
                .map(|every| every.pick_u64(rng).max(1)),
            replication_factor: replication_factor as i16,
            topic_configs: w.topic_configs.clone(),
            safety_ms,
            liveness_ms: scenario.phases.liveness_ms.pick_u64(rng),
            faults,
            clock_offsets_ms,
            disk,
            bad_metadata_disk,
            allow: scenario.expect.allow.clone(),
        }
    }

    /// The voters of the metadata quorum: the controllers, or every node.
    pub fn voters(&self) -> std::ops::RangeInclusive<u32> {
        1..=self.controllers.unwrap_or(self.nodes)
    }

    /// Whether node `number` runs a broker.
    pub fn is_broker(&self, number: u32) -> bool {
        self.controllers
            .is_none_or(|controllers| number > controllers)
    }

    /// Whether an acknowledgement promises durability across a crash: only when every append
    /// is fsynced before it is acknowledged (`log.flush.interval.messages=1`).
    pub fn acks_are_durable(&self) -> bool {
        self.broker
            .get("log.flush.interval.messages")
            .map(String::as_str)
            == Some("1")
    }

    /// One line naming the choices, for `--trace` and failure reports.
    pub fn describe(&self) -> String {
        let broker: Vec<String> = self
            .broker
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let replicated = match self.replication_factor {
            1 => String::new(),
            rf => {
                let configs: Vec<String> = (self.topic_configs.iter())
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!(" rf={rf} topic=[{}]", configs.join(" "))
            }
        };
        format!(
            "nodes={}{} partitions={}{replicated} producers={} consumers={} records={} \
             record_bytes={} acks={} keyed={} faults={} disk={:?}{} broker=[{}]",
            self.nodes,
            self.controllers
                .map_or(String::new(), |c| format!(" controllers={c}")),
            self.partitions,
            self.producers,
            self.consumers,
            self.records,
            self.record_bytes,
            self.acks,
            self.keyed,
            self.faults.len(),
            self.disk,
            self.bad_metadata_disk.map_or(String::new(), |bad| format!(
                " bad_metadata_disk=n{}@{}",
                bad.node, bad.bitflip_at_rest
            )),
            broker.join(" ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
name = "example"
[cluster]
nodes = 1
[broker]
"log.flush.interval.messages" = "1"
"log.segment.bytes" = ["4096", "1048576"]
[workload]
producers = [1, 3]
acks = "all"
[nemesis]
kill_every_ms = [2000, 5000]
down_ms = [100, 1000]
[[nemesis.schedule]]
at_ms = 100
fault = "pause"
duration_ms = 50
[disk]
read_bitflip = [0.0, 0.01]
[expect]
allow = ["unseen"]
"#;

    #[test]
    fn the_seed_fixes_every_choice_and_different_seeds_differ() {
        let scenario = Scenario::parse(EXAMPLE).unwrap();
        let a = Plan::draw(&scenario, 7);
        assert_eq!(a, Plan::draw(&scenario, 7));
        assert_eq!(a.acks, "all");
        assert!(a.acks_are_durable());
        assert!((1..=3).contains(&a.producers));
        assert!(a
            .faults
            .iter()
            .any(|f| f.fault == "pause" && f.at_ms == 100));
        assert!(a.faults.iter().all(|f| f.at_ms < a.safety_ms));
        let plans: Vec<Plan> = (0..20).map(|seed| Plan::draw(&scenario, seed)).collect();
        let segment_sizes: std::collections::BTreeSet<&str> = plans
            .iter()
            .map(|p| p.broker["log.segment.bytes"].as_str())
            .collect();
        assert_eq!(segment_sizes.len(), 2, "the seed picks among the options");
    }

    #[test]
    fn bad_scenarios_are_one_line_errors() {
        assert!(Scenario::parse("name = 1").is_err());
        assert!(Scenario::parse("name = \"x\"\nbogus = 1").is_err());
        let bad_node = "name = \"x\"\n[[nemesis.schedule]]\nat_ms = 1\nfault = \"kill\"\n\
                        node = 2\nduration_ms = 1";
        let error = Scenario::parse(bad_node).unwrap_err().to_string();
        assert!(error.contains("node 2"), "{error}");
        let bad_fault = "name = \"x\"\n[[nemesis.schedule]]\nat_ms = 1\nfault = \"meteor\"\n\
                         duration_ms = 1";
        let error = Scenario::parse(bad_fault).unwrap_err().to_string();
        assert!(error.contains("meteor"), "{error}");
        let bad_acks = "name = \"x\"\n[workload]\nacks = [\"1\", \"two\"]";
        let error = Scenario::parse(bad_acks).unwrap_err().to_string();
        assert!(error.contains("\"two\""), "{error}");
        let bad_allow = "name = \"x\"\n[expect]\nallow = [\"lost-writes\"]";
        let error = Scenario::parse(bad_allow).unwrap_err().to_string();
        assert!(error.contains("lost-writes"), "{error}");
        let good_allow = "name = \"x\"\n[expect]\nallow = [\"lost-write\", \"log-invariants\"]";
        assert!(Scenario::parse(good_allow).is_ok());
        let too_many = "name = \"x\"\n[cluster]\nnodes = 12";
        let error = Scenario::parse(too_many).unwrap_err().to_string();
        assert!(error.contains("between 1 and 9"), "{error}");
        let no_brokers = "name = \"x\"\n[cluster]\nnodes = 3\ncontrollers = 3";
        let error = Scenario::parse(no_brokers).unwrap_err().to_string();
        assert!(error.contains("at least one broker"), "{error}");
    }

    #[test]
    fn drawn_disk_full_faults_leave_the_start_up_alone_but_a_schedule_may_not() {
        let text = "name = \"x\"\n[nemesis]\ndisk_full_every_ms = 300\ndisk_full_ms = 100\n\
                    [[nemesis.schedule]]\nat_ms = 5\nfault = \"disk-full\"\nduration_ms = 10";
        let scenario = Scenario::parse(text).unwrap();
        for seed in 0..50 {
            let plan = Plan::draw(&scenario, seed);
            let starts: Vec<u64> = plan.faults.iter().map(|f| f.at_ms).collect();
            assert_eq!(starts[0], 5, "the scheduled one, on purpose");
            assert!(
                starts[1..].iter().all(|&at| at > DISK_FULL_NOT_BEFORE_MS),
                "{starts:?}"
            );
            assert!(starts.len() > 10, "drawn ones still come often: {starts:?}");
        }
    }

    #[test]
    fn separate_roles_split_voters_and_brokers() {
        let text = "name = \"x\"\n[cluster]\nnodes = 5\ncontrollers = 3";
        let plan = Plan::draw(&Scenario::parse(text).unwrap(), 1);
        assert_eq!(plan.voters(), 1..=3);
        let brokers: Vec<u32> = (1..=5).filter(|&n| plan.is_broker(n)).collect();
        assert_eq!(brokers, vec![4, 5]);
        let combined = Plan::draw(
            &Scenario::parse("name = \"x\"\n[cluster]\nnodes = 3").unwrap(),
            1,
        );
        assert_eq!(combined.voters(), 1..=3);
        assert!((1..=3).all(|n| combined.is_broker(n)));
    }
}
