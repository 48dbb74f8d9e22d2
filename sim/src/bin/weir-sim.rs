//! `weir-sim`: run one scenario for one seed, or sweep many seeds, and print the verdict with
//! the command that replays it. Built with `--cfg madsim` (use `sim/run`); a normal build only
//! says so.

#[cfg(madsim)]
mod cli;
#[cfg(madsim)]
mod fresh;

/// See `mimalloc` in sim/Cargo.toml. Allocation addresses never reach a run's decisions, so
/// the allocator cannot change what a seed does.
#[cfg(madsim)]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(madsim)]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(not(madsim))]
fn main() {
    eprintln!(
        "error: weir-sim is the simulator build; run it with sim/run (which builds it with \
         RUSTFLAGS=\"--cfg madsim\" in target/sim), e.g. sim/run run scenarios/<name>.toml --seed 1"
    );
    std::process::exit(2);
}
