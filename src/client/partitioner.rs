//! Choosing a partition: Java-compatible murmur2 for keyed records, sticky for keyless ones.
//!
//! Keyed records must land where the Java client (and librdkafka's `murmur2_random`) would put
//! them, so that producers in different languages co-partition: `toPositive(murmur2(key)) %
//! numPartitions` with the same seed and the same treatment of the tail bytes. Keyless records
//! stick to one partition until its batch is closed (KIP-480), which fills batches faster than
//! round robin; the next partition is drawn from a seeded stream so simulator runs replay.

use std::collections::BTreeMap;

use crate::runtime::RngStream;

const MURMUR2_SEED: u32 = 0x9747_b28c;
const MURMUR2_M: u32 = 0x5bd1_e995;
const MURMUR2_R: u32 = 24;

/// Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), as a signed 32-bit value.
pub fn murmur2(data: &[u8]) -> i32 {
    let length = data.len() as u32;
    let mut h = MURMUR2_SEED ^ length;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(MURMUR2_M);
        k ^= k >> MURMUR2_R;
        k = k.wrapping_mul(MURMUR2_M);
        h = h.wrapping_mul(MURMUR2_M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // The Java switch falls through: 3 bytes mix all three, then multiply once.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(MURMUR2_M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(MURMUR2_M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on MIN).
pub fn to_positive(value: i32) -> i32 {
    value & 0x7fff_ffff
}

/// The partition the Java client picks for `key` among `partitions` (> 0).
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    to_positive(murmur2(key)) % partitions.max(1)
}

/// The producer's partitioner: murmur2 for keys, sticky partitions for keyless records.
#[derive(Debug)]
pub struct Partitioner {
    rng: RngStream,
    sticky: BTreeMap<String, i32>,
}

impl Partitioner {
    pub fn new(rng: RngStream) -> Self {
        Self {
            rng,
            sticky: BTreeMap::new(),
        }
    }

    /// The partition for a record of `topic` with `partitions` partitions.
    pub fn partition(&mut self, topic: &str, key: Option<&[u8]>, partitions: i32) -> i32 {
        let partitions = partitions.max(1);
        if let Some(key) = key {
            return partition_for_key(key, partitions);
        }
        if let Some(&sticky) = self.sticky.get(topic) {
            if sticky < partitions {
                return sticky;
            }
        }
        let chosen = self.rng.below(partitions as u64) as i32;
        self.sticky.insert(topic.to_string(), chosen);
        chosen
    }

    /// The batch of `topic`/`partition` was closed (full or sent): keyless records move on to
    /// another partition, chosen at random but never the same one when there is a choice.
    pub fn on_batch_closed(&mut self, topic: &str, partition: i32, partitions: i32) {
        if self.sticky.get(topic) != Some(&partition) {
            return;
        }
        let next = if partitions > 1 {
            // Draw among the others, then skip over the current one.
            let drawn = self.rng.below((partitions - 1) as u64) as i32;
            if drawn >= partition {
                drawn + 1
            } else {
                drawn
            }
        } else {
            0
        };
        self.sticky.insert(topic.to_string(), next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's own vectors (UtilsTest.testMurmur2 in the Java client).
    #[test]
    fn murmur2_matches_the_java_client() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (key, expected) in cases {
            assert_eq!(
                murmur2(key),
                expected,
                "murmur2({:?})",
                String::from_utf8_lossy(key)
            );
        }
    }

    #[test]
    fn keyed_partition_is_to_positive_mod_n() {
        // toPositive(-973932308) = 1173551340; mod 3 = 0, mod 10 = 0, mod 7 = 1173551340 % 7.
        assert_eq!(to_positive(-973_932_308), 1_173_551_340);
        assert_eq!(partition_for_key(b"21", 3), 1_173_551_340 % 3);
        assert_eq!(partition_for_key(b"21", 7), 1_173_551_340 % 7);
        assert_eq!(to_positive(i32::MIN), 0);
        let mut partitioner = Partitioner::new(RngStream::new(1, "test"));
        assert_eq!(partitioner.partition("t", Some(b"foobar"), 5), {
            to_positive(-790_332_482) % 5
        });
    }

    #[test]
    fn keyless_records_stick_until_the_batch_closes() {
        let mut partitioner = Partitioner::new(RngStream::new(42, "test"));
        let first = partitioner.partition("t", None, 4);
        for _ in 0..10 {
            assert_eq!(partitioner.partition("t", None, 4), first);
        }
        partitioner.on_batch_closed("t", first, 4);
        let second = partitioner.partition("t", None, 4);
        assert_ne!(second, first);
        assert!((0..4).contains(&second));
        // Closing some other partition's batch does not move the sticky choice.
        partitioner.on_batch_closed("t", (second + 1) % 4, 4);
        assert_eq!(partitioner.partition("t", None, 4), second);
    }
}
