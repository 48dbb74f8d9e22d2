//! Encoding magic v2 batches with `kafka-protocol`'s encoder, for records that are made here
//! rather than received as batches: the native producer's, and v0/v1 messages up-converted on
//! append (`legacy.rs`). Offsets are deltas from 0; the broker stamps the base on append.

use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID,
};

use crate::limits::BATCH_HEADER_BYTES;

/// The `index`-th record of a batch with no producer id (no idempotence, no transaction).
pub fn plain_record(
    index: usize,
    timestamp: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
    headers: IndexMap<StrBytes, Option<Bytes>>,
) -> Record {
    Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
        producer_id: NO_PRODUCER_ID,
        producer_epoch: NO_PRODUCER_EPOCH,
        timestamp_type: TimestampType::Creation,
        offset: index as i64,
        // The encoder starts a new batch whenever `offset - sequence` changes; keeping it
        // constant at 1 yields one batch with base sequence -1 (no idempotence).
        sequence: index as i32 - 1,
        timestamp,
        key,
        value,
        headers,
    }
}

/// Encodes `records` (made by [`plain_record`]) as one batch. `size_hint` is the expected
/// uncompressed size: growing a buffer from empty costs a copy per doubling.
pub fn encode_batch(
    records: &[Record],
    compression: Compression,
    size_hint: usize,
) -> anyhow::Result<Bytes> {
    let mut buf = BytesMut::with_capacity(size_hint + BATCH_HEADER_BYTES);
    let options = RecordEncodeOptions {
        version: 2,
        compression,
    };
    RecordBatchEncoder::encode(&mut buf, records, &options)?;
    Ok(buf.freeze())
}
