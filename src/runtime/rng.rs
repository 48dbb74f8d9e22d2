//! Seeded random number streams.
//!
//! Each subsystem draws from its own stream, derived from the node seed and a salt naming the
//! subsystem, so that a new draw in one place does not reshuffle every other decision of a
//! seeded run. The generator is SplitMix64: tiny, fast, and good enough for timeouts, jitter and
//! partition choices (nothing here is cryptographic).

/// The seed this process derives its streams from: madsim's seeded generator in the simulator,
/// the OS's randomness in a real run.
pub fn node_seed() -> u64 {
    #[cfg(madsim)]
    {
        tokio::madsim::rand::random()
    }
    #[cfg(not(madsim))]
    {
        use std::hash::{BuildHasher, Hasher};
        // RandomState is keyed from the OS's randomness once per process.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(super::unix_time_ms() as u64);
        hasher.finish()
    }
}

/// A deterministic stream of random numbers.
#[derive(Debug, Clone)]
pub struct RngStream {
    state: u64,
}

impl RngStream {
    /// A stream for the subsystem named `salt`, derived from `seed`.
    pub fn new(seed: u64, salt: &str) -> Self {
        // FNV-1a of the salt keeps streams for different subsystems apart.
        let mut mixed = 0xcbf2_9ce4_8422_2325_u64;
        for byte in salt.bytes() {
            mixed = (mixed ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Self {
            state: seed ^ mixed,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `[0, bound)`; `bound` must be positive.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "RngStream::below needs a positive bound");
        // Multiply-shift maps 64 random bits onto the range without modulo bias worth noting.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// True with probability `p` (0.0 ..= 1.0).
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

#[cfg(test)]
mod tests {
    use super::RngStream;

    #[test]
    fn streams_are_reproducible_and_salted() {
        let mut a = RngStream::new(7, "raft");
        let mut b = RngStream::new(7, "raft");
        let mut c = RngStream::new(7, "producer");
        let drawn_a: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let drawn_b: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let drawn_c: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(drawn_a, drawn_b);
        assert_ne!(drawn_a, drawn_c);
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = RngStream::new(1, "x");
        for bound in [1, 2, 3, 10, 1000] {
            for _ in 0..100 {
                assert!(rng.below(bound) < bound);
            }
        }
    }
}
