//! Every run of a sweep, a regression check or a determinism check in a fresh `weir-sim`
//! process, so it is exactly the run its replay command repeats.
//!
//! madsim keeps some state for the life of a process (its task ids come from one process-wide
//! counter), and a second runtime in the same process can order two events of the same instant
//! differently from the first. Replays start a new process, so sweeps do too: a failure a sweep
//! prints is the failure `weir-sim run --seed N` shows. Runs are independent, so they go
//! `--jobs` at a time (the machine's cores by default).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use weir::canary::Canary;

/// The line a child run ends with (`run --result-line`).
pub const RESULT_PREFIX: &str = "weir-sim-result";

/// mimalloc's purge delay, read from the environment when a child starts.
const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";

/// What one child run printed and concluded.
pub struct ChildRun {
    pub passed: bool,
    pub simulated_ms: u64,
    pub trace_hash: u64,
    /// Everything it printed but the result line.
    pub output: Vec<String>,
}

/// The result line for a finished run.
pub fn result_line(passed: bool, simulated_ms: u64, trace_hash: u64) -> String {
    format!(
        "{RESULT_PREFIX} passed={passed} simulated_ms={simulated_ms} trace_hash={trace_hash:016x}"
    )
}

/// Runs `scenario` with `seed` in a new process (`trace`: it prints its trace first).
pub fn run(
    scenario: &Path,
    seed: u64,
    canaries: &[Canary],
    trace: bool,
) -> anyhow::Result<ChildRun> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command
        .arg("run")
        .arg(scenario)
        .args(["--seed", &seed.to_string(), "--result-line"]);
    // A child lives for a fraction of a second: mimalloc handing freed pages back to the OS
    // (after 10 ms by default) only makes it fault them in and zero them again. Never purging
    // made sweeps about 9% faster. The operator's own setting wins.
    if std::env::var_os(PURGE_DELAY).is_none() {
        command.env(PURGE_DELAY, "-1");
    }
    for canary in canaries {
        command.args(["--canary", canary.name()]);
    }
    if trace {
        command.arg("--trace");
    }
    let output = command.output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    let result = lines
        .iter()
        .rposition(|line| line.starts_with(RESULT_PREFIX))
        .map(|index| lines.remove(index));
    let Some(result) = result else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().take(20).collect::<Vec<_>>();
        let last: Vec<&str> = last.into_iter().rev().collect();
        anyhow::bail!(
            "the run of {} seed {seed} ended without a verdict ({}):\n{}",
            scenario.display(),
            output.status,
            last.join("\n")
        );
    };
    let field = |name: &str| {
        result
            .split(' ')
            .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or("")
            .to_string()
    };
    Ok(ChildRun {
        passed: field("passed") == "true",
        simulated_ms: field("simulated_ms").parse().unwrap_or(0),
        trace_hash: u64::from_str_radix(&field("trace_hash"), 16).unwrap_or(0),
        output: lines,
    })
}

/// Runs every (scenario, seed) in its own process, `jobs` at a time; results in input order.
pub fn run_all(
    runs: &[(PathBuf, u64)],
    canaries: &[Canary],
    jobs: usize,
) -> Vec<anyhow::Result<ChildRun>> {
    run_all_reporting(runs, canaries, jobs, &|_| {})
}

/// `run_all`, calling `finished` with each result as soon as its run ends (in any order).
pub fn run_all_reporting(
    runs: &[(PathBuf, u64)],
    canaries: &[Canary],
    jobs: usize,
    finished: &(dyn Fn(&anyhow::Result<ChildRun>) + Sync),
) -> Vec<anyhow::Result<ChildRun>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<anyhow::Result<ChildRun>>>> =
        Mutex::new((0..runs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, runs.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some((scenario, seed)) = runs.get(index) else {
                    return;
                };
                let result = run(scenario, *seed, canaries, false);
                finished(&result);
                results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(anyhow::anyhow!("the run never started"))))
        .collect()
}

/// The machine's cores: the default `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
