//! What several simulator test files share: running one seed in its own `weir-sim` process,
//! as a replay does (see `fresh.rs` in the binary for why a fresh process).

use std::process::{Command, Output};

/// Runs `scenario` (a file under `scenarios/`) with `seed` and `--trace` in a new process.
pub fn run_traced(scenario: &str, seed: u64) -> Output {
    let path = format!("{}/../scenarios/{scenario}", env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_weir-sim"))
        .args(["run", &path, "--seed", &seed.to_string(), "--trace"])
        .output()
        .unwrap()
}
