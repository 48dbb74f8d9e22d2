//! DescribeConfigs (key 32): every topic or broker config with its value, where the value came
//! from (topic override, dynamic, static, default), its type and documentation.

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::ResponseError;

use super::{str_bytes, RequestContext};
use crate::config::defs::{self, is_dynamic_broker_key};
use crate::server::configs::{self, ConfigSource, ResolvedConfig};

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
    let configs = resolved
        .into_iter()
        .filter(|entry| wanted(entry.name))
        .map(|entry| {
            let read_only = !is_topic && !is_dynamic_broker_key(entry.name);
            let synonym_list = if synonyms {
                synonyms_of(&entry)
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
        RESOURCE_BROKER if name.is_empty() => Ok(defs::BROKER_CONFIGS
            .iter()
            .filter(|def| state.registry.dynamic.cluster_default.contains_key(def.name))
            .map(|def| configs::resolve_broker(&broker.config, &state.registry.dynamic, def))
            .collect()),
        RESOURCE_BROKER if name == broker.config.node_id.to_string() => {
            Ok(defs::BROKER_CONFIGS
                .iter()
                .map(|def| configs::resolve_broker(&broker.config, &state.registry.dynamic, def))
                .collect())
        }
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

/// The value itself, then (for an override) the default it overrides.
fn synonyms_of(entry: &ResolvedConfig) -> Vec<DescribeConfigsSynonym> {
    let mut list = vec![DescribeConfigsSynonym::default()
        .with_name(str_bytes(entry.name))
        .with_value(Some(str_bytes(entry.value.clone())))
        .with_source(entry.source.code())];
    let default = defs::topic_def(entry.name)
        .map(|(_, def)| def)
        .or_else(|| defs::broker_def(entry.name));
    if let Some(def) = default {
        if entry.source != ConfigSource::Default && !def.default.is_empty() {
            list.push(
                DescribeConfigsSynonym::default()
                    .with_name(str_bytes(def.name))
                    .with_value(Some(str_bytes(def.default)))
                    .with_source(ConfigSource::Default.code()),
            );
        }
    }
    list
}
