//! The semantic event trace of one simulated run.
//!
//! One line per event, in the order events happened: node starts, crashes and restarts,
//! partitions and heals, each disk fault that fired, high watermark and log end offset changes
//! reported by the broker, produce acknowledgements and fetch results seen by clients. Lines
//! carry simulated time in milliseconds and stable names (node names, partitions, offsets),
//! never wall-clock times, ports or task ids, so two runs of one seed print the same trace and
//! `--check-determinism` can compare hashes.
//!
//! `Trace` is a cheap handle shared by everything in a run (SimDisks, the nemesis, workloads,
//! the broker-event collector); the simulator is single-threaded, the mutex only satisfies
//! `Send` bounds.

use std::sync::{Arc, Mutex};

/// A shared, append-only list of trace lines.
#[derive(Clone, Default)]
pub struct Trace {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one event: `who` is a node or client name, `what` the event and its fields.
    pub fn event(&self, who: &str, what: impl std::fmt::Display) {
        let at_ms = sim_time_ms();
        self.lock().push(format!("{at_ms:>8} {who} {what}"));
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Number of lines whose event text starts with `prefix` (after time and name).
    pub fn count_events(&self, prefix: &str) -> usize {
        self.lock()
            .iter()
            .filter(|line| event_text(line).starts_with(prefix))
            .count()
    }

    /// FNV-1a over every line: the determinism check compares these.
    pub fn hash(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for line in self.lock().iter() {
            for byte in line.bytes().chain(std::iter::once(b'\n')) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The event text of a line: what follows the time and the name.
fn event_text(line: &str) -> &str {
    let mut parts = line.trim_start().splitn(3, ' ');
    parts.next();
    parts.next();
    parts.next().unwrap_or("")
}

/// Simulated milliseconds since the run started (0 outside a simulation, as in unit tests).
pub fn sim_time_ms() -> u64 {
    #[cfg(madsim)]
    {
        tokio::madsim::time::TimeHandle::try_current()
            .map(|time| time.elapsed().as_millis() as u64)
            .unwrap_or(0)
    }
    #[cfg(not(madsim))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_any_line_and_counts_match_prefixes() {
        let a = Trace::new();
        a.event("n1", "start");
        a.event("n1", "disk fault=bitflip file=x");
        let b = Trace::new();
        b.event("n1", "start");
        assert_ne!(a.hash(), b.hash());
        b.event("n1", "disk fault=bitflip file=x");
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.count_events("disk fault="), 1);
        assert_eq!(a.count_events("start"), 1);
    }
}
