//! `weir-sim`: run, sweep and replay simulator scenarios.
fn main() {}
