//! IncrementalAlterConfigs (key 44): set, delete, append to or subtract from topic configs and
//! the dynamic broker configs (the cluster-wide topic defaults). Every change is validated
//! against the config table, persisted, and applied to open logs at once.

use std::collections::BTreeMap;

use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};
use kafka_protocol::ResponseError;

use super::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};
use super::{str_bytes, RequestContext};
use crate::config::defs::{self, is_dynamic_broker_key, ConfigDef, ConfigType};
use crate::server::broker::Broker;

const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

type Refusal = (ResponseError, String);

pub async fn handle(
    ctx: &RequestContext,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let responses = request
        .resources
        .into_iter()
        .map(|resource| {
            let response = AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            match alter(ctx, &resource, request.validate_only) {
                Ok(()) => response,
                Err((error, message)) => response
                    .with_error_code(error.code())
                    .with_error_message(Some(str_bytes(message))),
            }
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

fn alter(
    ctx: &RequestContext,
    resource: &AlterConfigsResource,
    validate_only: bool,
) -> Result<(), Refusal> {
    let broker = &ctx.broker;
    let name = resource.resource_name.as_str();
    let mut state = broker.state();
    let mut values = match resource.resource_type {
        RESOURCE_TOPIC => state
            .registry
            .get(name)
            .map(|topic| topic.configs.clone())
            .ok_or_else(|| {
                let message = format!("topic {name:?} does not exist");
                (ResponseError::UnknownTopicOrPartition, message)
            })?,
        RESOURCE_BROKER => broker_map(broker, &state.registry.dynamic, name)?.clone(),
        other => {
            let message = format!("resource type {other} cannot be altered");
            return Err((ResponseError::InvalidRequest, message));
        }
    };
    for change in &resource.configs {
        apply(&mut values, change, resource.resource_type)?;
    }
    if validate_only {
        return Ok(());
    }
    let previous = state.registry.dynamic.clone();
    match resource.resource_type {
        RESOURCE_TOPIC => {
            if let Some(topic) = state.registry.get_mut(name) {
                topic.configs = values;
            }
        }
        _ => {
            let dynamic = &mut state.registry.dynamic;
            if name.is_empty() {
                dynamic.cluster_default = values;
            } else {
                dynamic.broker = values;
            }
        }
    }
    if let Err(error) = state.registry.save(&*broker.disk) {
        state.registry.dynamic = previous;
        return Err((ResponseError::KafkaStorageError, error.to_string()));
    }
    broker.refresh_log_configs(&state);
    Ok(())
}

fn broker_map<'a>(
    broker: &Broker,
    dynamic: &'a crate::server::configs::DynamicConfigs,
    name: &str,
) -> Result<&'a BTreeMap<String, String>, Refusal> {
    if name.is_empty() {
        Ok(&dynamic.cluster_default)
    } else if name == broker.config.node_id.to_string() {
        Ok(&dynamic.broker)
    } else {
        let message = format!(
            "broker {name:?} is not this broker ({})",
            broker.config.node_id
        );
        Err((ResponseError::InvalidRequest, message))
    }
}

fn apply(
    values: &mut BTreeMap<String, String>,
    change: &AlterableConfig,
    resource_type: i8,
) -> Result<(), Refusal> {
    let key = change.name.to_string();
    let def = definition(&key, resource_type)?;
    let value = change
        .value
        .as_ref()
        .map(|value| value.to_string())
        .unwrap_or_default();
    let invalid = |message: String| (ResponseError::InvalidConfig, message);
    match change.config_operation {
        SET => {
            defs::validate(def, &key, &value).map_err(|error| invalid(error.to_string()))?;
            values.insert(key, value);
        }
        DELETE => {
            values.remove(&key);
        }
        APPEND | SUBTRACT if def.kind == ConfigType::List => {
            let current = values
                .get(&key)
                .cloned()
                .unwrap_or_else(|| def.default.to_string());
            let mut items: Vec<String> = split_list(&current);
            for item in split_list(&value) {
                if change.config_operation == APPEND && !items.contains(&item) {
                    items.push(item);
                } else if change.config_operation == SUBTRACT {
                    items.retain(|existing| *existing != item);
                }
            }
            let joined = items.join(",");
            defs::validate(def, &key, &joined).map_err(|error| invalid(error.to_string()))?;
            values.insert(key, joined);
        }
        APPEND | SUBTRACT => {
            return Err(invalid(format!(
                "{key} is not a list; APPEND/SUBTRACT need one"
            )));
        }
        other => {
            let message = format!("config operation {other} is not one of 0..3");
            return Err((ResponseError::InvalidRequest, message));
        }
    }
    Ok(())
}

fn definition(key: &str, resource_type: i8) -> Result<&'static ConfigDef, Refusal> {
    if resource_type == RESOURCE_TOPIC {
        return defs::topic_def(key).map(|(_, def)| def).ok_or_else(|| {
            (
                ResponseError::InvalidConfig,
                format!("unknown topic config {key:?}"),
            )
        });
    }
    match defs::broker_def(key) {
        Some(def) if is_dynamic_broker_key(key) => Ok(def),
        Some(_) => Err((
            ResponseError::InvalidConfig,
            format!("{key} cannot be changed while the broker runs; set it in server.properties"),
        )),
        None => Err((
            ResponseError::InvalidConfig,
            format!("unknown broker config {key:?}"),
        )),
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}
