//! The broker's shared state: configuration, the metadata image it serves from (and the topic
//! view derived from it), the log manager, and the notification that wakes long-polling fetches
//! when data arrives. Metadata changes are the controller's (`topic_ops`); the broker applies
//! what commits (`publish`).
//!
//! Lock order: `state` (image, topic view and log map) before any one partition's `Log`; the
//! `state` lock is held only to look things up or apply metadata, never across an await or a
//! data append.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::configs::{self, DynamicConfigs};
use super::disk_health::DiskHealth;
use super::meta_properties::{self, MetaError};
use super::quorum::QuorumService;
use super::replication::Replicas;
use super::topic_name::TopicNameError;
use super::topics::{RegistryError, TopicRegistry};
use crate::config::defs::{self, ConfigError};
use crate::config::BrokerConfig;
use crate::core::controller::{ControllerError, MetadataImage};
use crate::limits::TOPIC_PARTITIONS_MAX;
use crate::runtime::{self, sync::watch, unix_time_ms, RngStream};
pub use crate::storage::lock_log;
use crate::storage::{wait_all_durable, Disk, Log, LogConfig, LogManager, TimestampType};
use crate::types::TopicPartition;

/// Metadata and the log map, behind one lock.
pub struct BrokerState {
    /// The committed metadata image this broker last applied.
    pub image: Arc<MetadataImage>,
    /// The topics and dynamic configs of `image`, in the shape handlers answer from.
    pub registry: TopicRegistry,
    pub logs: LogManager,
}

/// One broker.
pub struct Broker {
    pub config: BrokerConfig,
    pub cluster_id: String,
    pub disk: Arc<dyn Disk>,
    state: Mutex<BrokerState>,
    appends: watch::Sender<u64>,
    /// The offset of the last image applied, for callers waiting on a change to show.
    pub(super) applied: watch::Sender<i64>,
    /// This process's registration id: a restart is a new incarnation (KIP-631).
    pub incarnation_id: u128,
    /// The broker epoch of this incarnation's registration, -1 until registered.
    broker_epoch: AtomicI64,
    /// The metadata quorum, once the node has started it.
    quorum: OnceLock<Arc<QuorumService>>,
    /// Whether the disk can still be trusted (see `disk_health`).
    pub health: DiskHealth,
    /// The partitions this broker leads and follows (`replication`).
    pub replicas: Replicas,
}

/// Why the broker could not start.
#[derive(Debug)]
pub enum StartError {
    NoLogDirs,
    Meta(MetaError),
    Registry(RegistryError),
    Storage { error: io::Error },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::NoLogDirs => write!(f, "log.dirs is empty; name at least one directory"),
            StartError::Meta(error) => write!(f, "{error}"),
            StartError::Registry(error) => write!(f, "{error}"),
            StartError::Storage { error } => write!(f, "cannot open the logs: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Why a topic operation was refused; `server::errors` maps each to its Kafka code.
#[derive(Debug)]
pub enum TopicError {
    AlreadyExists,
    UnknownTopic,
    InvalidName(TopicNameError),
    InvalidPartitions {
        requested: i32,
        current: i32,
    },
    InvalidReplicationFactor {
        requested: i32,
        brokers: i32,
    },
    InvalidConfig(ConfigError),
    DeletionDisabled,
    Storage(io::Error),
    /// The controller refused the change.
    Controller(ControllerError),
    /// This node is not the active controller; `leader` is, if known.
    NotController {
        leader: Option<i32>,
    },
    /// The controller could not be reached or did not commit in time; the outcome is unknown.
    Unavailable(String),
}

impl std::fmt::Display for TopicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TopicError::AlreadyExists => write!(f, "topic already exists"),
            TopicError::UnknownTopic => write!(f, "topic does not exist"),
            TopicError::InvalidName(error) => write!(f, "{error}"),
            TopicError::InvalidPartitions { requested, current } if *current > 0 => write!(
                f,
                "topic has {current} partitions; it can only grow, not become {requested}"
            ),
            TopicError::InvalidPartitions { requested, .. } => write!(
                f,
                "{requested} partitions requested; must be between 1 and {TOPIC_PARTITIONS_MAX}"
            ),
            TopicError::InvalidReplicationFactor { requested, brokers } => write!(
                f,
                "replication factor {requested} is larger than the {brokers} available broker(s)"
            ),
            TopicError::InvalidConfig(error) => write!(f, "{error}"),
            TopicError::DeletionDisabled => write!(f, "delete.topic.enable is false"),
            TopicError::Storage(error) => write!(f, "storage error: {error}"),
            TopicError::Controller(error) => write!(f, "{error}"),
            TopicError::NotController {
                leader: Some(leader),
            } => {
                write!(
                    f,
                    "this node is not the active controller; node {leader} is"
                )
            }
            TopicError::NotController { leader: None } => {
                write!(f, "no active controller is known yet; retry")
            }
            TopicError::Unavailable(reason) => write!(f, "{reason}"),
        }
    }
}

impl Broker {
    /// Opens (and recovers) the broker's storage. Metadata arrives later, from the quorum
    /// (`attach_quorum`, then `apply_image`); until then the broker knows no topics.
    pub fn open(
        config: BrokerConfig,
        disk: Arc<dyn Disk>,
        seed: u64,
    ) -> Result<Arc<Broker>, StartError> {
        if config.log_dirs.is_empty() {
            return Err(StartError::NoLogDirs);
        }
        let mut rng = RngStream::new(seed, "broker");
        // Nodes of a multi-node quorum must share a cluster id; they all know the voters.
        let voters = &config.kraft.voters;
        let agreed_by = (voters.len() > 1).then(|| {
            let list: Vec<String> = voters.iter().map(|(id, a)| format!("{id}@{a}")).collect();
            list.join(",")
        });
        let cluster_id = meta_properties::ensure(
            &*disk,
            &config.log_dirs,
            config.node_id,
            &mut rng,
            agreed_by.as_deref(),
        )
        .map_err(StartError::Meta)?;
        let incarnation_id = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        let default_config = log_config_for(&config, &DynamicConfigs::default(), &BTreeMap::new());
        let logs = LogManager::open(
            disk.clone(),
            config.log_dirs.clone(),
            &BTreeMap::new(),
            &default_config,
            unix_time_ms(),
        )
        .map_err(|error| StartError::Storage { error })?;
        let state = BrokerState {
            image: Arc::new(MetadataImage::default()),
            registry: TopicRegistry::default(),
            logs,
        };
        let replicas = Replicas::new(config.node_id, config.replica.lag_time_max_ms);
        let (appends, _) = watch::channel(0);
        let (applied, _) = watch::channel(-1);
        Ok(Arc::new(Broker {
            config,
            cluster_id,
            disk,
            state: Mutex::new(state),
            appends,
            applied,
            incarnation_id,
            broker_epoch: AtomicI64::new(-1),
            quorum: OnceLock::new(),
            health: DiskHealth::default(),
            replicas,
        }))
    }

    /// Connects the broker to the node's metadata quorum (once).
    pub fn attach_quorum(&self, quorum: Arc<QuorumService>) {
        let _ = self.quorum.set(quorum);
    }

    pub fn quorum(&self) -> Option<&Arc<QuorumService>> {
        self.quorum.get()
    }

    /// This incarnation's broker epoch, -1 before it registered.
    pub fn broker_epoch(&self) -> i64 {
        self.broker_epoch.load(Ordering::SeqCst)
    }

    pub fn set_broker_epoch(&self, epoch: i64) {
        self.broker_epoch.store(epoch, Ordering::SeqCst);
    }

    /// The metadata lock. A panic while it was held cannot leave it half-changed in a way a
    /// later reader must not see (every change persists before it is applied), so a poisoned
    /// lock is taken over rather than propagated.
    pub fn state(&self) -> MutexGuard<'_, BrokerState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The image this broker serves from.
    pub fn image(&self) -> Arc<MetadataImage> {
        self.state().image.clone()
    }

    /// The log of one partition, if this broker has it.
    pub fn log(&self, tp: &TopicPartition) -> Option<Arc<Mutex<Log>>> {
        self.state().logs.get(tp)
    }

    /// Tells long-polling fetches that some log grew.
    pub fn notify_append(&self) {
        self.appends
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver that changes whenever some log grows.
    pub fn subscribe_appends(&self) -> watch::Receiver<u64> {
        self.appends.subscribe()
    }

    /// The log settings a topic with `overrides` gets now.
    pub fn log_config(
        &self,
        state: &BrokerState,
        overrides: &BTreeMap<String, String>,
    ) -> LogConfig {
        log_config_for(&self.config, &state.registry.dynamic, overrides)
    }

    /// Checks topic config overrides against the table.
    pub fn validate_topic_configs(configs: &BTreeMap<String, String>) -> Result<(), TopicError> {
        for (key, value) in configs {
            let (_, def) = defs::topic_def(key)
                .ok_or_else(|| TopicError::InvalidConfig(defs::topic_key_error(key)))?;
            defs::validate(def, key, value).map_err(TopicError::InvalidConfig)?;
        }
        Ok(())
    }

    /// Re-applies resolved configs to every open log after a config change.
    pub fn refresh_log_configs(&self, state: &BrokerState) {
        for topic in state.registry.topics() {
            let log_config = self.log_config(state, &topic.configs);
            for partition in 0..topic.partitions {
                if let Some(log) = state.logs.get(&TopicPartition::new(&topic.name, partition)) {
                    lock_log(&log).set_config(log_config.clone());
                }
            }
        }
    }

    /// Flushes logs whose `flush.ms` has passed, as group commits: no lock is held while the
    /// disk works. A failure fails the disk (after a failed fsync the kernel may have dropped
    /// the dirty pages, so a retry would "succeed" without making anything durable).
    pub async fn flush_due(&self) {
        let due = self.state().logs.due_flushes(unix_time_ms());
        for result in wait_all_durable(due).await {
            match result {
                // Deleted or set aside meanwhile: nothing left to flush.
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => {
                    self.health.record("flush", &error);
                    return;
                }
                Ok(()) => {}
            }
        }
    }

    /// Writes the recovery-point, log-start-offset and high-watermark checkpoints on an I/O
    /// thread, holding nothing a request needs; a failure other than a full disk fails the
    /// disk.
    pub async fn checkpoint(&self) {
        let round = self.state().logs.checkpoint_round();
        let written = match round {
            Ok(round) => runtime::io::run(move || round.write()).await,
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            self.health.record("writing checkpoints", &error);
        }
    }

    /// Deletes segments past `retention.ms` / `retention.bytes`, one log at a time without
    /// holding the broker's state. Failures are logged and retried next time.
    pub fn apply_retention(&self) {
        let now_ms = unix_time_ms();
        let mut deleted = 0;
        // Bound first: a guard in the `for` expression would live for the whole loop.
        let logs = self.state().logs.handles();
        for (tp, log) in logs {
            let result = lock_log(&log).delete_old_segments(now_ms);
            match result {
                Ok(count) => deleted += count,
                Err(error) => tracing::error!(partition = %tp, %error, "retention failed"),
            }
        }
        if deleted > 0 {
            tracing::info!(segments = deleted, "retention deleted old segments");
        }
    }

    /// Flushes every log and writes the checkpoints and clean-shutdown markers.
    pub fn shutdown(&self) -> io::Result<()> {
        self.state().logs.shutdown(self.broker_epoch())
    }

    /// The broker epoch this broker's previous process shut down cleanly with, or -1.
    pub fn previous_broker_epoch(&self) -> i64 {
        self.state().logs.previous_broker_epoch()
    }
}

/// A `compression.type` value as the codec batches are stored in (`None`: as produced).
fn compression_codec(value: &str) -> Option<u8> {
    use crate::storage::codec::{CODEC_GZIP, CODEC_LZ4, CODEC_NONE, CODEC_SNAPPY, CODEC_ZSTD};
    match value.trim() {
        "uncompressed" => Some(CODEC_NONE),
        "gzip" => Some(CODEC_GZIP),
        "snappy" => Some(CODEC_SNAPPY),
        "lz4" => Some(CODEC_LZ4),
        "zstd" => Some(CODEC_ZSTD),
        _ => None,
    }
}

/// `min.insync.replicas` as the controller resolves it: the topic's value, else the
/// cluster-wide one, else the static one, never a broker's own (refused while eligible leader
/// replicas are on; one set before is ignored). The ELR is safe only if the leader stops its
/// high watermark at the same minimum the controller decides eligibility by.
fn min_insync_replicas(
    config: &BrokerConfig,
    dynamic: &DynamicConfigs,
    overrides: &BTreeMap<String, String>,
) -> usize {
    let key = crate::core::controller::MIN_INSYNC_REPLICAS;
    let value = (overrides.get(key))
        .or_else(|| dynamic.cluster_default.get(key))
        .cloned()
        .unwrap_or_else(|| config.value(key));
    value.trim().parse().unwrap_or(1)
}

/// Builds a log's settings from resolved topic configs.
pub(super) fn log_config_for(
    config: &BrokerConfig,
    dynamic: &DynamicConfigs,
    overrides: &BTreeMap<String, String>,
) -> LogConfig {
    let resolved = configs::resolve_topic(config, dynamic, overrides);
    let get = |name: &str| -> &str {
        resolved
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| entry.value.as_str())
            .unwrap_or("")
    };
    let number = |name: &str| -> i64 { get(name).trim().parse().unwrap_or(-1) };
    let defaults = LogConfig::default();
    let no_cleanup = get("cleanup.policy").trim().is_empty();
    LogConfig {
        segment_bytes: u64::try_from(number("segment.bytes")).unwrap_or(defaults.segment_bytes),
        segment_ms: number("segment.ms"),
        index_interval_bytes: u64::try_from(number("index.interval.bytes"))
            .unwrap_or(defaults.index_interval_bytes),
        max_message_bytes: usize::try_from(number("max.message.bytes"))
            .unwrap_or(defaults.max_message_bytes),
        message_timestamp_type: if get("message.timestamp.type") == "LogAppendTime" {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        },
        compacted: get("cleanup.policy")
            .split(',')
            .any(|p| p.trim() == "compact"),
        compression: compression_codec(get("compression.type")),
        flush_messages: u64::try_from(number("flush.messages")).unwrap_or(u64::MAX),
        flush_ms: number("flush.ms"),
        // `cleanup.policy=` (neither delete nor compact): nothing is ever cleaned up.
        retention_ms: if no_cleanup {
            -1
        } else {
            number("retention.ms")
        },
        retention_bytes: if no_cleanup {
            -1
        } else {
            number("retention.bytes")
        },
        min_insync_replicas: min_insync_replicas(config, dynamic, overrides),
        unclean_leader_election: get("unclean.leader.election.enable").trim() == "true",
    }
}
