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

fn trace(name: &str, fault: &str) -> String {
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
    let output = Command::new(env!("CARGO_BIN_EXE_weir-sim"))
        .arg("run")
        .arg(&path)
        .args(["--seed", SEED, "--elections"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "the run failed:\n{stdout}");
    // The election lines come first, each starting with the simulated time; the report follows.
    let lines: Vec<&str> = stdout
        .lines()
        .take_while(|line| line.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
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
    insta::assert_snapshot!(trace(
        "fencing",
        r#"at_ms = 4000
fault = "kill"
node = 2
duration_ms = 5000"#
    ));
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
