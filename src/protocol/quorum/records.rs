//! A fetch response's `records`: the entries as the metadata log stores them, one magic v2
//! batch per entry (`storage::raft_store::entry_batch`), so the leader could send its log's
//! bytes as they are and any Kafka record-batch reader can read the answer.
//!
//! Decoding is strict where a consumer's fetch would be lenient: Kafka consumers skip a torn
//! last batch because a broker cuts responses at `max_bytes`, but a quorum leader only ever
//! sends whole entries, so a torn, corrupt or out-of-order batch is an error. The entries must
//! run densely from the `fetch_offset` the request asked for.

use bytes::Bytes;

use super::error::QuorumWireError;
use crate::core::raft::config::{EPOCH_MAX, FETCH_ENTRIES_MAX};
use crate::core::raft::types::{Entry, Offset};
use crate::storage::batch::{BatchError, BatchHeader};
use crate::storage::raft_store::entry_batch::{self, BATCH_BYTES_MAX};
use crate::storage::raft_store::EntryCorruption;

pub(super) fn encode_entries(entries: &[Entry]) -> Result<Bytes, QuorumWireError> {
    let mut out = Vec::new();
    for entry in entries {
        entry_batch::encode(entry, &mut out).map_err(|bytes| QuorumWireError::EntryTooLarge {
            offset: entry.offset,
            bytes,
            bytes_max: BATCH_BYTES_MAX,
        })?;
    }
    Ok(Bytes::from(out))
}

pub(super) fn decode_entries(
    records: &[u8],
    fetch_offset: Offset,
) -> Result<Vec<Entry>, QuorumWireError> {
    let mut entries = Vec::new();
    let mut rest = records;
    while !rest.is_empty() {
        let index = entries.len();
        if index == FETCH_ENTRIES_MAX {
            return Err(QuorumWireError::TooManyElements {
                field: "record batches",
                count: index + 1,
                count_max: FETCH_ENTRIES_MAX,
            });
        }
        let batch_error = |error| QuorumWireError::Records {
            index,
            error: EntryCorruption::Batch(error),
        };
        let header = BatchHeader::parse(rest).map_err(batch_error)?;
        let (needed, available) = (header.total_size(), rest.len());
        if needed > available {
            return Err(batch_error(BatchError::Incomplete { needed, available }));
        }
        let (batch, tail) = rest.split_at(needed);
        rest = tail;
        let entry = entry_batch::decode(batch)
            .map_err(|error| QuorumWireError::Records { index, error })?;
        let expected_offset = fetch_offset.saturating_add(index as i64);
        if entry.offset != expected_offset {
            let offset = entry.offset;
            return Err(QuorumWireError::RecordsNotContiguous {
                expected_offset,
                offset,
            });
        }
        if entry.epoch > EPOCH_MAX {
            let value = i64::from(entry.epoch);
            let field = "partition_leader_epoch";
            return Err(QuorumWireError::OutOfRange { field, value });
        }
        entries.push(entry);
    }
    Ok(entries)
}
