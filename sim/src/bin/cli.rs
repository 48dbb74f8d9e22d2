//! The command line of `weir-sim` (simulator build only): `run`, `sweep`, and their output.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use weir::canary::Canary;
use weir_sim::harness::run::{run, RunReport};
use weir_sim::scenario::{Plan, Scenario};

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
        /// Run the seed twice and require identical traces.
        #[arg(long)]
        check_determinism: bool,
        /// Switch on a deliberate bug (ack-before-fsync, skip-recovery-crc, duplicate-offset).
        #[arg(long)]
        canary: Vec<String>,
    },
    /// Run many seeds of a scenario, or of every scenario in a directory.
    Sweep {
        path: PathBuf,
        /// Seeds as A..B (B excluded).
        #[arg(long)]
        seeds: String,
        #[arg(long)]
        canary: Vec<String>,
    },
    /// Run every regression file (scenario + `seeds`) in a directory for exactly its seeds.
    Regress { path: PathBuf },
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            scenario,
            seed,
            trace,
            check_determinism,
            canary,
        } => canaries(&canary)
            .and_then(|canaries| run_one(&scenario, seed, trace, check_determinism, &canaries)),
        Command::Sweep {
            path,
            seeds,
            canary,
        } => canaries(&canary).and_then(|canaries| sweep(&path, &seeds, &canaries)),
        Command::Regress { path } => regress(&path),
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

fn run_one(
    path: &Path,
    seed: u64,
    print_trace: bool,
    check_determinism: bool,
    canaries: &[Canary],
) -> anyhow::Result<bool> {
    let scenario = Scenario::load(path)?;
    let plan = Plan::draw(&scenario, seed);
    let wall = Instant::now();
    let report = run(&plan, canaries);
    let wall_s = wall.elapsed().as_secs_f64();
    if print_trace {
        for line in report.trace.lines() {
            println!("{line}");
        }
    }
    print_report(path, &report, wall_s, canaries);
    let mut passed = report.verdict.passed();
    if check_determinism {
        let again = run(&plan, canaries);
        let (first, second) = (report.trace.hash(), again.trace.hash());
        if first == second {
            println!("determinism: the seed ran twice with identical traces (hash {first:016x})");
        } else {
            println!("DETERMINISM FAILURE: trace hashes {first:016x} and {second:016x} differ");
            let (a, b) = (report.trace.lines(), again.trace.lines());
            if let Some(index) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
                println!("  first difference at line {}:", index + 1);
                println!(
                    "    run 1: {}",
                    a.get(index).map_or("<end>", String::as_str)
                );
                println!(
                    "    run 2: {}",
                    b.get(index).map_or("<end>", String::as_str)
                );
            }
            passed = false;
        }
    }
    println!("replay: {}", replay_command(path, seed, canaries));
    Ok(passed)
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

fn sweep(path: &Path, seeds: &str, canaries: &[Canary]) -> anyhow::Result<bool> {
    let seeds = parse_seeds(seeds)?;
    let files = scenario_files(path)?;
    let mut rows = Vec::new();
    let mut all_passed = true;
    for file in &files {
        let scenario = Scenario::load(file)?;
        let wall = Instant::now();
        let (mut passed, mut failed, mut simulated_ms) = (0, 0, 0);
        for seed in seeds.clone() {
            let plan = Plan::draw(&scenario, seed);
            let seed_wall = Instant::now();
            let report = run(&plan, canaries);
            simulated_ms += report.simulated_ms;
            if report.verdict.passed() {
                passed += 1;
            } else {
                failed += 1;
                all_passed = false;
                print_report(file, &report, seed_wall.elapsed().as_secs_f64(), canaries);
                println!("replay: {}", replay_command(file, seed, canaries));
            }
        }
        let wall_s = wall.elapsed().as_secs_f64();
        rows.push((
            file.display().to_string(),
            passed,
            failed,
            simulated_ms,
            wall_s,
        ));
    }
    println!();
    println!(
        "{:<48} {:>6} {:>6} {:>6} {:>10} {:>8} {:>9}",
        "scenario", "seeds", "pass", "fail", "sim s", "wall s", "seeds/min"
    );
    for (name, passed, failed, simulated_ms, wall_s) in &rows {
        let seeds = passed + failed;
        println!(
            "{:<48} {:>6} {:>6} {:>6} {:>10.1} {:>8.1} {:>9.1}",
            name,
            seeds,
            passed,
            failed,
            *simulated_ms as f64 / 1000.0,
            wall_s,
            seeds as f64 / wall_s.max(1e-9) * 60.0
        );
    }
    Ok(all_passed)
}

fn regress(path: &Path) -> anyhow::Result<bool> {
    let files = match scenario_files(path) {
        Ok(files) => files,
        Err(_) if path.is_dir() => {
            println!("no regression seeds in {}", path.display());
            return Ok(true);
        }
        Err(error) => return Err(error),
    };
    let mut all_passed = true;
    for file in &files {
        let scenario = Scenario::load(file)?;
        if scenario.seeds.is_empty() {
            anyhow::bail!(
                "{}: a regression file lists its seeds (seeds = [...])",
                file.display()
            );
        }
        for &seed in &scenario.seeds {
            let wall = Instant::now();
            let report = run(&Plan::draw(&scenario, seed), &[]);
            print_report(file, &report, wall.elapsed().as_secs_f64(), &[]);
            all_passed &= report.verdict.passed();
        }
    }
    Ok(all_passed)
}
