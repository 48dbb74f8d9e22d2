//! `weir-sim`: run, sweep and replay simulator scenarios (issue #3). Until the harness exists it
//! says so and exits non-zero, rather than pretending a run passed.

fn main() {
    eprintln!(
        "error: weir-sim has no scenarios yet; the simulator harness is being built (issue #3). \
         The broker already runs under madsim: see tests/sim_broker.rs"
    );
    std::process::exit(2);
}
