//! The Weir simulator: seeded, deterministic runs of real Weir nodes under injected faults.
