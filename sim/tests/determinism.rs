//! Determinism is a feature: one seed run twice gives the same trace, event for event, and a
//! different seed gives a different one (so the comparison can fail).
#![cfg(madsim)]

use std::path::PathBuf;

use weir_sim::harness::run::run;
use weir_sim::scenario::{Plan, Scenario};

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn a_seed_replays_exactly() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/crash-restart-fsync.toml");
    let scenario = Scenario::load(&path).unwrap();
    let first = run(&Plan::draw(&scenario, 3), &[]);
    let second = run(&Plan::draw(&scenario, 3), &[]);
    assert_eq!(first.trace.lines(), second.trace.lines());
    assert_eq!(first.trace.hash(), second.trace.hash());
    assert!(first.trace.lines().len() > 10, "the trace records the run");
    let other = run(&Plan::draw(&scenario, 4), &[]);
    assert_ne!(first.trace.hash(), other.trace.hash());
}
