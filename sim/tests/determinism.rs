//! Determinism is a feature: one seed run twice gives the same trace, event for event, and a
//! different seed gives a different one (so the comparison can fail). Each run is its own
//! `weir-sim` process, as a replay is (see `fresh.rs` in the binary for why), for a single node
//! and for a three-node cluster.
#![cfg(madsim)]

mod common;

/// Runs `scenario` with `seed` in a new process; its trace, line by line.
fn trace(scenario: &str, seed: u64) -> Vec<String> {
    let output = common::run_traced(scenario, seed);
    let stdout = String::from_utf8(output.stdout).unwrap();
    // The trace lines come first, each starting with the simulated time; the report follows.
    stdout
        .lines()
        .take_while(|line| line.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

fn assert_replays_exactly(scenario: &str) {
    let first = trace(scenario, 3);
    assert!(first.len() > 10, "the trace records the run: {first:?}");
    assert_eq!(
        first,
        trace(scenario, 3),
        "{scenario} seed 3 replayed differently"
    );
    assert_ne!(
        first,
        trace(scenario, 4),
        "{scenario}: seeds 3 and 4 traced the same"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn a_seed_replays_exactly_on_one_node() {
    assert_replays_exactly("crash-restart-fsync.toml");
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn a_seed_replays_exactly_on_a_cluster() {
    assert_replays_exactly("cluster-crashes.toml");
}
