//! The runtime seam: the only module that names `tokio` (which is `madsim-tokio`).
//!
//! Everything that touches time, tasks, sockets, signals or randomness goes through here, so that
//! a normal build runs on tokio with real sockets and a `--cfg madsim` build runs the very same
//! broker code inside madsim's deterministic simulator. Files are not here: they go through
//! [`crate::storage::Disk`], because madsim does not simulate them; only the threads a real
//! disk's fsyncs run on are (`io`).

mod clock;
pub mod io;
mod net;
pub mod node_context;
mod rng;
mod signal;
mod task;

pub use clock::{now, sleep, sleep_until, timeout, timeout_at, unix_time_ms, Elapsed, Instant};
pub use net::{
    connect, listen, local_addr, split, write_and_flush, write_chunks_and_flush, ReadHalf,
    TcpListener, TcpStream, WriteHalf,
};
pub use rng::{node_seed, RngStream};
pub use signal::shutdown_signal;
pub use task::{block_on, block_on_workers, cores, join_all, spawn, yield_now, JoinHandle};

/// Async reading and writing traits for the runtime's sockets.
pub use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// Waits on several futures and runs the branch of the first to finish.
pub use tokio::select;
/// Channels, mutexes and notifications. These are tokio's own in both builds: they only
/// coordinate tasks, and madsim runs tokio's sync primitives deterministically.
pub use tokio::sync;
