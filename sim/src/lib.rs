//! The Weir simulator: seeded, deterministic runs of real Weir nodes under injected faults.
//!
//! Layout, one concept per file:
//! - `trace` — the semantic event trace of a run, and its hash for determinism checks;
//! - `history` — client operations as invoke / ok / fail / info (Jepsen's model);
//! - `checker/` — one invariant per file, run over the history and the nodes' logs;
//! - `disk` — `SimDisk`, a `Disk` with a real kernel's durability rules and seeded faults;
//! - `scenario` — the TOML scenario format, and the seed's choices for whatever it leaves open;
//! - `verdict` — anomalies split into failures and what the scenario expects;
//! - `harness/` — cluster, nemesis, workloads and one seeded run, which exist only in the
//!   simulator build (`--cfg madsim`; see `sim/run`).

pub mod checker;
pub mod disk;
#[cfg(madsim)]
pub mod harness;
pub mod history;
pub mod scenario;
pub mod trace;
pub mod verdict;
