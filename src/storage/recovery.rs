//! Loading a partition's segments on open, and recovering the ones that may hold unflushed data.
//!
//! Data below the recovery point was fsynced before a checkpoint said so, so its segments are
//! loaded trusting their indexes (Kafka's sanity check only). Segments that may hold data at or
//! past the recovery point — or any segment after an unclean shutdown whose index is missing or
//! torn — are scanned batch by batch: length, magic, CRC and offset order. Everything from the
//! first bad batch on is cut away, and later segments are deleted, because a hole in a log is
//! worse than a shorter log: followers and consumers assume offsets are dense up to the end.
//! Index files without a `.log` (a crash between deleting a segment's files) are removed.
//!
//! An owner that records what was committed (the metadata quorum's store) passes that offset:
//! damage below it is not a torn tail, since committed data was fsynced first, and cutting it
//! would let the owner write different data at offsets it already promised. Loading then stops
//! with [`CommittedDataDamaged`], naming the file and offset, and cuts no data (indexes, which
//! are derived, may have been reset for rebuilding).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use super::config::LogConfig;
use super::disk::Disk;
use super::segment::{self, ScanOutcome, Segment, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX};

/// The segments of one partition after loading.
pub(crate) struct Loaded {
    pub segments: BTreeMap<i64, Segment>,
    /// How many batches were verified by a full scan (0 after a clean shutdown).
    pub scanned_batches: u64,
}

/// Recovery found damage below the offset its owner recorded as committed: the batch at
/// `offset` (byte `position` of `file`) failed verification, or the log ends there. Carried
/// inside an [`io::Error`] of kind `InvalidData`; [`CommittedDataDamaged::find`] gets it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedDataDamaged {
    pub file: PathBuf,
    pub position: u64,
    pub offset: i64,
    pub committed: i64,
    pub reason: String,
}

impl CommittedDataDamaged {
    /// The damage report inside `error`, if that is what it carries.
    pub fn find(error: &io::Error) -> Option<&CommittedDataDamaged> {
        error.get_ref()?.downcast_ref()
    }
}

impl std::fmt::Display for CommittedDataDamaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is damaged at offset {} (byte {}: {}), below offset {} which was recorded as \
             committed",
            self.file.display(),
            self.offset,
            self.position,
            self.reason,
            self.committed
        )
    }
}

impl std::error::Error for CommittedDataDamaged {}

impl From<CommittedDataDamaged> for io::Error {
    fn from(damage: CommittedDataDamaged) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, damage)
    }
}

/// Where to start verifying: `Some(recovery_point)` after an unclean shutdown, `None` when the
/// log was shut down cleanly and everything on disk is trusted. Nothing below `committed` may
/// be cut (see the module documentation; 0 for logs whose owner records no commit point).
pub(crate) fn load_segments(
    disk: &dyn Disk,
    dir: &Path,
    config: &LogConfig,
    recovery_point: Option<i64>,
    committed: i64,
) -> io::Result<Loaded> {
    let bases = list_segments(disk, dir)?;
    let mut loaded = Loaded {
        segments: BTreeMap::new(),
        scanned_batches: 0,
    };
    let interval = config.index_interval_bytes;
    let mut iter = bases.iter().copied().peekable();
    let mut previous_trusted = false;
    while let Some(base) = iter.next() {
        let mut previous_end = loaded
            .segments
            .values()
            .next_back()
            .map(Segment::next_offset);
        if previous_trusted && previous_end.is_some_and(|end| end != base) {
            // A trusted segment's end comes from a walk over headers whose offsets lie outside
            // the CRC: a bit flipped on the way up there would make a hole or an overlap out of
            // nothing and cost every later segment. Verify the segment before judging.
            let previous = (loaded.segments.values_mut().next_back())
                .expect("a previous end comes from a previous segment");
            let scan = previous.recover(interval)?;
            loaded.scanned_batches += scan.batches;
            previous_end = Some(previous.next_offset());
            if scan.truncated_bytes > 0 {
                delete_later(disk, dir, std::iter::once(base).chain(iter).collect())?;
                break;
            }
        }
        if previous_end.is_some_and(|end| base < end) {
            // Overlapping offsets: a leftover from an interrupted operation, not a valid log.
            delete_later(disk, dir, std::iter::once(base).chain(iter).collect())?;
            break;
        }
        if let Some(end) = previous_end.filter(|&end| base > end && end < committed) {
            let file = dir.join(segment::file_name(base, LOG_SUFFIX));
            return Err(CommittedDataDamaged {
                file,
                position: 0,
                offset: end,
                committed,
                reason: format!(
                    "the previous segment ends at offset {end}, this one starts at {base}"
                ),
            }
            .into());
        }
        if recovery_point.is_some() && previous_end.is_some_and(|end| base > end) {
            // A hole: the previous segment lost its unflushed tail in the crash but this one's
            // file survived. Offsets must stay dense (no compaction yet), so the log ends where
            // the data does; what followed the hole was never made durable.
            crate::event!(
                "recovery found a hole dir={} end={} next_segment={base}",
                dir.display(),
                previous_end.unwrap_or(0)
            );
            delete_later(disk, dir, std::iter::once(base).chain(iter).collect())?;
            break;
        }
        let next_base = iter.peek().copied();
        let unflushed = recovery_point.is_some_and(|rp| next_base.is_none_or(|next| next > rp));
        let (segment, scan, trusted) = load_one(disk, dir, base, unflushed, interval, committed)?;
        previous_trusted = trusted;
        loaded.segments.insert(base, segment);
        loaded.scanned_batches += scan.batches;
        if scan.truncated_bytes > 0 {
            delete_later(disk, dir, iter.collect())?;
            break;
        }
    }
    Ok(loaded)
}

/// Opens one segment, verifying it if it may hold unflushed data or lost an index file; true
/// when it was loaded trusting its indexes and headers instead.
fn load_one(
    disk: &dyn Disk,
    dir: &Path,
    base: i64,
    unflushed: bool,
    interval: u64,
    committed: i64,
) -> io::Result<(Segment, ScanOutcome, bool)> {
    let (mut segment, indexes_whole) = Segment::open(disk, dir, base)?;
    segment.keep_committed(committed);
    if !indexes_whole {
        tracing::warn!(file = %segment.log_path().display(), "rebuilding missing or torn index");
    }
    if unflushed || !indexes_whole {
        let scan = segment.recover(interval)?;
        return Ok((segment, scan, false));
    }
    match segment.load_trusted(interval)? {
        Some(scan) => Ok((segment, scan, false)),
        None => Ok((segment, ScanOutcome::default(), true)),
    }
}

/// Deletes segments after a truncation point: their data follows a hole.
fn delete_later(disk: &dyn Disk, dir: &Path, bases: Vec<i64>) -> io::Result<()> {
    if bases.is_empty() {
        return Ok(());
    }
    for base in bases {
        let (segment, _) = Segment::open(disk, dir, base)?;
        let file = segment.log_path().display().to_string();
        tracing::warn!(%file, "deleting segment that follows a truncation or overlaps");
        segment.delete(disk)?;
    }
    // Durable before anything is appended: a segment that came back would follow a hole.
    disk.sync_dir(dir)
}

/// The base offsets of the `.log` files in `dir`, removing orphan index files on the way.
fn list_segments(disk: &dyn Disk, dir: &Path) -> io::Result<Vec<i64>> {
    let mut logs = BTreeSet::new();
    let mut indexes = Vec::new();
    for entry in disk.read_dir(dir)? {
        if entry.is_dir {
            continue;
        }
        match segment::parse_file_name(&entry.name) {
            Some((base, LOG_SUFFIX)) => {
                logs.insert(base);
            }
            Some((base, INDEX_SUFFIX | TIME_INDEX_SUFFIX)) => indexes.push((base, entry.name)),
            _ => {}
        }
    }
    for (base, name) in indexes {
        if !logs.contains(&base) {
            tracing::warn!(file = %dir.join(&name).display(), "removing orphan index file");
            disk.remove_file(&dir.join(name))?;
        }
    }
    Ok(logs.into_iter().collect())
}
