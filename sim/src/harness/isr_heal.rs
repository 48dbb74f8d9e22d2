//! The ISR heals: once every fault is healed and every node serves again, each partition's
//! ISR comes back to all of its replicas and it has a leader, as the issue asks of a killed
//! leader ("rejoins the ISR once caught up"). A follower that can never catch up (a truncation
//! loop, a fetch that always fails) breaks no safety checker, since the leader and the other
//! replicas serve on; this is where it shows. Judged on the converged metadata image, within
//! the liveness phase.

use std::time::Duration;

use weir::core::controller::{MetadataImage, NO_LEADER};

use super::cluster::Cluster;

/// The partitions whose ISR lacks a replica, or that have no leader, named with both.
pub fn unhealed(image: &MetadataImage) -> Vec<String> {
    let mut out = Vec::new();
    for topic in image.topics.values() {
        for (index, p) in &topic.partitions {
            let whole = p.replicas.iter().all(|r| p.isr.contains(r));
            if !whole || p.leader == NO_LEADER {
                out.push(format!(
                    "{}-{index} (leader {}, ISR {:?}, replicas {:?})",
                    topic.name, p.leader, p.isr, p.replicas
                ));
            }
        }
    }
    out
}

/// Waits until the first node's image shows every ISR whole, or fails when `deadline` after
/// `healed` passes.
pub async fn isr_healed(
    cluster: &Cluster,
    healed: tokio::time::Instant,
    deadline: Duration,
) -> Result<(), String> {
    loop {
        let image = (cluster.nodes.iter())
            .find_map(|node| node.quorum())
            .map(|quorum| quorum.published_image());
        let left = image.as_deref().map(unhealed);
        match left {
            Some(left) if left.is_empty() => return Ok(()),
            _ if healed.elapsed() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Some(left) => {
                return Err(format!(
                    "ISRs not whole {} ms after healing: {}",
                    deadline.as_millis(),
                    left.join(", ")
                ))
            }
            None => return Err("no node runs a quorum member after healing".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use weir::core::controller::{PartitionRegistration, TopicImage};

    use super::*;

    fn image(isr: Vec<i32>, leader: i32) -> MetadataImage {
        let partition = PartitionRegistration {
            replicas: vec![1, 2, 3],
            isr,
            adding_replicas: vec![],
            removing_replicas: vec![],
            leader,
            leader_epoch: 2,
            partition_epoch: 4,
            unclean: false,
            elr: vec![],
            last_known_elr: vec![],
        };
        let topic = TopicImage {
            name: "t".into(),
            topic_id: 9,
            partitions: BTreeMap::from([(0, partition)]),
        };
        MetadataImage {
            topics: BTreeMap::from([(9, Arc::new(topic))]),
            ..MetadataImage::default()
        }
    }

    #[test]
    fn a_missing_member_or_leader_is_unhealed() {
        assert!(unhealed(&image(vec![3, 1, 2], 1)).is_empty());
        let short = unhealed(&image(vec![1, 2], 1));
        assert_eq!(
            short,
            vec!["t-0 (leader 1, ISR [1, 2], replicas [1, 2, 3])"]
        );
        assert_eq!(unhealed(&image(vec![1, 2, 3], NO_LEADER)).len(), 1);
    }
}
