//! The harness: real Weir nodes on madsim, the nemesis, the client workloads, and one seeded
//! run from start to verdict. Only in the simulator build (`--cfg madsim`).

mod broker_events;
pub mod cluster;
pub mod elections;
pub mod isr_heal;
pub mod metadata_workload;
pub mod nemesis;
pub mod run;
pub mod watch;
pub mod workload;
