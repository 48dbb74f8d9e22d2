//! `weir broker`: runs one broker node from a properties file and overrides.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// server.properties to read (Kafka's keys); defaults apply without it.
    pub properties: Option<PathBuf>,
    /// Overrides one property: --override key=value (repeatable).
    #[arg(long = "override", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

pub fn run(args: BrokerArgs) -> anyhow::Result<()> {
    weir::node::run_broker(args.properties, args.overrides)
}
