//! Random bodies, damaged valid bodies and truncations never panic the guard, and whatever it
//! accepts `kafka-protocol` may decode without aborting (every count is backed by bytes).

use super::*;

/// The project's seeded generator, so a failure replays; `below` in `usize`, 0 for an empty
/// range.
struct Fuzz(crate::runtime::RngStream);

impl Fuzz {
    fn new(seed: u64) -> Self {
        Self(crate::runtime::RngStream::new(seed, "guard.fuzz"))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.below(n.max(1) as u64) as usize
    }
}

/// The guard's verdict, and `kafka-protocol`'s decode when the guard accepted.
fn guard_then_decode(api: &Api, direction: Direction, version: i16, body: &[u8]) -> bool {
    let accepted = api.guard(direction, version, body).is_ok();
    if accepted {
        let _ = (api.codec(direction).decode)(Bytes::copy_from_slice(body), version);
    }
    accepted
}

#[test]
fn random_bodies_never_panic() {
    let mut rng = Fuzz::new(0x6a7d);
    for api in apis() {
        for (direction, version, _) in api.versions() {
            for _ in 0..300 {
                let len = rng.below(48);
                let body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                guard_then_decode(&api, direction, version, &body);
            }
        }
    }
}

#[test]
fn damaged_and_truncated_valid_bodies_never_panic() {
    let mut rng = Fuzz::new(0xda3a6e);
    let mut accepted = 0usize;
    for api in apis() {
        for (direction, version, _) in api.versions() {
            let body = (api.codec(direction).filled)(version);
            if body.is_empty() {
                continue; // ApiVersions v0..v2 requests: nothing to damage.
            }
            for _ in 0..300 {
                let mut damaged = body.to_vec();
                for _ in 0..=rng.below(3) {
                    let position = rng.below(damaged.len());
                    // Mostly small values, which keep lengths plausible; sometimes anything.
                    damaged[position] = match rng.below(2) {
                        0 => rng.below(4) as u8,
                        _ => rng.next() as u8,
                    };
                }
                damaged.truncate(damaged.len() - rng.below(3).min(damaged.len()));
                accepted += usize::from(guard_then_decode(&api, direction, version, &damaged));
            }
        }
    }
    // Damage inside fixed-size fields keeps a body valid: the decode path was exercised.
    assert!(accepted > 1000, "{accepted} damaged bodies accepted");
}
