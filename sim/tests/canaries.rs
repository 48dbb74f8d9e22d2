//! Canaries: with each deliberate bug switched on, a sweep of at most 50 seeds must produce a
//! run that the checkers fail. A checker suite that lets a canary through is broken.
#![cfg(madsim)]

use std::path::PathBuf;

use weir::canary::Canary;
use weir_sim::harness::run::run;
use weir_sim::scenario::{Plan, Scenario};

/// Most seeds a canary may survive.
const SEEDS_MAX: u64 = 50;

fn scenario(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    Scenario::load(&path).unwrap()
}

/// The first seed whose run the checkers fail, with the failing checkers' names.
fn first_caught(scenario: &Scenario, canary: Canary) -> Option<(u64, Vec<&'static str>)> {
    (0..SEEDS_MAX).find_map(|seed| {
        let report = run(&Plan::draw(scenario, seed), &[canary]);
        let caught = !report.verdict.failures.is_empty();
        caught.then(|| (seed, report.verdict.failing_checkers()))
    })
}

fn assert_caught(scenario_file: &str, canary: Canary) {
    let scenario = scenario(scenario_file);
    let caught = first_caught(&scenario, canary);
    let (seed, checkers) = caught.unwrap_or_else(|| {
        panic!(
            "canary {} survived {SEEDS_MAX} seeds of {scenario_file}",
            canary.name()
        )
    });
    println!("{} caught at seed {seed} by {checkers:?}", canary.name());
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn ack_before_fsync_is_caught() {
    assert_caught("crash-restart-fsync.toml", Canary::AckBeforeFsync);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn skip_recovery_crc_is_caught() {
    assert_caught("torn-writes-and-bitflips.toml", Canary::SkipRecoveryCrc);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn duplicate_offset_is_caught() {
    assert_caught("crash-restart-fsync.toml", Canary::DuplicateOffset);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn vote_twice_is_caught_in_a_cluster() {
    assert_caught("cluster-controller-failover.toml", Canary::VoteTwice);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn metadata_flush_skipped_is_caught_in_a_cluster() {
    assert_caught(
        "cluster-controller-failover.toml",
        Canary::MetadataFlushSkipped,
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn commit_point_ignored_is_caught_by_its_regression_seeds() {
    // Damage to committed metadata needs two flips of one batch in a row on the way up, which
    // few seeds draw: the regression file's seeds do, and without the commit point each one
    // re-commits different metadata at a damaged offset.
    let scenario = scenario("regression/committed-metadata-damage.toml");
    for &seed in &scenario.seeds {
        let report = run(&Plan::draw(&scenario, seed), &[Canary::CommitPointIgnored]);
        assert_eq!(
            report.verdict.failing_checkers(),
            vec!["quorum-invariants"],
            "seed {seed}"
        );
        let passes = run(&Plan::draw(&scenario, seed), &[]);
        assert!(passes.verdict.failures.is_empty(), "seed {seed}");
    }
}
