//! The record accumulator: per-partition batches that fill up to `batch.size` or wait
//! `linger.ms`, whichever comes first.
//!
//! Pure bookkeeping with the time passed in, so that batching is unit-tested without a runtime.
//! A batch is "closed" when it is full or handed to the sender; the partitioner hears about
//! closed batches so keyless records move to another partition (KIP-480).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use super::records::ProducerRecord;
use crate::runtime::Instant;
use crate::types::TopicPartition;

/// The fixed part of a batch (its 61-byte header), counted toward `batch.size`.
const BATCH_OVERHEAD_BYTES: usize = crate::limits::BATCH_HEADER_BYTES;

/// Records waiting to be sent to one partition, with whatever the caller attaches to each
/// (the producer attaches the delivery channel).
#[derive(Debug)]
pub struct Batch<T> {
    pub tp: TopicPartition,
    pub records: Vec<ProducerRecord>,
    pub timestamps: Vec<i64>,
    pub attached: Vec<T>,
    pub size_bytes: usize,
    pub created_at: Instant,
    /// Send attempts so far (retries re-queue the batch).
    pub attempts: u32,
}

impl<T> Batch<T> {
    fn new(tp: TopicPartition, now: Instant) -> Self {
        Self {
            tp,
            records: Vec::new(),
            timestamps: Vec::new(),
            attached: Vec::new(),
            size_bytes: BATCH_OVERHEAD_BYTES,
            created_at: now,
            attempts: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// What an append did to the partition's batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// A batch became ready to send (it was full).
    pub closed: bool,
    /// The record started a new batch.
    pub opened: bool,
}

/// Whether a record of `size` bytes will start a new batch of `tp`.
fn closed_or_absent<T>(
    open: &BTreeMap<TopicPartition, Batch<T>>,
    tp: &TopicPartition,
    size: usize,
    batch_size: usize,
) -> bool {
    match open.get(tp) {
        None => true,
        Some(batch) => !batch.is_empty() && batch.size_bytes + size > batch_size,
    }
}

/// Per-partition batching.
#[derive(Debug)]
pub struct Accumulator<T> {
    batch_size: usize,
    linger: Duration,
    open: BTreeMap<TopicPartition, Batch<T>>,
    ready: VecDeque<Batch<T>>,
}

impl<T> Accumulator<T> {
    pub fn new(batch_size: usize, linger: Duration) -> Self {
        Self {
            batch_size,
            linger,
            open: BTreeMap::new(),
            ready: VecDeque::new(),
        }
    }

    /// Adds a record to its partition's open batch. Says whether this closed a batch of that
    /// partition (it was full), so the caller can move keyless records elsewhere, and whether
    /// it opened one, whose linger deadline the sender must learn about.
    pub fn append(
        &mut self,
        tp: TopicPartition,
        record: ProducerRecord,
        timestamp: i64,
        attached: T,
        now: impl FnOnce() -> Instant,
    ) -> Appended {
        let size = record.size_estimate();
        let mut closed = false;
        let opened = closed_or_absent(&self.open, &tp, size, self.batch_size);
        if let Some(batch) = self.open.get(&tp) {
            if !batch.is_empty() && batch.size_bytes + size > self.batch_size {
                let full = self.open.remove(&tp).expect("checked above");
                self.ready.push_back(full);
                closed = true;
            }
        }
        // Only a new batch needs the time, or a key of its own: most appends need neither.
        if !self.open.contains_key(&tp) {
            self.open.insert(tp.clone(), Batch::new(tp.clone(), now()));
        }
        let mut full = false;
        if let Some(batch) = self.open.get_mut(&tp) {
            batch.records.push(record);
            batch.timestamps.push(timestamp);
            batch.attached.push(attached);
            batch.size_bytes += size;
            full = batch.size_bytes >= self.batch_size;
        }
        if full {
            if let Some(full) = self.open.remove(&tp) {
                self.ready.push_back(full);
                closed = true;
            }
        }
        Appended { closed, opened }
    }

    /// Takes every batch that should be sent now: full ones, retries, and open ones that have
    /// lingered long enough (or all open ones with `force`, for flush and close).
    ///
    /// With `muted` (ordering guaranteed), a partition in it sends nothing, at most one batch
    /// per other partition is taken, and the partitions taken join `muted`.
    pub fn drain(
        &mut self,
        now: Instant,
        force: bool,
        mut muted: Option<&mut BTreeSet<TopicPartition>>,
    ) -> Vec<Batch<T>> {
        let mut take = |tp: &TopicPartition| match muted.as_deref_mut() {
            None => true,
            Some(muted) => muted.insert(tp.clone()),
        };
        let mut drained = Vec::new();
        let mut kept = VecDeque::new();
        for batch in self.ready.drain(..) {
            if take(&batch.tp) {
                drained.push(batch);
            } else {
                kept.push_back(batch);
            }
        }
        self.ready = kept;
        let due: Vec<TopicPartition> = self
            .open
            .iter()
            .filter(|(_, batch)| force || batch.created_at + self.linger <= now)
            .map(|(tp, _)| tp.clone())
            .collect();
        for tp in due {
            if !take(&tp) {
                continue;
            }
            if let Some(batch) = self.open.remove(&tp) {
                drained.push(batch);
            }
        }
        drained
    }

    /// Puts a batch back to be sent again first (a retry).
    pub fn requeue(&mut self, batch: Batch<T>) {
        self.ready.push_front(batch);
    }

    /// When the oldest open batch's linger expires, if there is one; `None` with batches ready
    /// means "now". Partitions in `muted` are left out: their batches wait for the batch in
    /// flight, whose completion wakes the sender, not for a time. Counting them made the
    /// sender spin on a linger long past while a muted partition's batch was in flight.
    pub fn next_deadline(&self, muted: Option<&BTreeSet<TopicPartition>>) -> Option<Instant> {
        self.open
            .iter()
            .filter(|(tp, _)| muted.is_none_or(|muted| !muted.contains(*tp)))
            .map(|(_, batch)| batch.created_at + self.linger)
            .min()
    }

    /// Whether a batch is waiting to be sent right away.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Whether nothing at all is waiting.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.ready.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value_bytes: usize) -> ProducerRecord {
        ProducerRecord::new("t", vec![b'x'; value_bytes])
    }

    #[test]
    fn a_batch_closes_when_batch_size_is_reached() {
        let now = crate::runtime::now();
        let mut acc = Accumulator::new(1000, Duration::from_secs(60));
        let tp = TopicPartition::new("t", 0);
        let mut closed_at = None;
        for i in 0..20 {
            if acc.append(tp.clone(), record(100), 0, i, || now).closed {
                closed_at = Some(i);
                break;
            }
        }
        // 61 bytes of header + 7 * 121 = 908 bytes; the eighth record would pass 1000, so it
        // closes the batch of seven and opens the next one.
        assert_eq!(closed_at, Some(7));
        assert!(acc.has_ready());
        let drained = acc.drain(now, false, None);
        assert_eq!(drained.len(), 1);
        assert_eq!(drained[0].attached, (0..7).collect::<Vec<_>>());
        assert!(!acc.is_empty());
    }

    #[test]
    fn a_record_that_does_not_fit_starts_a_new_batch() {
        let now = crate::runtime::now();
        let mut acc = Accumulator::new(500, Duration::from_secs(60));
        let tp = TopicPartition::new("t", 0);
        let first = acc.append(tp.clone(), record(300), 0, 1, || now);
        assert_eq!(
            first,
            Appended {
                closed: false,
                opened: true
            }
        );
        // 61 + 321 + 321 > 500: the first batch closes, the record goes to a fresh one.
        let second = acc.append(tp.clone(), record(300), 0, 2, || now);
        assert_eq!(
            second,
            Appended {
                closed: true,
                opened: true
            }
        );
        let drained = acc.drain(now, false, None);
        assert_eq!(drained.len(), 1);
        assert_eq!(drained[0].attached, vec![1]);
        assert!(!acc.is_empty());
    }

    #[test]
    fn open_batches_wait_for_linger_unless_forced() {
        let start = crate::runtime::now();
        let linger = Duration::from_millis(5);
        let mut acc = Accumulator::new(16_384, linger);
        acc.append(TopicPartition::new("t", 0), record(10), 0, 1, || start);
        acc.append(TopicPartition::new("t", 1), record(10), 0, 2, || {
            start + linger
        });
        assert_eq!(acc.next_deadline(None), Some(start + linger));
        let muted = BTreeSet::from([TopicPartition::new("t", 0)]);
        assert_eq!(
            acc.next_deadline(Some(&muted)),
            Some(start + linger + linger)
        );
        let both = BTreeSet::from([TopicPartition::new("t", 0), TopicPartition::new("t", 1)]);
        assert_eq!(acc.next_deadline(Some(&both)), None);
        assert!(acc.drain(start, false, None).is_empty());
        let first = acc.drain(start + linger, false, None);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].tp.partition, 0);
        let forced = acc.drain(start + linger, true, None);
        assert_eq!(forced.len(), 1);
        assert!(acc.is_empty());
    }

    #[test]
    fn requeued_batches_go_first() {
        let now = crate::runtime::now();
        let mut acc = Accumulator::new(100, Duration::ZERO);
        acc.append(TopicPartition::new("t", 0), record(200), 0, 1, || now);
        acc.append(TopicPartition::new("t", 1), record(200), 0, 2, || now);
        let mut drained = acc.drain(now, false, None);
        let retry = drained.remove(1);
        acc.requeue(retry);
        acc.append(TopicPartition::new("t", 2), record(200), 0, 3, || now);
        let order: Vec<i32> = acc
            .drain(now, false, None)
            .iter()
            .map(|b| b.attached[0])
            .collect();
        assert_eq!(order, vec![2, 3]);
    }

    #[test]
    fn muted_partitions_send_nothing_and_others_one_batch_at_a_time() {
        let now = crate::runtime::now();
        let mut acc = Accumulator::new(250, Duration::ZERO);
        let (p0, p1) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        for i in 0..3 {
            acc.append(p0.clone(), record(200), 0, i, || now);
        }
        acc.append(p1.clone(), record(200), 0, 9, || now);
        let mut muted = BTreeSet::from([p1.clone()]);
        let drained = acc.drain(now, true, Some(&mut muted));
        assert_eq!(drained.len(), 1, "one batch of p0; p1 is muted");
        assert_eq!(drained[0].tp, p0);
        assert_eq!(drained[0].attached, vec![0]);
        assert!(muted.contains(&p0), "p0 is muted until its batch is done");
        assert!(acc.drain(now, true, Some(&mut muted)).is_empty());
        muted.clear();
        let drained = acc.drain(now, true, Some(&mut muted));
        let order: Vec<(i32, Vec<i32>)> = drained
            .iter()
            .map(|b| (b.tp.partition, b.attached.clone()))
            .collect();
        assert_eq!(
            order,
            vec![(0, vec![1]), (1, vec![9])],
            "in order, one per partition"
        );
    }
}
