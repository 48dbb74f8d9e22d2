//! Tasks: spawning, yielding, and building the runtime a process runs on.
//!
//! Weir runs on a single-threaded runtime (no OS threads but the I/O pool's, see `io`), so a
//! normal run schedules tasks the way the simulator does, and state shared between tasks never
//! needs more than a short lock.

use std::future::Future;

pub use tokio::task::JoinHandle;

/// Spawns a task on the current runtime. In the simulator the task stays on the spawner's node
/// context (see `node_context`).
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[cfg(madsim)]
    {
        // Boxed first: madsim copies a task's future into its allocation more than once, and
        // some of ours (a broker connection's) are tens of kilobytes; a box is a pointer.
        tokio::spawn(Box::pin(super::node_context::inherit(future)))
    }
    #[cfg(not(madsim))]
    {
        tokio::spawn(future)
    }
}

/// Lets other tasks run before continuing.
pub async fn yield_now() {
    tokio::task::yield_now().await
}

/// Runs `future` to completion on a fresh single-threaded runtime (real build).
#[cfg(not(madsim))]
pub fn block_on<F: Future>(future: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future))
}

/// Runs `future` to completion inside a fresh simulation seeded from `MADSIM_TEST_SEED`
/// (default 0) in the simulator build, so even the CLI replays deterministically there.
#[cfg(madsim)]
pub fn block_on<F: Future>(future: F) -> std::io::Result<F::Output> {
    let seed = std::env::var("MADSIM_TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0);
    let runtime = tokio::madsim::runtime::Runtime::with_seed_and_config(seed, Default::default());
    Ok(runtime.block_on(future))
}
