//! Kafka's KRaft start-up rules (`KafkaConfig.validateValues`), per role: a controller is a
//! voter and listens on a controller listener; a broker-only node is not a voter and does not;
//! brokers never advertise controller listeners, because clients only talk to brokers. Weir
//! adds two checks Kafka leaves to luck: this node's voter entry must name its own controller
//! listener's port, and every listener in use must be PLAINTEXT.

use super::security::{self, SecurityError};
use super::{voters, Inputs, KraftConfig, KraftError};
use crate::config::listener::{join_list, Listener};

/// Every rule, in the order an operator would want to fix them.
pub(super) fn check(kraft: &KraftConfig, inputs: &Inputs) -> Result<(), KraftError> {
    check_node_id(inputs)?;
    check_listener_names(inputs)?;
    check_protocols(kraft, inputs)?;
    if kraft.roles.controller {
        check_controller(kraft, inputs)?;
    }
    if kraft.roles.broker {
        if !kraft.roles.controller {
            check_broker_only(kraft, inputs)?;
        }
        check_broker_advertising(kraft, inputs)?;
    }
    check_heartbeat(kraft)
}

/// Kafka: "You must set `node.id` to the same value as `broker.id`".
fn check_node_id(inputs: &Inputs) -> Result<(), KraftError> {
    let values = inputs.values;
    let broker_id = values.number("broker.id");
    if values.explicit("node.id").is_some() && broker_id >= 0 && broker_id != inputs.node_id as i64
    {
        return Err(KraftError::NodeIdMismatch {
            node_id: inputs.node_id,
            broker_id: broker_id as i32,
        });
    }
    Ok(())
}

/// Listener names are unique, and every advertised listener names a real one.
fn check_listener_names(inputs: &Inputs) -> Result<(), KraftError> {
    let listeners = inputs.listeners;
    for (index, listener) in listeners.iter().enumerate() {
        if listeners[..index].iter().any(|l| l.name == listener.name) {
            return Err(KraftError::DuplicateListenerName {
                name: listener.name.clone(),
                listeners: join_list(listeners),
            });
        }
    }
    for advertised in inputs.advertised_listeners {
        if !listeners.iter().any(|l| l.name == advertised.name) {
            return Err(KraftError::AdvertisedNotListener {
                listener: advertised.to_string(),
                listeners: join_list(listeners),
            });
        }
    }
    Ok(())
}

/// Every listener in use speaks PLAINTEXT, including the controller listeners a broker-only
/// node dials (Kafka requires each to have a mapping).
fn check_protocols(kraft: &KraftConfig, inputs: &Inputs) -> Result<(), SecurityError> {
    let map = &kraft.listener_security_protocol_map;
    for listener in inputs.listeners {
        security::require_plaintext(map, &listener.name, &listener.to_string())?;
    }
    if !kraft.roles.controller {
        for name in &kraft.controller_listener_names {
            security::require_plaintext(map, name, name)?;
        }
    }
    Ok(())
}

fn check_controller(kraft: &KraftConfig, inputs: &Inputs) -> Result<(), KraftError> {
    let listeners = inputs.listeners;
    let listener =
        kraft
            .controller_listener
            .as_ref()
            .ok_or_else(|| KraftError::NoControllerListener {
                controller_listener_names: kraft.controller_listener_names.join(","),
                listeners: join_list(listeners),
            })?;
    if !kraft.controller_listener_is_shared() {
        let missing = kraft
            .controller_listener_names
            .iter()
            .find(|name| !listeners.iter().any(|l| &&l.name == name));
        if let Some(name) = missing {
            return Err(KraftError::ControllerNameNotListener {
                name: name.clone(),
                listeners: join_list(listeners),
            });
        }
    }
    let voter =
        kraft
            .voters
            .get(&inputs.node_id)
            .ok_or_else(|| KraftError::ControllerNotVoter {
                node_id: inputs.node_id,
                voters: voters::join(&kraft.voters),
            })?;
    // Peers dial the voter entry; if it is not this node's controller port, votes and fetches
    // go somewhere else (or nowhere) and the quorum never forms.
    if voter.port != listener.port {
        return Err(KraftError::VoterPortMismatch {
            node_id: inputs.node_id,
            voter_port: voter.port,
            listener: listener.to_string(),
        });
    }
    if !kraft.roles.broker {
        if let Some(other) = first_not_controller(kraft, listeners) {
            return Err(KraftError::ControllerOnlyHasBrokerListener {
                listener: other.to_string(),
            });
        }
    }
    Ok(())
}

fn check_broker_only(kraft: &KraftConfig, inputs: &Inputs) -> Result<(), KraftError> {
    let process_roles = || kraft.roles.to_string();
    if !kraft.voters_configured {
        return Err(KraftError::VotersRequired {
            process_roles: process_roles(),
        });
    }
    if kraft.is_voter(inputs.node_id) {
        return Err(KraftError::BrokerIsVoter {
            node_id: inputs.node_id,
            voters: voters::join(&kraft.voters),
        });
    }
    if kraft.controller_listener_names.is_empty() {
        return Err(KraftError::NoControllerListenerNames {
            process_roles: process_roles(),
        });
    }
    let controller = inputs
        .listeners
        .iter()
        .find(|l| kraft.is_controller_listener_name(&l.name));
    if let Some(listener) = controller {
        return Err(KraftError::BrokerListensOnController {
            listener: listener.to_string(),
        });
    }
    Ok(())
}

/// Clients learn brokers from advertised listeners (controller listeners are left out of them
/// when the config is read), so there must be one, and brokers must be able to reach each
/// other on one of them.
fn check_broker_advertising(kraft: &KraftConfig, inputs: &Inputs) -> Result<(), KraftError> {
    let advertised = inputs.advertised_listeners;
    if advertised.is_empty() {
        return Err(KraftError::NoBrokerListener {
            advertised_listeners: join_list(advertised),
        });
    }
    let name = &kraft.inter_broker_listener_name;
    if !advertised.iter().any(|l| &l.name == name) {
        return Err(KraftError::InterBrokerNotAdvertised {
            name: name.clone(),
            advertised_listeners: join_list(advertised),
        });
    }
    Ok(())
}

/// Kafka logs this as an error and starts anyway; a broker that heartbeats less than twice
/// per session is fenced by one late heartbeat, so Weir refuses it.
fn check_heartbeat(kraft: &KraftConfig) -> Result<(), KraftError> {
    let heartbeat_ms = kraft.broker_heartbeat_interval_ms;
    let session_ms = kraft.broker_session_timeout_ms;
    if heartbeat_ms.saturating_mul(2) > session_ms {
        return Err(KraftError::HeartbeatTooSlow {
            broker_heartbeat_interval_ms: heartbeat_ms,
            broker_session_timeout_ms: session_ms,
        });
    }
    Ok(())
}

fn first_not_controller<'a>(
    kraft: &KraftConfig,
    listeners: &'a [Listener],
) -> Option<&'a Listener> {
    listeners
        .iter()
        .find(|l| !kraft.is_controller_listener_name(&l.name))
}
