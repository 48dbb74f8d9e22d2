//! The metadata quorum's durable store: what the pure Raft core in `core::raft` asks the
//! runtime to keep across crashes, laid out as Kafka's KRaft lays it out on disk.
//!
//! `<metadata dir>/__cluster_metadata-0/` holds:
//!
//! - `quorum-state`: the leader epoch, the vote cast in it and the known leader, as Kafka's
//!   JSON plus a CRC-32C, replaced atomically ([`quorum_state`]). A corrupt file is an error,
//!   never "no vote", which could let the node vote twice in one epoch;
//! - the log: ordinary Kafka segments (`.log`, `.index`, `.timeindex`) and a
//!   `leader-epoch-checkpoint`, written by the storage engine's [`Log`](crate::storage::Log),
//!   one magic v2 batch per entry (`entry_batch`);
//! - snapshots: `<20-digit end offset>-<10-digit epoch>.checkpoint` files with a checksummed
//!   header (`snapshot`);
//! - `commit-point`: the highest offset known committed and flushed here, written in place
//!   before the node applies what it commits ([`commit_point`], Weir's own: Kafka keeps its
//!   high watermark in memory). Recovery cuts a torn or corrupt tail only above it; damage
//!   below it stops the node with an error naming the file and offset, because cutting would
//!   let the node commit different metadata at offsets it already applied.
//!
//! Why the existing storage engine and not a format of our own: it already does what a
//! crash-safe log needs (CRC-checked batches, recovery that cuts a torn or corrupt tail and
//! drops segments after a hole, durable truncation, whole-segment deletion below a start
//! offset, indexes), all of it tested against torn writes and flipped bits, and `weir
//! dump-log` reads the result. It lacked one thing: restarting an empty log at an arbitrary
//! offset, which installing a snapshot beyond the log needs; `Log::truncate_fully_and_start_at`
//! (Kafka's `truncateFullyAndStartAt`) was added for it. What the engine cannot protect is the
//! partition leader epoch, which Kafka's batch CRC does not cover; `entry_batch` keeps a
//! CRC-covered copy in each record, since Raft's safety rests on entry epochs.
//!
//! The store keeps no recovery point: every segment is verified on open. The metadata log is
//! small (snapshots bound it) and a full scan is the simplest correct answer.
//!
//! On open ([`RaftStore::open`]), leftover temp files are deleted, the newest snapshot that
//! verifies is chosen (newer corrupt ones are deleted), the log is recovered, and its entries
//! are checked against the snapshot (`recover`): a log that does not continue it is discarded
//! with a [`DiscardReason`], unless the entries dropped are below the commit point. Layout:
//! `store` (the store and its operations), `quorum_state`, `commit_point`, `entry_batch`,
//! `snapshot`, `recover`, `error`.

mod commit_point;
pub(crate) mod entry_batch;
mod error;
mod quorum_state;
mod recover;
mod snapshot;
mod store;

#[cfg(test)]
mod tests;

pub use commit_point::COMMIT_POINT_FILE;
pub use error::{EntryCorruption, QuorumStateCorruption, RaftStoreError, SnapshotCorruption};
pub use quorum_state::QUORUM_STATE_FILE;
pub use recover::{DiscardReason, Discarded};
pub use store::{RaftStore, RaftStoreConfig, Recovered, METADATA_PARTITION_DIR};
