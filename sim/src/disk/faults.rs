//! Fault rates and the seeded streams they are drawn from.

use std::time::Duration;

use weir::runtime::RngStream;

/// How often each fault fires. `Default` is a perfect disk.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiskFaults {
    /// Probability that an `fsync` of a file with pending writes fails with EIO.
    pub fsync_eio: f64,
    /// Probability that a read returns its data with one bit flipped (the stored data is fine).
    pub read_bitflip: f64,
    /// Probability, per crash, that one bit of one durable file flips.
    pub bitflip_at_rest: f64,
    /// Only files whose path ends with this suffer flips at rest (`None`: any file). Scenarios
    /// aim them at segment data (`.log`), which CRCs protect; a single node has no second copy
    /// of its metadata to recover from.
    pub bitflip_at_rest_suffix: Option<String>,
    /// Files whose path contains this never suffer flips at rest: the scenarios spare the
    /// metadata log (`/__cluster_metadata-0/`), whose committed entries a single voter has no
    /// other copy of, exactly as they spare `meta.properties` and the checkpoints.
    pub bitflip_at_rest_skip: Option<String>,
    /// Only files whose path contains this suffer flips at rest (`None`: any file): the
    /// cluster's one bad disk aims them at the metadata log, which other voters hold too.
    pub bitflip_at_rest_within: Option<String>,
    /// Bytes the files may use in all; a write past it fails with ENOSPC. `None`: unlimited.
    pub capacity_bytes: Option<u64>,
    /// Each operation takes between `.0` and `.1` microseconds; `(0, 0)` takes none.
    pub latency_us: (u64, u64),
}

/// One stream per fault kind, so that enabling one fault does not change when the others fire.
pub(super) struct Rngs {
    pub latency: RngStream,
    pub fsync: RngStream,
    pub read: RngStream,
    pub crash: RngStream,
    pub rest: RngStream,
}

impl Rngs {
    pub fn new(seed: u64, node: &str) -> Self {
        let stream = |kind: &str| RngStream::new(seed, &format!("simdisk.{node}.{kind}"));
        Self {
            latency: stream("latency"),
            fsync: stream("fsync"),
            read: stream("read"),
            crash: stream("crash"),
            rest: stream("rest"),
        }
    }
}

/// True with probability `p`, drawing nothing when the fault is off.
pub(super) fn fires(rng: &mut RngStream, p: f64) -> bool {
    p > 0.0 && rng.chance(p)
}

/// How long one operation takes, or `None` when latency is off.
pub(super) fn draw_latency(rng: &mut RngStream, range: (u64, u64)) -> Option<Duration> {
    let (low, high) = (range.0.min(range.1), range.0.max(range.1));
    if high == 0 {
        return None;
    }
    let micros = match (high - low).checked_add(1) {
        Some(span) => low + rng.below(span),
        None => rng.next_u64(),
    };
    Some(Duration::from_micros(micros))
}
