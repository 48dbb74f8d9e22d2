//! Why a KRaft configuration was refused. Each variant carries the key and the value at fault
//! so the message is one line an operator can act on, as Kafka's `ConfigException`s are.

use std::fmt;

use super::security::SecurityError;
use super::voters::VoterError;

/// A KRaft rule the configuration breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KraftError {
    /// `process.roles` with something other than `broker` and `controller`.
    UnknownRole {
        process_roles: String,
    },
    DuplicateRole {
        process_roles: String,
    },
    /// `node.id` and `broker.id` both set, to different ids.
    NodeIdMismatch {
        node_id: i32,
        broker_id: i32,
    },
    Voters(VoterError),
    Security(SecurityError),
    /// A broker-only node has no quorum to find without `controller.quorum.voters`.
    VotersRequired {
        process_roles: String,
    },
    ControllerNotVoter {
        node_id: i32,
        voters: String,
    },
    BrokerIsVoter {
        node_id: i32,
        voters: String,
    },
    /// A controller with none of `controller.listener.names` among its `listeners`.
    NoControllerListener {
        controller_listener_names: String,
        listeners: String,
    },
    /// A controller whose `controller.listener.names` names a listener it does not have.
    ControllerNameNotListener {
        name: String,
        listeners: String,
    },
    NoControllerListenerNames {
        process_roles: String,
    },
    BrokerListensOnController {
        listener: String,
    },
    ControllerOnlyHasBrokerListener {
        listener: String,
    },
    NoBrokerListener {
        advertised_listeners: String,
    },
    /// This node's own voter entry does not point at its controller listener.
    VoterPortMismatch {
        node_id: i32,
        voter_port: u16,
        listener: String,
    },
    DuplicateListenerName {
        name: String,
        listeners: String,
    },
    AdvertisedNotListener {
        listener: String,
        listeners: String,
    },
    InterBrokerNotAdvertised {
        name: String,
        advertised_listeners: String,
    },
    HeartbeatTooSlow {
        broker_heartbeat_interval_ms: i64,
        broker_session_timeout_ms: i64,
    },
}

impl fmt::Display for KraftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KraftError::*;
        match self {
            Voters(error) => write!(f, "{error}"),
            Security(error) => write!(f, "{error}"),
            UnknownRole { process_roles } => write!(
                f,
                "process.roles={process_roles:?} must be broker, controller or broker,controller"
            ),
            DuplicateRole { process_roles } => {
                write!(f, "process.roles={process_roles:?} names a role twice")
            }
            NodeIdMismatch { node_id, broker_id } => write!(
                f,
                "node.id={node_id} and broker.id={broker_id} differ; set one, or both the same"
            ),
            HeartbeatTooSlow {
                broker_heartbeat_interval_ms,
                broker_session_timeout_ms,
            } => write!(
                f,
                "broker.heartbeat.interval.ms={broker_heartbeat_interval_ms} must be at most half \
                 of broker.session.timeout.ms={broker_session_timeout_ms}"
            ),
            _ => self.fmt_quorum_rule(f),
        }
    }
}

impl KraftError {
    /// The rules tying roles to voters and controller listeners.
    fn fmt_quorum_rule(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KraftError::*;
        const VOTERS: &str = "controller.quorum.voters";
        match self {
            VotersRequired { process_roles } => write!(
                f,
                "process.roles={process_roles} needs {VOTERS} to find the controllers \
                 (controller.quorum.bootstrap.servers alone, a dynamic quorum of KIP-853, is \
                 not supported yet)"
            ),
            ControllerNotVoter { node_id, voters } => write!(
                f,
                "process.roles contains controller, so node.id={node_id} must be in \
                 {VOTERS}={voters}"
            ),
            BrokerIsVoter { node_id, voters } => write!(
                f,
                "process.roles=broker, so node.id={node_id} must not be in {VOTERS}={voters}"
            ),
            NoControllerListener {
                controller_listener_names,
                listeners,
            } => write!(
                f,
                "controller.listener.names={controller_listener_names} names none of \
                 listeners={listeners}; a controller needs one"
            ),
            ControllerNameNotListener { name, listeners } => write!(
                f,
                "controller.listener.names names {name}, which is not in listeners={listeners}"
            ),
            NoControllerListenerNames { process_roles } => write!(
                f,
                "process.roles={process_roles} needs controller.listener.names to reach the \
                 controllers"
            ),
            VoterPortMismatch {
                node_id,
                voter_port,
                listener,
            } => write!(
                f,
                "{VOTERS} gives node {node_id} port {voter_port}, but its controller listener \
                 is {listener}"
            ),
            _ => self.fmt_listener_rule(f),
        }
    }

    /// The rules on which listeners a node may listen on and advertise.
    fn fmt_listener_rule(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KraftError::*;
        match self {
            BrokerListensOnController { listener } => write!(
                f,
                "process.roles=broker, so listeners must not contain controller listener \
                 {listener} (controller.listener.names)"
            ),
            ControllerOnlyHasBrokerListener { listener } => write!(
                f,
                "process.roles=controller, so listeners must only contain controller \
                 listeners; {listener} is not in controller.listener.names"
            ),
            NoBrokerListener {
                advertised_listeners,
            } => write!(
                f,
                "advertised.listeners={advertised_listeners:?} has no broker listener; are \
                 all listeners in controller.listener.names?"
            ),
            DuplicateListenerName { name, listeners } => {
                write!(f, "listeners={listeners} uses the name {name} twice")
            }
            AdvertisedNotListener {
                listener,
                listeners,
            } => write!(
                f,
                "advertised.listeners entry {listener} names no listener in \
                 listeners={listeners}"
            ),
            InterBrokerNotAdvertised {
                name,
                advertised_listeners,
            } => write!(
                f,
                "inter.broker.listener.name={name} is not in \
                 advertised.listeners={advertised_listeners}"
            ),
            // Every other variant is written by `fmt` or `fmt_quorum_rule`.
            other => write!(f, "{other:?}"),
        }
    }
}

impl From<VoterError> for KraftError {
    fn from(error: VoterError) -> Self {
        KraftError::Voters(error)
    }
}

impl From<SecurityError> for KraftError {
    fn from(error: SecurityError) -> Self {
        KraftError::Security(error)
    }
}

impl std::error::Error for KraftError {}
