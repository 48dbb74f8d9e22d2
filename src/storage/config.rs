//! Per-topic log configuration, with Kafka's topic config names and defaults.
//!
//! The log reads its config on every append and flush decision, so a config change
//! (`set_config`) takes effect on the next call without reopening anything.

use crate::limits::{
    FLUSH_MESSAGES_DEFAULT, FLUSH_MS_DEFAULT, INDEX_INTERVAL_BYTES_DEFAULT,
    MESSAGE_BYTES_MAX_DEFAULT, RETENTION_BYTES_DEFAULT, RETENTION_MS_DEFAULT,
    SEGMENT_BYTES_DEFAULT, SEGMENT_MS_DEFAULT,
};

/// `message.timestamp.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// Keep the producer's timestamps.
    #[default]
    CreateTime,
    /// Stamp the broker's append time as every record's timestamp.
    LogAppendTime,
}

/// One partition's log settings (Kafka topic configs).
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// `segment.bytes`: roll to a new segment before exceeding this size.
    pub segment_bytes: u64,
    /// `segment.ms`: roll a segment this long after its first batch.
    pub segment_ms: i64,
    /// `index.interval.bytes`: bytes of log between sparse index entries.
    pub index_interval_bytes: u64,
    /// `max.message.bytes`: largest batch accepted.
    pub max_message_bytes: usize,
    /// `message.timestamp.type`.
    pub message_timestamp_type: TimestampType,
    /// `cleanup.policy=compact`: every record needs a key.
    pub compacted: bool,
    /// `compression.type`: the codec every batch is stored in, recompressed on append if the
    /// producer used another; `None` is `producer` (batches stay as the producer sent them).
    pub compression: Option<u8>,
    /// `flush.messages`: fsync after this many unflushed records (`u64::MAX`: never).
    pub flush_messages: u64,
    /// `flush.ms`: fsync when this long has passed since the last flush (`i64::MAX`: never).
    pub flush_ms: i64,
    /// `retention.ms` (-1: unlimited).
    pub retention_ms: i64,
    /// `retention.bytes` (-1: unlimited).
    pub retention_bytes: i64,
    /// `min.insync.replicas`: the ISR size below which acks=all produces are refused and the
    /// high watermark stops (the replication layer reads it; the log itself does not).
    pub min_insync_replicas: usize,
    /// `unclean.leader.election.enable`, for the same reason.
    pub unclean_leader_election: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_bytes: SEGMENT_BYTES_DEFAULT,
            segment_ms: SEGMENT_MS_DEFAULT,
            index_interval_bytes: INDEX_INTERVAL_BYTES_DEFAULT,
            max_message_bytes: MESSAGE_BYTES_MAX_DEFAULT,
            message_timestamp_type: TimestampType::CreateTime,
            compacted: false,
            compression: None,
            flush_messages: FLUSH_MESSAGES_DEFAULT,
            flush_ms: FLUSH_MS_DEFAULT,
            retention_ms: RETENTION_MS_DEFAULT,
            retention_bytes: RETENTION_BYTES_DEFAULT,
            min_insync_replicas: 1,
            unclean_leader_election: false,
        }
    }
}
