//! `weir perf produce|consume`: throughput and latency, reported like Kafka's
//! kafka-producer-perf-test and kafka-consumer-perf-test.

use std::time::Duration;

use clap::{Args, Subcommand};
use weir::runtime::{self, Instant};

use crate::{perf_consume, perf_produce};

/// How often progress is reported.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(5);
const BYTES_PER_MB: f64 = 1024.0 * 1024.0;

#[derive(Debug, Args)]
pub struct PerfArgs {
    #[command(subcommand)]
    pub command: PerfCommand,
}

#[derive(Debug, Subcommand)]
pub enum PerfCommand {
    /// Produce records as fast as allowed and report throughput and ack latency.
    Produce(perf_produce::PerfProduceArgs),
    /// Consume records and report throughput and fetch latency.
    Consume(perf_consume::PerfConsumeArgs),
}

pub async fn run(args: PerfArgs) -> anyhow::Result<()> {
    match args.command {
        PerfCommand::Produce(args) => perf_produce::run(args).await,
        PerfCommand::Consume(args) => perf_consume::run(args).await,
    }
}

/// Counts, bytes and latencies, overall and for the current reporting window.
#[derive(Debug)]
pub struct Stats {
    start: Instant,
    latencies_us: Vec<u64>,
    bytes: u64,
    window: Window,
}

#[derive(Debug)]
struct Window {
    start: Instant,
    count: u64,
    bytes: u64,
    latency_us_total: u64,
    latency_us_max: u64,
}

impl Window {
    fn new(start: Instant) -> Self {
        Self {
            start,
            count: 0,
            bytes: 0,
            latency_us_total: 0,
            latency_us_max: 0,
        }
    }
}

/// The figures of a finished run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    pub latency_ms_avg: f64,
    pub latency_ms_max: f64,
    /// p50, p95, p99, p99.9 in milliseconds.
    pub percentiles_ms: [f64; 4],
}

impl Stats {
    pub fn new() -> Self {
        let start = runtime::now();
        Self {
            start,
            latencies_us: Vec::new(),
            bytes: 0,
            window: Window::new(start),
        }
    }

    /// Records one completion; returns a progress line when a reporting window has ended.
    pub fn record(&mut self, latency: Duration, bytes: usize, label: &str) -> Option<String> {
        let latency_us = latency.as_micros() as u64;
        self.latencies_us.push(latency_us);
        self.bytes += bytes as u64;
        self.window.count += 1;
        self.window.bytes += bytes as u64;
        self.window.latency_us_total += latency_us;
        self.window.latency_us_max = self.window.latency_us_max.max(latency_us);
        let now = runtime::now();
        let elapsed = now.saturating_duration_since(self.window.start);
        if elapsed < REPORT_INTERVAL {
            return None;
        }
        let line = window_line(&self.window, elapsed, label);
        self.window = Window::new(now);
        Some(line)
    }

    /// The totals so far.
    pub fn summary(&self) -> Summary {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let count = sorted.len() as u64;
        let total: u64 = sorted.iter().sum();
        let at = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let index = ((p * sorted.len() as f64) as usize).min(sorted.len() - 1);
            sorted[index] as f64 / 1000.0
        };
        Summary {
            count,
            bytes: self.bytes,
            elapsed: runtime::now().saturating_duration_since(self.start),
            latency_ms_avg: if count == 0 {
                0.0
            } else {
                total as f64 / count as f64 / 1000.0
            },
            latency_ms_max: sorted.last().copied().unwrap_or(0) as f64 / 1000.0,
            percentiles_ms: [at(0.5), at(0.95), at(0.99), at(0.999)],
        }
    }
}

fn window_line(window: &Window, elapsed: Duration, label: &str) -> String {
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let avg_ms = if window.count == 0 {
        0.0
    } else {
        window.latency_us_total as f64 / window.count as f64 / 1000.0
    };
    format!(
        "{} records {label}, {:.1} records/sec ({:.2} MB/sec), {:.1} ms avg latency, \
         {:.1} ms max latency.",
        window.count,
        window.count as f64 / seconds,
        window.bytes as f64 / BYTES_PER_MB / seconds,
        avg_ms,
        window.latency_us_max as f64 / 1000.0
    )
}

impl Summary {
    /// kafka-producer-perf-test's final line.
    pub fn final_line(&self, label: &str) -> String {
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        let [p50, p95, p99, p999] = self.percentiles_ms;
        format!(
            "{} records {label}, {:.1} records/sec ({:.2} MB/sec), {:.2} ms avg latency, \
             {:.2} ms max latency, {p50:.0} ms 50th, {p95:.0} ms 95th, {p99:.0} ms 99th, \
             {p999:.0} ms 99.9th.",
            self.count,
            self.count as f64 / seconds,
            self.bytes as f64 / BYTES_PER_MB / seconds,
            self.latency_ms_avg,
            self.latency_ms_max
        )
    }
}
