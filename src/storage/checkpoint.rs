//! Kafka's text checkpoint files, written atomically with [`write_atomic`].
//!
//! Per log dir, `recovery-point-offset-checkpoint` and `log-start-offset-checkpoint` hold
//! "0\n<count>\n<topic> <partition> <offset>\n..."; per partition dir, `leader-epoch-checkpoint`
//! holds "0\n<count>\n<epoch> <start_offset>\n...". The leading 0 is the format version. A file
//! that does not parse is a [`CheckpointError`] naming it, never a panic: the caller falls back
//! to scanning the log, which is slower but always correct.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::disk::{read_all, write_atomic, Disk};
use crate::types::TopicPartition;

pub const RECOVERY_POINT_CHECKPOINT: &str = "recovery-point-offset-checkpoint";
pub const LOG_START_OFFSET_CHECKPOINT: &str = "log-start-offset-checkpoint";
/// Kafka's per-log-dir high watermark checkpoint (written by its ReplicaManager).
pub const HIGH_WATERMARK_CHECKPOINT: &str = "replication-offset-checkpoint";
pub const LEADER_EPOCH_CHECKPOINT: &str = "leader-epoch-checkpoint";

const VERSION: &str = "0";

/// A checkpoint that could not be read.
#[derive(Debug)]
pub enum CheckpointError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    /// Line `line` (1-based) is missing or does not parse.
    Malformed {
        path: PathBuf,
        line: usize,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => {
                write!(f, "cannot read checkpoint {}: {source}", path.display())
            }
            CheckpointError::Malformed { path, line } => {
                write!(f, "malformed checkpoint {} at line {line}", path.display())
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            CheckpointError::Malformed { .. } => None,
        }
    }
}

impl From<CheckpointError> for io::Error {
    fn from(error: CheckpointError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, error)
    }
}

fn render<'a>(lines: impl ExactSizeIterator<Item = String> + 'a) -> String {
    let mut out = format!("{VERSION}\n{}\n", lines.len());
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Reads the entry lines of a checkpoint (after checking version and count). A missing file
/// is `Ok(None)`.
fn read_lines(disk: &dyn Disk, path: &Path) -> Result<Option<Vec<String>>, CheckpointError> {
    let bytes = match read_all(disk, path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            let path = path.to_path_buf();
            return Err(CheckpointError::Io { path, source });
        }
    };
    let malformed = |line| CheckpointError::Malformed {
        path: path.to_path_buf(),
        line,
    };
    let text = String::from_utf8(bytes).map_err(|_| malformed(1))?;
    let mut lines = text.lines();
    if lines.next() != Some(VERSION) {
        return Err(malformed(1));
    }
    let count: usize = lines
        .next()
        .and_then(|l| l.parse().ok())
        .ok_or(malformed(2))?;
    let entries: Vec<String> = lines.map(str::to_owned).collect();
    if entries.len() != count {
        return Err(malformed(3 + count.min(entries.len())));
    }
    Ok(Some(entries))
}

/// Writes a per-log-dir offsets checkpoint.
pub fn write_offsets(
    disk: &dyn Disk,
    path: &Path,
    offsets: &BTreeMap<TopicPartition, i64>,
) -> io::Result<()> {
    let lines = offsets
        .iter()
        .map(|(tp, offset)| format!("{} {} {offset}", tp.topic, tp.partition));
    write_atomic(disk, path, render(lines).as_bytes())
}

/// Reads a per-log-dir offsets checkpoint; a missing file is empty.
pub fn read_offsets(
    disk: &dyn Disk,
    path: &Path,
) -> Result<BTreeMap<TopicPartition, i64>, CheckpointError> {
    let mut offsets = BTreeMap::new();
    for (i, line) in read_lines(disk, path)?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let parsed = (|| {
            let mut fields = line.split(' ');
            let topic = fields.next().filter(|t| !t.is_empty())?;
            let partition: i32 = fields.next()?.parse().ok().filter(|p| *p >= 0)?;
            let offset: i64 = fields.next()?.parse().ok()?;
            fields
                .next()
                .is_none()
                .then(|| (TopicPartition::new(topic, partition), offset))
        })();
        let (tp, offset) = parsed.ok_or_else(|| CheckpointError::Malformed {
            path: path.to_path_buf(),
            line: i + 3,
        })?;
        offsets.insert(tp, offset);
    }
    Ok(offsets)
}

/// Writes a partition's leader epoch checkpoint: (epoch, start offset) in epoch order.
pub fn write_epochs(disk: &dyn Disk, path: &Path, epochs: &[(i32, i64)]) -> io::Result<()> {
    let lines = epochs
        .iter()
        .map(|(epoch, start)| format!("{epoch} {start}"));
    write_atomic(disk, path, render(lines).as_bytes())
}

/// Reads a leader epoch checkpoint; a missing file is empty. Epochs and start offsets must
/// increase, as the cache only ever appends larger ones.
pub fn read_epochs(disk: &dyn Disk, path: &Path) -> Result<Vec<(i32, i64)>, CheckpointError> {
    let mut epochs: Vec<(i32, i64)> = Vec::new();
    for (i, line) in read_lines(disk, path)?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let parsed = (|| {
            let (epoch, start) = line.split_once(' ')?;
            let entry = (epoch.parse::<i32>().ok()?, start.parse::<i64>().ok()?);
            let ordered = epochs
                .last()
                .is_none_or(|last| last.0 < entry.0 && last.1 <= entry.1);
            (ordered && entry.0 >= 0 && entry.1 >= 0).then_some(entry)
        })();
        epochs.push(parsed.ok_or_else(|| CheckpointError::Malformed {
            path: path.to_path_buf(),
            line: i + 3,
        })?);
    }
    Ok(epochs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;

    fn setup() -> (MemDisk, PathBuf) {
        let disk = MemDisk::new();
        disk.create_dir_all(Path::new("/logs")).unwrap();
        (
            disk,
            PathBuf::from("/logs/recovery-point-offset-checkpoint"),
        )
    }

    #[test]
    fn offsets_round_trip_in_kafka_format() {
        let (disk, path) = setup();
        let offsets = BTreeMap::from([
            (TopicPartition::new("b-topic", 1), 7),
            (TopicPartition::new("a", 0), 1 << 40),
        ]);
        write_offsets(&disk, &path, &offsets).unwrap();
        let text = String::from_utf8(disk.file_bytes(&path).unwrap()).unwrap();
        assert_eq!(text, "0\n2\na 0 1099511627776\nb-topic 1 7\n");
        assert_eq!(read_offsets(&disk, &path).unwrap(), offsets);
        let missing = Path::new("/logs/none");
        assert!(read_offsets(&disk, missing).unwrap().is_empty());
    }

    #[test]
    fn epochs_round_trip_in_kafka_format() {
        let (disk, _) = setup();
        let path = Path::new("/logs/leader-epoch-checkpoint");
        write_epochs(&disk, path, &[(0, 0), (3, 120)]).unwrap();
        assert_eq!(disk.file_bytes(path).unwrap(), b"0\n2\n0 0\n3 120\n");
        assert_eq!(read_epochs(&disk, path).unwrap(), vec![(0, 0), (3, 120)]);
    }

    #[test]
    fn bad_content_is_an_error_naming_the_file() {
        let (disk, path) = setup();
        for bad in [
            &b"1\n0\n"[..],
            b"0\n2\na 0 1\n",
            b"0\n1\na x 1\n",
            b"0\n1\na 0 1 extra\n",
            b"\xff\xfe",
            b"",
            b"0\nlots\n",
        ] {
            disk.set_file_bytes(&path, bad.to_vec());
            let error = read_offsets(&disk, &path).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("recovery-point-offset-checkpoint"),
                "{error}"
            );
        }
        let epochs = Path::new("/logs/leader-epoch-checkpoint");
        disk.set_file_bytes(epochs, b"0\n2\n5 10\n4 20\n".to_vec());
        assert!(matches!(
            read_epochs(&disk, epochs),
            Err(CheckpointError::Malformed { line: 4, .. })
        ));
    }
}
