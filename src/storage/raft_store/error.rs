//! The store's errors: typed, with the numbers a log line or a test needs, and each naming the
//! file or directory it is about, so an operator knows what to restore or remove.
//!
//! Corruption of the three kinds of file has its own reason enum. Errors that are the caller's
//! (an append that does not follow on, a truncation into a snapshot) are separate variants: the
//! core should never cause them, and when it does the store refuses rather than guessing.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::core::raft::{Epoch, Offset, OffsetAndEpoch};
use crate::storage::{AppendError, BatchError, CommittedDataDamaged, ReadError};

/// Why `quorum-state` cannot be believed. Never read as "no vote": that could allow a second
/// vote in the same epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumStateCorruption {
    /// Not JSON, or a field missing, unknown or of the wrong type (serde's position).
    Json {
        line: usize,
        column: usize,
    },
    /// The fields do not match the stored CRC-32C.
    Checksum {
        stored: u32,
        computed: u32,
    },
    UnsupportedVersion {
        data_version: i32,
    },
    /// A field holds a value no writer produces (a negative epoch, a node id below -1).
    InvalidField {
        field: &'static str,
        value: i64,
    },
}

/// Why a stored batch that passed the storage engine's CRC check is not an entry this store
/// wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryCorruption {
    Batch(BatchError),
    /// Entries are stored uncompressed.
    Compressed {
        codec: u8,
    },
    Transactional,
    /// Every entry is a batch of exactly one record.
    RecordCount {
        records_count: i32,
        last_offset_delta: i32,
    },
    /// A record field is cut short or has an impossible length.
    Malformed {
        field: &'static str,
    },
    /// The epoch in the batch header (not covered by the CRC) disagrees with the copy in the
    /// record's `leader_epoch` header (covered by it).
    EpochMismatch {
        batch_epoch: i32,
        record_epoch: i32,
    },
    NegativeEpoch {
        epoch: i32,
    },
    /// A control record of a type other than LeaderChange.
    UnknownControlRecord {
        version: i16,
        control_type: i16,
    },
    /// A data record with a key (entries never have one).
    UnexpectedKey,
}

/// Why a snapshot file cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCorruption {
    /// Shorter than the fixed header.
    TooShort {
        len: u64,
    },
    Checksum {
        stored: u32,
        computed: u32,
    },
    UnsupportedVersion {
        version: u16,
    },
    /// The id in the header is not the one in the file name.
    IdMismatch {
        named: OffsetAndEpoch,
        stored: OffsetAndEpoch,
    },
    /// The header's data length disagrees with the file's length.
    LengthMismatch {
        stored: u64,
        actual: u64,
    },
}

/// An operation of the store failed.
#[derive(Debug)]
pub enum RaftStoreError {
    /// A disk operation on `path` failed.
    Io {
        path: PathBuf,
        operation: &'static str,
        source: io::Error,
    },
    CorruptQuorumState {
        path: PathBuf,
        reason: QuorumStateCorruption,
    },
    /// A node id in the quorum state cannot be written (ids are never negative).
    InvalidQuorumState {
        path: PathBuf,
        field: &'static str,
        value: i64,
    },
    CorruptEntry {
        dir: PathBuf,
        offset: Offset,
        reason: EntryCorruption,
    },
    CorruptSnapshot {
        path: PathBuf,
        reason: SnapshotCorruption,
    },
    /// Reading the log back failed.
    LogRead {
        dir: PathBuf,
        offset: Offset,
        source: ReadError,
    },
    /// The storage engine refused an entry; the log is as it was before the append.
    LogAppend {
        dir: PathBuf,
        offset: Offset,
        source: AppendError,
    },
    /// The entry's batch would exceed the format's size limit.
    EntryTooLarge {
        dir: PathBuf,
        offset: Offset,
        bytes: usize,
        bytes_max: usize,
    },
    /// Appended entries must start at the log end offset and be dense.
    NonContiguousAppend {
        dir: PathBuf,
        expected_offset: Offset,
        offset: Offset,
    },
    /// An entry's epoch is below the epoch of the entry before it, or negative.
    EpochRegression {
        dir: PathBuf,
        offset: Offset,
        epoch: Epoch,
        previous_epoch: Epoch,
    },
    /// Truncating below the snapshot or the log start would remove committed entries.
    TruncateBelowFloor {
        dir: PathBuf,
        to_offset: Offset,
        floor: Offset,
    },
    /// The log may only be deleted up to the latest snapshot, which must replace it.
    DeleteBeyondSnapshot {
        dir: PathBuf,
        offset: Offset,
        snapshot_offset: Option<Offset>,
    },
    /// A snapshot id with a negative offset or epoch.
    InvalidSnapshotId { dir: PathBuf, id: OffsetAndEpoch },
    /// Neither slot of the `commit-point` file checks out.
    CorruptCommitPoint { path: PathBuf },
    /// A batch below the recorded commit point failed verification (or a segment is missing
    /// below it): the store refuses to cut committed entries and leaves the files alone.
    CommittedEntryDamaged { damage: CommittedDataDamaged },
    /// The log, recovered, ends (or was about to be cut) at `offset`, below the recorded commit
    /// point: committed entries are gone.
    CommittedEntriesMissing {
        dir: PathBuf,
        offset: Offset,
        committed: Offset,
    },
    /// `save_snapshot` for an offset the log does not reach or no longer holds.
    SnapshotOutsideLog {
        dir: PathBuf,
        id: OffsetAndEpoch,
        log_start_offset: Offset,
        log_end_offset: Offset,
    },
    /// Deleting the snapshot would leave the entries below the log start in no snapshot.
    SnapshotInUse {
        dir: PathBuf,
        id: OffsetAndEpoch,
        log_start_offset: Offset,
    },
    /// `save_snapshot` whose epoch is not the epoch of the log's entry at `offset - 1`.
    SnapshotEpochMismatch {
        dir: PathBuf,
        id: OffsetAndEpoch,
        log_epoch: Epoch,
    },
}

impl RaftStoreError {
    pub(super) fn io(
        path: impl Into<PathBuf>,
        operation: &'static str,
    ) -> impl Fn(io::Error) -> Self {
        let path = path.into();
        move |source| RaftStoreError::Io {
            path: path.clone(),
            operation,
            source,
        }
    }

    /// Whether the error says stored bytes are damaged (as opposed to a failing disk or a
    /// caller's mistake).
    pub fn is_corruption(&self) -> bool {
        match self {
            RaftStoreError::CorruptQuorumState { .. }
            | RaftStoreError::CorruptEntry { .. }
            | RaftStoreError::CorruptSnapshot { .. }
            | RaftStoreError::CorruptCommitPoint { .. }
            | RaftStoreError::CommittedEntryDamaged { .. }
            | RaftStoreError::CommittedEntriesMissing { .. } => true,
            RaftStoreError::LogRead { source, .. } => source.is_corruption(),
            _ => false,
        }
    }
}

impl fmt::Display for QuorumStateCorruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json { line, column } => write!(f, "bad JSON at line {line} column {column}"),
            Self::Checksum { stored, computed } => write!(
                f,
                "crc32c mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            Self::UnsupportedVersion { data_version } => {
                write!(f, "unsupported data_version {data_version}")
            }
            Self::InvalidField { field, value } => write!(f, "invalid {field} {value}"),
        }
    }
}

impl fmt::Display for EntryCorruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Batch(error) => write!(f, "{error}"),
            Self::Compressed { codec } => write!(f, "compressed with codec {codec}"),
            Self::Transactional => write!(f, "a transactional batch"),
            Self::RecordCount {
                records_count,
                last_offset_delta,
            } => write!(
                f,
                "records_count {records_count}, last_offset_delta {last_offset_delta} \
                 (one record expected)"
            ),
            Self::Malformed { field } => write!(f, "malformed record field {field}"),
            Self::EpochMismatch {
                batch_epoch,
                record_epoch,
            } => write!(
                f,
                "batch epoch {batch_epoch} but record leader_epoch header {record_epoch}"
            ),
            Self::NegativeEpoch { epoch } => write!(f, "negative epoch {epoch}"),
            Self::UnknownControlRecord {
                version,
                control_type,
            } => write!(
                f,
                "unknown control record version {version} type {control_type}"
            ),
            Self::UnexpectedKey => write!(f, "a data record with a key"),
        }
    }
}

impl fmt::Display for SnapshotCorruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(f, "only {len} bytes, shorter than the header"),
            Self::Checksum { stored, computed } => write!(
                f,
                "crc32c mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            Self::UnsupportedVersion { version } => write!(f, "unsupported version {version}"),
            Self::IdMismatch { named, stored } => write!(
                f,
                "named offset {} epoch {} but holds offset {} epoch {}",
                named.offset, named.epoch, stored.offset, stored.epoch
            ),
            Self::LengthMismatch { stored, actual } => {
                write!(f, "header says {stored} data bytes, file holds {actual}")
            }
        }
    }
}

impl fmt::Display for RaftStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io {
                path,
                operation,
                source,
            } => write!(f, "cannot {operation} {}: {source}", path.display()),
            Self::CorruptQuorumState { path, reason } => write!(
                f,
                "{} is corrupt ({reason}); refusing to start without the vote it records",
                path.display()
            ),
            Self::InvalidQuorumState { path, field, value } => write!(
                f,
                "cannot write {}: {field} {value} is not a node id",
                path.display()
            ),
            Self::CorruptEntry {
                dir,
                offset,
                reason,
            } => write!(
                f,
                "metadata log {} holds a corrupt entry at offset {offset}: {reason}",
                dir.display()
            ),
            Self::CorruptSnapshot { path, reason } => {
                write!(f, "snapshot {} is corrupt: {reason}", path.display())
            }
            Self::LogRead {
                dir,
                offset,
                source,
            } => write!(
                f,
                "cannot read metadata log {} at offset {offset}: {source}",
                dir.display()
            ),
            Self::LogAppend {
                dir,
                offset,
                source,
            } => write!(
                f,
                "cannot append offset {offset} to metadata log {}: {source}",
                dir.display()
            ),
            Self::EntryTooLarge {
                dir,
                offset,
                bytes,
                bytes_max,
            } => write!(
                f,
                "entry at offset {offset} for metadata log {} takes {bytes} bytes, more than \
                 {bytes_max}",
                dir.display()
            ),
            Self::NonContiguousAppend {
                dir,
                expected_offset,
                offset,
            } => write!(
                f,
                "metadata log {} ends at {expected_offset}; cannot append offset {offset}",
                dir.display()
            ),
            Self::EpochRegression {
                dir,
                offset,
                epoch,
                previous_epoch,
            } => write!(
                f,
                "metadata log {}: entry at offset {offset} has epoch {epoch}, below \
                 {previous_epoch}",
                dir.display()
            ),
            Self::TruncateBelowFloor {
                dir,
                to_offset,
                floor,
            } => write!(
                f,
                "metadata log {}: cannot truncate to {to_offset}, below the snapshot or log \
                 start {floor}",
                dir.display()
            ),
            Self::DeleteBeyondSnapshot {
                dir,
                offset,
                snapshot_offset,
            } => write!(
                f,
                "metadata log {}: cannot delete before {offset}, latest snapshot ends at {}",
                dir.display(),
                snapshot_offset.map_or_else(|| "none".to_owned(), |o| o.to_string())
            ),
            Self::InvalidSnapshotId { dir, id } => write!(
                f,
                "metadata log {}: invalid snapshot id offset {} epoch {}",
                dir.display(),
                id.offset,
                id.epoch
            ),
            Self::CorruptCommitPoint { path } => write!(
                f,
                "{} is corrupt (neither copy checks out); refusing to start without knowing \
                 which metadata this node committed: restore the metadata directory from a backup",
                path.display()
            ),
            Self::CommittedEntryDamaged { damage } => write!(
                f,
                "{damage}; refusing to start rather than replace committed metadata: restore the \
                 file from a backup (a damaged disk may need replacing); no data was cut"
            ),
            Self::CommittedEntriesMissing {
                dir,
                offset,
                committed,
            } => write!(
                f,
                "metadata log {} holds entries only up to offset {offset}, but offsets below \
                 {committed} were recorded as committed; refusing to start rather than replace \
                 committed metadata: restore the directory from a backup",
                dir.display()
            ),
            Self::SnapshotOutsideLog {
                dir,
                id,
                log_start_offset,
                log_end_offset,
            } => write!(
                f,
                "metadata log {} holds [{log_start_offset}, {log_end_offset}); cannot snapshot \
                 at offset {} epoch {}",
                dir.display(),
                id.offset,
                id.epoch
            ),
            Self::SnapshotInUse {
                dir,
                id,
                log_start_offset,
            } => write!(
                f,
                "metadata log {} starts at {log_start_offset}: snapshot at offset {} epoch {} is \
                 the only one covering the entries below",
                dir.display(),
                id.offset,
                id.epoch
            ),
            Self::SnapshotEpochMismatch { dir, id, log_epoch } => write!(
                f,
                "metadata log {}: snapshot at offset {} says epoch {} but the log's entry before \
                 it has epoch {log_epoch}",
                dir.display(),
                id.offset,
                id.epoch
            ),
        }
    }
}

impl std::error::Error for RaftStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::LogRead { source, .. } => Some(source),
            Self::LogAppend { source, .. } => Some(source),
            _ => None,
        }
    }
}
