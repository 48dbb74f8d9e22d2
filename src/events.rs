//! Semantic events: the few facts about a broker's state that the simulator's trace records
//! (start, halt, appends with the log end offset and high watermark, recoveries, corruption
//! caught by a CRC).
//!
//! They are `tracing` events at DEBUG level on their own target, so a production broker, which
//! logs at INFO, pays only a disabled-callsite check for them; the simulator subscribes to the
//! target and turns each event into one trace line on the node that emitted it. The text must
//! be stable across runs of a seed: offsets, partitions and sizes, never times or addresses.

/// The `tracing` target of semantic events.
pub const TARGET: &str = "weir::events";

/// Emits one semantic event.
#[macro_export]
macro_rules! event {
    ($($arg:tt)*) => {
        ::tracing::debug!(target: $crate::events::TARGET, "{}", format_args!($($arg)*))
    };
}
