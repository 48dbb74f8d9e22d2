//! Topic-name rules, as Kafka enforces them: not empty, at most 249 characters, not `.` or `..`,
//! only `[a-zA-Z0-9._-]`; the internal topics are reserved.

use crate::limits::TOPIC_NAME_LENGTH_MAX;

/// Why a topic name is refused (answered as INVALID_TOPIC_EXCEPTION).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicNameError {
    Empty,
    TooLong {
        len: usize,
    },
    DotOrDotDot,
    IllegalCharacter {
        character: char,
    },
    Reserved,
    /// The metadata log's own name (INVALID_REQUEST in Kafka, not INVALID_TOPIC_EXCEPTION).
    MetadataLog,
}

impl std::fmt::Display for TopicNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TopicNameError::Empty => write!(f, "topic name is empty"),
            TopicNameError::TooLong { len } => write!(
                f,
                "topic name is {len} characters; the limit is {TOPIC_NAME_LENGTH_MAX}"
            ),
            TopicNameError::DotOrDotDot => write!(f, "topic name cannot be '.' or '..'"),
            TopicNameError::IllegalCharacter { character } => write!(
                f,
                "topic name contains {character:?}; only ASCII letters, digits, '.', '_' and '-' \
                 are allowed"
            ),
            TopicNameError::Reserved => write!(f, "topic name is reserved for internal use"),
            TopicNameError::MetadataLog => {
                write!(f, "{METADATA_LOG_TOPIC} is the metadata log, not a topic")
            }
        }
    }
}

/// Topics the broker manages itself; clients may not create them.
pub const RESERVED_TOPICS: &[&str] = &["__consumer_offsets", "__transaction_state"];

/// The metadata log's name: its partition directory, `__cluster_metadata-0`, sits among the
/// data logs, so no topic may take it.
pub const METADATA_LOG_TOPIC: &str = "__cluster_metadata";

/// Checks a name a client wants to create.
pub fn validate_topic_name(name: &str) -> Result<(), TopicNameError> {
    if name.is_empty() {
        return Err(TopicNameError::Empty);
    }
    if name == "." || name == ".." {
        return Err(TopicNameError::DotOrDotDot);
    }
    if name.len() > TOPIC_NAME_LENGTH_MAX {
        return Err(TopicNameError::TooLong { len: name.len() });
    }
    if let Some(character) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(TopicNameError::IllegalCharacter { character });
    }
    if RESERVED_TOPICS.contains(&name) {
        return Err(TopicNameError::Reserved);
    }
    if name == METADATA_LOG_TOPIC {
        return Err(TopicNameError::MetadataLog);
    }
    Ok(())
}

/// Kafka warns about names mixing `.` and `_`: they collide once metrics replace `.` with `_`.
pub fn collides_in_metrics(name: &str) -> bool {
    name.contains('.') && name.contains('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_name_rules() {
        let cases: &[(&str, Result<(), TopicNameError>)] = &[
            ("orders", Ok(())),
            ("a.b-c_d9", Ok(())),
            ("", Err(TopicNameError::Empty)),
            (".", Err(TopicNameError::DotOrDotDot)),
            ("..", Err(TopicNameError::DotOrDotDot)),
            (
                "bad name",
                Err(TopicNameError::IllegalCharacter { character: ' ' }),
            ),
            (
                "é",
                Err(TopicNameError::IllegalCharacter { character: 'é' }),
            ),
            ("__consumer_offsets", Err(TopicNameError::Reserved)),
            ("__cluster_metadata", Err(TopicNameError::MetadataLog)),
        ];
        for (name, expected) in cases {
            assert_eq!(validate_topic_name(name), *expected, "{name:?}");
        }
        assert!(validate_topic_name(&"x".repeat(249)).is_ok());
        assert_eq!(
            validate_topic_name(&"x".repeat(250)),
            Err(TopicNameError::TooLong { len: 250 })
        );
        assert!(collides_in_metrics("a.b_c"));
        assert!(!collides_in_metrics("a.b.c"));
    }
}
