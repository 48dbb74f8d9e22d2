//! Resolving configuration values the way Kafka does: a topic override wins, then a dynamic
//! per-broker value, then a dynamic cluster-wide default, then the static `server.properties`
//! value, then the built-in default. DescribeConfigs reports which of these supplied each value.

use std::collections::BTreeMap;

use crate::config::defs::{self, ConfigType};
use crate::config::BrokerConfig;

/// Where a value came from (Kafka's `ConfigSource` codes in DescribeConfigs v1+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    TopicOverride,
    DynamicBroker,
    DynamicDefaultBroker,
    StaticBroker,
    Default,
}

impl ConfigSource {
    pub fn code(self) -> i8 {
        match self {
            ConfigSource::TopicOverride => 1,
            ConfigSource::DynamicBroker => 2,
            ConfigSource::DynamicDefaultBroker => 3,
            ConfigSource::StaticBroker => 4,
            ConfigSource::Default => 5,
        }
    }
}

/// Broker configs changed at run time with IncrementalAlterConfigs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DynamicConfigs {
    /// Set on this broker's own resource (name = node id).
    pub broker: BTreeMap<String, String>,
    /// Set on the cluster-default resource (empty name).
    pub cluster_default: BTreeMap<String, String>,
}

/// A resolved value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    pub name: &'static str,
    pub value: String,
    pub source: ConfigSource,
    pub kind: ConfigType,
    pub doc: &'static str,
}

/// The effective value of a broker key.
pub fn resolve_broker(
    config: &BrokerConfig,
    dynamic: &DynamicConfigs,
    def: &'static defs::ConfigDef,
) -> ResolvedConfig {
    let (value, source) = if let Some(value) = dynamic.broker.get(def.name) {
        (value.clone(), ConfigSource::DynamicBroker)
    } else if let Some(value) = dynamic.cluster_default.get(def.name) {
        (value.clone(), ConfigSource::DynamicDefaultBroker)
    } else if config.is_explicit(def.name) {
        (config.value(def.name), ConfigSource::StaticBroker)
    } else if def.name == "broker.id" && config.is_explicit("node.id") {
        // Kafka reports the id under both names, set by either.
        (config.node_id.to_string(), ConfigSource::StaticBroker)
    } else {
        (config.value(def.name), ConfigSource::Default)
    };
    ResolvedConfig {
        name: def.name,
        value,
        source,
        kind: def.kind,
        doc: def.doc,
    }
}

/// What was set on the cluster-wide default resource (`""`), and nothing else, as Kafka
/// describes it.
pub fn resolve_cluster_defaults(dynamic: &DynamicConfigs) -> Vec<ResolvedConfig> {
    defs::BROKER_CONFIGS
        .iter()
        .filter_map(|def| {
            let value = dynamic.cluster_default.get(def.name)?;
            Some(ResolvedConfig {
                name: def.name,
                value: value.clone(),
                source: ConfigSource::DynamicDefaultBroker,
                kind: def.kind,
                doc: def.doc,
            })
        })
        .collect()
}

/// The effective value of every topic key for a topic with `overrides`.
pub fn resolve_topic(
    config: &BrokerConfig,
    dynamic: &DynamicConfigs,
    overrides: &BTreeMap<String, String>,
) -> Vec<ResolvedConfig> {
    defs::TOPIC_CONFIGS
        .iter()
        .filter_map(|topic| {
            let broker_def = defs::broker_def(topic.broker_key)?;
            let inherited = resolve_broker(config, dynamic, broker_def);
            let resolved = match overrides.get(topic.name) {
                Some(value) => ResolvedConfig {
                    value: value.clone(),
                    source: ConfigSource::TopicOverride,
                    ..inherited
                },
                None => inherited,
            };
            Some(ResolvedConfig {
                name: topic.name,
                ..resolved
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(resolved: &[ResolvedConfig], name: &str) -> (String, ConfigSource) {
        let entry = resolved.iter().find(|entry| entry.name == name).unwrap();
        (entry.value.clone(), entry.source)
    }

    #[test]
    fn precedence_topic_then_dynamic_then_static_then_default() {
        let config = BrokerConfig::load(None, &["log.segment.bytes=2000000".into()]).unwrap();
        let mut dynamic = DynamicConfigs::default();
        let mut overrides = BTreeMap::new();
        let resolved = resolve_topic(&config, &dynamic, &overrides);
        assert_eq!(
            value_of(&resolved, "segment.bytes"),
            ("2000000".into(), ConfigSource::StaticBroker)
        );
        assert_eq!(
            value_of(&resolved, "retention.ms"),
            ("604800000".into(), ConfigSource::Default)
        );
        dynamic
            .cluster_default
            .insert("log.segment.bytes".into(), "3000000".into());
        let resolved = resolve_topic(&config, &dynamic, &overrides);
        assert_eq!(
            value_of(&resolved, "segment.bytes"),
            ("3000000".into(), ConfigSource::DynamicDefaultBroker)
        );
        dynamic
            .broker
            .insert("log.segment.bytes".into(), "4000000".into());
        overrides.insert("segment.bytes".into(), "5000000".into());
        let resolved = resolve_topic(&config, &dynamic, &overrides);
        assert_eq!(
            value_of(&resolved, "segment.bytes"),
            ("5000000".into(), ConfigSource::TopicOverride)
        );
        // The cluster-default resource shows its own value, not this broker's over it.
        let defaults = resolve_cluster_defaults(&dynamic);
        assert_eq!(
            value_of(&defaults, "log.segment.bytes"),
            ("3000000".into(), ConfigSource::DynamicDefaultBroker)
        );
        assert_eq!(defaults.len(), 1);
    }
}
