//! Collects the brokers' semantic events (`weir::events`, see `weir::events`) into the run's
//! trace, each labelled with the simulated node that emitted it.
//!
//! The broker emits them as `tracing` events; this layer is installed as the thread's default
//! subscriber for the length of one run (madsim runs everything on the calling thread), keeps
//! only that target, and asks the runtime seam which node's task is running.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::trace::Trace;

struct EventLayer {
    trace: Trace,
}

/// Collects the `message` field.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
}

impl<S: Subscriber> Layer<S> for EventLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.target() == weir::events::TARGET
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != weir::events::TARGET {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        let node = weir::runtime::node_context::node_label().unwrap_or_else(|| "?".into());
        self.trace.event(&node, message.0);
    }
}

/// Sends broker events to `trace` until the guard is dropped.
pub fn install(trace: Trace) -> DefaultGuard {
    let subscriber = tracing_subscriber::registry().with(EventLayer { trace });
    tracing::subscriber::set_default(subscriber)
}
