//! Storage: the [`Disk`] seam and Weir's log engine, laid out on disk the way Kafka does it.
//!
//! `<log.dirs>/<topic>-<partition>/` holds segments named by their 20-digit base offset
//! (`.log` record batches stored exactly as produced, `.index` offset → position,
//! `.timeindex` timestamp → offset), `leader-epoch-checkpoint` and `partition.metadata` (the
//! topic id, [`partition_metadata`]); each log dir holds
//! `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` and, after a clean
//! shutdown, `.kafka_cleanshutdown`. On start-up, data past the recovery point is verified batch
//! by batch and a torn or corrupt tail is cut away; missing indexes are rebuilt.
//!
//! The pieces, bottom up: [`disk`] (the only file IO seam) with [`FileDisk`] and [`MemDisk`];
//! [`batch`] (record batch headers, CRC, splitting); `records` (walking records inside a
//! batch); `offset_index`, `time_index` and `segment`; [`checkpoint`]; `recovery`; [`Log`] (one
//! partition: `log.rs`, `append.rs`, `read.rs`, `retention.rs`, `group_commit.rs`, which
//! makes appends durable with one fsync per group, off the log's lock); [`LogManager`] (every
//! partition of a broker); [`raft_store`] (the metadata quorum's log, snapshots and
//! `quorum-state`, on top of [`Log`]).

mod append;
pub mod batch;
pub mod checkpoint;
mod checkpoint_round;
pub mod codec;
pub mod config;
pub mod disk;
pub mod encode;
mod error;
pub mod file_disk;
mod follower_append;
mod group_commit;
mod index_file;
mod leader_epoch;
pub mod legacy;
mod log;
mod manager;
pub mod mem_disk;
mod offset_index;
pub mod partition_metadata;
pub mod path_key;
mod prepare;
pub mod raft_store;
mod read;
mod read_buffers;
pub mod records;
mod recovery;
mod retention;
mod segment;
mod time_index;

#[cfg(test)]
mod follower_tests;
#[cfg(test)]
mod recovery_read_tests;
#[cfg(test)]
mod tests;

pub use append::AppendInfo;
pub use batch::{BatchError, BatchHeader};
pub use checkpoint::CheckpointError;
pub use checkpoint_round::CheckpointRound;
pub use config::{LogConfig, TimestampType};
pub use disk::{DirEntry, Disk, DiskFile, OpenMode, ReadFuture, SyncFuture};
pub use error::{AppendError, InvalidRecordReason, ReadError};
pub use file_disk::FileDisk;
pub use follower_append::FollowerAppend;
pub use group_commit::{lock_log, wait_all_durable, wait_durable, FlushJob};
pub use log::{Log, LogRole};
pub use manager::{LogManager, TopicIdState};
pub use mem_disk::MemDisk;
pub use prepare::PreparedAppend;
pub use read::{ColdRead, PlannedRead};
pub use records::RecordError;
pub use recovery::CommittedDataDamaged;
