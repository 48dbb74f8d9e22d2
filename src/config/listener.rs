//! Listeners: `NAME://HOST:PORT` entries of `listeners` and `advertised.listeners`. Names are
//! upper-cased on the way in, as Kafka's `ListenerName.normalised` does, so
//! `controller.listener.names` and `listener.security.protocol.map` match them whatever case the
//! operator typed.

use std::fmt;

use super::ConfigError;

/// One `NAME://HOST:PORT` listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
}

impl Listener {
    /// Parses `PLAINTEXT://127.0.0.1:9092` (an empty host means every interface).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidListener {
            value: text.to_string(),
        };
        let (name, rest) = text.trim().split_once("://").ok_or_else(invalid)?;
        let (host, port) = rest.rsplit_once(':').ok_or_else(invalid)?;
        let port: u16 = port.parse().map_err(|_| invalid())?;
        if name.is_empty() {
            return Err(invalid());
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        Ok(Self {
            name: normalise_name(name),
            host,
            port,
        })
    }

    /// The address to bind: an empty host binds every interface.
    pub fn bind_addr(&self) -> String {
        let host = if self.host.is_empty() {
            "0.0.0.0"
        } else {
            &self.host
        };
        join_host_port(host, self.port)
    }

    /// Whether the host is a wildcard, which binds every interface but is no address to dial.
    pub fn is_wildcard(&self) -> bool {
        self.host.is_empty() || self.host == "0.0.0.0"
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}",
            self.name,
            join_host_port(&self.host, self.port)
        )
    }
}

/// Kafka compares listener names upper-cased (`ListenerName.normalised`).
pub fn normalise_name(name: &str) -> String {
    name.trim().to_ascii_uppercase()
}

/// `host:port`, with an IPv6 host in brackets.
pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Parses a comma-separated listener list; blank items are skipped.
pub fn parse_list(text: &str) -> Result<Vec<Listener>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(Listener::parse)
        .collect()
}

/// The list form again, as `listeners` is written.
pub fn join_list(listeners: &[Listener]) -> String {
    let items: Vec<String> = listeners.iter().map(Listener::to_string).collect();
    items.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_upper_cased_and_ipv6_hosts_bracketed() {
        let listener = Listener::parse("controller://[::1]:9093").unwrap();
        assert_eq!(listener.name, "CONTROLLER");
        assert_eq!(listener.host, "::1");
        assert_eq!(listener.to_string(), "CONTROLLER://[::1]:9093");
        let list = parse_list("PLAINTEXT://a:1, ,CONTROLLER://b:2").unwrap();
        assert_eq!(join_list(&list), "PLAINTEXT://a:1,CONTROLLER://b:2");
        assert!(Listener::parse("://a:1").is_err());
        assert!(Listener::parse("PLAINTEXT://a:99999").is_err());
    }
}
