//! The table of every configuration key Weir knows: broker keys and topic keys, each topic key
//! paired with the broker key that supplies its default (as in Kafka, `segment.bytes` defaults to
//! the broker's `log.segment.bytes`). Parsing, validation and DescribeConfigs all read this one
//! table, so a key cannot be accepted in one place and unknown in another.

use std::fmt;

use super::kraft::KraftError;

/// The type of a configuration value, as DescribeConfigs v3+ reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    List,
}

impl ConfigType {
    /// Kafka's `ConfigType` code in DescribeConfigs responses.
    pub fn code(self) -> i8 {
        match self {
            ConfigType::Boolean => 1,
            ConfigType::String => 2,
            ConfigType::Int => 3,
            ConfigType::Short => 4,
            ConfigType::Long => 5,
            ConfigType::List => 7,
        }
    }
}

/// Extra rules beyond the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    None,
    /// A number at least this large.
    AtLeast(i64),
    /// A number in this inclusive range (Kafka's INT `default.replication.factor` must still
    /// fit the int16 replication factor of CreateTopics).
    Between(i64, i64),
    /// One of these words (a list value: each item one of them).
    OneOf(&'static [&'static str]),
    /// A list of none or more of these words.
    AnyOf(&'static [&'static str]),
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct ConfigDef {
    pub name: &'static str,
    pub kind: ConfigType,
    pub default: &'static str,
    pub rule: Rule,
    pub doc: &'static str,
}

/// A topic key and the broker key that supplies its default.
#[derive(Debug, Clone, Copy)]
pub struct TopicConfigDef {
    pub name: &'static str,
    pub broker_key: &'static str,
}

const fn def(
    name: &'static str,
    kind: ConfigType,
    default: &'static str,
    rule: Rule,
    doc: &'static str,
) -> ConfigDef {
    ConfigDef {
        name,
        kind,
        default,
        rule,
        doc,
    }
}

use ConfigType::{Boolean, Int, List, Long, Short, String as Str};

const CLEANUP_POLICIES: &[&str] = &["delete", "compact"];
const COMPRESSION_TYPES: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];
const PROCESS_ROLES: &[&str] = &["broker", "controller"];

/// Every broker key, with Kafka's defaults (except where a single-node default differs, noted).
pub const BROKER_CONFIGS: &[ConfigDef] = &[
    def(
        "node.id",
        Int,
        "1",
        Rule::AtLeast(0),
        "This broker's id (Weir defaults to 1)",
    ),
    def(
        "broker.id",
        Int,
        "-1",
        Rule::AtLeast(-1),
        "Alias of node.id",
    ),
    def(
        "listeners",
        List,
        "PLAINTEXT://127.0.0.1:9092",
        Rule::None,
        "Addresses to listen on",
    ),
    def(
        "advertised.listeners",
        List,
        "",
        Rule::None,
        "Addresses clients are told to use",
    ),
    def(
        "log.dirs",
        List,
        "./weir-data",
        Rule::None,
        "Directories holding the logs",
    ),
    def(
        "log.dir",
        List,
        "./weir-data",
        Rule::None,
        "Used when log.dirs is not set",
    ),
    def(
        "num.partitions",
        Int,
        "1",
        Rule::AtLeast(1),
        "Partitions of auto-created topics",
    ),
    def(
        "default.replication.factor",
        Int,
        "1",
        Rule::Between(1, i16::MAX as i64),
        "For auto-created topics",
    ),
    def(
        "auto.create.topics.enable",
        Boolean,
        "true",
        Rule::None,
        "Create topics on first use",
    ),
    def(
        "delete.topic.enable",
        Boolean,
        "true",
        Rule::None,
        "Allow DeleteTopics",
    ),
    def(
        "num.io.threads",
        Int,
        "8",
        Rule::AtLeast(1),
        "Runtime workers serving requests: Kafka's request handler threads (Kafka's default is \
         8; Weir's, when unset, is one per core)",
    ),
    def(
        "socket.request.max.bytes",
        Int,
        "104857600",
        Rule::AtLeast(1024),
        "Largest request",
    ),
    def(
        "log.segment.bytes",
        Int,
        "1073741824",
        Rule::AtLeast(14),
        "Segment size",
    ),
    def(
        "log.roll.ms",
        Long,
        "",
        Rule::AtLeast(1),
        "Segment age before rolling",
    ),
    def(
        "log.roll.hours",
        Int,
        "168",
        Rule::AtLeast(1),
        "Used when log.roll.ms is not set",
    ),
    def(
        "log.index.interval.bytes",
        Int,
        "4096",
        Rule::AtLeast(0),
        "Bytes between index entries",
    ),
    def(
        "message.max.bytes",
        Int,
        "1048588",
        Rule::AtLeast(0),
        "Largest record batch",
    ),
    def(
        "log.message.timestamp.type",
        Str,
        "CreateTime",
        Rule::OneOf(TIMESTAMP_TYPES),
        "",
    ),
    def(
        "compression.type",
        Str,
        "producer",
        Rule::OneOf(COMPRESSION_TYPES),
        "The codec batches are stored in; producer keeps each as the producer sent it",
    ),
    def(
        "log.cleanup.policy",
        List,
        "delete",
        Rule::AnyOf(CLEANUP_POLICIES),
        "",
    ),
    def(
        "log.retention.ms",
        Long,
        "",
        Rule::AtLeast(-1),
        "Retention time",
    ),
    def(
        "log.retention.minutes",
        Int,
        "",
        Rule::AtLeast(-1),
        "Used when .ms is not set",
    ),
    def(
        "log.retention.hours",
        Int,
        "168",
        Rule::AtLeast(-1),
        "Used when .ms/.minutes are not",
    ),
    def(
        "log.retention.bytes",
        Long,
        "-1",
        Rule::AtLeast(-1),
        "Retention size per partition",
    ),
    def(
        "log.flush.interval.messages",
        Long,
        "9223372036854775807",
        Rule::AtLeast(1),
        "Messages between fsyncs",
    ),
    def(
        "log.flush.interval.ms",
        Long,
        "",
        Rule::AtLeast(0),
        "Time between fsyncs",
    ),
    def(
        "log.flush.offset.checkpoint.interval.ms",
        Int,
        "60000",
        Rule::AtLeast(1),
        "How often recovery points are checkpointed",
    ),
    def(
        "log.retention.check.interval.ms",
        Long,
        "300000",
        Rule::AtLeast(1),
        "How often retention deletes old segments",
    ),
    def(
        "log.flush.scheduler.interval.ms",
        Long,
        "1000",
        Rule::AtLeast(1),
        "Flush check period",
    ),
    def(
        "min.insync.replicas",
        Int,
        "1",
        Rule::AtLeast(1),
        "Replicas needed for acks=all",
    ),
    def(
        "replica.lag.time.max.ms",
        Long,
        "30000",
        Rule::AtLeast(1),
        "A follower that has not caught up for this long leaves the ISR",
    ),
    def(
        "replica.fetch.max.bytes",
        Int,
        "1048576",
        Rule::AtLeast(0),
        "Bytes a follower asks for per partition in one fetch",
    ),
    def(
        "replica.fetch.response.max.bytes",
        Int,
        "10485760",
        Rule::AtLeast(0),
        "Bytes a follower asks for in one fetch",
    ),
    def(
        "replica.fetch.wait.max.ms",
        Int,
        "500",
        Rule::AtLeast(0),
        "How long a follower's fetch may wait at the leader for data",
    ),
    def(
        "replica.fetch.min.bytes",
        Int,
        "1",
        Rule::AtLeast(1),
        "Bytes a follower's fetch waits for at the leader",
    ),
    def(
        "replica.fetch.backoff.ms",
        Int,
        "1000",
        Rule::AtLeast(0),
        "How long a follower waits after a failed fetch",
    ),
    def(
        "unclean.leader.election.enable",
        Boolean,
        "false",
        Rule::None,
        "",
    ),
    // KRaft (KIP-500, KIP-595, KIP-631); typed and checked in `config::kraft`.
    def(
        "process.roles",
        List,
        "broker,controller",
        Rule::OneOf(PROCESS_ROLES),
        "broker, controller or both (Weir defaults to both)",
    ),
    def(
        "controller.quorum.voters",
        List,
        "",
        Rule::None,
        "The quorum as id@host:port,... (Weir defaults to this node alone)",
    ),
    def(
        "controller.listener.names",
        List,
        "CONTROLLER",
        Rule::None,
        "Listeners that carry controller traffic",
    ),
    def(
        "listener.security.protocol.map",
        Str,
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,\
         SASL_SSL:SASL_SSL",
        Rule::None,
        "Security protocol of each listener name (Weir supports PLAINTEXT only)",
    ),
    def(
        "inter.broker.listener.name",
        Str,
        "",
        Rule::None,
        "Listener brokers use to reach each other (PLAINTEXT when unset)",
    ),
    def(
        "broker.session.timeout.ms",
        Int,
        "9000",
        Rule::AtLeast(1),
        "A broker that does not heartbeat for this long is fenced",
    ),
    def(
        "broker.heartbeat.interval.ms",
        Int,
        "2000",
        Rule::AtLeast(1),
        "Time between broker heartbeats to the controller",
    ),
    // Kafka accepts 0 for the three quorum timeouts; a timer of 0 fires at once, which no
    // quorum survives, so Weir asks for at least 1 ms.
    def(
        "controller.quorum.election.timeout.ms",
        Int,
        "1000",
        Rule::AtLeast(1),
        "Time without a leader before a candidate starts an election",
    ),
    def(
        "controller.quorum.fetch.timeout.ms",
        Int,
        "2000",
        Rule::AtLeast(1),
        "Time without a successful fetch before a follower looks for a new leader",
    ),
    def(
        "controller.quorum.request.timeout.ms",
        Int,
        "2000",
        Rule::AtLeast(1),
        "Time a quorum request may go unanswered",
    ),
    def(
        "auto.leader.rebalance.enable",
        Boolean,
        "true",
        Rule::None,
        "Move leadership back to preferred replicas",
    ),
    def(
        "leader.imbalance.check.interval.seconds",
        Long,
        "300",
        Rule::AtLeast(1),
        "How often leader imbalance is checked",
    ),
    def(
        "metadata.log.dir",
        Str,
        "",
        Rule::None,
        "Where the metadata log lives (the first log dir when unset)",
    ),
    def(
        "metadata.log.max.record.bytes.between.snapshots",
        Long,
        "20971520",
        Rule::AtLeast(1),
        "Metadata log bytes between snapshots",
    ),
    def(
        "metadata.max.idle.interval.ms",
        Int,
        "500",
        Rule::AtLeast(0),
        "How often an idle controller appends a no-op record (0 disables)",
    ),
];

/// Every topic key, with the broker key that supplies its default.
pub const TOPIC_CONFIGS: &[TopicConfigDef] = &[
    topic("cleanup.policy", "log.cleanup.policy"),
    topic("compression.type", "compression.type"),
    topic("flush.messages", "log.flush.interval.messages"),
    topic("flush.ms", "log.flush.interval.ms"),
    topic("index.interval.bytes", "log.index.interval.bytes"),
    topic("max.message.bytes", "message.max.bytes"),
    topic("message.timestamp.type", "log.message.timestamp.type"),
    topic("min.insync.replicas", "min.insync.replicas"),
    topic("retention.bytes", "log.retention.bytes"),
    topic("retention.ms", "log.retention.ms"),
    topic("segment.bytes", "log.segment.bytes"),
    topic("segment.ms", "log.roll.ms"),
    topic(
        "unclean.leader.election.enable",
        "unclean.leader.election.enable",
    ),
];

const fn topic(name: &'static str, broker_key: &'static str) -> TopicConfigDef {
    TopicConfigDef { name, broker_key }
}

/// Broker keys an operator may change at run time with IncrementalAlterConfigs (the
/// cluster-wide topic defaults, as Kafka allows).
pub fn is_dynamic_broker_key(name: &str) -> bool {
    TOPIC_CONFIGS.iter().any(|topic| topic.broker_key == name)
}

/// Looks up a broker key.
pub fn broker_def(name: &str) -> Option<&'static ConfigDef> {
    BROKER_CONFIGS.iter().find(|def| def.name == name)
}

/// Why a topic key outside the table is refused: Kafka's own keys are named as not supported
/// yet, anything else as unknown.
pub fn topic_key_error(key: &str) -> ConfigError {
    let key = key.to_string();
    if super::kafka_keys::is_kafka_topic_key(&key) {
        ConfigError::NotSupported { key }
    } else {
        ConfigError::UnknownKey { key }
    }
}

/// Looks up a topic key; returns the topic key's definition and the broker key's definition.
pub fn topic_def(name: &str) -> Option<(&'static TopicConfigDef, &'static ConfigDef)> {
    let topic = TOPIC_CONFIGS.iter().find(|def| def.name == name)?;
    Some((topic, broker_def(topic.broker_key)?))
}

/// Why a configuration value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    UnknownKey {
        key: String,
    },
    /// One of Kafka's keys that Weir does not implement yet.
    NotSupported {
        key: String,
    },
    NotANumber {
        key: String,
        value: String,
    },
    NotABoolean {
        key: String,
        value: String,
    },
    TooSmall {
        key: String,
        value: String,
        min: i64,
    },
    TooLarge {
        key: String,
        value: String,
        max: i64,
    },
    NotOneOf {
        key: String,
        value: String,
        allowed: &'static [&'static str],
    },
    InvalidListener {
        value: String,
    },
    ReadOnly {
        key: String,
    },
    /// `log.dirs` (or `log.dir`) set to nothing.
    NoLogDirs,
    /// `controller.quorum.bootstrap.servers` naming more than this node, without voters.
    DynamicQuorum {
        bootstrap_servers: String,
    },
    Kraft(KraftError),
}

impl From<KraftError> for ConfigError {
    fn from(error: KraftError) -> Self {
        ConfigError::Kraft(error)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownKey { key } => write!(f, "unknown configuration key {key:?}"),
            ConfigError::NotSupported { key } => {
                write!(f, "{key} is a Kafka config that Weir does not support yet")
            }
            ConfigError::DynamicQuorum { bootstrap_servers } => write!(
                f,
                "controller.quorum.bootstrap.servers={bootstrap_servers} without \
                 controller.quorum.voters is a dynamic quorum (KIP-853), which Weir does not \
                 support: list the voters in controller.quorum.voters (a single node may name \
                 only its own controller listener)"
            ),
            ConfigError::NotANumber { key, value } => {
                write!(f, "{key}={value:?} is not a number")
            }
            ConfigError::NotABoolean { key, value } => {
                write!(f, "{key}={value:?} is not true or false")
            }
            ConfigError::TooSmall { key, value, min } => {
                write!(f, "{key}={value} is below the minimum {min}")
            }
            ConfigError::TooLarge { key, value, max } => {
                write!(f, "{key}={value} is above the maximum {max}")
            }
            ConfigError::NotOneOf {
                key,
                value,
                allowed,
            } => write!(f, "{key}={value:?} must be one of {}", allowed.join(", ")),
            ConfigError::InvalidListener { value } => write!(
                f,
                "listener {value:?} is not NAME://HOST:PORT (e.g. PLAINTEXT://127.0.0.1:9092)"
            ),
            ConfigError::ReadOnly { key } => {
                write!(f, "{key} cannot be changed while the broker runs")
            }
            ConfigError::NoLogDirs => write!(f, "log.dirs names no directory"),
            ConfigError::Kraft(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Checks `value` against the definition's type and rule.
pub fn validate(def: &ConfigDef, key: &str, value: &str) -> Result<(), ConfigError> {
    let owned = |v: &str| (key.to_string(), v.to_string());
    match def.kind {
        Int | Short | Long => {
            let number: i64 = value.trim().parse().map_err(|_| {
                let (key, value) = owned(value);
                ConfigError::NotANumber { key, value }
            })?;
            let fits = match def.kind {
                Int => i32::try_from(number).is_ok(),
                Short => i16::try_from(number).is_ok(),
                _ => true,
            };
            if !fits {
                let (key, value) = owned(value);
                return Err(ConfigError::NotANumber { key, value });
            }
            let (min, max) = match def.rule {
                Rule::AtLeast(min) => (min, i64::MAX),
                Rule::Between(min, max) => (min, max),
                _ => (i64::MIN, i64::MAX),
            };
            if number < min {
                let (key, value) = owned(value);
                return Err(ConfigError::TooSmall { key, value, min });
            }
            if number > max {
                let (key, value) = owned(value);
                return Err(ConfigError::TooLarge { key, value, max });
            }
        }
        Boolean => {
            if !matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "false") {
                let (key, value) = owned(value);
                return Err(ConfigError::NotABoolean { key, value });
            }
        }
        // An empty list is no item at all (Kafka 4 accepts `cleanup.policy=`).
        List if value.trim().is_empty() && matches!(def.rule, Rule::AnyOf(_)) => {}
        Str | List => {
            if let Rule::OneOf(allowed) | Rule::AnyOf(allowed) = def.rule {
                let items: Vec<&str> = value.split(',').map(str::trim).collect();
                if items.iter().any(|item| !allowed.contains(item)) {
                    let (key, value) = owned(value);
                    return Err(ConfigError::NotOneOf {
                        key,
                        value,
                        allowed,
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_key_has_a_broker_default() {
        for topic in TOPIC_CONFIGS {
            assert!(broker_def(topic.broker_key).is_some(), "{}", topic.name);
        }
    }

    #[test]
    fn validation_table() {
        let policy = broker_def("log.cleanup.policy").unwrap();
        assert!(validate(policy, "cleanup.policy", "").is_ok());
        assert!(validate(policy, "cleanup.policy", "compact,delete").is_ok());
        assert!(validate(policy, "cleanup.policy", "bogus").is_err());
        let roles = broker_def("process.roles").unwrap();
        assert!(validate(roles, "process.roles", "").is_err());
        let factor = broker_def("default.replication.factor").unwrap();
        assert!(matches!(
            validate(factor, "default.replication.factor", "40000"),
            Err(ConfigError::TooLarge { max: 32767, .. })
        ));
        let segment = broker_def("log.segment.bytes").unwrap();
        assert!(validate(segment, "segment.bytes", "1048576").is_ok());
        assert!(matches!(
            validate(segment, "segment.bytes", "10"),
            Err(ConfigError::TooSmall { min: 14, .. })
        ));
        assert!(matches!(
            validate(segment, "segment.bytes", "5000000000"),
            Err(ConfigError::NotANumber { .. })
        ));
        let policy = broker_def("log.cleanup.policy").unwrap();
        assert!(validate(policy, "cleanup.policy", "compact,delete").is_ok());
        assert!(validate(policy, "cleanup.policy", "shred").is_err());
        let unclean = broker_def("unclean.leader.election.enable").unwrap();
        assert!(validate(unclean, "unclean.leader.election.enable", "TRUE").is_ok());
        assert!(validate(unclean, "unclean.leader.election.enable", "yes").is_err());
    }
}
