//! Moving the log start offset: DeleteRecords, and retention (`retention.ms`,
//! `retention.bytes`) deleting whole old segments.
//!
//! Only whole segments are deleted, never the active one, and never one holding offsets at or
//! above the high watermark: a consumer must not lose records it could not yet have read. The
//! log start offset can sit inside a segment (after DeleteRecords); reads below it fail with
//! OFFSET_OUT_OF_RANGE even while the bytes are still on disk.

use std::io;

use super::error::ReadError;
use super::log::Log;

impl Log {
    /// DeleteRecords: moves the log start offset forward to `offset` (never backwards).
    /// Offsets beyond the high watermark are refused, as in Kafka.
    pub fn increment_log_start_offset(&mut self, offset: i64) -> Result<(), ReadError> {
        if offset > self.high_watermark {
            return Err(ReadError::OffsetOutOfRange {
                log_start_offset: self.log_start_offset,
                log_end_offset: self.log_end_offset(),
            });
        }
        if offset > self.log_start_offset {
            self.log_start_offset = offset;
            self.epochs.truncate_from_start(offset)?;
        }
        Ok(())
    }

    /// Deletes old segments: those wholly below the log start offset, those whose newest
    /// timestamp is older than `retention.ms` and, oldest first, those beyond
    /// `retention.bytes`. Compacted logs keep their data (compaction, not age, bounds them).
    /// Returns how many segments were deleted.
    pub fn delete_old_segments(&mut self, now_ms: i64) -> io::Result<usize> {
        if self.removed {
            return Ok(0);
        }
        let mut remaining_bytes = self.size_bytes();
        let mut deleted = 0;
        while let Some(base) = self.deletable_oldest(now_ms, remaining_bytes) {
            if let Some(segment) = self.segments.remove(&base) {
                remaining_bytes -= segment.size();
                tracing::info!(file = %segment.log_path().display(), "deleting old segment");
                segment.delete(&*self.disk)?;
                self.dir_changes += 1;
                deleted += 1;
            }
        }
        if deleted > 0 {
            let first_base = self.segments.keys().next().copied().unwrap_or(0);
            if first_base > self.log_start_offset {
                self.log_start_offset = first_base;
                self.epochs.truncate_from_start(first_base)?;
            }
            self.recovery_point = self.recovery_point.max(self.log_start_offset);
        }
        Ok(deleted)
    }

    /// The base offset of the oldest segment, if retention lets it go.
    fn deletable_oldest(&self, now_ms: i64, remaining_bytes: u64) -> Option<i64> {
        let mut bases = self.segments.iter();
        let (base, oldest) = bases.next()?;
        // The next segment's base bounds the oldest one's offsets; no next means it is active.
        let (next_base, _) = bases.next()?;
        if *next_base > self.high_watermark {
            return None;
        }
        let config = &self.config;
        let below_start = *next_base <= self.log_start_offset;
        let expired = !config.compacted
            && config.retention_ms >= 0
            && oldest.max_timestamp() >= 0
            && now_ms.saturating_sub(oldest.max_timestamp()) > config.retention_ms;
        let oversize = !config.compacted
            && u64::try_from(config.retention_bytes)
                .is_ok_and(|limit| remaining_bytes - oldest.size() >= limit);
        (below_start || expired || oversize).then_some(*base)
    }
}
