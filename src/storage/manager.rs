//! `LogManager`: every partition log of a broker, across all `log.dirs`.
//!
//! It owns the per-directory checkpoints and the clean-shutdown protocol. A clean shutdown
//! flushes every log, checkpoints recovery points equal to the log end offsets and then writes
//! `.kafka_cleanshutdown`; the next start trusts those recovery points and rescans nothing. The
//! marker is removed once the logs are open, so a crash afterwards is treated as unclean.
//! Without the marker each log is verified from its checkpointed recovery point (0 if the
//! checkpoint is missing or corrupt: slower, never wrong). High watermarks are checkpointed in
//! Kafka's `replication-offset-checkpoint` so consumers see the same committed data after a
//! restart; the replication layer may then move them.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::checkpoint::{
    read_offsets, HIGH_WATERMARK_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT,
};
use super::checkpoint_round::{CheckpointRound, RoundOrder};
use super::config::LogConfig;
use super::disk::{create_dir_durable, read_all, Disk, OpenMode};
use super::group_commit::lock_log;
use super::log::Log;
use super::partition_metadata;
use super::read_buffers::ReadBuffers;
use crate::types::TopicPartition;

/// Kafka's clean shutdown marker file name.
pub const CLEAN_SHUTDOWN_FILE: &str = ".kafka_cleanshutdown";

/// The clean shutdown marker's content, as Kafka writes it: the broker epoch the broker had
/// when it shut down cleanly, which the next registration reports (KIP-966).
fn marker_contents(broker_epoch: i64) -> String {
    format!("{{\"version\":0,\"brokerEpoch\":{broker_epoch}}}")
}

/// The broker epoch a marker names; `None` for an empty (older Weir) or unreadable one.
fn marker_epoch(contents: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Marker {
        version: i32,
        broker_epoch: i64,
    }
    let marker: Marker = serde_json::from_slice(contents).ok()?;
    (marker.version == 0).then_some(marker.broker_epoch)
}

/// What one log dir's checkpoints say about its partitions.
struct DirCheckpoints {
    clean: bool,
    recovery_points: BTreeMap<TopicPartition, i64>,
    start_offsets: BTreeMap<TopicPartition, i64>,
    high_watermarks: BTreeMap<TopicPartition, i64>,
}

impl DirCheckpoints {
    /// Opens one partition's log: trusted after a clean shutdown (when its recovery point is
    /// known), otherwise verified from its recovery point (0 if unknown).
    fn open_log(
        &self,
        disk: Arc<dyn Disk>,
        tp: &TopicPartition,
        path: PathBuf,
        config: LogConfig,
        now_ms: i64,
    ) -> io::Result<Log> {
        let log_start_offset = self.start_offsets.get(tp).copied().unwrap_or(0);
        let mut log = match self.recovery_points.get(tp) {
            Some(_) if self.clean => {
                Log::open_after_clean_shutdown(disk, path, config, log_start_offset, now_ms)?
            }
            recovery_point => {
                let recovery_point = recovery_point.copied().unwrap_or(0);
                Log::open(disk, path, config, recovery_point, log_start_offset, now_ms)?
            }
        };
        if let Some(high_watermark) = self.high_watermarks.get(tp) {
            log.set_high_watermark(*high_watermark);
        }
        Ok(log)
    }
}

struct Entry {
    dir_index: usize,
    log: Arc<Mutex<Log>>,
    topic_id: TopicIdState,
}

/// What a log's `partition.metadata` says about the topic it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicIdState {
    Known(u128),
    /// No file: a log created before ids were written, which may adopt the metadata's id.
    Missing,
    /// A file that cannot be read or parsed: the log's topic is unknown, so it is never
    /// adopted (it might be an earlier topic's), only set aside.
    Unreadable,
}

/// All partition logs of one broker.
pub struct LogManager {
    disk: Arc<dyn Disk>,
    log_dirs: Vec<PathBuf>,
    logs: BTreeMap<TopicPartition, Entry>,
    /// One free list of read buffers for every log, so its bound is the broker's.
    read_buffers: ReadBuffers,
    /// Checkpoint rounds land in the order they were taken.
    rounds: Arc<RoundOrder>,
    /// Each log dir's clean-shutdown broker epoch as found at open (`None`: no marker, or one
    /// without an epoch).
    shutdown_epochs: Vec<Option<i64>>,
}

fn lock(log: &Mutex<Log>) -> io::Result<MutexGuard<'_, Log>> {
    // A poisoned log panicked mid-operation; its in-memory state cannot be trusted.
    log.lock()
        .map_err(|_| io::Error::other("log mutex poisoned"))
}

/// Reads a checkpoint, treating a corrupt one as empty (everything is then recovered from 0 and
/// log start offsets come from the segments).
fn read_checkpoint(disk: &dyn Disk, path: &Path) -> BTreeMap<TopicPartition, i64> {
    read_offsets(disk, path).unwrap_or_else(|error| {
        tracing::warn!(%error, "ignoring corrupt checkpoint; recovering from the log");
        BTreeMap::new()
    })
}

impl LogManager {
    /// Opens every partition log under `log_dirs`, creating missing directories.
    pub fn open(
        disk: Arc<dyn Disk>,
        log_dirs: Vec<PathBuf>,
        configs: &BTreeMap<String, LogConfig>,
        default_config: &LogConfig,
        now_ms: i64,
    ) -> io::Result<LogManager> {
        let mut manager = LogManager {
            disk,
            log_dirs,
            logs: BTreeMap::new(),
            read_buffers: ReadBuffers::default(),
            rounds: Arc::default(),
            shutdown_epochs: Vec::new(),
        };
        for dir_index in 0..manager.log_dirs.len() {
            manager.open_dir(dir_index, configs, default_config, now_ms)?;
        }
        Ok(manager)
    }

    fn open_dir(
        &mut self,
        dir_index: usize,
        configs: &BTreeMap<String, LogConfig>,
        default_config: &LogConfig,
        now_ms: i64,
    ) -> io::Result<()> {
        let disk = self.disk.clone();
        let dir = self.log_dirs[dir_index].clone();
        create_dir_durable(&*disk, &dir)?;
        let marker = dir.join(CLEAN_SHUTDOWN_FILE);
        let clean = disk.exists(&marker)?;
        let epoch = if clean {
            read_all(&*disk, &marker)
                .ok()
                .and_then(|bytes| marker_epoch(&bytes))
        } else {
            None
        };
        self.shutdown_epochs.push(epoch);
        let checkpoints = DirCheckpoints {
            clean,
            recovery_points: read_checkpoint(&*disk, &dir.join(RECOVERY_POINT_CHECKPOINT)),
            start_offsets: read_checkpoint(&*disk, &dir.join(LOG_START_OFFSET_CHECKPOINT)),
            high_watermarks: read_checkpoint(&*disk, &dir.join(HIGH_WATERMARK_CHECKPOINT)),
        };
        for entry in disk.read_dir(&dir)?.into_iter().filter(|e| e.is_dir) {
            if entry.name == super::raft_store::METADATA_PARTITION_DIR {
                // The metadata log lives beside the data logs by default (as in Kafka) but is
                // the quorum's, opened by the raft store, never a topic partition.
                continue;
            }
            let path = dir.join(&entry.name);
            let Some(tp) = TopicPartition::from_dir_name(&entry.name) else {
                tracing::warn!(dir = %path.display(), "ignoring a directory that is no partition");
                continue;
            };
            if self.logs.contains_key(&tp) {
                let msg = format!("partition {tp} found in more than one log dir");
                return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
            }
            let topic_id = match partition_metadata::read(&*disk, &path) {
                Ok(Some(id)) => TopicIdState::Known(id),
                Ok(None) => TopicIdState::Missing,
                Err(error) => {
                    let what = "unreadable partition metadata: the log's topic is unknown";
                    tracing::warn!(%error, "{what}");
                    TopicIdState::Unreadable
                }
            };
            let config = configs.get(&tp.topic).unwrap_or(default_config).clone();
            let mut log = checkpoints.open_log(disk.clone(), &tp, path, config, now_ms)?;
            log.share_read_buffers(self.read_buffers.clone());
            let log = Arc::new(Mutex::new(log));
            let entry = Entry {
                dir_index,
                log,
                topic_id,
            };
            self.logs.insert(tp, entry);
        }
        if checkpoints.clean {
            disk.remove_file(&marker)?;
            disk.sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Creates a partition's log in the log dir holding the fewest partitions (or returns the
    /// existing one), recording `topic_id` in its `partition.metadata` when given.
    pub fn create_log(
        &mut self,
        tp: &TopicPartition,
        config: LogConfig,
        now_ms: i64,
        topic_id: Option<u128>,
    ) -> io::Result<Arc<Mutex<Log>>> {
        if let Some(entry) = self.logs.get(tp) {
            return Ok(entry.log.clone());
        }
        let mut counts = vec![0usize; self.log_dirs.len()];
        for entry in self.logs.values() {
            counts[entry.dir_index] += 1;
        }
        let dir_index = (0..counts.len())
            .min_by_key(|i| counts[*i])
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no log dirs"))?;
        // A directory a set-aside left behind (it failed part-way) still holds another log's
        // files: a new log over them would serve them as this one's.
        for log_dir in &self.log_dirs {
            let path = log_dir.join(tp.dir_name());
            if self.disk.exists(&path)? && !self.disk.read_dir(&path)?.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} still holds another log's files; not creating {tp} over them",
                        path.display()
                    ),
                ));
            }
        }
        let path = self.log_dirs[dir_index].join(tp.dir_name());
        let mut log = Log::create(self.disk.clone(), path.clone(), config, now_ms)?;
        if let Some(id) = topic_id {
            partition_metadata::write(&*self.disk, &path, id)?;
        }
        log.share_read_buffers(self.read_buffers.clone());
        let log = Arc::new(Mutex::new(log));
        let topic_id = topic_id.map_or(TopicIdState::Missing, TopicIdState::Known);
        self.logs.insert(
            tp.clone(),
            Entry {
                dir_index,
                log: log.clone(),
                topic_id,
            },
        );
        Ok(log)
    }

    /// What a partition's log says about its topic id (`None`: no such log).
    pub fn topic_id(&self, tp: &TopicPartition) -> Option<TopicIdState> {
        self.logs.get(tp).map(|entry| entry.topic_id)
    }

    /// Records `topic_id` for a log that has none yet (created before ids were written).
    pub fn adopt_topic_id(&mut self, tp: &TopicPartition, topic_id: u128) -> io::Result<()> {
        let Some(entry) = self.logs.get_mut(tp) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no log for {tp}"),
            ));
        };
        let dir = lock(&entry.log)?.dir().to_path_buf();
        partition_metadata::write(&*self.disk, &dir, topic_id)?;
        entry.topic_id = TopicIdState::Known(topic_id);
        Ok(())
    }

    pub fn get(&self, tp: &TopicPartition) -> Option<Arc<Mutex<Log>>> {
        self.logs.get(tp).map(|entry| entry.log.clone())
    }

    /// Deletes a partition's log and its directory.
    pub fn delete_log(&mut self, tp: &TopicPartition) -> io::Result<()> {
        let Some(entry) = self.logs.remove(tp) else {
            return Ok(());
        };
        let dir = lock(&entry.log)?.mark_removed();
        self.disk.remove_dir_all(&dir)?;
        self.disk.sync_dir(&self.log_dirs[entry.dir_index])?;
        // Drop it from the checkpoints too, so a restart does not carry stale offsets.
        self.checkpoint()
    }

    /// Closes a partition's log and renames its directory to `<topic>-<partition>.<ms>-stray`
    /// (Kafka's name for them), keeping the data for an operator to inspect or move back:
    /// start-up never reopens it as a partition. Returns the new path.
    pub fn quarantine_log(&mut self, tp: &TopicPartition, now_ms: i64) -> io::Result<PathBuf> {
        let Some(entry) = self.logs.get(tp) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no log for {tp}"),
            ));
        };
        let dir = lock(&entry.log)?.mark_removed();
        let parent = self.log_dirs[entry.dir_index].clone();
        let target = parent.join(format!("{}.{now_ms}-stray", tp.dir_name()));
        // File by file (the `Disk` seam renames files): a crash part-way leaves the rest in
        // the partition directory, which the next start sets aside again. Nothing is lost.
        // `partition.metadata` moves last: until then what remains still names its topic, so
        // it is never mistaken for a log from before ids (which would adopt another's id).
        create_dir_durable(&*self.disk, &target)?;
        let mut files: Vec<String> = (self.disk.read_dir(&dir)?.into_iter())
            .filter(|entry| !entry.is_dir)
            .map(|entry| entry.name)
            .collect();
        files.sort_by_key(|name| name == partition_metadata::PARTITION_METADATA_FILE);
        for name in files {
            self.disk.rename(&dir.join(&name), &target.join(&name))?;
        }
        self.disk.sync_dir(&target)?;
        // Only now is the log gone: until every file moved it stays, and `create_log` refuses
        // a directory that still holds files.
        self.logs.remove(tp);
        self.disk.remove_dir_all(&dir)?;
        self.disk.sync_dir(&parent)?;
        self.checkpoint()?;
        Ok(target)
    }

    /// Every partition, sorted.
    pub fn partitions(&self) -> Vec<TopicPartition> {
        self.logs.keys().cloned().collect()
    }

    /// Each log dir with the partitions it holds and their size in bytes, dirs in
    /// configuration order and partitions sorted (DescribeLogDirs).
    pub fn log_dir_usage(&self) -> Vec<(&Path, Vec<(TopicPartition, u64)>)> {
        let mut dirs: Vec<(&Path, Vec<(TopicPartition, u64)>)> = self
            .log_dirs
            .iter()
            .map(|dir| (dir.as_path(), Vec::new()))
            .collect();
        for (tp, entry) in &self.logs {
            // A poisoned log is reported empty rather than failing the whole answer.
            let size = lock(&entry.log).map_or(0, |log| log.size_bytes());
            dirs[entry.dir_index].1.push((tp.clone(), size));
        }
        dirs
    }

    /// Writes each log dir's recovery point, log start offset and high watermark checkpoints.
    pub fn checkpoint(&self) -> io::Result<()> {
        self.checkpoint_round()?.write()
    }

    /// Each log dir's recovery points, log start offsets and high watermarks as they are now,
    /// to write later without holding anything (see `checkpoint_round`).
    pub fn checkpoint_round(&self) -> io::Result<CheckpointRound> {
        let mut files = Vec::new();
        for (dir_index, dir) in self.log_dirs.iter().enumerate() {
            let mut recovery_points = BTreeMap::new();
            let mut start_offsets = BTreeMap::new();
            let mut high_watermarks = BTreeMap::new();
            for (tp, entry) in self.logs.iter().filter(|(_, e)| e.dir_index == dir_index) {
                let log = lock(&entry.log)?;
                recovery_points.insert(tp.clone(), log.recovery_point());
                start_offsets.insert(tp.clone(), log.log_start_offset());
                high_watermarks.insert(tp.clone(), log.high_watermark());
            }
            files.push((dir.join(RECOVERY_POINT_CHECKPOINT), recovery_points));
            files.push((dir.join(LOG_START_OFFSET_CHECKPOINT), start_offsets));
            files.push((dir.join(HIGH_WATERMARK_CHECKPOINT), high_watermarks));
        }
        Ok(CheckpointRound::new(self.disk.clone(), &self.rounds, files))
    }

    /// The logs whose `flush.ms` has passed, each with the offset below which it must become
    /// durable: `group_commit::wait_all_durable` does that without holding anything else.
    pub fn due_flushes(&self, now_ms: i64) -> Vec<(Arc<Mutex<Log>>, i64)> {
        let due = |entry: &Entry| {
            let end = lock_log(&entry.log).take_due_flush(now_ms)?;
            Some((entry.log.clone(), end))
        };
        self.logs.values().filter_map(due).collect()
    }

    /// Every partition and its log, to work on without holding the manager.
    pub fn handles(&self) -> Vec<(TopicPartition, Arc<Mutex<Log>>)> {
        let handle = |(tp, entry): (&TopicPartition, &Entry)| (tp.clone(), entry.log.clone());
        self.logs.iter().map(handle).collect()
    }

    /// The broker epoch of the clean shutdown before this start, as every log dir's marker
    /// agrees, or -1 (Kafka's `PreviousBrokerEpoch`): a dir without a marker, or markers that
    /// disagree, make the shutdown unclean, and the controller then drops this broker from
    /// every ELR, since it may have lost unflushed records.
    pub fn previous_broker_epoch(&self) -> i64 {
        match self.shutdown_epochs.split_first() {
            Some((&Some(first), rest)) if rest.iter().all(|&e| e == Some(first)) => first,
            _ => -1,
        }
    }

    /// Flushes every log, checkpoints recovery points at the log end offsets, then writes the
    /// clean-shutdown marker, naming `broker_epoch`, in each log dir so the next start skips
    /// recovery and registers as a clean restart.
    pub fn shutdown(&self, broker_epoch: i64) -> io::Result<()> {
        for entry in self.logs.values() {
            lock(&entry.log)?.close()?;
        }
        self.checkpoint()?;
        let contents = marker_contents(broker_epoch);
        for dir in &self.log_dirs {
            let marker = self
                .disk
                .open(&dir.join(CLEAN_SHUTDOWN_FILE), OpenMode::Truncate)?;
            marker.write_at(contents.as_bytes(), 0)?;
            marker.sync()?;
            self.disk.sync_dir(dir)?;
        }
        Ok(())
    }
}
