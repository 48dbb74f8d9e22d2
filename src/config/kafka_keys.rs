//! Kafka's own broker configuration keys, so a `server.properties` written for Kafka starts
//! Weir: every key of Kafka's broker config table is accepted, and the ones Weir does not act
//! on yet are reported in one warning line at start-up (as Kafka logs keys it was given but
//! does not use) instead of stopping it. A key neither Weir nor Kafka knows is a warning that
//! names the closest known key, for the typo it most likely is.
//!
//! Kafka's topic keys are known too, so a tool that clears a topic config Weir does not have
//! (kafka-reassign-partitions clears replication throttles) is answered as Kafka answers a
//! key that was never set, and setting one is an error that says Weir lacks it, not that the
//! key does not exist.
//!
//! The lists (`kafka_broker_keys.txt`, `kafka_topic_keys.txt`) are generated from the Kafka
//! jars tests/java pins, and a test there fails when they drift from them.

use super::defs::BROKER_CONFIGS;

const KAFKA_BROKER_KEYS: &str = include_str!("kafka_broker_keys.txt");
const KAFKA_TOPIC_KEYS: &str = include_str!("kafka_topic_keys.txt");

/// Per-listener overrides (`listener.name.<listener>.<key>`), valid in Kafka for any listener.
const LISTENER_PREFIX: &str = "listener.name.";

/// The keys of a generated list, in its (sorted) order.
fn listed(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Every key of Kafka's broker configuration.
pub fn kafka_broker_keys() -> impl Iterator<Item = &'static str> {
    listed(KAFKA_BROKER_KEYS)
}

/// Whether `key` is one of Kafka's topic configuration keys.
pub fn is_kafka_topic_key(key: &str) -> bool {
    listed(KAFKA_TOPIC_KEYS).any(|known| known == key)
}

/// Whether Kafka's broker accepts `key` (its table, or a per-listener override).
pub fn is_kafka_broker_key(key: &str) -> bool {
    key.starts_with(LISTENER_PREFIX) || kafka_broker_keys().any(|known| known == key)
}

/// The known key (Weir's or Kafka's) closest to `key` by edit distance; ties go to the first
/// in Weir's table, then in Kafka's sorted list, so the answer is stable.
pub fn closest_known_key(key: &str) -> &'static str {
    let weir = BROKER_CONFIGS.iter().map(|def| def.name);
    let mut best = ("", usize::MAX);
    for candidate in weir.chain(kafka_broker_keys()) {
        let distance = edit_distance(key, candidate);
        if distance < best.1 {
            best = (candidate, distance);
        }
    }
    best.0
}

/// Levenshtein distance over bytes (keys are ASCII), in one row of memory.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &left) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &right) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(left != right);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafkas_keys_are_listed_and_weirs_are_among_them() {
        assert!(kafka_broker_keys().count() > 300);
        for key in [
            "num.network.threads",
            "offsets.topic.replication.factor",
            "num.io.threads",
        ] {
            assert!(is_kafka_broker_key(key), "{key}");
        }
        assert!(is_kafka_broker_key(
            "listener.name.plaintext.ssl.keystore.location"
        ));
        assert!(!is_kafka_broker_key("num.netwrk.threads"));
        assert!(is_kafka_topic_key("leader.replication.throttled.replicas"));
        assert!(!is_kafka_topic_key("log.retention.ms"));
        // Every topic key Weir acts on is one of Kafka's.
        for topic in super::super::defs::TOPIC_CONFIGS {
            assert!(
                is_kafka_topic_key(topic.name),
                "{} is not a Kafka topic key",
                topic.name
            );
        }
        // Every key Weir acts on is one of Kafka's: none was invented.
        for def in BROKER_CONFIGS {
            assert!(
                is_kafka_broker_key(def.name),
                "{} is not a Kafka key",
                def.name
            );
        }
    }

    #[test]
    fn the_closest_key_is_the_likely_typo() {
        assert_eq!(
            closest_known_key("num.netwrk.threads"),
            "num.network.threads"
        );
        assert_eq!(
            closest_known_key("log.retention.hour"),
            "log.retention.hours"
        );
        assert_eq!(closest_known_key("listners"), "listeners");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}

/// The Markdown paragraph docs/OPERATIONS.md carries: every Kafka broker key Weir accepts
/// without acting on it, wrapped at 100 columns. A test keeps the page and the code in step.
pub fn not_acted_on_markdown() -> String {
    let mut text = String::new();
    let mut line = String::new();
    let keys = kafka_broker_keys().filter(|key| super::defs::broker_def(key).is_none());
    for key in keys {
        let word = format!("`{key}`,");
        if !line.is_empty() && line.len() + 1 + word.len() > 100 {
            text.push_str(&line);
            text.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    line.pop(); // the last comma
    text.push_str(&line);
    text.push('\n');
    text
}

#[cfg(test)]
mod doc_tests {
    #[test]
    fn operations_doc_lists_exactly_the_keys_not_acted_on() {
        let doc = include_str!("../../docs/OPERATIONS.md");
        let paragraph = super::not_acted_on_markdown();
        assert!(
            doc.contains(&paragraph),
            "docs/OPERATIONS.md is out of date; its list of keys not acted on must be:\n{paragraph}"
        );
    }
}
