//! Newtypes for the identifiers Kafka passes around, so a broker id cannot be handed where a
//! partition index is expected. Offsets stay `i64` named `*_offset`, as in Kafka's own code:
//! they are arithmetic everywhere and a wrapper would only add noise.

use std::collections::BTreeMap;
use std::fmt;

/// A broker's `node.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrokerId(pub i32);

/// A partition leader epoch; bumped on every leader change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaderEpoch(pub i32);

/// A topic name and a partition index: the key of every log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }

    /// The log directory name Kafka uses: `<topic>-<partition>`.
    pub fn dir_name(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }

    /// Parses a `<topic>-<partition>` directory name; the partition is after the last dash.
    pub fn from_dir_name(name: &str) -> Option<Self> {
        let (topic, partition) = name.rsplit_once('-')?;
        let partition: i32 = partition.parse().ok()?;
        (!topic.is_empty() && partition >= 0).then(|| Self::new(topic, partition))
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Groups items by their partition's topic, topics in name order and items in the order given:
/// the shape of every request that lists partitions under their topic.
pub fn by_topic<'a, T>(
    items: impl IntoIterator<Item = (&'a TopicPartition, T)>,
) -> BTreeMap<&'a str, Vec<T>> {
    let mut topics: BTreeMap<&str, Vec<T>> = BTreeMap::new();
    for (tp, item) in items {
        topics.entry(&tp.topic).or_default().push(item);
    }
    topics
}

#[cfg(test)]
mod tests {
    use super::TopicPartition;

    #[test]
    fn dir_names_round_trip_even_with_dashes_in_the_topic() {
        let tp = TopicPartition::new("my-topic-2", 11);
        assert_eq!(tp.dir_name(), "my-topic-2-11");
        assert_eq!(TopicPartition::from_dir_name("my-topic-2-11"), Some(tp));
        assert_eq!(TopicPartition::from_dir_name("nodash"), None);
        assert_eq!(TopicPartition::from_dir_name("-3"), None);
        assert_eq!(TopicPartition::from_dir_name("t-x"), None);
    }
}
