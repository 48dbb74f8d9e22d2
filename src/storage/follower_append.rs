//! Follower appends: record batches fetched from the partition's leader go into the log exactly
//! as the leader stored them (offsets, leader epochs, timestamps, CRCs), as Kafka's
//! `appendAsFollower` does. Nothing is stamped or recompressed; what is checked is what a
//! damaged or confused fetch could break: every batch's framing and CRC, offsets that start at
//! or past the log end and only increase (a compacted leader log may have gaps), and a leader
//! epoch no later than the leader's own (the epoch lies outside the CRC). A
//! trailing partial batch (a leader may cut a response inside one) is left for the next
//! fetch. Each batch's leader epoch goes into the leader epoch cache, so the follower can
//! answer where its epochs end when it truncates or leads.

use super::batch::{check_crc, BatchError, BatchHeader, BatchSplitter};
use super::error::{AppendError, InvalidRecordReason};
use super::log::Log;

/// What a follower append wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerAppend {
    pub first_offset: i64,
    pub last_offset: i64,
    pub bytes: usize,
}

impl Log {
    /// Appends `records` (whole batches as the leader sent them, leading in `leader_epoch`)
    /// at the log end; `None` when
    /// they hold no whole batch. Nothing is written on an error. The caller makes them durable
    /// as the flush policy says (`group_commit`); a follower acknowledges by fetching on.
    pub fn append_as_follower(
        &mut self,
        records: &[u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<Option<FollowerAppend>, AppendError> {
        self.refuse_if_removed()?;
        let mut batches: Vec<(usize, BatchHeader)> = Vec::new();
        let mut next = self.log_end_offset();
        let mut whole = 0;
        for (batch_index, split) in BatchSplitter::new(records).enumerate() {
            let batch = match split {
                Ok(batch) => batch,
                // A cut-off last batch: what came before it goes in.
                Err(error) if error.is_incomplete() => break,
                Err(error) => return Err(AppendError::CorruptMessage { batch_index, error }),
            };
            let header = batch.header;
            if header.magic != 2 {
                let magic = header.magic;
                return Err(AppendError::UnsupportedMagic { batch_index, magic });
            }
            check_crc(batch.bytes, &header)
                .map_err(|error| AppendError::CorruptMessage { batch_index, error })?;
            if header.partition_leader_epoch > leader_epoch {
                let epoch = header.partition_leader_epoch;
                let error = BatchError::EpochAhead {
                    epoch,
                    latest: leader_epoch,
                };
                return Err(AppendError::CorruptMessage { batch_index, error });
            }
            if header.base_offset < next || header.last_offset() < header.base_offset {
                let reason = InvalidRecordReason::OffsetsOutOfOrder {
                    expected_at_least: next,
                    base_offset: header.base_offset,
                };
                return Err(AppendError::InvalidRecord {
                    batch_index,
                    reason,
                });
            }
            next = header.last_offset() + 1;
            whole = batch.position + batch.bytes.len();
            batches.push((batch.position, header));
        }
        let (Some(first), Some(last)) = (batches.first(), batches.last()) else {
            return Ok(None);
        };
        let (first_offset, last_offset) = (first.1.base_offset, last.1.last_offset());
        let records = &records[..whole];
        self.maybe_roll(records.len(), last_offset, now_ms)?;
        let interval = self.config.index_interval_bytes;
        let active = self.active_mut();
        active.append(records, &batches, interval)?;
        if active.first_batch_ms().is_none() {
            active.set_first_batch_ms(now_ms);
        }
        // After the records: a failed checkpoint write fails the disk, and the cache is
        // rebuilt from the batches if it is lost.
        for (_, header) in &batches {
            self.epochs
                .assign(header.partition_leader_epoch, header.base_offset)?;
        }
        let count = (last_offset - first_offset + 1) as u64;
        self.unflushed_messages = self.unflushed_messages.saturating_add(count);
        Ok(Some(FollowerAppend {
            first_offset,
            last_offset,
            bytes: whole,
        }))
    }
}
