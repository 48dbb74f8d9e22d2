//! The broker's shared state: configuration, the topic registry, the log manager, and the
//! notification that wakes long-polling fetches when data arrives.
//!
//! Lock order: `state` (registry + log map) before any one partition's `Log`; the `state` lock
//! is held only to look things up or change metadata, never across an await or a data append.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use super::configs::{self, DynamicConfigs};
use super::disk_health::DiskHealth;
use super::meta_properties::{self, MetaError};
use super::topic_name::{self, TopicNameError};
use super::topics::{RegistryError, TopicMeta, TopicRegistry, REGISTRY_FILE};
use crate::config::defs::{self, ConfigError};
use crate::config::BrokerConfig;
use crate::limits::TOPIC_PARTITIONS_MAX;
use crate::runtime::{sync::watch, unix_time_ms, RngStream};
use crate::storage::{Disk, Log, LogConfig, LogManager, TimestampType};
use crate::types::TopicPartition;

/// Metadata and the log map, behind one lock.
pub struct BrokerState {
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
    rng: Mutex<RngStream>,
    /// Whether the disk can still be trusted (see `disk_health`).
    pub health: DiskHealth,
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
    InvalidPartitions { requested: i32, current: i32 },
    InvalidReplicationFactor { requested: i32, brokers: i32 },
    InvalidConfig(ConfigError),
    DeletionDisabled,
    Storage(io::Error),
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
        }
    }
}

impl Broker {
    /// Opens (and recovers) the broker's storage.
    pub fn open(
        config: BrokerConfig,
        disk: Arc<dyn Disk>,
        seed: u64,
    ) -> Result<Arc<Broker>, StartError> {
        let first_dir = config
            .log_dirs
            .first()
            .ok_or(StartError::NoLogDirs)?
            .clone();
        let mut rng = RngStream::new(seed, "broker");
        let cluster_id =
            meta_properties::ensure(&*disk, &config.log_dirs, config.node_id, &mut rng)
                .map_err(StartError::Meta)?;
        let registry = TopicRegistry::load(&*disk, first_dir.join(REGISTRY_FILE))
            .map_err(StartError::Registry)?;
        let mut topic_configs = BTreeMap::new();
        for topic in registry.topics() {
            let log_config = log_config_for(&config, &registry.dynamic, &topic.configs);
            topic_configs.insert(topic.name.clone(), log_config);
        }
        let default_config = log_config_for(&config, &registry.dynamic, &BTreeMap::new());
        let now_ms = unix_time_ms();
        let logs = LogManager::open(
            disk.clone(),
            config.log_dirs.clone(),
            &topic_configs,
            &default_config,
            now_ms,
        )
        .map_err(|error| StartError::Storage { error })?;
        let mut state = BrokerState { registry, logs };
        reconcile(&mut state, &topic_configs, now_ms)
            .map_err(|error| StartError::Storage { error })?;
        single_replica_high_watermarks(&state);
        let (appends, _) = watch::channel(0);
        Ok(Arc::new(Broker {
            config,
            cluster_id,
            disk,
            state: Mutex::new(state),
            appends,
            rng: Mutex::new(rng),
            health: DiskHealth::default(),
        }))
    }

    /// The metadata lock. A panic while it was held cannot leave it half-changed in a way a
    /// later reader must not see (every change persists before it is applied), so a poisoned
    /// lock is taken over rather than propagated.
    pub fn state(&self) -> MutexGuard<'_, BrokerState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
            let (_, def) = defs::topic_def(key).ok_or_else(|| {
                TopicError::InvalidConfig(ConfigError::UnknownKey { key: key.clone() })
            })?;
            defs::validate(def, key, value).map_err(TopicError::InvalidConfig)?;
        }
        Ok(())
    }

    /// Creates a topic (or only validates the request).
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<TopicMeta, TopicError> {
        topic_name::validate_topic_name(name).map_err(TopicError::InvalidName)?;
        let partitions = if partitions == -1 {
            self.config.num_partitions
        } else {
            partitions
        };
        if !(1..=TOPIC_PARTITIONS_MAX).contains(&partitions) {
            return Err(TopicError::InvalidPartitions {
                requested: partitions,
                current: 0,
            });
        }
        let replication_factor = if replication_factor == -1 {
            self.config.default_replication_factor
        } else {
            replication_factor
        };
        let brokers = 1;
        if replication_factor < 1 || i32::from(replication_factor) > brokers {
            return Err(TopicError::InvalidReplicationFactor {
                requested: i32::from(replication_factor),
                brokers,
            });
        }
        Self::validate_topic_configs(&configs)?;
        let mut state = self.state();
        if state.registry.get(name).is_some() {
            return Err(TopicError::AlreadyExists);
        }
        let topic = TopicMeta {
            name: name.to_string(),
            topic_id: self.new_topic_id().to_string(),
            partitions,
            replication_factor,
            configs,
        };
        if validate_only {
            return Ok(topic);
        }
        if topic_name::collides_in_metrics(name) {
            tracing::warn!(
                topic = name,
                "topic names mixing '.' and '_' collide in metrics"
            );
        }
        state.registry.insert(topic.clone());
        if let Err(error) = state.registry.save(&*self.disk) {
            state.registry.remove(name);
            return Err(TopicError::Storage(error));
        }
        let log_config = self.log_config(&state, &topic.configs);
        for partition in 0..partitions {
            let tp = TopicPartition::new(name, partition);
            state
                .logs
                .create_log(&tp, log_config.clone(), unix_time_ms())
                .map_err(TopicError::Storage)?;
            crate::event!("leader {tp} epoch=0 log_start=0 hw=0 leo=0");
        }
        tracing::info!(topic = name, partitions, "created topic");
        Ok(topic)
    }

    /// Deletes a topic and its logs.
    pub fn delete_topic(&self, name: &str) -> Result<TopicMeta, TopicError> {
        if !self.config.delete_topic_enable {
            return Err(TopicError::DeletionDisabled);
        }
        let mut state = self.state();
        let topic = state
            .registry
            .remove(name)
            .ok_or(TopicError::UnknownTopic)?;
        // The registry is the source of truth: once it no longer names the topic, a crash
        // mid-way through removing the logs is finished by the next start's reconcile.
        if let Err(error) = state.registry.save(&*self.disk) {
            state.registry.insert(topic);
            return Err(TopicError::Storage(error));
        }
        for partition in 0..topic.partitions {
            let tp = TopicPartition::new(name, partition);
            state.logs.delete_log(&tp).map_err(TopicError::Storage)?;
        }
        tracing::info!(topic = name, "deleted topic");
        Ok(topic)
    }

    /// Grows a topic to `total` partitions.
    pub fn add_partitions(
        &self,
        name: &str,
        total: i32,
        validate_only: bool,
    ) -> Result<(), TopicError> {
        let mut state = self.state();
        let topic = state
            .registry
            .get(name)
            .ok_or(TopicError::UnknownTopic)?
            .clone();
        if total <= topic.partitions || total > TOPIC_PARTITIONS_MAX {
            return Err(TopicError::InvalidPartitions {
                requested: total,
                current: topic.partitions,
            });
        }
        if validate_only {
            return Ok(());
        }
        if let Some(entry) = state.registry.get_mut(name) {
            entry.partitions = total;
        }
        if let Err(error) = state.registry.save(&*self.disk) {
            state.registry.insert(topic);
            return Err(TopicError::Storage(error));
        }
        let log_config = self.log_config(&state, &topic.configs);
        for partition in topic.partitions..total {
            let tp = TopicPartition::new(name, partition);
            state
                .logs
                .create_log(&tp, log_config.clone(), unix_time_ms())
                .map_err(TopicError::Storage)?;
            crate::event!("leader {tp} epoch=0 log_start=0 hw=0 leo=0");
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

    /// Flushes logs whose `flush.ms` has passed; a failure fails the disk.
    pub fn flush_due(&self) {
        if let Err(error) = self.state().logs.flush_due(unix_time_ms()) {
            self.health.record("flush", &error);
        }
    }

    /// Writes the recovery-point, log-start-offset and high-watermark checkpoints; a failure
    /// other than a full disk fails the disk.
    pub fn checkpoint(&self) {
        if let Err(error) = self.state().logs.checkpoint() {
            self.health.record("writing checkpoints", &error);
        }
    }

    /// Deletes segments past `retention.ms` / `retention.bytes`.
    pub fn apply_retention(&self) {
        let deleted = self.state().logs.delete_old_segments(unix_time_ms());
        if deleted > 0 {
            tracing::info!(segments = deleted, "retention deleted old segments");
        }
    }

    /// Flushes every log and writes the checkpoints and clean-shutdown markers.
    pub fn shutdown(&self) -> io::Result<()> {
        self.state().logs.shutdown()
    }

    fn new_topic_id(&self) -> uuid::Uuid {
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bits = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        // Version 4 / RFC 4122 variant bits, so tools that inspect ids see a valid UUID.
        uuid::Uuid::from_u128((bits & !(0xf << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62))
    }
}

/// Locks one partition's log (see [`Broker::state`] on poisoning).
pub fn lock_log(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes the logs match the registry: creates partitions it names but the disk lacks (a crash
/// after the registry was saved), removes logs of topics it does not name (a crash mid-delete).
fn reconcile(
    state: &mut BrokerState,
    configs: &BTreeMap<String, LogConfig>,
    now_ms: i64,
) -> io::Result<()> {
    for tp in state.logs.partitions() {
        let known = state
            .registry
            .get(&tp.topic)
            .is_some_and(|topic| tp.partition < topic.partitions);
        if !known {
            tracing::warn!(partition = %tp, "removing a log the topic registry does not name");
            state.logs.delete_log(&tp)?;
        }
    }
    let topics: Vec<TopicMeta> = state.registry.topics().cloned().collect();
    for topic in topics {
        for partition in 0..topic.partitions {
            let tp = TopicPartition::new(&topic.name, partition);
            if state.logs.get(&tp).is_none() {
                let config = configs.get(&topic.name).cloned().unwrap_or_default();
                state.logs.create_log(&tp, config, now_ms)?;
            }
        }
    }
    Ok(())
}

/// On one node the ISR is this replica alone, so everything in a log is replicated to the
/// whole ISR: the high watermark is the log end offset. After a crash the high-watermark
/// checkpoint is stale (it is written at clean shutdown), so it is set here, not trusted.
fn single_replica_high_watermarks(state: &BrokerState) {
    for tp in state.logs.partitions() {
        if let Some(log) = state.logs.get(&tp) {
            let mut log = lock_log(&log);
            let end = log.log_end_offset();
            log.set_high_watermark(end);
        }
    }
}

/// Builds a log's settings from resolved topic configs.
fn log_config_for(
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
        flush_messages: u64::try_from(number("flush.messages")).unwrap_or(u64::MAX),
        flush_ms: number("flush.ms"),
        retention_ms: number("retention.ms"),
        retention_bytes: number("retention.bytes"),
    }
}
