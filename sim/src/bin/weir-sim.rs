//! `weir-sim`: run one scenario for one seed, or sweep many seeds, and print the verdict with
//! the command that replays it. Built with `--cfg madsim` (use `sim/run`); a normal build only
//! says so.

#[cfg(madsim)]
mod cli;
#[cfg(madsim)]
mod fresh;

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
