//! The KRaft part of the broker configuration (KIP-500, KIP-595, KIP-631), with Kafka's key
//! names and rules: which roles this node plays (`process.roles`), the static quorum
//! (`controller.quorum.voters`), which listeners carry controller traffic
//! (`controller.listener.names`), their security protocols, and the quorum and broker
//! heartbeat timeouts. Nothing here runs a quorum; it is the typed view the node reads.
//!
//! Weir's one departure from Kafka is the default: with nothing configured a node is
//! `broker,controller` and the only voter, at its CONTROLLER listener or, lacking one, its first
//! listener, so `weir broker` alone is still a working single node.

mod error;
mod rules;
pub mod security;
pub mod voters;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use error::KraftError;
pub use security::{SecurityError, SecurityMap, SecurityProtocol};
pub use voters::{VoterAddress, VoterError};

use super::listener::{normalise_name, Listener};
use super::values::Values;

/// `process.roles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub broker: bool,
    pub controller: bool,
}

impl Roles {
    pub const COMBINED: Roles = Roles {
        broker: true,
        controller: true,
    };

    /// Parses `broker`, `controller` or both, in either order, each at most once.
    pub fn parse(text: &str) -> Result<Self, KraftError> {
        let mut roles = Roles {
            broker: false,
            controller: false,
        };
        let process_roles = || text.to_string();
        for item in text.split(',').map(str::trim) {
            let slot = match item {
                "broker" => &mut roles.broker,
                "controller" => &mut roles.controller,
                _ => {
                    return Err(KraftError::UnknownRole {
                        process_roles: process_roles(),
                    })
                }
            };
            if *slot {
                return Err(KraftError::DuplicateRole {
                    process_roles: process_roles(),
                });
            }
            *slot = true;
        }
        Ok(roles)
    }

    /// Both roles in one process (Kafka's "combined mode").
    pub fn is_combined(self) -> bool {
        self.broker && self.controller
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match (self.broker, self.controller) {
            (true, true) => "broker,controller",
            (true, false) => "broker",
            (false, true) => "controller",
            (false, false) => "",
        };
        f.write_str(text)
    }
}

/// The validated KRaft configuration of one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KraftConfig {
    pub roles: Roles,
    /// The quorum's voters by node id.
    pub voters: BTreeMap<i32, VoterAddress>,
    /// Whether `controller.quorum.voters` was set; if not, `voters` is this node alone.
    pub voters_configured: bool,
    /// Upper-cased, in the operator's order; the first is the one brokers dial.
    pub controller_listener_names: Vec<String>,
    /// Where controller traffic arrives: the first of `controller.listener.names` among
    /// `listeners`; in the single-node default without one, the first listener, which then
    /// also serves clients. `None` on a broker-only node.
    pub controller_listener: Option<Listener>,
    /// Kafka's effective map (controller listener names added as PLAINTEXT when unset).
    pub listener_security_protocol_map: SecurityMap,
    pub inter_broker_listener_name: String,
    pub broker_session_timeout_ms: i64,
    pub broker_heartbeat_interval_ms: i64,
    pub quorum_election_timeout_ms: i64,
    pub quorum_fetch_timeout_ms: i64,
    pub quorum_request_timeout_ms: i64,
    pub auto_leader_rebalance_enable: bool,
    pub leader_imbalance_check_interval_seconds: i64,
    pub metadata_log_dir: PathBuf,
    pub metadata_log_max_record_bytes_between_snapshots: i64,
    pub metadata_max_idle_interval_ms: i64,
}

/// What the KRaft view is derived from: the operator's values and the already-typed listeners.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub values: Values<'a>,
    pub node_id: i32,
    pub listeners: &'a [Listener],
    pub advertised_listeners: &'a [Listener],
}

const MAP_KEY: &str = "listener.security.protocol.map";

impl KraftConfig {
    /// Types the KRaft keys and checks Kafka's rules for the node's roles.
    pub(crate) fn derive(inputs: &Inputs) -> Result<Self, KraftError> {
        let values = inputs.values;
        let roles = Roles::parse(&values.get("process.roles"))?;
        let controller_listener_names = controller_listener_names(&values);
        let map_explicit = values.explicit(MAP_KEY).is_some();
        let map = security::effective_map(
            &values.get(MAP_KEY),
            map_explicit,
            &controller_listener_names,
        )?;
        let configured = values
            .explicit("controller.quorum.voters")
            .map(voters::parse)
            .transpose()?;
        let controller_listener = pick_controller_listener(
            roles,
            configured.is_none(),
            inputs.listeners,
            &controller_listener_names,
        );
        let voters_configured = configured.is_some();
        let voters = configured
            .unwrap_or_else(|| default_voters(inputs.node_id, controller_listener.as_ref()));
        let number = |key: &str| values.number(key);
        let kraft = Self {
            roles,
            voters,
            voters_configured,
            controller_listener_names,
            controller_listener,
            listener_security_protocol_map: map,
            inter_broker_listener_name: normalise_name(&values.get("inter.broker.listener.name")),
            broker_session_timeout_ms: number("broker.session.timeout.ms"),
            broker_heartbeat_interval_ms: number("broker.heartbeat.interval.ms"),
            quorum_election_timeout_ms: number("controller.quorum.election.timeout.ms"),
            quorum_fetch_timeout_ms: number("controller.quorum.fetch.timeout.ms"),
            quorum_request_timeout_ms: number("controller.quorum.request.timeout.ms"),
            auto_leader_rebalance_enable: values.flag("auto.leader.rebalance.enable"),
            leader_imbalance_check_interval_seconds: number(
                "leader.imbalance.check.interval.seconds",
            ),
            metadata_log_dir: PathBuf::from(values.get("metadata.log.dir").trim()),
            metadata_log_max_record_bytes_between_snapshots: number(
                "metadata.log.max.record.bytes.between.snapshots",
            ),
            metadata_max_idle_interval_ms: number("metadata.max.idle.interval.ms"),
        };
        rules::check(&kraft, inputs)?;
        Ok(kraft)
    }

    pub fn is_voter(&self, node_id: i32) -> bool {
        self.voters.contains_key(&node_id)
    }

    /// Whether `name` is one of `controller.listener.names`.
    pub fn is_controller_listener_name(&self, name: &str) -> bool {
        self.controller_listener_names
            .iter()
            .any(|candidate| candidate == name)
    }

    /// The single-node default without a controller listener: the controller listener is the
    /// node's first listener, shared with clients.
    pub fn controller_listener_is_shared(&self) -> bool {
        self.controller_listener
            .as_ref()
            .is_some_and(|listener| !self.is_controller_listener_name(&listener.name))
    }
}

/// `controller.listener.names`, upper-cased as Kafka normalises listener names.
pub(crate) fn controller_listener_names(values: &Values) -> Vec<String> {
    values
        .list("controller.listener.names")
        .iter()
        .map(|name| normalise_name(name))
        .collect()
}

fn pick_controller_listener(
    roles: Roles,
    voters_unset: bool,
    listeners: &[Listener],
    names: &[String],
) -> Option<Listener> {
    if !roles.controller {
        return None;
    }
    let named = names
        .iter()
        .find_map(|name| listeners.iter().find(|listener| &listener.name == name));
    match named {
        Some(listener) => Some(listener.clone()),
        // The single-node default: the quorum is this node alone, so no peer ever dials the
        // controller and it may share the first listener with clients.
        None if roles.broker && voters_unset => listeners.first().cloned(),
        None => None,
    }
}

/// This node alone, at its controller listener; none when it has no controller listener (the
/// rules then refuse the configuration).
fn default_voters(node_id: i32, controller: Option<&Listener>) -> BTreeMap<i32, VoterAddress> {
    let Some(listener) = controller else {
        return BTreeMap::new();
    };
    // A wildcard binds every interface but is nothing to dial; loopback is right for a node
    // that only ever talks to itself, as `BrokerConfig::advertised_for` reasons for clients.
    let host = if listener.is_wildcard() {
        "127.0.0.1".to_string()
    } else {
        listener.host.clone()
    };
    let address = VoterAddress {
        host,
        port: listener.port,
    };
    BTreeMap::from([(node_id, address)])
}
