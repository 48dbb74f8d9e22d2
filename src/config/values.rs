//! The static value of a broker key before anything is typed: what the operator set, else the
//! value Kafka derives from another key (`log.roll.ms` from `log.roll.hours`, `log.dirs` from
//! `log.dir`, ...), else the table's default. Keys whose default depends on the typed
//! configuration (`advertised.listeners`, `controller.quorum.voters`) are finished by
//! `BrokerConfig::value`.

use std::collections::BTreeMap;

use super::defs;

/// Read-only view of the operator's explicit pairs (already validated against the table).
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    explicit: &'a BTreeMap<String, String>,
}

impl<'a> Values<'a> {
    pub fn new(explicit: &'a BTreeMap<String, String>) -> Self {
        Self { explicit }
    }

    /// What the operator wrote for `key`, if anything.
    pub fn explicit(&self, key: &str) -> Option<&'a str> {
        self.explicit.get(key).map(String::as_str)
    }

    /// The effective static value of `key`.
    pub fn get(&self, key: &str) -> String {
        if let Some(value) = self.explicit(key) {
            return value.to_string();
        }
        let hours_ms = |key: &str, factor: i64| {
            let value: i64 = self.get(key).parse().unwrap_or(-1);
            if value < 0 {
                "-1".to_string()
            } else {
                (value * factor).to_string()
            }
        };
        match key {
            "log.roll.ms" => hours_ms("log.roll.hours", 3_600_000),
            "log.retention.ms" if self.explicit.contains_key("log.retention.minutes") => {
                hours_ms("log.retention.minutes", 60_000)
            }
            "log.retention.ms" => hours_ms("log.retention.hours", 3_600_000),
            "log.flush.interval.ms" => i64::MAX.to_string(),
            "log.dirs" if self.explicit.contains_key("log.dir") => self.get("log.dir"),
            // Kafka keeps the metadata log in the first log directory unless told otherwise.
            "metadata.log.dir" => self.log_dirs().into_iter().next().unwrap_or_default(),
            // Kafka's default is 8 request handler threads; Weir's workers default to the cores.
            "num.io.threads" => crate::runtime::cores().to_string(),
            // Kafka derives it from `security.inter.broker.protocol`, which is PLAINTEXT.
            "inter.broker.listener.name" => "PLAINTEXT".to_string(),
            _ => defs::broker_def(key)
                .map(|def| def.default.to_string())
                .unwrap_or_default(),
        }
    }

    /// A numeric key (validated already, so a parse failure means a programmer error upstream).
    pub fn number(&self, key: &str) -> i64 {
        self.get(key).trim().parse().unwrap_or_default()
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key).trim().eq_ignore_ascii_case("true")
    }

    /// The items of a list key, trimmed, blanks skipped.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// `log.dirs` as a list (from `log.dir` when `log.dirs` is not set).
    pub fn log_dirs(&self) -> Vec<String> {
        self.list("log.dirs")
    }
}
