//! Semantic election traces of real nodes, pinned with insta: three nodes (each a broker and a
//! voter) on madsim with a fixed seed and one scheduled fault, and what the quorum and the
//! metadata image made of it: who leads the quorum in which epoch, brokers fenced and
//! unfenced, partitions going offline and coming back with a bumped leader epoch. A change in
//! election, fencing or placement behaviour shows up here as a diff to review. Each run is a
//! fresh `weir-sim` process, as a replay is (a second run in one process can order same-instant
//! events differently; see `fresh.rs` in the binary).
#![cfg(madsim)]

use std::process::Command;

const SEED: &str = "7";

/// Node 2 killed at 4 s, back at 9 s.
const KILL_NODE_2: &str = r#"at_ms = 4000
fault = "kill"
node = 2
duration_ms = 5000"#;

fn trace(name: &str, fault: &str) -> String {
    trace_with(name, "", fault)
}

/// [`trace`] with `workload` lines added to the workload (replicas, topic configs), and the
/// semantic trace's lines where partition leaders take the lead and followers truncate.
fn trace_with(name: &str, workload: &str, fault: &str) -> String {
    let text = format!(
        r#"
name = "election-trace-{name}"
[cluster]
nodes = 3
[broker]
"log.flush.interval.messages" = "1"
"broker.session.timeout.ms" = "2000"
"broker.heartbeat.interval.ms" = "500"
[workload]
partitions = 3
producers = 1
consumers = 0
records = 50
record_bytes = 16
acks = "all"
keyed = "false"
send_interval_ms = 20
{workload}
[phases]
safety_ms = 12000
liveness_ms = 20000
[[nemesis.schedule]]
{fault}
"#
    );
    let dir = std::env::temp_dir().join(format!("weir-election-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let trace = run_trace(&path, SEED, !workload.is_empty());
    let _ = std::fs::remove_file(&path);
    trace
}

/// The run of the scenario at `path`, fresh: its election lines (they come first in the
/// output, each starting with the simulated time; the report follows). With `replicated`,
/// then the semantic trace's lines where partition leaders took the lead and replicas
/// truncated, how many anomalies the scenario expected, and the first lost write named.
fn run_trace(path: &std::path::Path, seed: &str, replicated: bool) -> String {
    let run = |flag: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_weir-sim"))
            .arg("run")
            .arg(path)
            .args(["--seed", seed, flag])
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(output.status.success(), "the run failed:\n{stdout}");
        stdout
    };
    let elections = run("--elections");
    let mut lines: Vec<String> = (elections.lines())
        .take_while(|line| line.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    if replicated {
        let trace = run("--trace");
        lines.extend(
            (trace.lines())
                .filter(|line| line.contains(" leader sim-") || line.contains(" truncate sim-"))
                .map(str::to_string),
        );
        lines.extend(
            (elections.lines())
                .filter(|line| line.starts_with("expected by the scenario"))
                .chain(elections.lines().find(|line| line.contains("lost-write:")))
                .map(str::to_string),
        );
    }
    lines.join("\n")
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn initial_election_and_controller_failover() {
    insta::assert_snapshot!(trace(
        "failover",
        r#"at_ms = 4000
fault = "kill-controller"
duration_ms = 3000"#
    ));
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn broker_fencing_and_leadership_return() {
    insta::assert_snapshot!(trace("fencing", KILL_NODE_2));
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn an_isolated_broker_is_fenced_and_returns() {
    insta::assert_snapshot!(trace(
        "isolated",
        r#"at_ms = 4000
fault = "isolate"
node = 3
duration_ms = 5000"#
    ));
}

/// [`run_trace`] of a scenario file under `scenarios/`, with its replication lines.
fn scenario_trace(file: &str, seed: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file);
    run_trace(&path, seed, true)
}

/// Three replicas and min.insync.replicas=2: node 2 is killed (leading one of the three
/// partitions), its partition moves to an in-sync follower in a new leader epoch (its high
/// watermark and log end in the leader line), every ISR shrinks, and when node 2 returns it
/// catches up and rejoins them (it had nothing unreplicated, so nothing to truncate).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn a_replicated_leader_killed_and_an_in_sync_follower_takes_over() {
    insta::assert_snapshot!(trace_with(
        "replicated",
        r#"replication_factor = 3
topic_configs = { "min.insync.replicas" = "2" }"#,
        KILL_NODE_2
    ));
}

/// Broker 6, cut off and out of the ISR, is elected uncleanly once brokers 4 and 5 (the ISR)
/// are dead; when they return they truncate to its log, and the writes acknowledged past its
/// end are lost (sim/tests/unclean.rs checks that the checker names exactly those).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn an_unclean_election_and_what_it_lost() {
    insta::assert_snapshot!(scenario_trace("replicated-unclean.toml", "1"));
}

/// Brokers 6, 5 and then the leader 4 are cut off: the ISR shrinks below the minimum into the
/// ELR and then to nothing; broker 5, back as the same process, is elected cleanly from the
/// ELR (KIP-966), and the ELR empties once the ISR is back at the minimum.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn an_eligible_leader_replica_is_elected_cleanly() {
    insta::assert_snapshot!(scenario_trace("replicated-elr.toml", "1"));
}
