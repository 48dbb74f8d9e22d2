//! Leader appends: assign offsets to a checked record set (`prepare`), stamp, roll, write,
//! index.
//!
//! Validation covers every batch before a byte is written, so a bad batch anywhere rejects the
//! whole set and the log is untouched (Kafka's all-or-nothing produce per partition). A disk
//! failure during the write, or a failed fsync demanded by `flush.messages`, cuts the log back
//! to where it was: a caller that sees an error may retry without creating duplicates. The
//! broker's produce path appends without the fsync and waits for a group commit instead
//! (`group_commit`), where a failed fsync halts the node.

use super::batch::{set_base_offset, set_log_append_time, set_partition_leader_epoch, BatchHeader};
use super::config::TimestampType;
use super::error::AppendError;
use super::log::Log;
use super::prepare::PreparedAppend;
use crate::canary::{self, Canary};
use crate::limits::{SEGMENT_BYTES_MAX, SEGMENT_OFFSET_SPAN_MAX};

/// The outcome of a successful append, as ProduceResponse needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    pub base_offset: i64,
    pub last_offset: i64,
    /// The broker time stamped on LogAppendTime topics; -1 for CreateTime.
    pub log_append_time_ms: i64,
    pub log_start_offset: i64,
    pub record_count: i64,
    /// The flush policy (`flush.messages`) wants the log durable up to here before the append
    /// is acknowledged.
    pub flush_due: bool,
}

impl Log {
    /// Appends a producer's record set as the partition leader in `leader_epoch`, and fsyncs
    /// it at once when the flush policy says so.
    pub fn append_as_leader(
        &mut self,
        records: &[u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        let info = self.append_as_leader_unflushed(records, leader_epoch, now_ms)?;
        if info.flush_due && !canary::is_on(Canary::AckBeforeFsync) {
            if let Err(error) = self.flush() {
                // Not durable, and after a failed fsync the page cache cannot be trusted
                // either: take the records back so a retry cannot duplicate them.
                let _ = self.truncate_to(info.base_offset);
                return Err(AppendError::Storage(error));
            }
        }
        Ok(info)
    }

    /// [`Self::append_as_leader`] without the fsync: `flush_due` says whether the caller must
    /// see the log durable past the append (`group_commit::wait_durable`) before acknowledging.
    pub fn append_as_leader_unflushed(
        &mut self,
        records: &[u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        let prepared = PreparedAppend::new(&self.config, records)?;
        self.append_prepared_unflushed(prepared, leader_epoch, now_ms)
    }

    /// [`Self::append_as_leader_unflushed`] of a record set checked (and recompressed) before
    /// the caller took the log's lock. Checked against settings that have changed since, it is
    /// checked again.
    pub fn append_prepared_unflushed(
        &mut self,
        prepared: PreparedAppend,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, AppendError> {
        let prepared = match prepared.is_checked_for(&self.config) {
            true => prepared,
            false => PreparedAppend::new(&self.config, prepared.bytes())?,
        };
        let (mut stamped, mut batches) = prepared.into_parts();
        let log_append_time = self.config.message_timestamp_type == TimestampType::LogAppendTime;
        let mut base_offset = self.log_end_offset();
        if canary::is_on(Canary::DuplicateOffset) && base_offset > 0 && base_offset % 7 == 3 {
            // The canary breaks data partitions, which the data checkers watch; the metadata
            // log has canaries of its own, and breaking it would only stop the node starting.
            let metadata_log = self.dir.file_name()
                == Some(std::ffi::OsStr::new(
                    super::raft_store::METADATA_PARTITION_DIR,
                ));
            if !metadata_log {
                base_offset -= 1;
            }
        }
        let mut next_offset = base_offset;
        for (position, header) in &mut batches {
            let bytes = &mut stamped[*position..*position + header.total_size()];
            set_base_offset(bytes, next_offset);
            set_partition_leader_epoch(bytes, leader_epoch);
            if log_append_time {
                set_log_append_time(bytes, now_ms);
            }
            // Re-parsing the stamped bytes keeps the indexed header identical to what is stored.
            *header = BatchHeader::parse(bytes).map_err(|error| AppendError::CorruptMessage {
                batch_index: 0,
                error,
            })?;
            next_offset = header.last_offset() + 1;
        }
        let last_offset = next_offset - 1;
        self.maybe_roll(stamped.len(), last_offset, now_ms)?;
        self.epochs.assign(leader_epoch, base_offset)?;
        let interval = self.config.index_interval_bytes;
        let active = self.active_mut();
        active.append(&stamped, &batches, interval)?;
        if active.first_batch_ms().is_none() {
            active.set_first_batch_ms(now_ms);
        }
        let record_count = next_offset - base_offset;
        self.unflushed_messages = self.unflushed_messages.saturating_add(record_count as u64);
        Ok(AppendInfo {
            base_offset,
            last_offset,
            log_append_time_ms: if log_append_time { now_ms } else { -1 },
            log_start_offset: self.log_start_offset,
            record_count,
            flush_due: self.unflushed_messages >= self.config.flush_messages,
        })
    }

    /// Rolls the active segment if the records would overflow `segment.bytes`, the segment is
    /// older than `segment.ms`, or the offsets would not fit the indexes' 32-bit relative
    /// offsets. An empty segment never rolls: the set goes in even if it alone is too big.
    pub(super) fn maybe_roll(
        &mut self,
        set_bytes: usize,
        last_offset: i64,
        now_ms: i64,
    ) -> std::io::Result<()> {
        let active = self.active();
        if active.is_empty() {
            return Ok(());
        }
        let segment_bytes = self.config.segment_bytes.min(SEGMENT_BYTES_MAX);
        let full = active.size() + set_bytes as u64 > segment_bytes;
        let old = (active.first_batch_ms())
            .is_some_and(|first| now_ms.saturating_sub(first) > self.config.segment_ms);
        let offsets_overflow = last_offset - active.base_offset() > SEGMENT_OFFSET_SPAN_MAX;
        if full || old || offsets_overflow {
            self.roll(now_ms)?;
        }
        Ok(())
    }
}
