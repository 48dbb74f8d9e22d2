//! `listener.security.protocol.map`: which security protocol each listener name speaks
//! (`NAME:PROTOCOL,...`). Weir implements PLAINTEXT only, so any listener in use that maps to
//! SSL or SASL is refused at start-up rather than served as plaintext by surprise.

use std::collections::BTreeMap;
use std::fmt;

use crate::config::listener::normalise_name;

/// Kafka's security protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    pub const ALL: [SecurityProtocol; 4] = [
        SecurityProtocol::Plaintext,
        SecurityProtocol::Ssl,
        SecurityProtocol::SaslPlaintext,
        SecurityProtocol::SaslSsl,
    ];

    /// Kafka's name for the protocol.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Case-insensitive, as Kafka upper-cases the name before looking it up.
    pub fn parse(text: &str) -> Option<Self> {
        let upper = text.trim().to_ascii_uppercase();
        Self::ALL
            .into_iter()
            .find(|protocol| protocol.name() == upper)
    }
}

/// Listener name (upper-cased) to protocol.
pub type SecurityMap = BTreeMap<String, SecurityProtocol>;

/// Why a security mapping was refused; each names the entry or listener at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityError {
    /// An entry that is not `NAME:PROTOCOL`.
    MapSyntax {
        entry: String,
    },
    UnknownProtocol {
        entry: String,
    },
    DuplicateMapping {
        name: String,
    },
    /// A listener in use that the map does not name.
    NoSecurityProtocol {
        listener: String,
    },
    /// A listener in use that maps to something other than PLAINTEXT.
    UnsupportedProtocol {
        listener: String,
        protocol: &'static str,
    },
}

impl fmt::Display for SecurityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KEY: &str = "listener.security.protocol.map";
        match self {
            SecurityError::MapSyntax { entry } => {
                write!(f, "{KEY} entry {entry:?} is not LISTENER:PROTOCOL")
            }
            SecurityError::UnknownProtocol { entry } => write!(
                f,
                "{KEY} entry {entry:?}: the protocol is not PLAINTEXT, SSL, SASL_PLAINTEXT or \
                 SASL_SSL"
            ),
            SecurityError::DuplicateMapping { name } => write!(f, "{KEY} maps {name} twice"),
            SecurityError::NoSecurityProtocol { listener } => {
                write!(f, "listener {listener} has no entry in {KEY}")
            }
            SecurityError::UnsupportedProtocol { listener, protocol } => write!(
                f,
                "listener {listener} maps to {protocol} in {KEY}; Weir supports only PLAINTEXT"
            ),
        }
    }
}

impl std::error::Error for SecurityError {}

/// Parses `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT`; blank items are skipped.
pub fn parse_map(text: &str) -> Result<SecurityMap, SecurityError> {
    let mut map = SecurityMap::new();
    for entry in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let owned = || entry.to_string();
        let (name, protocol) = entry
            .split_once(':')
            .filter(|(name, _)| !name.trim().is_empty())
            .ok_or_else(|| SecurityError::MapSyntax { entry: owned() })?;
        let protocol = SecurityProtocol::parse(protocol)
            .ok_or_else(|| SecurityError::UnknownProtocol { entry: owned() })?;
        let name = normalise_name(name);
        if map.insert(name.clone(), protocol).is_some() {
            return Err(SecurityError::DuplicateMapping { name });
        }
    }
    Ok(map)
}

/// Kafka's effective map (`KafkaConfig.effectiveListenerSecurityProtocolMap`): when the
/// operator did not set the map, every controller listener name it lacks speaks PLAINTEXT, so
/// `controller.listener.names=CTRL` works without also writing `CTRL:PLAINTEXT`. An explicit
/// map is taken as written.
pub fn effective_map(
    text: &str,
    explicit: bool,
    controller_listener_names: &[String],
) -> Result<SecurityMap, SecurityError> {
    let mut map = parse_map(text)?;
    if !explicit {
        for name in controller_listener_names {
            map.entry(name.clone())
                .or_insert(SecurityProtocol::Plaintext);
        }
    }
    Ok(map)
}

/// Checks that listener `name` (shown to the operator as `shown`) speaks PLAINTEXT.
pub fn require_plaintext(map: &SecurityMap, name: &str, shown: &str) -> Result<(), SecurityError> {
    match map.get(name) {
        Some(SecurityProtocol::Plaintext) => Ok(()),
        Some(other) => Err(SecurityError::UnsupportedProtocol {
            listener: shown.to_string(),
            protocol: other.name(),
        }),
        None => Err(SecurityError::NoSecurityProtocol {
            listener: shown.to_string(),
        }),
    }
}
