//! Java `.properties` parsing, the format of Kafka's `server.properties`: `key=value` or
//! `key: value` lines, `#` and `!` comments, surrounding blanks trimmed, a trailing backslash
//! continuing a line. Duplicate keys keep the last value, as Java's `Properties` does.

use std::collections::BTreeMap;
use std::fmt;

/// A line that is neither blank, a comment, nor a `key=value` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertiesError {
    pub line: usize,
    pub text: String,
}

impl fmt::Display for PropertiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: expected key=value, found {:?}",
            self.line, self.text
        )
    }
}

/// Parses the text of a properties file into ordered key/value pairs.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, PropertiesError> {
    let mut pairs = BTreeMap::new();
    let mut pending = String::new();
    let mut pending_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_empty() {
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            pending_line = index + 1;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            pending.push_str(continued);
            continue;
        }
        pending.push_str(line);
        let (key, value) = split_pair(&pending).ok_or_else(|| PropertiesError {
            line: pending_line,
            text: pending.clone(),
        })?;
        pairs.insert(key, value);
        pending.clear();
    }
    if !pending.is_empty() {
        let (key, value) = split_pair(&pending).ok_or(PropertiesError {
            line: pending_line,
            text: pending.clone(),
        })?;
        pairs.insert(key, value);
    }
    Ok(pairs)
}

/// Splits `key=value` (or `key: value`) at the first separator.
pub fn split_pair(text: &str) -> Option<(String, String)> {
    let at = text.find(['=', ':'])?;
    let key = text[..at].trim();
    if key.is_empty() {
        return None;
    }
    Some((key.to_string(), text[at + 1..].trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_pairs_comments_and_continuations() {
        let text =
            "# comment\n! also\nnode.id=3\nlisteners : PLAINTEXT://a:1\n\nlog.dirs=/a,\\\n  /b\n";
        let pairs = parse(text).unwrap();
        assert_eq!(pairs["node.id"], "3");
        assert_eq!(pairs["listeners"], "PLAINTEXT://a:1");
        assert_eq!(pairs["log.dirs"], "/a,/b");
        assert_eq!(pairs.len(), 3);
    }

    #[test]
    fn rejects_lines_without_a_separator() {
        let error = parse("node.id=1\nnonsense\n").unwrap_err();
        assert_eq!(error.line, 2);
    }
}
