//! Unclean leader election with data behind it (issue #15). In `replicated-unclean` a broker
//! cut off from the others leaves the ISR, both ISR members are killed, and the cut-off broker
//! is elected uncleanly when it returns: the acknowledged records it lacked are lost. The
//! lost-write checker must name exactly those records: every write acknowledged before the
//! unclean leader took over, at an offset its former holders truncated when they came back
//! (unless a retry put the same value elsewhere, where it was read). The sibling
//! `replicated-unclean-refused` (unclean election off) runs the same seeds and loses nothing.
#![cfg(madsim)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use weir_sim::harness::run::{run, RunReport};
use weir_sim::scenario::{Plan, Scenario};

/// Seeds whose runs lose writes (in others the producers sent to broker 6 while it was cut off,
/// and had nothing acknowledged until it led: nothing to lose).
const SEEDS: [u64; 5] = [1, 2, 5, 6, 8];

fn scenario(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    Scenario::load(&path).unwrap()
}

/// `key=value` in a trace line, parsed.
fn field(line: &str, key: &str) -> Option<i64> {
    let start = line.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &line[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '-')
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn time_of(line: &str) -> u64 {
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// (offset, value) of each write the lost-write checker reports.
fn reported_lost(report: &RunReport) -> BTreeSet<(i64, u64)> {
    (report
        .verdict
        .expected
        .iter()
        .chain(&report.verdict.failures))
    .filter(|anomaly| anomaly.checker == "lost-write")
    .map(|anomaly| {
        let words: Vec<&str> = anomaly.detail.split_whitespace().collect();
        let after = |key: &str| {
            let at = words.iter().position(|w| *w == key).unwrap();
            words[at + 1].trim_end_matches(',').to_string()
        };
        (
            after("offset").parse().unwrap(),
            after("value").parse().unwrap(),
        )
    })
    .collect()
}

/// (offset, value) of each write acknowledged before broker 6 took the lead uncleanly at an
/// offset brokers 4 or 5 truncated afterwards, from the run's trace.
fn truncated_acknowledged(report: &RunReport) -> BTreeSet<(i64, u64)> {
    let lines = report.trace.lines();
    let is = |line: &String, who: &str, what: &str| {
        line.split_whitespace().nth(1) == Some(who) && line.contains(what)
    };
    let truncations: Vec<&String> = (lines.iter())
        .filter(|l| is(l, "n4", " truncate sim-0 ") || is(l, "n5", " truncate sim-0 "))
        .filter(|l| time_of(l) > 12_000)
        .collect();
    let first_truncation = truncations.first().map_or(u64::MAX, |l| time_of(l));
    let unclean_at = (lines.iter())
        .filter(|l| is(l, "n6", " leader sim-0 ") && time_of(l) <= first_truncation)
        .map(|l| time_of(l))
        .next_back()
        .expect("broker 6 took the lead");
    let ranges: Vec<(i64, i64)> = (truncations.iter())
        .map(|l| (field(l, "to").unwrap(), field(l, "from").unwrap()))
        .collect();
    (lines.iter())
        .filter(|l| l.contains(" ack ") && time_of(l) < unclean_at)
        .filter(|l| field(l, "partition") == Some(0))
        .filter_map(|l| {
            let offset = field(l, "offset")?;
            let value = field(l, "value")? as u64;
            let cut = ranges
                .iter()
                .any(|&(to, from)| to <= offset && offset < from);
            cut.then_some((offset, value))
        })
        .collect()
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn an_unclean_election_loses_exactly_what_the_truncations_removed() {
    let unclean = scenario("replicated-unclean.toml");
    let refused = scenario("replicated-unclean-refused.toml");
    for seed in SEEDS {
        let report = run(&Plan::draw(&unclean, seed), &[]);
        assert!(
            report.verdict.passed(),
            "seed {seed}: {:?}",
            report.verdict.failures
        );
        let lost = reported_lost(&report);
        let cut = truncated_acknowledged(&report);
        assert!(
            !lost.is_empty(),
            "seed {seed}: the unclean election lost nothing"
        );
        let read_elsewhere = report.history.judged_values();
        let unexplained: Vec<_> = lost.difference(&cut).collect();
        let unreported: Vec<_> = (cut.difference(&lost))
            .filter(|(_, value)| !read_elsewhere.contains(value))
            .collect();
        assert!(
            unexplained.is_empty() && unreported.is_empty(),
            "seed {seed}: lost but not truncated {unexplained:?}; truncated but not reported \
             {unreported:?}"
        );
        println!(
            "seed {seed}: {} acknowledged writes lost, each truncated",
            lost.len()
        );

        let without = run(&Plan::draw(&refused, seed), &[]);
        assert!(
            without.verdict.passed(),
            "seed {seed}: {:?}",
            without.verdict.failures
        );
        assert!(
            reported_lost(&without).is_empty(),
            "seed {seed}: lost writes with unclean election off"
        );
    }
}
