//! Broker configuration with Kafka's key names: a `server.properties` file plus `--override
//! key=value` pairs, validated against the table in [`defs`] at start-up so an unknown key or a
//! bad value is a one-line error before anything touches the disk.
//!
//! Layout: `defs` (the table of keys), `properties` (the file format), `values` (a key's static
//! value and Kafka's derived defaults), `listener` (`NAME://HOST:PORT`), `kraft` (roles, quorum,
//! controller listeners and their rules).

pub mod defs;
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
    /// `advertised.listeners`, else `listeners` without the controller listeners (Kafka's
    /// effective advertised listeners: clients never talk to controllers).
    pub advertised_listeners: Vec<Listener>,
    pub log_dirs: Vec<PathBuf>,
    pub num_partitions: i32,
    pub default_replication_factor: i16,
    pub auto_create_topics_enable: bool,
    pub delete_topic_enable: bool,
    pub socket_request_max_bytes: usize,
    pub flush_scheduler_interval_ms: i64,
    pub checkpoint_interval_ms: i64,
    pub retention_check_interval_ms: i64,
    /// Roles, quorum, controller listeners and KRaft timeouts.
    pub kraft: KraftConfig,
    /// Every key the operator set (file or override), validated; for DescribeConfigs' source.
    pub explicit: BTreeMap<String, String>,
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
    pub fn from_pairs(pairs: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        for (key, value) in &pairs {
            let def = defs::broker_def(key)
                .ok_or_else(|| ConfigError::UnknownKey { key: key.clone() })?;
            defs::validate(def, key, value)?;
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
            flush_scheduler_interval_ms: values.number("log.flush.scheduler.interval.ms"),
            checkpoint_interval_ms: values.number("log.flush.offset.checkpoint.interval.ms"),
            retention_check_interval_ms: values.number("log.retention.check.interval.ms"),
            kraft,
            explicit: pairs,
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

/// `advertised.listeners` if set, else every listener that is not a controller listener.
fn effective_advertised(
    values: &Values,
    listeners: &[Listener],
) -> Result<Vec<Listener>, ConfigError> {
    if let Some(text) = values.explicit("advertised.listeners") {
        return listener::parse_list(text);
    }
    let controller_names = kraft::controller_listener_names(values);
    Ok(listeners
        .iter()
        .filter(|listener| !controller_names.contains(&listener.name))
        .cloned()
        .collect())
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
mod tests {
    use super::*;

    #[test]
    fn no_configuration_is_a_working_single_node() {
        let config = BrokerConfig::load(None, &[]).unwrap();
        assert_eq!(config.node_id, 1);
        assert_eq!(config.listeners[0].bind_addr(), "127.0.0.1:9092");
        assert_eq!(config.advertised_for(&config.listeners[0]).port, 9092);
        assert_eq!(config.log_dirs, vec![PathBuf::from("./weir-data")]);
        assert!(config.auto_create_topics_enable);
        assert_eq!(config.value("log.roll.ms"), "604800000");
        assert_eq!(config.value("log.retention.ms"), "604800000");
    }

    #[test]
    fn background_periods_default_to_kafkas() {
        let config = BrokerConfig::load(None, &[]).unwrap();
        assert_eq!(config.flush_scheduler_interval_ms, 1000);
        assert_eq!(config.checkpoint_interval_ms, 60_000);
        assert_eq!(config.retention_check_interval_ms, 300_000);
        let overrides = vec!["log.flush.offset.checkpoint.interval.ms=5000".to_string()];
        let config = BrokerConfig::load(None, &overrides).unwrap();
        assert_eq!(config.checkpoint_interval_ms, 5000);
    }

    #[test]
    fn overrides_win_and_unknown_keys_fail() {
        let text = "node.id=4\nnum.partitions=2\n";
        let overrides = vec!["num.partitions=6".to_string()];
        let config = BrokerConfig::load(Some(text), &overrides).unwrap();
        assert_eq!((config.node_id, config.num_partitions), (4, 6));
        let error = BrokerConfig::load(None, &["no.such.key=1".to_string()]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown configuration key \"no.such.key\""
        );
        let error = BrokerConfig::load(None, &["num.partitions=zero".to_string()]).unwrap_err();
        assert!(error.to_string().contains("not a number"));
    }

    #[test]
    fn wildcard_listeners_advertise_loopback_and_bad_listeners_fail() {
        let overrides = vec!["listeners=PLAINTEXT://:9093".to_string()];
        let config = BrokerConfig::load(None, &overrides).unwrap();
        assert_eq!(config.listeners[0].bind_addr(), "0.0.0.0:9093");
        assert_eq!(
            config.advertised_for(&config.listeners[0]).host,
            "127.0.0.1"
        );
        let bad = vec!["listeners=127.0.0.1:9092".to_string()];
        assert!(BrokerConfig::load(None, &bad).is_err());
    }
}
