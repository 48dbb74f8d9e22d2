//! Semantic election traces of real nodes, pinned with insta: three nodes (each a broker and a
//! voter) on madsim with a fixed seed and one scheduled fault, and what the quorum and the
//! metadata image made of it: who leads the quorum in which epoch, brokers fenced and
//! unfenced, partitions going offline and coming back with a bumped leader epoch. A change in
//! election, fencing or placement behaviour shows up here as a diff to review.
#![cfg(madsim)]

use weir_sim::harness::run::run;
use weir_sim::scenario::{Plan, Scenario};

const SEED: u64 = 7;

fn trace(fault: &str) -> String {
    let text = format!(
        r#"
name = "election-trace"
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
    let scenario = Scenario::parse(&text).unwrap();
    let report = run(&Plan::draw(&scenario, SEED), &[]);
    assert!(report.verdict.passed(), "{:?}", report.verdict);
    report.elections.join("\n")
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow unoptimised; scripts/test.sh runs it in release"
)]
fn initial_election_and_controller_failover() {
    insta::assert_snapshot!(trace(
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
        r#"at_ms = 4000
fault = "isolate"
node = 3
duration_ms = 5000"#
    ));
}
