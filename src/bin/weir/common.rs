//! What every command shares: the `--bootstrap-server` flag, `key=value` parsing, logging,
//! one-line errors, and writing to a stdout that may be a closed pipe.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use weir::client::ClusterOptions;

/// How long the CLI waits to connect before giving up on a broker.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The broker to talk to.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// Broker(s) to bootstrap from: HOST:PORT[,HOST:PORT...]
    #[arg(long, default_value = "localhost:9092", value_name = "HOST:PORT")]
    pub bootstrap_server: String,
}

impl ConnectArgs {
    /// Cluster options with the CLI's bounded connect timeout.
    pub fn cluster_options(&self) -> anyhow::Result<ClusterOptions> {
        for addr in self.bootstrap_server.split(',') {
            validate_addr(addr.trim())?;
        }
        let mut options = ClusterOptions::new(&self.bootstrap_server);
        options.connection.client_id = "weir-cli".to_string();
        options.connection.connect_timeout = CONNECT_TIMEOUT;
        Ok(options)
    }
}

fn validate_addr(addr: &str) -> anyhow::Result<()> {
    let Some((host, port)) = addr.rsplit_once(':') else {
        bail!("invalid bootstrap server {addr:?}: expected HOST:PORT");
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        bail!("invalid bootstrap server {addr:?}: expected HOST:PORT");
    }
    Ok(())
}

/// Parses `key=value` (the value may contain `=`).
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// Collects `--property key=value` flags.
pub fn properties(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    pairs.iter().cloned().collect()
}

/// A boolean property (`true`/`false`), `default` when absent.
pub fn bool_property(
    properties: &BTreeMap<String, String>,
    key: &str,
    default: bool,
) -> anyhow::Result<bool> {
    match properties.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(value) if value == "true" => Ok(true),
        Some(value) if value == "false" => Ok(false),
        Some(value) => bail!("property {key} must be true or false, got {value:?}"),
    }
}

/// Logging to stderr: `RUST_LOG` if set, else `info` for the broker and `warn` for tools.
pub fn init_logging(broker: bool) {
    let default = if broker { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        // Colour only for a person at a terminal; log files and CI output stay plain text.
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .try_init();
}

/// An error and its causes on one line.
pub fn one_line(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    text.replace('\n', " ")
}

/// Stdout, where a closed pipe (`weir consume | head`) ends the command quietly.
pub struct Output {
    out: io::BufWriter<io::Stdout>,
}

impl Output {
    pub fn new() -> Self {
        Self {
            out: io::BufWriter::new(io::stdout()),
        }
    }

    /// Writes one line. `Ok(false)` when the reader has gone away.
    pub fn line(&mut self, text: &str) -> anyhow::Result<bool> {
        match writeln!(self.out, "{text}") {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(error) => Err(error).context("writing to stdout"),
        }
    }

    /// Flushes. `Ok(false)` when the reader has gone away.
    pub fn flush(&mut self) -> anyhow::Result<bool> {
        match self.out.flush() {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(error) => Err(error).context("writing to stdout"),
        }
    }
}

/// Formats Unix milliseconds as `YYYY-MM-DD HH:MM:SS:mmm` (UTC), as Kafka's perf tools print.
pub fn format_time_ms(unix_ms: i64) -> String {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60);
    let (s, ms) = (ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}:{ms:03}")
}
