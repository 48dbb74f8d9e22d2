//! The Weir simulator: seeded, deterministic runs of real Weir nodes under injected faults.
//! A skeleton for now; today's simulator coverage is `tests/sim_broker.rs`, which runs a real
//! broker node and the native client on madsim with a crash and restart, and replays a seed.
