//! IncrementalAlterConfigs (key 44): set, delete, append to or subtract from topic configs and
//! the dynamic broker configs (per broker, or the cluster-wide default). Every change is
//! validated here against the config table, committed by the controller, and applied to open
//! logs when the broker applies the committed image.

use std::collections::BTreeMap;

use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    ApiKey, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use kafka_protocol::ResponseError;

use super::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};
use super::{forward, str_bytes, RequestContext};
use crate::config::defs::{self, is_dynamic_broker_key, ConfigDef, ConfigType};
use crate::config::kafka_keys;
use crate::core::controller::{ConfigResource, ControllerError, MIN_INSYNC_REPLICAS};
use crate::server::errors;

const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

type Refusal = (ResponseError, String);

pub async fn handle(
    ctx: &RequestContext,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let key = ApiKey::IncrementalAlterConfigs;
    if let Some(response) = forward::to_controller(ctx, key, &request).await {
        return response;
    }
    let mut responses = Vec::with_capacity(request.resources.len());
    for resource in request.resources {
        let response = AlterConfigsResourceResponse::default()
            .with_resource_type(resource.resource_type)
            .with_resource_name(resource.resource_name.clone());
        responses.push(match alter(ctx, &resource, request.validate_only).await {
            Ok(()) => response,
            Err((error, message)) => response
                .with_error_code(error.code())
                .with_error_message(Some(str_bytes(message))),
        });
    }
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

async fn alter(
    ctx: &RequestContext,
    resource: &AlterConfigsResource,
    validate_only: bool,
) -> Result<(), Refusal> {
    let name = resource.resource_name.as_str();
    let target = match resource.resource_type {
        RESOURCE_TOPIC => ConfigResource::Topic(name.to_string()),
        RESOURCE_BROKER if name.is_empty() || name.parse::<i32>().is_ok_and(|id| id >= 0) => {
            ConfigResource::Broker(name.to_string())
        }
        RESOURCE_BROKER => {
            let message = format!("broker {name:?} is not a broker id or \"\" (the default)");
            return Err((ResponseError::InvalidRequest, message));
        }
        other => {
            let message = format!("resource type {other} cannot be altered");
            return Err((ResponseError::InvalidRequest, message));
        }
    };
    let image = ctx.broker.image();
    if let ConfigResource::Topic(topic) = &target {
        if image.topic_by_name(topic).is_none() {
            let message = format!("topic {topic:?} does not exist");
            return Err((ResponseError::UnknownTopicOrPartition, message));
        }
    }
    // Kafka's cluster always holds a cluster-wide min.insync.replicas while eligible leader
    // replicas are on (it writes one when ELR is enabled) and refuses to remove it, set or not
    // here; so is it refused here, before the diff below would find nothing to remove.
    let removes_min_isr = (resource.configs.iter())
        .any(|c| c.config_operation == DELETE && c.name.as_str() == MIN_INSYNC_REPLICAS);
    if target == ConfigResource::Broker(String::new()) && removes_min_isr {
        let refusal = ControllerError::MinIsrLockedByElr {
            cluster_level: true,
        };
        return Err((ResponseError::InvalidConfig, refusal.to_string()));
    }
    let current = image.configs.get(&target).cloned().unwrap_or_default();
    let mut values = current.clone();
    for change in &resource.configs {
        apply(&mut values, change, resource.resource_type)?;
    }
    if validate_only {
        return Ok(());
    }
    let mut changes: Vec<(String, Option<String>)> = values
        .iter()
        .filter(|(key, value)| current.get(*key) != Some(*value))
        .map(|(key, value)| (key.clone(), Some(value.clone())))
        .collect();
    changes.extend(
        current
            .keys()
            .filter(|key| !values.contains_key(*key))
            .map(|key| (key.clone(), None)),
    );
    if changes.is_empty() {
        return Ok(());
    }
    ctx.broker
        .alter_configs(target, changes)
        .await
        .map_err(|error| (errors::topic_error(&error), error.to_string()))
}

fn apply(
    values: &mut BTreeMap<String, String>,
    change: &AlterableConfig,
    resource_type: i8,
) -> Result<(), Refusal> {
    let key = change.name.to_string();
    let def = match definition(&key, resource_type) {
        Ok(def) => def,
        // A Kafka key Weir does not support is never set, so deleting it changes nothing (as
        // Kafka deletes a key that was never set): kafka-reassign-partitions clears its
        // throttles this way.
        Err(_) if change.config_operation == DELETE && lacked_kafka_key(&key, resource_type) => {
            return Ok(());
        }
        Err(refusal) => return Err(refusal),
    };
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

/// A key of Kafka's that Weir does not have at all (a static key Weir has is refused, for
/// DELETE as for SET).
fn lacked_kafka_key(key: &str, resource_type: i8) -> bool {
    if resource_type == RESOURCE_TOPIC {
        defs::topic_def(key).is_none() && kafka_keys::is_kafka_topic_key(key)
    } else {
        defs::broker_def(key).is_none() && kafka_keys::is_kafka_broker_key(key)
    }
}

fn definition(key: &str, resource_type: i8) -> Result<&'static ConfigDef, Refusal> {
    if resource_type == RESOURCE_TOPIC {
        return defs::topic_def(key).map(|(_, def)| def).ok_or_else(|| {
            (
                ResponseError::InvalidConfig,
                defs::topic_key_error(key).to_string(),
            )
        });
    }
    match defs::broker_def(key) {
        Some(def) if is_dynamic_broker_key(key) => Ok(def),
        Some(_) => Err((
            ResponseError::InvalidConfig,
            format!("{key} cannot be changed while the broker runs; set it in server.properties"),
        )),
        None if kafka_keys::is_kafka_broker_key(key) => Err((
            ResponseError::InvalidConfig,
            format!("{key} is a Kafka broker config that Weir does not support yet"),
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
