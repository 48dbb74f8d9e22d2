//! The semantic election trace of a run with real nodes: which node leads the metadata quorum
//! in which epoch, brokers registering and being fenced or unfenced, and each partition's
//! leader, leader epoch and ISR (and whether its leader was elected uncleanly), as the most
//! advanced node's image shows them, stamped with
//! simulated time and interleaved with the nemesis's kills and restarts. Fixed seeds of it are
//! pinned with insta (sim/tests/election_trace.rs), so a change in election or fencing
//! behaviour shows up as a reviewed diff.

use std::collections::BTreeMap;

use weir::core::controller::MetadataImage;

/// A partition's leader, leader epoch, ISR, unclean flag and ELR as last traced.
type PartitionSeen = (i32, i32, Vec<i32>, bool, Vec<i32>);

#[derive(Default)]
pub struct ElectionLog {
    lines: Vec<String>,
    /// The leader seen in each quorum epoch.
    leaders: BTreeMap<i32, i32>,
    /// Each broker's epoch and fenced flag.
    brokers: BTreeMap<i32, (i64, bool)>,
    /// Each partition's leader, leader epoch, ISR and unclean flag.
    partitions: BTreeMap<(String, i32), PartitionSeen>,
    /// The offset of the image last walked: samples between commits need no walk.
    offset: Option<i64>,
}

impl ElectionLog {
    /// Something the nemesis did to a node.
    pub fn note(&mut self, at_ms: u64, what: &str) {
        self.lines.push(format!("{at_ms:>6}ms {what}"));
    }

    /// `node` says it leads the quorum in `epoch`.
    pub fn quorum_leader(&mut self, at_ms: u64, node: i32, epoch: i32) {
        if self.leaders.insert(epoch, node) != Some(node) {
            self.note(
                at_ms,
                &format!("node {node} leads the quorum in epoch {epoch}"),
            );
        }
    }

    /// The most advanced image of this sample.
    pub fn image(&mut self, at_ms: u64, image: &MetadataImage) {
        if self.offset.replace(image.offset) == Some(image.offset) {
            return;
        }
        for broker in image.brokers.values() {
            let id = broker.broker_id;
            let now = (broker.broker_epoch, broker.fenced);
            match self.brokers.insert(id, now) {
                Some(before) if before.0 == now.0 && before.1 != now.1 => {
                    let what = if now.1 { "fenced" } else { "unfenced" };
                    self.note(at_ms, &format!("broker {id} {what}"));
                }
                Some(before) if before == now => {}
                _ => self.note(
                    at_ms,
                    &format!("broker {id} registered with epoch {}", now.0),
                ),
            }
        }
        for topic in image.topics.values() {
            for (&index, registration) in &topic.partitions {
                let r = registration;
                let now = (
                    r.leader,
                    r.leader_epoch,
                    r.isr.clone(),
                    r.unclean,
                    r.elr.clone(),
                );
                let key = (topic.name.clone(), index);
                if self.partitions.get(&key) != Some(&now) {
                    let leader = match now.0 {
                        -1 => "offline".to_string(),
                        id => format!("led by {id}"),
                    };
                    let name = &topic.name;
                    let unclean = if now.3 { ", unclean" } else { "" };
                    let elr = if now.4.is_empty() {
                        String::new()
                    } else {
                        format!(", ELR {:?}", now.4)
                    };
                    let line = format!(
                        "{name}-{index} {leader} in leader epoch {}, ISR {:?}{elr}{unclean}",
                        now.1, now.2
                    );
                    self.note(at_ms, &line);
                    self.partitions.insert(key, now);
                }
            }
        }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.clone()
    }
}
