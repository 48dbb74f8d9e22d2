//! DescribeConfigs (key 32): every topic or broker config with its value, where the value came
//! from (topic override, dynamic, static, default), its type and documentation.

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::ResponseError;

use std::collections::BTreeMap;

use super::{str_bytes, RequestContext};
use crate::config::defs::{self, is_dynamic_broker_key};
use crate::config::BrokerConfig;
use crate::server::configs::{self, ConfigSource, DynamicConfigs, ResolvedConfig};

/// Kafka's resource types.
pub const RESOURCE_TOPIC: i8 = 2;
pub const RESOURCE_BROKER: i8 = 4;

pub async fn handle(
    ctx: &RequestContext,
    request: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let results = request
        .resources
        .into_iter()
        .map(|resource| {
            describe(
                ctx,
                resource,
                request.include_synonyms,
                request.include_documentation,
            )
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

fn describe(
    ctx: &RequestContext,
    resource: DescribeConfigsResource,
    synonyms: bool,
    documentation: bool,
) -> DescribeConfigsResult {
    let result = DescribeConfigsResult::default()
        .with_resource_type(resource.resource_type)
        .with_resource_name(resource.resource_name.clone());
    let resolved = match resolve(ctx, &resource) {
        Ok(resolved) => resolved,
        Err((error, message)) => {
            return result
                .with_error_code(error.code())
                .with_error_message(Some(str_bytes(message)))
        }
    };
    let wanted = |name: &str| match &resource.configuration_keys {
        Some(keys) => keys.iter().any(|key| key.as_str() == name),
        None => true,
    };
    let is_topic = resource.resource_type == RESOURCE_TOPIC;
    let state = ctx.broker.state();
    let no_overrides = BTreeMap::new();
    let configs = resolved
        .into_iter()
        .filter(|entry| wanted(entry.name))
        .map(|entry| {
            let read_only = !is_topic && !is_dynamic_broker_key(entry.name);
            let synonym_list = if synonyms {
                let overrides = is_topic.then(|| {
                    (state.registry.get(&resource.resource_name))
                        .map(|topic| &topic.configs)
                        .unwrap_or(&no_overrides)
                });
                synonyms_of(
                    &entry,
                    &ctx.broker.config,
                    &state.registry.dynamic,
                    overrides,
                )
            } else {
                Vec::new()
            };
            let value = (is_topic || !reported_as_null(&entry)).then(|| str_bytes(&entry.value));
            DescribeConfigsResourceResult::default()
                .with_name(str_bytes(entry.name))
                .with_value(value)
                .with_read_only(read_only)
                .with_config_source(entry.source.code())
                .with_config_type(entry.kind.code())
                .with_synonyms(synonym_list)
                .with_documentation(documentation.then(|| str_bytes(entry.doc)))
        })
        .collect();
    result.with_configs(configs)
}

fn resolve(
    ctx: &RequestContext,
    resource: &DescribeConfigsResource,
) -> Result<Vec<ResolvedConfig>, (ResponseError, String)> {
    let broker = &ctx.broker;
    let state = broker.state();
    let name = resource.resource_name.as_str();
    match resource.resource_type {
        RESOURCE_TOPIC => {
            let topic = state.registry.get(name).ok_or_else(|| {
                let message = format!("topic {name:?} does not exist");
                (ResponseError::UnknownTopicOrPartition, message)
            })?;
            Ok(configs::resolve_topic(
                &broker.config,
                &state.registry.dynamic,
                &topic.configs,
            ))
        }
        // The cluster-wide default resource holds only what was set on it, as in Kafka.
        RESOURCE_BROKER if name.is_empty() => {
            Ok(configs::resolve_cluster_defaults(&state.registry.dynamic))
        }
        RESOURCE_BROKER if name == broker.config.node_id.to_string() => Ok(defs::BROKER_CONFIGS
            .iter()
            .map(|def| configs::resolve_broker(&broker.config, &state.registry.dynamic, def))
            .collect()),
        RESOURCE_BROKER => Err((
            ResponseError::InvalidRequest,
            format!(
                "broker {name:?} is not this broker ({})",
                broker.config.node_id
            ),
        )),
        other => Err((
            ResponseError::InvalidRequest,
            format!("resource type {other} is not supported; use 2 (topic) or 4 (broker)"),
        )),
    }
}

/// Kafka reports a broker key that has no default of its own and was not set as null, even
/// where its effective value comes from another key (`log.retention.ms` from
/// `log.retention.hours`); `controller.quorum.voters` defaults to an empty list, not null, and
/// Weir reports the voter it derives instead. Topic keys always carry their effective value.
fn reported_as_null(entry: &ResolvedConfig) -> bool {
    entry.source == ConfigSource::Default
        && defs::broker_def(entry.name).is_some_and(|def| def.default.is_empty())
        && entry.name != "controller.quorum.voters"
}

/// Where a value could come from, most specific first, as Kafka lists synonyms: the topic
/// override, then for the broker key behind it the dynamic per-broker value, the dynamic
/// cluster default, the static `server.properties` value and the default (those set only).
fn synonyms_of(
    entry: &ResolvedConfig,
    config: &BrokerConfig,
    dynamic: &DynamicConfigs,
    topic_overrides: Option<&BTreeMap<String, String>>,
) -> Vec<DescribeConfigsSynonym> {
    let synonym = |name: &str, value: &str, source: ConfigSource| {
        DescribeConfigsSynonym::default()
            .with_name(str_bytes(name))
            .with_value(Some(str_bytes(value)))
            .with_source(source.code())
    };
    let mut list = Vec::new();
    let broker_key = match topic_overrides {
        Some(overrides) => {
            if let Some(value) = overrides.get(entry.name) {
                list.push(synonym(entry.name, value, ConfigSource::TopicOverride));
            }
            match defs::topic_def(entry.name) {
                Some((topic, _)) => topic.broker_key,
                None => return list,
            }
        }
        None => entry.name,
    };
    // The cluster-default resource's own values never come from one broker.
    if entry.source != ConfigSource::DynamicDefaultBroker || topic_overrides.is_some() {
        if let Some(value) = dynamic.broker.get(broker_key) {
            list.push(synonym(broker_key, value, ConfigSource::DynamicBroker));
        }
    }
    if let Some(value) = dynamic.cluster_default.get(broker_key) {
        list.push(synonym(
            broker_key,
            value,
            ConfigSource::DynamicDefaultBroker,
        ));
    }
    if config.is_explicit(broker_key) {
        list.push(synonym(
            broker_key,
            &config.value(broker_key),
            ConfigSource::StaticBroker,
        ));
    }
    if let Some(def) = defs::broker_def(broker_key).filter(|def| !def.default.is_empty()) {
        list.push(synonym(broker_key, def.default, ConfigSource::Default));
    }
    list
}
