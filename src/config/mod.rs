//! Broker configuration with Kafka's key names: a `server.properties` file plus `--override
//! key=value` pairs, validated against the table in [`defs`] at start-up so an unknown key or a
//! bad value is a one-line error before anything touches the disk.
//!
//! Layout: `defs` (the table of keys), `properties` (the file format), `values` (a key's static
//! value and Kafka's derived defaults), `listener` (`NAME://HOST:PORT`), `kraft` (roles, quorum,
//! controller listeners and their rules).

pub mod defs;
pub mod kafka_keys;
pub mod kraft;
pub mod listener;
pub mod properties;
mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use defs::ConfigError;
pub use kraft::{KraftConfig, KraftError, Roles, SecurityProtocol, VoterAddress};
pub use listener::Listener;

use values::Values;

/// A validated broker configuration.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub node_id: i32,
    pub listeners: Vec<Listener>,
    /// `advertised.listeners`, else `listeners`, without the controller listeners (Kafka's
    /// effective advertised broker listeners: clients never talk to controllers).
    pub advertised_listeners: Vec<Listener>,
    pub log_dirs: Vec<PathBuf>,
    pub num_partitions: i32,
    pub default_replication_factor: i16,
    pub auto_create_topics_enable: bool,
    pub delete_topic_enable: bool,
    pub socket_request_max_bytes: usize,
    /// The broker runtime's worker threads (`num.io.threads`; one per core when unset).
    pub io_threads: usize,
    pub flush_scheduler_interval_ms: i64,
    pub checkpoint_interval_ms: i64,
    pub retention_check_interval_ms: i64,
    /// How followers fetch and how long they may lag (`replica.*`).
    pub replica: ReplicaConfig,
    /// Roles, quorum, controller listeners and KRaft timeouts.
    pub kraft: KraftConfig,
    /// Every key the operator set (file or override) that Weir knows, validated; for
    /// DescribeConfigs' source.
    pub explicit: BTreeMap<String, String>,
    /// Keys of Kafka's broker configuration that were set but that Weir does not act on yet.
    pub not_acted_on: Vec<String>,
    /// Keys neither Weir nor Kafka knows, each with the closest known key.
    pub unknown: Vec<UnknownKey>,
}

/// The broker's `replica.*` settings: how its followers fetch, and how long a follower of a
/// partition it leads may lag before it leaves the ISR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaConfig {
    pub lag_time_max_ms: i64,
    pub fetch_max_bytes: i32,
    pub fetch_response_max_bytes: i32,
    pub fetch_wait_max_ms: i32,
    pub fetch_min_bytes: i32,
    pub fetch_backoff_ms: i64,
}

/// A configuration key nobody knows, and the known key it most likely meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    pub key: String,
    pub closest: &'static str,
}

impl BrokerConfig {
    /// Reads a properties file's text (if any) and applies `key=value` overrides on top.
    pub fn load(properties: Option<&str>, overrides: &[String]) -> Result<Self, LoadError> {
        let mut pairs = match properties {
            Some(text) => properties::parse(text).map_err(LoadError::Properties)?,
            None => BTreeMap::new(),
        };
        for item in overrides {
            let (key, value) = properties::split_pair(item)
                .ok_or_else(|| LoadError::Override { text: item.clone() })?;
            pairs.insert(key, value);
        }
        Self::from_pairs(pairs).map_err(LoadError::Config)
    }

    /// Validates explicit `pairs` and derives the typed configuration.
    /// Keys of Kafka's broker configuration that Weir does not act on are set aside (named in
    /// [`Self::not_acted_on`]), and so are unknown keys ([`Self::unknown`]): Kafka starts with
    /// both, and so does Weir, with a warning.
    pub fn from_pairs(all_pairs: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let bootstrap_servers = all_pairs.get(BOOTSTRAP_SERVERS).cloned();
        refuse_inert_security(&all_pairs)?;
        let mut pairs = BTreeMap::new();
        let mut not_acted_on = Vec::new();
        let mut unknown = Vec::new();
        for (key, value) in all_pairs {
            match defs::broker_def(&key) {
                Some(def) => {
                    defs::validate(def, &key, &value)?;
                    pairs.insert(key, value);
                }
                None if kafka_keys::is_kafka_broker_key(&key) => not_acted_on.push(key),
                None => unknown.push(UnknownKey {
                    closest: kafka_keys::closest_known_key(&key),
                    key,
                }),
            }
        }
        let values = Values::new(&pairs);
        let node_id = match values.explicit("node.id") {
            Some(_) => values.number("node.id") as i32,
            None if values.number("broker.id") >= 0 => values.number("broker.id") as i32,
            None => 1,
        };
        let listeners = listener::parse_list(&values.get("listeners"))?;
        if listeners.is_empty() {
            return Err(ConfigError::InvalidListener {
                value: String::new(),
            });
        }
        let log_dirs: Vec<PathBuf> = values.log_dirs().into_iter().map(PathBuf::from).collect();
        if log_dirs.is_empty() {
            return Err(ConfigError::NoLogDirs);
        }
        let advertised_listeners = effective_advertised(&values, &listeners)?;
        let kraft = KraftConfig::derive(&kraft::Inputs {
            values,
            node_id,
            listeners: &listeners,
            advertised_listeners: &advertised_listeners,
        })?;
        check_bootstrap_servers(bootstrap_servers.as_deref(), &kraft)?;
        Ok(Self {
            node_id,
            listeners,
            advertised_listeners,
            log_dirs,
            num_partitions: values.number("num.partitions") as i32,
            default_replication_factor: values.number("default.replication.factor") as i16,
            auto_create_topics_enable: values.flag("auto.create.topics.enable"),
            delete_topic_enable: values.flag("delete.topic.enable"),
            socket_request_max_bytes: values.number("socket.request.max.bytes") as usize,
            io_threads: values.number("num.io.threads").max(1) as usize,
            flush_scheduler_interval_ms: values.number("log.flush.scheduler.interval.ms"),
            checkpoint_interval_ms: values.number("log.flush.offset.checkpoint.interval.ms"),
            retention_check_interval_ms: values.number("log.retention.check.interval.ms"),
            replica: ReplicaConfig {
                lag_time_max_ms: values.number("replica.lag.time.max.ms"),
                fetch_max_bytes: values.number("replica.fetch.max.bytes") as i32,
                fetch_response_max_bytes: values.number("replica.fetch.response.max.bytes") as i32,
                fetch_wait_max_ms: values.number("replica.fetch.wait.max.ms") as i32,
                fetch_min_bytes: values.number("replica.fetch.min.bytes") as i32,
                fetch_backoff_ms: values.number("replica.fetch.backoff.ms"),
            },
            kraft,
            explicit: pairs,
            not_acted_on,
            unknown,
        })
    }

    /// The effective static value of a broker key: what the operator set, else the value Kafka
    /// derives (`log.roll.ms` from `log.roll.hours`, `log.dirs` from `log.dir`, the
    /// single-node voter, ...), else the default.
    pub fn value(&self, key: &str) -> String {
        let values = Values::new(&self.explicit);
        if values.explicit(key).is_some() {
            return values.get(key);
        }
        match key {
            "advertised.listeners" => listener::join_list(&self.advertised_listeners),
            "controller.quorum.voters" => kraft::voters::join(&self.kraft.voters),
            _ => values.get(key),
        }
    }

    /// The start-up warnings about keys that were set and are not used: one line for Kafka's
    /// keys Weir does not act on yet, one per unknown key.
    pub fn warnings(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.not_acted_on.is_empty() {
            lines.push(format!(
                "accepted but not acted on yet (Kafka broker keys Weir ignores, see \
                 docs/OPERATIONS.md): {}",
                self.not_acted_on.join(", ")
            ));
        }
        for UnknownKey { key, closest } in &self.unknown {
            lines.push(format!(
                "unknown configuration key {key:?} ignored; did you mean {closest:?}?"
            ));
        }
        lines
    }

    /// Whether the operator set `key` (in the file or with an override).
    pub fn is_explicit(&self, key: &str) -> bool {
        self.explicit.contains_key(key)
    }

    /// The listeners that serve clients: every listener not named in
    /// `controller.listener.names` (in the single-node default, that includes the first
    /// listener, which then also carries the node's own controller traffic).
    pub fn broker_listeners(&self) -> Vec<&Listener> {
        if !self.kraft.roles.broker {
            return Vec::new();
        }
        self.listeners
            .iter()
            .filter(|listener| !self.kraft.is_controller_listener_name(&listener.name))
            .collect()
    }

    /// The listener controller traffic arrives on; `None` on a broker-only node.
    pub fn controller_listener(&self) -> Option<&Listener> {
        self.kraft.controller_listener.as_ref()
    }

    /// The listener clients are told about, matched to `listener` by name.
    pub fn advertised_for(&self, listener: &Listener) -> Listener {
        let advertised = self
            .advertised_listeners
            .iter()
            .find(|candidate| candidate.name == listener.name)
            .cloned()
            .unwrap_or_else(|| listener.clone());
        if advertised.is_wildcard() {
            // A wildcard is not an address a client can dial; loopback is right for the
            // single-node default, and anything else needs advertised.listeners set.
            Listener {
                host: "127.0.0.1".to_string(),
                ..advertised
            }
        } else {
            advertised
        }
    }
}

/// `advertised.listeners` if set, else `listeners`, without the controller listeners: clients
/// only talk to brokers. Kafka 4's own server.properties advertises its CONTROLLER listener
/// too (KIP-853: a controller's advertised endpoint), and its brokers leave it out the same way.
fn effective_advertised(
    values: &Values,
    listeners: &[Listener],
) -> Result<Vec<Listener>, ConfigError> {
    let all = match values.explicit("advertised.listeners") {
        Some(text) => listener::parse_list(text)?,
        None => listeners.to_vec(),
    };
    let controller_names = kraft::controller_listener_names(values);
    Ok(all
        .into_iter()
        .filter(|listener| !controller_names.contains(&listener.name))
        .collect())
}

/// KIP-853's dynamic quorum key, which Weir reads only to refuse what it cannot honour.
const BOOTSTRAP_SERVERS: &str = "controller.quorum.bootstrap.servers";

/// `controller.quorum.bootstrap.servers` without `controller.quorum.voters` is a dynamic quorum
/// (KIP-853). Weir has none, but Kafka 4's own server.properties is one: a single node naming
/// its own controller listener, which is the single voter Weir makes of it anyway. Anything
/// more would make each node its own one-voter cluster, so it is refused.
fn check_bootstrap_servers(value: Option<&str>, kraft: &KraftConfig) -> Result<(), ConfigError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(());
    };
    if kraft.voters_configured {
        return Ok(());
    }
    let servers: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let own_port = kraft
        .controller_listener
        .as_ref()
        .map(|listener| listener.port);
    let port_of = |server: &str| {
        server
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
    };
    match servers.as_slice() {
        [only] if own_port.is_some() && port_of(only) == own_port => Ok(()),
        _ => Err(ConfigError::DynamicQuorum {
            bootstrap_servers: value.to_string(),
        }),
    }
}

/// Security keys a Kafka deployment relies on being enforced: Weir enforces none yet, so
/// setting one is an error, not a warning an operator might miss.
fn refuse_inert_security(pairs: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for key in ["authorizer.class.name", "super.users"] {
        if pairs.get(key).is_some_and(|value| !value.trim().is_empty()) {
            return Err(ConfigError::NotSupported {
                key: key.to_string(),
            });
        }
    }
    Ok(())
}

/// Why the configuration could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    Properties(properties::PropertiesError),
    Override { text: String },
    Config(ConfigError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Properties(error) => write!(f, "properties file {error}"),
            LoadError::Override { text } => {
                write!(f, "--override {text:?} is not key=value")
            }
            LoadError::Config(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for LoadError {}

#[cfg(test)]
mod tests;
