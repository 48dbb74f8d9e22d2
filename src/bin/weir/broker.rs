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

// TODO(lead): enable once `weir::node::run_broker` is on this branch: delete the stub below and
// turn `cfg(any())` into nothing.
#[cfg(any())]
pub fn run(args: BrokerArgs) -> anyhow::Result<()> {
    weir::node::run_broker(args.properties, args.overrides)
}

#[cfg(not(any()))]
pub fn run(args: BrokerArgs) -> anyhow::Result<()> {
    let _ = (args.properties, args.overrides);
    anyhow::bail!("this build has no broker yet (weir::node::run_broker is not wired in)")
}
