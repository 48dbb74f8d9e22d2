//! `controller.quorum.voters`: the static quorum, `id@host:port,...` (KIP-595), parsed into a
//! map ordered by node id. Parsing follows Kafka's `QuorumConfig.parseVoterConnections` and is
//! stricter where Kafka is silent: a node listed twice, port 0 and `0.0.0.0` are refused
//! instead of one entry quietly winning or a peer dialing nowhere.

use std::collections::BTreeMap;
use std::fmt;

use crate::config::listener::join_host_port;
use crate::core::raft::config::VOTERS_MAX;

/// Where a voter's controller listener is, as other voters and brokers dial it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterAddress {
    pub host: String,
    pub port: u16,
}

impl VoterAddress {
    /// `host:port`, ready to dial.
    pub fn addr(&self) -> String {
        join_host_port(&self.host, self.port)
    }
}

impl fmt::Display for VoterAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.addr())
    }
}

/// Why `controller.quorum.voters` could not be parsed; each names the entry at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoterError {
    /// Set, but to nothing.
    Empty,
    /// Not `id@host:port`.
    Syntax {
        entry: String,
    },
    /// The id is not a node id (an int, 0 or more).
    Id {
        entry: String,
    },
    /// The port is not 1..=65535.
    Port {
        entry: String,
    },
    /// Empty or `0.0.0.0`: nothing another node can dial.
    Host {
        entry: String,
    },
    Duplicate {
        node_id: i32,
        entry: String,
    },
    TooMany {
        voters: usize,
        voters_max: usize,
    },
}

impl fmt::Display for VoterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KEY: &str = "controller.quorum.voters";
        match self {
            VoterError::Empty => write!(f, "{KEY} is set but empty; give id@host:port,..."),
            VoterError::Syntax { entry } => {
                write!(f, "{KEY} entry {entry:?} is not id@host:port")
            }
            VoterError::Id { entry } => {
                write!(
                    f,
                    "{KEY} entry {entry:?}: the id is not a node id (0 or more)"
                )
            }
            VoterError::Port { entry } => write!(
                f,
                "{KEY} entry {entry:?}: the port is not a number from 1 to 65535"
            ),
            VoterError::Host { entry } => write!(
                f,
                "{KEY} entry {entry:?}: the host is not an address other nodes can dial"
            ),
            VoterError::Duplicate { node_id, entry } => {
                write!(f, "{KEY} names node {node_id} twice (again in {entry:?})")
            }
            VoterError::TooMany { voters, voters_max } => {
                write!(f, "{KEY} names {voters} voters; at most {voters_max}")
            }
        }
    }
}

impl std::error::Error for VoterError {}

/// Parses `1@host1:9093,2@[::1]:9093`; blank items are skipped.
pub fn parse(text: &str) -> Result<BTreeMap<i32, VoterAddress>, VoterError> {
    let mut voters = BTreeMap::new();
    for entry in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let (node_id, address) = parse_entry(entry)?;
        if voters.insert(node_id, address).is_some() {
            let entry = entry.to_string();
            return Err(VoterError::Duplicate { node_id, entry });
        }
    }
    if voters.is_empty() {
        return Err(VoterError::Empty);
    }
    // The quorum core counts majorities over at most this many voters.
    if voters.len() > VOTERS_MAX {
        return Err(VoterError::TooMany {
            voters: voters.len(),
            voters_max: VOTERS_MAX,
        });
    }
    Ok(voters)
}

fn parse_entry(entry: &str) -> Result<(i32, VoterAddress), VoterError> {
    let owned = || entry.to_string();
    let (id, address) = entry
        .split_once('@')
        .filter(|(_, address)| !address.contains('@'))
        .ok_or_else(|| VoterError::Syntax { entry: owned() })?;
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| VoterError::Syntax { entry: owned() })?;
    let node_id: i32 = id
        .trim()
        .parse()
        .ok()
        .filter(|node_id| *node_id >= 0)
        .ok_or_else(|| VoterError::Id { entry: owned() })?;
    let port: u16 = port
        .trim()
        .parse()
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| VoterError::Port { entry: owned() })?;
    let host = host.trim();
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host == "0.0.0.0" {
        return Err(VoterError::Host { entry: owned() });
    }
    let host = host.to_string();
    Ok((node_id, VoterAddress { host, port }))
}

/// The list form again, as `controller.quorum.voters` is written.
pub fn join(voters: &BTreeMap<i32, VoterAddress>) -> String {
    let items: Vec<String> = voters
        .iter()
        .map(|(node_id, address)| format!("{node_id}@{address}"))
        .collect();
    items.join(",")
}
