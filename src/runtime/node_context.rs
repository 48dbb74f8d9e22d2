//! Which simulated node a task belongs to, and that node's clock offset.
//!
//! madsim runs every node of a simulation in one thread and does not say which node is running,
//! yet two things need to know: the simulator's event trace (which node emitted an event) and
//! the nemesis's per-node clock skew (wall-clock reads on a skewed node are off by its offset).
//! A task-local context set on a node's first task is carried by `spawn` to every task spawned
//! from it. In a normal build there is no context: the functions below answer "none" and `0`,
//! and `spawn` adds nothing.

#[cfg(madsim)]
mod sim {
    use std::future::Future;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    /// One simulated node's context, shared by all its tasks.
    #[derive(Debug)]
    pub struct NodeContext {
        pub label: String,
        pub clock_offset_ms: AtomicI64,
    }

    tokio::task_local! {
        static NODE: Arc<NodeContext>;
    }

    /// Runs `future` (a node's first task) as `context`'s node.
    pub async fn with_node<F: Future>(context: Arc<NodeContext>, future: F) -> F::Output {
        NODE.scope(context, future).await
    }

    /// The current task's node context, if it has one.
    pub fn current_node() -> Option<Arc<NodeContext>> {
        NODE.try_with(Arc::clone).ok()
    }

    /// Wraps a future about to be spawned so that it keeps the spawner's node context.
    pub fn inherit<F: Future>(future: F) -> impl Future<Output = F::Output> {
        let context = current_node();
        async move {
            match context {
                Some(context) => NODE.scope(context, future).await,
                None => future.await,
            }
        }
    }

    /// The current node's clock offset in milliseconds (0 outside a node).
    pub fn clock_offset_ms() -> i64 {
        NODE.try_with(|node| node.clock_offset_ms.load(Ordering::Relaxed))
            .unwrap_or(0)
    }
}

#[cfg(madsim)]
pub use sim::{clock_offset_ms, current_node, inherit, with_node, NodeContext};

/// The current node's clock offset in milliseconds: always 0 outside the simulator.
#[cfg(not(madsim))]
pub fn clock_offset_ms() -> i64 {
    0
}

/// The label of the simulated node running the current task (`None` outside the simulator).
pub fn node_label() -> Option<String> {
    #[cfg(madsim)]
    {
        sim::current_node().map(|node| node.label.clone())
    }
    #[cfg(not(madsim))]
    {
        None
    }
}
