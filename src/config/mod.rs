//! Broker configuration with Kafka's key names: a `server.properties` file plus `--override
//! key=value` pairs, validated against the table in [`defs`] at start-up so an unknown key or a
//! bad value is a one-line error before anything touches the disk.

pub mod defs;
pub mod properties;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use defs::ConfigError;

/// One `NAME://HOST:PORT` listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
}

impl Listener {
    /// Parses `PLAINTEXT://127.0.0.1:9092` (an empty host means every interface).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidListener {
            value: text.to_string(),
        };
        let (name, rest) = text.trim().split_once("://").ok_or_else(invalid)?;
        let (host, port) = rest.rsplit_once(':').ok_or_else(invalid)?;
        let port: u16 = port.parse().map_err(|_| invalid())?;
        if name.is_empty() {
            return Err(invalid());
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        Ok(Self {
            name: name.to_string(),
            host,
            port,
        })
    }

    /// The address to bind: an empty host binds every interface.
    pub fn bind_addr(&self) -> String {
        let host = if self.host.is_empty() {
            "0.0.0.0"
        } else {
            &self.host
        };
        join_host_port(host, self.port)
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}",
            self.name,
            join_host_port(&self.host, self.port)
        )
    }
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A validated broker configuration.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub node_id: i32,
    pub listeners: Vec<Listener>,
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
        let mut config = Self {
            node_id: 1,
            listeners: Vec::new(),
            advertised_listeners: Vec::new(),
            log_dirs: Vec::new(),
            num_partitions: 1,
            default_replication_factor: 1,
            auto_create_topics_enable: true,
            delete_topic_enable: true,
            socket_request_max_bytes: crate::limits::SOCKET_REQUEST_BYTES_MAX_DEFAULT,
            flush_scheduler_interval_ms: 1000,
            checkpoint_interval_ms: 60_000,
            retention_check_interval_ms: 300_000,
            explicit: pairs,
        };
        config.derive()?;
        Ok(config)
    }

    fn derive(&mut self) -> Result<(), ConfigError> {
        let number =
            |this: &Self, key: &str| -> i64 { this.value(key).trim().parse().unwrap_or_default() };
        self.node_id = match self.explicit.get("node.id") {
            Some(_) => number(self, "node.id") as i32,
            None if number(self, "broker.id") >= 0 => number(self, "broker.id") as i32,
            None => 1,
        };
        self.listeners = parse_listeners(&self.value("listeners"))?;
        let advertised = self.value("advertised.listeners");
        self.advertised_listeners = parse_listeners(&advertised)?;
        let dirs = self.value("log.dirs");
        self.log_dirs = dirs
            .split(',')
            .map(str::trim)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .collect();
        self.num_partitions = number(self, "num.partitions") as i32;
        self.default_replication_factor = number(self, "default.replication.factor") as i16;
        self.auto_create_topics_enable = self.flag("auto.create.topics.enable");
        self.delete_topic_enable = self.flag("delete.topic.enable");
        self.socket_request_max_bytes = number(self, "socket.request.max.bytes") as usize;
        self.flush_scheduler_interval_ms = number(self, "log.flush.scheduler.interval.ms");
        self.checkpoint_interval_ms = number(self, "log.flush.offset.checkpoint.interval.ms");
        self.retention_check_interval_ms = number(self, "log.retention.check.interval.ms");
        if self.listeners.is_empty() {
            return Err(ConfigError::InvalidListener {
                value: String::new(),
            });
        }
        Ok(())
    }

    fn flag(&self, key: &str) -> bool {
        self.value(key).trim().eq_ignore_ascii_case("true")
    }

    /// The effective static value of a broker key: what the operator set, else the value Kafka
    /// derives (`log.roll.ms` from `log.roll.hours`, `log.dirs` from `log.dir`, ...), else the
    /// default.
    pub fn value(&self, key: &str) -> String {
        if let Some(value) = self.explicit.get(key) {
            return value.clone();
        }
        let hours_ms = |key: &str, factor: i64| {
            let value: i64 = self.value(key).parse().unwrap_or(-1);
            if value < 0 {
                "-1".to_string()
            } else {
                (value * factor).to_string()
            }
        };
        match key {
            "log.roll.ms" => hours_ms("log.roll.hours", 3_600_000),
            "log.retention.ms" if self.explicit.contains_key("log.retention.minutes") => {
                hours_ms("log.retention.minutes", 60_000)
            }
            "log.retention.ms" => hours_ms("log.retention.hours", 3_600_000),
            "log.flush.interval.ms" => i64::MAX.to_string(),
            "advertised.listeners" => self.value("listeners"),
            "log.dirs" if self.explicit.contains_key("log.dir") => self.value("log.dir"),
            _ => defs::broker_def(key)
                .map(|def| def.default.to_string())
                .unwrap_or_default(),
        }
    }

    /// Whether the operator set `key` (in the file or with an override).
    pub fn is_explicit(&self, key: &str) -> bool {
        self.explicit.contains_key(key)
    }

    /// The listener clients are told about, matched to `listener` by name.
    pub fn advertised_for(&self, listener: &Listener) -> Listener {
        let advertised = self
            .advertised_listeners
            .iter()
            .find(|candidate| candidate.name == listener.name)
            .cloned()
            .unwrap_or_else(|| listener.clone());
        if advertised.host.is_empty() || advertised.host == "0.0.0.0" {
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

fn parse_listeners(text: &str) -> Result<Vec<Listener>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(Listener::parse)
        .collect()
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
