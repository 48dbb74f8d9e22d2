//! Tasks: spawning, yielding, and building the runtime a process runs on.
//!
//! A broker runs on a multi-threaded runtime, one worker per core unless `num.io.threads` says
//! otherwise; tools and tests run on one thread. The simulator runs everything on madsim's
//! single thread. Both are sound for the same reason: shared state is only ever touched under
//! short locks that are never held across an await (see docs/ARCHITECTURE.md, "Threads"), so
//! what another worker can do between two of a task's steps is what another task can do
//! between its awaits, and the simulator explores those interleavings.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

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

/// Runs `future` to completion on a fresh runtime with `workers` worker threads (real build):
/// what a broker runs on. Tasks it spawns may run on any worker.
#[cfg(not(madsim))]
pub fn block_on_workers<F: Future>(workers: usize, future: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name("weir-worker")
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future))
}

/// The simulator has one thread: `workers` is ignored, and the run is [`block_on`]'s.
#[cfg(madsim)]
pub fn block_on_workers<F: Future>(_workers: usize, future: F) -> std::io::Result<F::Output> {
    block_on(future)
}

/// The cores this process may run on: the default number of a broker's workers. The simulator
/// answers 1 on every machine, so nothing it derives depends on where it runs.
pub fn cores() -> usize {
    #[cfg(madsim)]
    {
        1
    }
    #[cfg(not(madsim))]
    {
        std::thread::available_parallelism().map_or(1, |cores| cores.get())
    }
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

/// Polls every future until all have finished, on the calling task (no task each); their
/// outputs in order.
pub async fn join_all<'a, T>(futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            let Some(future) = slot else { continue };
            match future.as_mut().poll(cx) {
                Poll::Ready(value) => {
                    *output = Some(value);
                    *slot = None;
                }
                Poll::Pending => done = false,
            }
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
