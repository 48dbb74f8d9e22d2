//! The command line of `weir-sim` (simulator build only): `run`, `sweep`, and their output.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand};
use weir::canary::Canary;
use weir_sim::harness::run::{run, RunReport};
use weir_sim::scenario::{Plan, Scenario};

use crate::fresh;

#[derive(Parser)]
#[command(
    name = "weir-sim",
    about = "Seeded, replayable simulations of Weir under faults"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario with one seed.
    Run {
        scenario: PathBuf,
        #[arg(long)]
        seed: u64,
        /// Print the semantic event trace.
        #[arg(long)]
        trace: bool,
        /// Print the election trace: quorum leaders, brokers fenced and unfenced, partition
        /// leaders and leader epochs (what sim/tests/election_trace.rs pins).
        #[arg(long)]
        elections: bool,
        /// Run the seed twice more, each in a fresh process, and require identical traces.
        #[arg(long)]
        check_determinism: bool,
        /// Switch on a deliberate bug (ack-before-fsync, skip-recovery-crc, duplicate-offset,
        /// vote-twice, metadata-flush-skipped, commit-point-ignored, repair-skipped,
        /// ack-before-flush-completes, hw-past-isr, truncation-skipped, isr-expanded-early,
        /// ack-before-isr, hw-under-min-isr).
        #[arg(long)]
        canary: Vec<String>,
        /// End with a machine-readable result line (how sweeps read their child runs).
        #[arg(long, hide = true)]
        result_line: bool,
    },
    /// Run many seeds of a scenario, or of every scenario in a directory.
    Sweep {
        path: PathBuf,
        /// Seeds as A..B (B excluded).
        #[arg(long)]
        seeds: String,
        #[arg(long)]
        canary: Vec<String>,
        /// Runs at a time, each in its own process (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Run every regression file (scenario + `seeds`) in a directory for exactly its seeds.
    Regress {
        path: PathBuf,
        /// Runs at a time, each in its own process (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            scenario,
            seed,
            trace,
            elections,
            check_determinism,
            canary,
            result_line,
        } => canaries(&canary).and_then(|canaries| {
            let options = RunOptions {
                print_trace: trace,
                print_elections: elections,
                check_determinism,
                result_line,
            };
            run_one(&scenario, seed, options, &canaries)
        }),
        Command::Sweep {
            path,
            seeds,
            canary,
            jobs,
        } => canaries(&canary).and_then(|canaries| {
            sweep(
                &path,
                &seeds,
                &canaries,
                jobs.unwrap_or_else(fresh::default_jobs),
            )
        }),
        Command::Regress { path, jobs } => regress(&path, jobs.unwrap_or_else(fresh::default_jobs)),
    };
    match result {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            eprintln!("error: {error:#}");
            2
        }
    }
}

fn canaries(names: &[String]) -> anyhow::Result<Vec<Canary>> {
    names
        .iter()
        .map(|name| {
            Canary::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = Canary::ALL.iter().map(|c| c.name()).collect();
                anyhow::anyhow!("unknown canary {name:?} (one of {})", known.join(", "))
            })
        })
        .collect()
}

fn replay_command(scenario: &Path, seed: u64, canaries: &[Canary]) -> String {
    let mut command = format!("sim/run run {} --seed {seed}", scenario.display());
    for canary in canaries {
        command.push_str(&format!(" --canary {}", canary.name()));
    }
    command
}

/// How `run` prints.
struct RunOptions {
    print_trace: bool,
    print_elections: bool,
    check_determinism: bool,
    result_line: bool,
}

fn run_one(
    path: &Path,
    seed: u64,
    options: RunOptions,
    canaries: &[Canary],
) -> anyhow::Result<bool> {
    let scenario = Scenario::load(path)?;
    let plan = Plan::draw(&scenario, seed);
    let wall = Instant::now();
    let report = run(&plan, canaries);
    let wall_s = wall.elapsed().as_secs_f64();
    if options.print_trace {
        for line in report.trace.lines() {
            println!("{line}");
        }
    }
    if options.print_elections {
        for line in &report.elections {
            println!("{line}");
        }
    }
    print_report(path, &report, wall_s, canaries);
    let mut passed = report.verdict.passed();
    if options.check_determinism {
        passed &= check_determinism(path, seed, canaries, &report)?;
    }
    println!("replay: {}", replay_command(path, seed, canaries));
    if options.result_line {
        let hash = report.trace.hash();
        println!("{}", fresh::result_line(passed, report.simulated_ms, hash));
    }
    Ok(passed)
}

/// Runs the seed twice more, each in a fresh process as a replay would, and compares both
/// traces with this run's.
fn check_determinism(
    path: &Path,
    seed: u64,
    canaries: &[Canary],
    report: &RunReport,
) -> anyhow::Result<bool> {
    let hash = report.trace.hash();
    for attempt in 1..=2 {
        let again = fresh::run(path, seed, canaries, true)?;
        if again.trace_hash == hash {
            continue;
        }
        println!(
            "DETERMINISM FAILURE: replay {attempt} traced hash {:016x}, this run {hash:016x}",
            again.trace_hash,
        );
        let ours = report.trace.lines();
        let theirs = &again.output;
        if let Some(index) = (0..ours.len()).find(|&i| theirs.get(i) != ours.get(i)) {
            println!("  first difference at line {}:", index + 1);
            println!("    this run: {}", ours[index]);
            let line = theirs.get(index).map_or("<end>", String::as_str);
            println!("    replay:   {line}");
        }
        return Ok(false);
    }
    println!("determinism: two replays in fresh processes traced the same (hash {hash:016x})");
    Ok(true)
}

fn summary_line(report: &RunReport, wall_s: f64) -> String {
    let simulated_s = report.simulated_ms as f64 / 1000.0;
    format!(
        "{} operations, {} acknowledged writes, {} faults injected ({} disk faults), \
         {simulated_s:.1} s simulated in {wall_s:.2} s wall ({:.0}x)",
        report.operations,
        report.acknowledged,
        report.faults_injected,
        report.disk_faults,
        simulated_s / wall_s.max(1e-9)
    )
}

fn print_report(path: &Path, report: &RunReport, wall_s: f64, canaries: &[Canary]) {
    let verdict = &report.verdict;
    println!(
        "{} {} seed {}: {}",
        verdict.word(),
        path.display(),
        report.plan.seed,
        summary_line(report, wall_s)
    );
    if !canaries.is_empty() {
        let names: Vec<&str> = canaries.iter().map(|c| c.name()).collect();
        println!("canaries on: {}", names.join(", "));
    }
    if let Some(liveness) = &verdict.liveness {
        println!("liveness: {liveness}");
    }
    const SHOWN: usize = 20;
    for anomaly in verdict.failures.iter().take(SHOWN) {
        println!("  {}: {}", anomaly.checker, anomaly.detail);
    }
    if verdict.failures.len() > SHOWN {
        println!("  ... and {} more", verdict.failures.len() - SHOWN);
    }
    if !verdict.expected.is_empty() {
        println!(
            "expected by the scenario ({} anomalies of allowed kinds):",
            verdict.expected.len()
        );
        for anomaly in verdict.expected.iter().take(SHOWN) {
            println!("  {}: {}", anomaly.checker, anomaly.detail);
        }
        if verdict.expected.len() > SHOWN {
            println!("  ... and {} more", verdict.expected.len() - SHOWN);
        }
    }
}

/// Parses "A..B" (B excluded).
fn parse_seeds(text: &str) -> anyhow::Result<std::ops::Range<u64>> {
    let (start, end) = text
        .split_once("..")
        .ok_or_else(|| anyhow::anyhow!("--seeds must look like A..B, got {text:?}"))?;
    let start: u64 = start
        .parse()
        .map_err(|_| anyhow::anyhow!("bad seed {start:?}"))?;
    let end: u64 = end
        .parse()
        .map_err(|_| anyhow::anyhow!("bad seed {end:?}"))?;
    if end <= start {
        anyhow::bail!("--seeds {text}: the range is empty");
    }
    Ok(start..end)
}

fn scenario_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("no scenario files (*.toml) in {}", path.display());
    }
    Ok(files)
}

/// One scenario's sweep result.
struct SweepRow {
    name: String,
    passed: u64,
    failed: Vec<u64>,
    simulated_ms: u64,
    wall_s: f64,
}

/// Seeds per hour per core: what a sweep costs, comparable across machines and `--jobs`.
fn seeds_per_core_hour(seeds: u64, wall_s: f64, jobs: usize) -> f64 {
    seeds as f64 / (wall_s.max(1e-9) / 3600.0) / jobs as f64
}

fn sweep(path: &Path, seeds: &str, canaries: &[Canary], jobs: usize) -> anyhow::Result<bool> {
    let seeds = parse_seeds(seeds)?;
    let files = scenario_files(path)?;
    let total = seeds.end - seeds.start;
    let mut rows = Vec::new();
    for file in &files {
        Scenario::load(file)?;
        let name = file.display().to_string();
        let wall = Instant::now();
        let runs: Vec<(PathBuf, u64)> = seeds.clone().map(|seed| (file.clone(), seed)).collect();
        // Progress on stderr, about every tenth of the scenario: a 10,000-seed sweep of a
        // three-node scenario takes most of an hour.
        let (done, failing) = (AtomicU64::new(0), AtomicU64::new(0));
        let every = (total / 10).max(1);
        let progress = |result: &anyhow::Result<fresh::ChildRun>| {
            if !result.as_ref().is_ok_and(|child| child.passed) {
                failing.fetch_add(1, Ordering::Relaxed);
            }
            let done = done.fetch_add(1, Ordering::Relaxed) + 1;
            if done % every == 0 && done < total {
                let elapsed = wall.elapsed().as_secs_f64();
                eprintln!(
                    "  {name}: {done}/{total} seeds, {} failing, {:.0} seeds/h/core",
                    failing.load(Ordering::Relaxed),
                    seeds_per_core_hour(done, elapsed, jobs)
                );
            }
        };
        let results = fresh::run_all_reporting(&runs, canaries, jobs, &progress);
        let mut row = SweepRow {
            name,
            passed: 0,
            failed: Vec::new(),
            simulated_ms: 0,
            wall_s: 0.0,
        };
        for ((_, seed), result) in runs.iter().zip(results) {
            let child = print_child(file, *seed, canaries, result, false);
            row.simulated_ms += child.as_ref().map_or(0, |child| child.simulated_ms);
            if child.is_some_and(|child| child.passed) {
                row.passed += 1;
            } else {
                row.failed.push(*seed);
            }
        }
        row.wall_s = wall.elapsed().as_secs_f64();
        eprintln!(
            "  {}: {} seeds, {} failed, {:.1} s",
            row.name,
            total,
            row.failed.len(),
            row.wall_s
        );
        rows.push(row);
    }
    print_sweep_table(&rows, jobs);
    Ok(rows.iter().all(|row| row.failed.is_empty()))
}

/// The sweep's table (per scenario and in total) and every failing seed, ready to become
/// regression seeds.
fn print_sweep_table(rows: &[SweepRow], jobs: usize) {
    println!();
    println!(
        "{:<48} {:>6} {:>6} {:>6} {:>10} {:>8} {:>7} {:>12}",
        "scenario", "seeds", "pass", "fail", "sim s", "wall s", "speed", "seeds/h/core"
    );
    let line = |name: &str, passed: u64, failed: u64, simulated_ms: u64, wall_s: f64| {
        let seeds = passed + failed;
        println!(
            "{:<48} {:>6} {:>6} {:>6} {:>10.1} {:>8.1} {:>6.0}x {:>12.0}",
            name,
            seeds,
            passed,
            failed,
            simulated_ms as f64 / 1000.0,
            wall_s,
            // Simulated time per second of one core's time.
            simulated_ms as f64 / 1000.0 / (wall_s.max(1e-9) * jobs as f64),
            seeds_per_core_hour(seeds, wall_s, jobs)
        );
    };
    for row in rows {
        let failed = row.failed.len() as u64;
        line(&row.name, row.passed, failed, row.simulated_ms, row.wall_s);
    }
    if rows.len() > 1 {
        let sum = |f: &dyn Fn(&SweepRow) -> u64| rows.iter().map(f).sum::<u64>();
        let wall_s = rows.iter().map(|row| row.wall_s).sum();
        let failed = sum(&|row| row.failed.len() as u64);
        let (passed, simulated_ms) = (sum(&|row| row.passed), sum(&|row| row.simulated_ms));
        line("total", passed, failed, simulated_ms, wall_s);
    }
    println!("({jobs} jobs; speed is simulated time per core-second)");
    for row in rows.iter().filter(|row| !row.failed.is_empty()) {
        let seeds: Vec<String> = row.failed.iter().map(u64::to_string).collect();
        println!(
            "failing seeds of {}: seeds = [{}]",
            row.name,
            seeds.join(", ")
        );
    }
}

fn regress(path: &Path, jobs: usize) -> anyhow::Result<bool> {
    let files = match scenario_files(path) {
        Ok(files) => files,
        Err(_) if path.is_dir() => {
            println!("no regression seeds in {}", path.display());
            return Ok(true);
        }
        Err(error) => return Err(error),
    };
    let mut runs = Vec::new();
    for file in &files {
        let scenario = Scenario::load(file)?;
        if scenario.seeds.is_empty() {
            anyhow::bail!(
                "{}: a regression file lists its seeds (seeds = [...])",
                file.display()
            );
        }
        runs.extend(scenario.seeds.iter().map(|&seed| (file.clone(), seed)));
    }
    let mut all_passed = true;
    for ((file, seed), result) in runs.iter().zip(fresh::run_all(&runs, &[], jobs)) {
        let child = print_child(file, *seed, &[], result, true);
        all_passed &= child.is_some_and(|child| child.passed);
    }
    Ok(all_passed)
}

/// Prints a child run's output (always, or only if it failed) and returns it. A run that
/// ended without a verdict (it crashed) is printed as a failure with its replay command and
/// gives `None`: something to report, not a reason to drop the rest of a sweep.
fn print_child(
    file: &Path,
    seed: u64,
    canaries: &[Canary],
    result: anyhow::Result<fresh::ChildRun>,
    always: bool,
) -> Option<fresh::ChildRun> {
    match result {
        Ok(child) => {
            if always || !child.passed {
                for line in &child.output {
                    println!("{line}");
                }
            }
            Some(child)
        }
        Err(error) => {
            println!("FAIL {}: {error:#}", file.display());
            println!("replay: {}", replay_command(file, seed, canaries));
            None
        }
    }
}
