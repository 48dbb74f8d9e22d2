//! Applying committed metadata to the broker (KRaft's metadata publishers): each newer image
//! replaces the one handlers answer from, logs are created for partitions placed on this
//! broker, logs of topics the image dropped are deleted, config changes reach open logs, and
//! every partition this broker starts to lead (or leads in a new epoch) is recorded in the
//! trace.
//!
//! Deletion is careful because a deleted log is gone for good: a log is deleted only when a
//! topic or partition this broker had *disappears between two images*. At start-up, once this
//! broker's image has caught up with its own registration, logs the image does not place here
//! are set aside (renamed `*-stray`, as Kafka does), never deleted: a half-replayed or damaged
//! metadata log must not take data with it.

use std::sync::Arc;

use super::broker::{lock_log, Broker, BrokerState};
use super::topics::TopicRegistry;
use crate::core::controller::MetadataImage;
use crate::runtime::unix_time_ms;
use crate::storage::TopicIdState;
use crate::types::TopicPartition;

/// Why a partition cannot be served here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotServed {
    /// The image has no such topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
    Unknown,
    /// Another broker leads it, or no one does: NOT_LEADER_OR_FOLLOWER.
    NotLeader,
}

impl NotServed {
    pub fn error(self) -> kafka_protocol::ResponseError {
        match self {
            NotServed::Unknown => kafka_protocol::ResponseError::UnknownTopicOrPartition,
            NotServed::NotLeader => kafka_protocol::ResponseError::NotLeaderOrFollower,
        }
    }
}

impl Broker {
    /// Applies `image` if it is newer than the one applied; older or equal ones are ignored, so
    /// the node's publisher and a handler that just committed a change may both call it.
    pub fn apply_image(&self, image: Arc<MetadataImage>) {
        let node_id = self.config.node_id;
        let offset = image.offset;
        let mut state = self.state();
        if offset <= *self.applied.borrow() {
            return;
        }
        let previous = std::mem::replace(&mut state.image, image.clone());
        state.registry = TopicRegistry::from_image(&image, node_id);
        // Deletions first: a topic deleted and created again under its name gets a new log. Only
        // once the previous image covered this incarnation's registration: before that, the
        // images are a replay catching up (a snapshot, then batches), whose differences say
        // nothing about the logs on disk; start-up sets aside what the caught-up image does
        // not place here instead (`quarantine_strays`).
        let epoch = self.broker_epoch();
        if epoch >= 0 && previous.offset > epoch {
            self.delete_dropped_logs(&mut state, &previous);
        }
        // The image holds every entry below its offset: the registration (at `epoch`) too.
        let caught_up = epoch >= 0 && image.offset > epoch;
        self.create_hosted_logs(&mut state, caught_up);
        if previous.configs != image.configs {
            self.refresh_log_configs(&state);
        }
        record_new_leadership(&state, &previous, node_id);
        // Roles only from an image that covers this incarnation's registration: an older one,
        // replayed while catching up, may make this broker leader of a partition it no longer
        // leads, and a leader state built from it would move the high watermark by an old ISR.
        if caught_up
            && self
                .replicas
                .apply(&state.image, &state.logs, unix_time_ms())
        {
            self.notify_append();
        }
        // Published under the state lock, so the applied offset never runs ahead of the image.
        self.applied.send_replace(offset);
    }

    /// Sets aside (renames, never deletes) logs the current image does not place on this
    /// broker. Called once at start-up, after the image has caught up with this broker's
    /// registration. Metadata that lost a topic (a damaged metadata log on a single node) must
    /// not take the topic's data with it.
    pub fn quarantine_strays(&self) {
        let mut state = self.state();
        let strays: Vec<TopicPartition> = state
            .logs
            .partitions()
            .into_iter()
            .filter(|tp| !hosted(&state.image, tp, self.config.node_id))
            .collect();
        for tp in strays {
            let why = "the metadata does not place this partition here; its log was set aside";
            self.set_aside(&mut state, &tp, why);
        }
        // Logs of an earlier topic under a hosted name are set aside and replaced now too.
        self.create_hosted_logs(&mut state, true);
        if self
            .replicas
            .apply(&state.image, &state.logs, unix_time_ms())
        {
            self.notify_append();
        }
    }

    /// Moves a log out of the way (see `LogManager::quarantine_log`); whether it moved.
    fn set_aside(&self, state: &mut BrokerState, tp: &TopicPartition, why: &str) -> bool {
        match state.logs.quarantine_log(tp, unix_time_ms()) {
            Ok(path) => {
                tracing::warn!(partition = %tp, moved_to = %path.display(), "{why}");
                true
            }
            Err(error) => {
                self.health.record("setting aside a stray log", &error);
                false
            }
        }
    }

    /// Waits until an image at `offset` or later is applied, at most `wait`. Whether it was.
    pub async fn wait_applied(&self, offset: i64, wait: std::time::Duration) -> bool {
        let mut applied = self.applied.subscribe();
        // Not keeping `wait_for`'s read guard on the watch (see `QuorumService::submit`).
        crate::runtime::timeout(wait, applied.wait_for(|&at| at >= offset))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }

    /// Waits until the applied image satisfies `ready`, at most `wait`. Whether it did.
    pub async fn wait_image(
        &self,
        ready: impl Fn(&MetadataImage) -> bool,
        wait: std::time::Duration,
    ) -> bool {
        let mut applied = self.applied.subscribe();
        let check = async {
            loop {
                if ready(&self.image()) {
                    return;
                }
                if applied.changed().await.is_err() {
                    return;
                }
            }
        };
        crate::runtime::timeout(wait, check).await.is_ok() && ready(&self.image())
    }

    /// The log of a partition this broker leads now, and its leader epoch. One lock, no
    /// copies: this is on every produce and fetch.
    pub fn leader_log(
        &self,
        tp: &TopicPartition,
    ) -> Result<(Arc<std::sync::Mutex<crate::storage::Log>>, i32), NotServed> {
        let state = self.state();
        let partition = state
            .image
            .partition(&tp.topic, tp.partition)
            .ok_or(NotServed::Unknown)?;
        if partition.leader != self.config.node_id {
            return Err(NotServed::NotLeader);
        }
        let log = state.logs.get(tp).ok_or(NotServed::NotLeader)?;
        Ok((log, partition.leader_epoch))
    }

    /// [`Broker::leader_log`], checking the leader epoch the client believes current (KIP-320):
    /// a newer one than ours means our metadata is behind (UNKNOWN_LEADER_EPOCH), an older one
    /// that the client's is (FENCED_LEADER_EPOCH); -1 says nothing.
    pub fn leader_log_checked(
        &self,
        tp: &TopicPartition,
        current_leader_epoch: i32,
    ) -> Result<(Arc<std::sync::Mutex<crate::storage::Log>>, i32), kafka_protocol::ResponseError>
    {
        let (log, leader_epoch) = self.leader_log(tp).map_err(NotServed::error)?;
        if current_leader_epoch > leader_epoch {
            return Err(kafka_protocol::ResponseError::UnknownLeaderEpoch);
        }
        if current_leader_epoch >= 0 && current_leader_epoch < leader_epoch {
            return Err(kafka_protocol::ResponseError::FencedLeaderEpoch);
        }
        Ok((log, leader_epoch))
    }

    /// Creates a log for every partition the image places here that has none. Once the image
    /// covers this broker's registration (`caught_up`), an existing log is also checked against
    /// the topic's id (KIP-516): one without an id adopts it, and one created for an earlier
    /// topic of the same name (deleted and created again while this broker was away) is set
    /// aside and replaced by an empty log. Before that, the image may be a replay still behind
    /// the disk, whose ids prove nothing.
    fn create_hosted_logs(&self, state: &mut BrokerState, caught_up: bool) {
        let node_id = self.config.node_id;
        let image = state.image.clone();
        for topic in image.topics.values() {
            let mut config = None;
            for (&partition, registration) in &topic.partitions {
                if !registration.replicas.contains(&node_id) {
                    continue;
                }
                let tp = TopicPartition::new(&topic.name, partition);
                if state.logs.get(&tp).is_some() {
                    if !caught_up {
                        continue;
                    }
                    match state.logs.topic_id(&tp) {
                        Some(TopicIdState::Known(id)) if id == topic.topic_id => continue,
                        Some(TopicIdState::Missing) | None => {
                            if let Err(error) = state.logs.adopt_topic_id(&tp, topic.topic_id) {
                                self.health.record("recording a log's topic id", &error);
                            }
                            continue;
                        }
                        Some(TopicIdState::Known(_) | TopicIdState::Unreadable) => {
                            let why = "the log belongs to an earlier topic of this name (or \
                                       its partition.metadata is unreadable); it was set aside \
                                       and the partition starts empty";
                            // A log that did not move must not get a new one over its files.
                            if !self.set_aside(state, &tp, why) {
                                continue;
                            }
                        }
                    }
                }
                let config = config.get_or_insert_with(|| {
                    let overrides = state
                        .registry
                        .get(&topic.name)
                        .map(|meta| meta.configs.clone())
                        .unwrap_or_default();
                    self.log_config(state, &overrides)
                });
                let (now, id) = (unix_time_ms(), Some(topic.topic_id));
                if let Err(error) = state.logs.create_log(&tp, config.clone(), now, id) {
                    self.health.record("creating a log", &error);
                }
            }
        }
    }

    fn delete_dropped_logs(&self, state: &mut BrokerState, previous: &MetadataImage) {
        let node_id = self.config.node_id;
        let dropped: Vec<TopicPartition> = state
            .logs
            .partitions()
            .into_iter()
            .filter(|tp| hosted_by_id(previous, tp, node_id).is_some())
            .filter(|tp| {
                hosted_by_id(previous, tp, node_id) != hosted_by_id(&state.image, tp, node_id)
            })
            .collect();
        for tp in dropped {
            tracing::info!(partition = %tp, "deleting the log of a removed partition");
            if let Err(error) = state.logs.delete_log(&tp) {
                self.health.record("deleting a log", &error);
            }
        }
    }
}

/// Whether `image` places a replica of `tp` on `node_id`.
fn hosted(image: &MetadataImage, tp: &TopicPartition, node_id: i32) -> bool {
    hosted_by_id(image, tp, node_id).is_some()
}

/// The id of the topic `tp` belongs to in `image`, if it places a replica on `node_id`: a topic
/// deleted and created again under the same name is a different topic, whose log starts empty.
fn hosted_by_id(image: &MetadataImage, tp: &TopicPartition, node_id: i32) -> Option<u128> {
    let topic = image.topic_by_name(&tp.topic)?;
    let partition = topic.partitions.get(&tp.partition)?;
    partition
        .replicas
        .contains(&node_id)
        .then_some(topic.topic_id)
}

/// Traces each partition this broker leads in `state.image` but did not lead, in that epoch,
/// in `previous`, with the log's offsets as they are at that moment.
fn record_new_leadership(state: &BrokerState, previous: &MetadataImage, node_id: i32) {
    for topic in state.image.topics.values() {
        for (&partition, registration) in &topic.partitions {
            if registration.leader != node_id {
                continue;
            }
            let before = previous.partition(&topic.name, partition);
            let same = before.is_some_and(|b| {
                b.leader == node_id && b.leader_epoch == registration.leader_epoch
            });
            if same {
                continue;
            }
            let tp = TopicPartition::new(&topic.name, partition);
            if let Some(log) = state.logs.get(&tp) {
                let log = lock_log(&log);
                crate::event!(
                    "leader {tp} epoch={} log_start={} hw={} leo={}",
                    registration.leader_epoch,
                    log.log_start_offset(),
                    log.high_watermark(),
                    log.log_end_offset()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::BrokerConfig;
    use crate::core::controller::MetadataRecord;
    use crate::storage::{Disk, MemDisk};

    fn partition(partition: i32, replicas: Vec<i32>, leader: i32, epoch: i32) -> MetadataRecord {
        MetadataRecord::Partition {
            topic_id: 9,
            partition,
            replicas: replicas.clone(),
            isr: replicas,
            adding_replicas: vec![],
            removing_replicas: vec![],
            leader,
            leader_epoch: epoch,
            partition_epoch: epoch,
            unclean: false,
            elr: vec![],
            last_known_elr: vec![],
        }
    }

    fn image(offset: i64, records: &[MetadataRecord]) -> Arc<MetadataImage> {
        let mut image = MetadataImage::default();
        image.replay_batch(offset, records).unwrap();
        Arc::new(image)
    }

    #[test]
    fn only_partitions_the_image_says_this_broker_leads_are_served() {
        let config = BrokerConfig::load(None, &["log.dirs=/data".to_string()]).unwrap();
        let disk = Arc::new(MemDisk::new());
        let broker = Broker::open(config, disk.clone(), 1).unwrap();
        let topic = MetadataRecord::Topic {
            name: "t".into(),
            topic_id: 9,
        };
        let records = [
            topic.clone(),
            partition(0, vec![1], 1, 3),
            partition(1, vec![2, 1], 2, 0),
            partition(2, vec![2], 2, 0),
            partition(3, vec![1], -1, 4),
        ];
        broker.apply_image(image(5, &records));
        let tp = |p| TopicPartition::new("t", p);
        assert_eq!(broker.leader_log(&tp(0)).map(|(_, e)| e), Ok(3));
        assert_eq!(broker.leader_log(&tp(1)).err(), Some(NotServed::NotLeader));
        assert_eq!(broker.leader_log(&tp(3)).err(), Some(NotServed::NotLeader));
        assert_eq!(broker.leader_log(&tp(7)).err(), Some(NotServed::Unknown));
        let other = TopicPartition::new("u", 0);
        assert_eq!(broker.leader_log(&other).err(), Some(NotServed::Unknown));
        // Logs exist for the replicas placed here (0, 1, 3), not for partition 2.
        let logs = broker.state().logs.partitions();
        assert_eq!(logs, vec![tp(0), tp(1), tp(3)]);
        // An older image is ignored. Before this broker's registration is in the image, a newer
        // one without the topic deletes nothing (it may be a replay still catching up).
        broker.apply_image(image(4, &[topic]));
        assert_eq!(broker.state().logs.partitions().len(), 3);
        broker.apply_image(image(6, &[]));
        assert_eq!(broker.state().logs.partitions().len(), 3);
        // Registered at offset 2 and past it: a topic that disappears takes its logs along.
        broker.set_broker_epoch(2);
        broker.apply_image(image(7, &records));
        broker.apply_image(image(8, &[]));
        assert!(broker.state().logs.partitions().is_empty());
        assert!(!disk.exists(Path::new("/data/t-0")).unwrap());
    }

    #[test]
    fn a_log_of_an_earlier_topic_with_the_same_name_is_set_aside_once_caught_up() {
        use crate::storage::partition_metadata;
        use crate::storage::{LogConfig, LogManager};
        let disk = Arc::new(MemDisk::new());
        let (old, unknown) = (TopicPartition::new("t", 0), TopicPartition::new("t", 1));
        let unreadable = TopicPartition::new("t", 2);
        {
            // Left by an earlier topic "t" (id 5), a log from before ids were written, and one
            // whose partition.metadata is damaged.
            let dirs = vec!["/data".into()];
            let default = LogConfig::default();
            let mut logs =
                LogManager::open(disk.clone(), dirs, &Default::default(), &default, 0).unwrap();
            for (tp, id) in [(&old, Some(5)), (&unknown, None), (&unreadable, Some(5))] {
                logs.create_log(tp, LogConfig::default(), 0, id).unwrap();
            }
            logs.shutdown(7).unwrap();
            let file = Path::new("/data/t-2").join(partition_metadata::PARTITION_METADATA_FILE);
            crate::storage::disk::write_atomic(&*disk, &file, b"version: 0\ntopic_id: ?\n")
                .unwrap();
        }
        let config = BrokerConfig::load(None, &["log.dirs=/data".to_string()]).unwrap();
        let broker = Broker::open(config, disk.clone(), 1).unwrap();
        let topic = MetadataRecord::Topic {
            name: "t".into(),
            topic_id: 9,
        };
        let records = [
            topic,
            partition(0, vec![1], 1, 0),
            partition(1, vec![1], 1, 0),
            partition(2, vec![1], 1, 0),
        ];
        let id_of = |dir: &str| {
            partition_metadata::read(&*disk, Path::new(dir))
                .ok()
                .flatten()
        };
        // A replay still behind this broker's registration (at offset 6) proves nothing: an
        // image of the entries below it moves nothing.
        broker.set_broker_epoch(6);
        broker.apply_image(image(5, &records));
        assert_eq!(id_of("/data/t-0"), Some(5));
        assert_eq!(id_of("/data/t-1"), None);
        // Caught up (the image holds entry 6): the old topic's log and the one whose topic is
        // unknown are set aside and new ones made; the log without an id adopts the topic's.
        broker.apply_image(image(6, &records));
        assert_eq!(id_of("/data/t-0"), Some(9));
        assert_eq!(id_of("/data/t-1"), Some(9));
        assert_eq!(id_of("/data/t-2"), Some(9));
        let strays = |prefix: &str| -> Vec<String> {
            (disk.read_dir(Path::new("/data")).unwrap().into_iter())
                .map(|entry| entry.name)
                .filter(|name| name.starts_with(prefix) && name.ends_with("-stray"))
                .collect()
        };
        assert_eq!(strays("t-0.").len(), 1);
        assert_eq!(id_of(&format!("/data/{}", strays("t-0.")[0])), Some(5));
        assert!(strays("t-1.").is_empty());
        assert_eq!(strays("t-2.").len(), 1);
        assert_eq!(
            broker.state().logs.partitions(),
            vec![old, unknown, unreadable]
        );
    }
}
