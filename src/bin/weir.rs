//! The `weir` command line: run a broker, manage topics and configs, produce and consume from
//! the console, inspect log segments, and measure throughput.
//!
//! Each command lives in its own module under `src/bin/weir/`. Errors print as one
//! `error: ...` line on stderr with a non-zero exit; connecting is bounded in time, so an
//! unreachable broker fails fast instead of hanging.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[path = "weir/broker.rs"]
mod broker;
#[path = "weir/cluster.rs"]
mod cluster;
#[path = "weir/common.rs"]
mod common;
#[path = "weir/configs.rs"]
mod configs;
#[path = "weir/consume.rs"]
mod consume;
#[path = "weir/dump_log.rs"]
mod dump_log;
#[path = "weir/elect_leaders.rs"]
mod elect_leaders;
#[path = "weir/perf.rs"]
mod perf;
#[path = "weir/perf_consume.rs"]
mod perf_consume;
#[path = "weir/perf_produce.rs"]
mod perf_produce;
#[path = "weir/produce.rs"]
mod produce;
#[path = "weir/reassign.rs"]
mod reassign;
#[path = "weir/topics.rs"]
mod topics;

/// Weir: a Kafka-compatible broker and its tools.
#[derive(Debug, Parser)]
#[command(name = "weir", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a broker (server.properties and --override key=value, as kafka-server-start).
    Broker(broker::BrokerArgs),
    /// Create, list, describe, alter and delete topics (as kafka-topics).
    Topics(topics::TopicsArgs),
    /// Produce lines from stdin as records (as kafka-console-producer).
    Produce(produce::ProduceArgs),
    /// Print records to stdout (as kafka-console-consumer).
    Consume(consume::ConsumeArgs),
    /// Describe and alter topic and broker configs (as kafka-configs).
    Configs(configs::ConfigsArgs),
    /// Describe the metadata quorum (as kafka-metadata-quorum).
    Cluster(cluster::ClusterArgs),
    /// Run preferred or unclean leader elections (as kafka-leader-election).
    ElectLeaders(elect_leaders::ElectLeadersArgs),
    /// Move partitions to new replica sets (as kafka-reassign-partitions).
    Reassign(reassign::ReassignArgs),
    /// Print the batches and records of log segment files (as kafka-dump-log).
    DumpLog(dump_log::DumpLogArgs),
    /// Measure producer or consumer throughput and latency.
    Perf(perf::PerfArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with success; usage errors are clap's own text.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    common::init_logging(matches!(cli.command, Command::Broker(_)));
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", common::one_line(&error));
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        // The broker builds its own runtime.
        Command::Broker(args) => broker::run(args),
        Command::DumpLog(args) => dump_log::run(args),
        command => weir::runtime::block_on(run_async(command))?,
    }
}

async fn run_async(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Topics(args) => topics::run(args).await,
        Command::Produce(args) => produce::run(args).await,
        Command::Consume(args) => consume::run(args).await,
        Command::Configs(args) => configs::run(args).await,
        Command::Cluster(args) => cluster::run(args).await,
        Command::ElectLeaders(args) => elect_leaders::run(args).await,
        Command::Reassign(args) => reassign::run(args).await,
        Command::Perf(args) => perf::run(args).await,
        Command::Broker(_) | Command::DumpLog(_) => unreachable!("handled without a runtime"),
    }
}

#[cfg(test)]
#[path = "weir/tests.rs"]
mod tests;
