//! `metadata-invariants`: every node's metadata image, watched while the run goes on.
//!
//! Every broker replays the committed metadata log into an image and serves from it, so the
//! images must tell one story. Checked on each new image a node publishes (the harness samples
//! them every few milliseconds of simulated time):
//!
//! - a partition with a leader has it in its ISR, and its ISR within its replicas (KRaft's
//!   `PartitionRegistration` rules, which the leader election function keeps);
//! - on one node, between restarts, the image's offset and each partition's leader epoch and
//!   partition epoch never go backwards (a restarted node replays from its snapshot, so its
//!   history starts again);
//! - across nodes and over the whole run, one partition epoch names one registration (leader,
//!   leader epoch, replicas, ISR), and one leader epoch one leader: both come from the same
//!   committed record everywhere, so a difference means two histories of the metadata log;
//! - a topic id names one topic for the whole run.
//!
//! Each kind of break is reported once per partition (later ones usually repeat it), with the
//! simulated time and the node that showed it.

use std::collections::{BTreeMap, BTreeSet};

use weir::core::controller::{MetadataImage, PartitionRegistration};

use super::Anomaly;

pub const NAME: &str = "metadata-invariants";

/// A partition, by topic id (names can be reused after a deletion; ids cannot).
type Partition = (u128, i32);

/// Watches one run's images.
#[derive(Default)]
pub struct MetadataWatch {
    /// Per node, since its last restart: the last image offset, and per partition the last
    /// (leader epoch, partition epoch).
    offsets: BTreeMap<String, i64>,
    epochs: BTreeMap<String, BTreeMap<Partition, (i32, i32)>>,
    /// The first registration seen at each partition epoch, and the first leader seen at each
    /// leader epoch, with the node that showed it.
    registrations: BTreeMap<(Partition, i32), (String, PartitionRegistration)>,
    leaders: BTreeMap<(Partition, i32), (String, i32)>,
    names: BTreeMap<u128, String>,
    /// (what broke, partition) already reported.
    reported: BTreeSet<(&'static str, Partition)>,
    anomalies: Vec<Anomaly>,
}

impl MetadataWatch {
    /// `node` restarted: its image starts again from what its disk holds.
    pub fn restarted(&mut self, node: &str) {
        self.offsets.remove(node);
        self.epochs.remove(node);
    }

    /// Judges the image `node` serves from at `at_ms`. An image already seen (same offset) is
    /// skipped.
    pub fn observe(&mut self, at_ms: u64, node: &str, image: &MetadataImage) {
        // Sampled every few milliseconds and nearly always unchanged: skip before allocating.
        if self.offsets.get(node) == Some(&image.offset) {
            return;
        }
        let last = self.offsets.insert(node.to_string(), image.offset);
        if let Some(last) = last.filter(|&last| last > image.offset) {
            self.report(
                "offset",
                (0, -1),
                format!(
                    "at {at_ms} ms: {node}'s image went back from offset {last} to {}",
                    image.offset
                ),
            );
        }
        for (&topic_id, topic) in &image.topics {
            let name = self
                .names
                .entry(topic_id)
                .or_insert_with(|| topic.name.clone());
            if *name != topic.name {
                let detail = format!(
                    "at {at_ms} ms: {node} names topic id {topic_id:032x} {:?}, earlier {:?}",
                    topic.name, name
                );
                self.report("topic-name", (topic_id, -1), detail);
            }
            for (&index, registration) in &topic.partitions {
                let partition = (topic_id, index);
                let at = Where {
                    at_ms,
                    node,
                    topic: &topic.name,
                    index,
                };
                self.check_partition(&at, partition, registration);
            }
        }
    }

    fn check_partition(
        &mut self,
        at: &Where,
        partition: Partition,
        registration: &PartitionRegistration,
    ) {
        let (r, node) = (registration, at.node);
        if r.leader >= 0 && !r.isr.contains(&r.leader) {
            let detail = format!("{at} is led by {} outside its ISR {:?}", r.leader, r.isr);
            self.report("leader-outside-isr", partition, detail);
        }
        if let Some(stray) = r.isr.iter().find(|member| !r.replicas.contains(member)) {
            let detail = format!(
                "{at} has ISR member {stray} outside replicas {:?}",
                r.replicas
            );
            self.report("isr-outside-replicas", partition, detail);
        }
        let now = (r.leader_epoch, r.partition_epoch);
        if !self.epochs.contains_key(node) {
            self.epochs.insert(node.to_string(), BTreeMap::new());
        }
        let Some(epochs) = self.epochs.get_mut(node) else {
            return;
        };
        if let Some(before) = epochs.insert(partition, now) {
            if now.0 < before.0 || now.1 < before.1 {
                let detail = format!(
                    "{at} went back from leader epoch {} partition epoch {} to {} and {}",
                    before.0, before.1, now.0, now.1
                );
                self.report("epoch-backwards", partition, detail);
            }
        }
        let key = (partition, r.partition_epoch);
        match self.registrations.get(&key) {
            Some((first_node, first)) if first != r => {
                let detail = format!(
                    "{at} at partition epoch {} is {r:?}, but {first_node} had {first:?}",
                    r.partition_epoch
                );
                self.report("partition-epoch-differs", partition, detail);
            }
            Some(_) => {}
            None => {
                self.registrations
                    .insert(key, (node.to_string(), r.clone()));
            }
        }
        let key = (partition, r.leader_epoch);
        match self.leaders.get(&key) {
            Some((first_node, leader)) if *leader != r.leader => {
                let detail = format!(
                    "{at} at leader epoch {} is led by {}, but {first_node} had {leader}",
                    r.leader_epoch, r.leader
                );
                self.report("two-leaders-in-one-epoch", partition, detail);
            }
            Some(_) => {}
            None => {
                self.leaders.insert(key, (node.to_string(), r.leader));
            }
        }
    }

    fn report(&mut self, what: &'static str, partition: Partition, detail: String) {
        if self.reported.insert((what, partition)) {
            self.anomalies.push(Anomaly {
                checker: NAME,
                detail: format!("{what}: {detail}"),
            });
        }
    }

    pub fn anomalies(&self) -> Vec<Anomaly> {
        self.anomalies.clone()
    }
}

/// Where a partition was seen, for a report's opening words ("at 120 ms on node-1: t-0").
/// Formatted only when there is something to report: images are observed far more often.
struct Where<'a> {
    at_ms: u64,
    node: &'a str,
    topic: &'a str,
    index: i32,
}

impl std::fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Where {
            at_ms,
            node,
            topic,
            index,
        } = self;
        write!(f, "at {at_ms} ms on {node}: {topic}-{index}")
    }
}

#[cfg(test)]
mod tests {
    use weir::core::controller::TopicImage;

    use super::*;

    fn registration(leader: i32, leader_epoch: i32, partition_epoch: i32) -> PartitionRegistration {
        PartitionRegistration {
            replicas: vec![1],
            isr: vec![1],
            adding_replicas: Vec::new(),
            removing_replicas: Vec::new(),
            leader,
            leader_epoch,
            partition_epoch,
            unclean: false,
            elr: vec![],
            last_known_elr: vec![],
        }
    }

    fn image(offset: i64, name: &str, partition: PartitionRegistration) -> MetadataImage {
        let mut image = MetadataImage {
            offset,
            ..MetadataImage::default()
        };
        image.topic_ids.insert(name.into(), 7);
        image.topics.insert(
            7,
            std::sync::Arc::new(TopicImage {
                name: name.into(),
                topic_id: 7,
                partitions: [(0, partition)].into(),
            }),
        );
        image
    }

    fn kinds(watch: &MetadataWatch) -> Vec<String> {
        (watch.anomalies().iter())
            .map(|a| a.detail.split(':').next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn one_story_told_by_every_node_passes() {
        let mut watch = MetadataWatch::default();
        watch.observe(1, "n1", &image(5, "t", registration(1, 0, 0)));
        watch.observe(2, "n2", &image(5, "t", registration(1, 0, 0)));
        watch.observe(3, "n1", &image(9, "t", registration(-1, 1, 1)));
        watch.observe(4, "n1", &image(12, "t", registration(1, 2, 2)));
        watch.observe(5, "n2", &image(12, "t", registration(1, 2, 2)));
        // A restarted node replays from an older snapshot: not going backwards.
        watch.restarted("n2");
        watch.observe(6, "n2", &image(5, "t", registration(1, 0, 0)));
        assert_eq!(watch.anomalies(), Vec::new());
    }

    #[test]
    fn a_node_going_backwards_is_reported() {
        let mut watch = MetadataWatch::default();
        watch.observe(1, "n1", &image(9, "t", registration(1, 2, 2)));
        watch.observe(2, "n1", &image(5, "t", registration(1, 1, 1)));
        assert_eq!(kinds(&watch), ["offset", "epoch-backwards"]);
    }

    #[test]
    fn two_nodes_disagreeing_about_one_epoch_are_reported() {
        let mut watch = MetadataWatch::default();
        watch.observe(1, "n1", &image(9, "t", registration(1, 2, 2)));
        let mut other = registration(2, 2, 2);
        other.replicas = vec![1, 2];
        other.isr = vec![2];
        watch.observe(2, "n2", &image(9, "t", other));
        assert_eq!(
            kinds(&watch),
            ["partition-epoch-differs", "two-leaders-in-one-epoch"]
        );
    }

    #[test]
    fn broken_registrations_and_renamed_ids_are_reported_once() {
        let mut watch = MetadataWatch::default();
        let mut bad = registration(2, 0, 0);
        bad.isr = vec![1, 3];
        watch.observe(1, "n1", &image(3, "t", bad.clone()));
        watch.observe(2, "n1", &image(4, "t", bad));
        watch.observe(3, "n2", &image(4, "renamed", registration(1, 1, 1)));
        assert_eq!(
            kinds(&watch),
            ["leader-outside-isr", "isr-outside-replicas", "topic-name"]
        );
    }
}
