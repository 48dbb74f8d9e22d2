//! The metadata image: the cluster's metadata as of some offset of the metadata log, built by
//! replaying records in order (KRaft's `MetadataImage`). Every broker keeps one and answers
//! Metadata requests from it; the active controller keeps one too and decides from it.
//!
//! Replay is strict: a record that does not fit the image (a partition of an unknown topic, a
//! change to a broker epoch that is not current) is an error, never ignored, because an image
//! that silently skipped a record would disagree with every other node's. The image can be
//! written back out as records ([`MetadataImage::to_records`]): that is a snapshot.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::records::{ConfigResource, Endpoint, MetadataRecord};

/// No leader: the partition is offline (Kafka's `-1`).
pub const NO_LEADER: i32 = -1;

/// A registered broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRegistration {
    pub broker_id: i32,
    pub incarnation_id: u128,
    pub broker_epoch: i64,
    pub endpoints: Vec<Endpoint>,
    pub rack: Option<String>,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
}

impl BrokerRegistration {
    /// May lead partitions and count as alive for elections.
    pub fn is_active(&self) -> bool {
        !self.fenced && !self.in_controlled_shutdown
    }
}

/// One partition's replicas, ISR and leadership (KRaft's `PartitionRegistration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRegistration {
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// Replicas being added or removed by a reassignment in progress.
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
    pub leader: i32,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    /// The current leader was elected uncleanly and may lack acknowledged data.
    pub unclean: bool,
    /// Eligible leader replicas (KIP-966): replicas that left an ISR already below
    /// `min.insync.replicas`, so they hold every record below the high watermark (which stood
    /// still meanwhile); when the ISR is empty, a clean election may pick one of them.
    pub elr: Vec<i32>,
    /// The leader when the partition last went leaderless (KIP-966's last known leader): with
    /// no ISR or ELR member left, it may lead again, as an unclean election.
    pub last_known_elr: Vec<i32>,
}

impl PartitionRegistration {
    /// The replica a preferred election would choose: the first one listed.
    pub fn preferred_leader(&self) -> Option<i32> {
        self.replicas.first().copied()
    }

    pub fn is_reassigning(&self) -> bool {
        !self.adding_replicas.is_empty() || !self.removing_replicas.is_empty()
    }

    /// The replica set from before a reassignment in progress (all of them when none is).
    pub fn original_replicas(&self) -> Vec<i32> {
        self.replicas
            .iter()
            .copied()
            .filter(|r| !self.adding_replicas.contains(r))
            .collect()
    }

    /// The replica set a reassignment in progress is heading to.
    pub fn target_replicas(&self) -> Vec<i32> {
        self.replicas
            .iter()
            .copied()
            .filter(|r| !self.removing_replicas.contains(r))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicImage {
    pub name: String,
    pub topic_id: u128,
    pub partitions: BTreeMap<i32, PartitionRegistration>,
}

/// The cluster's metadata at `offset`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataImage {
    /// The offset of the next entry to replay (every entry below it is in the image).
    pub offset: i64,
    pub brokers: BTreeMap<i32, BrokerRegistration>,
    /// Shared, so copying an image (every batch of records is applied to a copy, and every
    /// commit publishes one) copies pointers; a change copies only its own topic.
    pub topics: BTreeMap<u128, Arc<TopicImage>>,
    pub topic_ids: BTreeMap<String, u128>,
    pub configs: BTreeMap<ConfigResource, BTreeMap<String, String>>,
}

/// A record that does not fit the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    UnknownBroker {
        broker_id: i32,
    },
    StaleBrokerEpoch {
        broker_id: i32,
        broker_epoch: i64,
    },
    TopicNameTaken {
        name: String,
    },
    TopicIdTaken {
        topic_id: u128,
    },
    UnknownTopic {
        topic_id: u128,
    },
    PartitionExists {
        topic_id: u128,
        partition: i32,
    },
    UnknownPartition {
        topic_id: u128,
        partition: i32,
    },
    /// The entry's offset is below what the image already holds.
    OffsetBehind {
        offset: i64,
        image_offset: i64,
    },
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::UnknownBroker { broker_id } => {
                write!(
                    f,
                    "record names broker {broker_id}, which is not registered"
                )
            }
            ReplayError::StaleBrokerEpoch {
                broker_id,
                broker_epoch,
            } => write!(
                f,
                "record names broker {broker_id} at epoch {broker_epoch}, not its current epoch"
            ),
            ReplayError::TopicNameTaken { name } => write!(f, "topic {name:?} already exists"),
            ReplayError::TopicIdTaken { topic_id } => {
                write!(
                    f,
                    "topic id {} already exists",
                    uuid::Uuid::from_u128(*topic_id)
                )
            }
            ReplayError::UnknownTopic { topic_id } => {
                write!(
                    f,
                    "record names unknown topic id {}",
                    uuid::Uuid::from_u128(*topic_id)
                )
            }
            ReplayError::PartitionExists {
                topic_id,
                partition,
            } => write!(
                f,
                "partition {partition} of topic id {} already exists",
                uuid::Uuid::from_u128(*topic_id)
            ),
            ReplayError::UnknownPartition {
                topic_id,
                partition,
            } => write!(
                f,
                "record names unknown partition {partition} of topic id {}",
                uuid::Uuid::from_u128(*topic_id)
            ),
            ReplayError::OffsetBehind {
                offset,
                image_offset,
            } => write!(
                f,
                "entry at offset {offset} is behind the image at offset {image_offset}"
            ),
        }
    }
}

impl MetadataImage {
    /// Partitions with a reassignment in progress, in topic name and partition order.
    pub fn reassignments(&self) -> Vec<(&str, i32, &PartitionRegistration)> {
        let mut out: Vec<_> = (self.topics.values())
            .flat_map(|topic| {
                (topic.partitions.iter())
                    .filter(|(_, p)| p.is_reassigning())
                    .map(|(&index, p)| (topic.name.as_str(), index, p))
            })
            .collect();
        out.sort_by_key(|&(name, index, _)| (name, index));
        out
    }

    /// Applies the batch of the entry at `offset` atomically: either every record applies or
    /// the image is left unchanged and the error returned.
    pub fn replay_batch(
        &mut self,
        offset: i64,
        records: &[MetadataRecord],
    ) -> Result<(), ReplayError> {
        if offset < self.offset {
            return Err(ReplayError::OffsetBehind {
                offset,
                image_offset: self.offset,
            });
        }
        self.replay_records(records)?;
        self.offset = offset + 1;
        Ok(())
    }

    /// Applies `records` atomically without moving the offset: the active controller applies
    /// what it decides at once, before the entry that carries it is committed (Kafka's
    /// controller does the same and reverts to the committed image if it loses the lead).
    pub fn replay_records(&mut self, records: &[MetadataRecord]) -> Result<(), ReplayError> {
        // One record is atomic by itself: `replay` checks everything before it changes
        // anything. Most entries carry one record (a heartbeat's fence change, a leader
        // moving), so most skip the copy.
        if let [record] = records {
            return self.replay(record);
        }
        let mut next = self.clone();
        for record in records {
            next.replay(record)?;
        }
        *self = next;
        Ok(())
    }

    /// Moves the image's offset past an entry that carries no records (a LeaderChange).
    pub fn skip_to(&mut self, offset: i64) {
        self.offset = self.offset.max(offset + 1);
    }

    /// Applies one record, or fails and changes nothing: every check comes before the first
    /// change, which `replay_records` relies on.
    fn replay(&mut self, record: &MetadataRecord) -> Result<(), ReplayError> {
        match record {
            MetadataRecord::RegisterBroker {
                broker_id,
                incarnation_id,
                broker_epoch,
                endpoints,
                rack,
                fenced,
            } => {
                if let Some(old) = self.brokers.get(broker_id) {
                    if *broker_epoch <= old.broker_epoch {
                        return Err(ReplayError::StaleBrokerEpoch {
                            broker_id: *broker_id,
                            broker_epoch: *broker_epoch,
                        });
                    }
                }
                let registration = BrokerRegistration {
                    broker_id: *broker_id,
                    incarnation_id: *incarnation_id,
                    broker_epoch: *broker_epoch,
                    endpoints: endpoints.clone(),
                    rack: rack.clone(),
                    fenced: *fenced,
                    in_controlled_shutdown: false,
                };
                self.brokers.insert(*broker_id, registration);
            }
            MetadataRecord::BrokerRegistrationChange {
                broker_id,
                broker_epoch,
                fenced,
                in_controlled_shutdown,
            } => {
                let broker = self
                    .brokers
                    .get_mut(broker_id)
                    .ok_or(ReplayError::UnknownBroker {
                        broker_id: *broker_id,
                    })?;
                if broker.broker_epoch != *broker_epoch {
                    return Err(ReplayError::StaleBrokerEpoch {
                        broker_id: *broker_id,
                        broker_epoch: *broker_epoch,
                    });
                }
                if let Some(fenced) = fenced {
                    broker.fenced = *fenced;
                }
                if let Some(shutting_down) = in_controlled_shutdown {
                    broker.in_controlled_shutdown = *shutting_down;
                }
            }
            MetadataRecord::Topic { name, topic_id } => {
                if self.topic_ids.contains_key(name) {
                    return Err(ReplayError::TopicNameTaken { name: name.clone() });
                }
                if self.topics.contains_key(topic_id) {
                    return Err(ReplayError::TopicIdTaken {
                        topic_id: *topic_id,
                    });
                }
                self.topic_ids.insert(name.clone(), *topic_id);
                let topic = TopicImage {
                    name: name.clone(),
                    topic_id: *topic_id,
                    partitions: BTreeMap::new(),
                };
                self.topics.insert(*topic_id, Arc::new(topic));
            }
            MetadataRecord::Partition {
                topic_id,
                partition,
                replicas,
                isr,
                adding_replicas,
                removing_replicas,
                leader,
                leader_epoch,
                partition_epoch,
                unclean,
                elr,
                last_known_elr,
            } => {
                let topic = self.topic_mut(*topic_id)?;
                if topic.partitions.contains_key(partition) {
                    return Err(ReplayError::PartitionExists {
                        topic_id: *topic_id,
                        partition: *partition,
                    });
                }
                let registration = PartitionRegistration {
                    replicas: replicas.clone(),
                    isr: isr.clone(),
                    adding_replicas: adding_replicas.clone(),
                    removing_replicas: removing_replicas.clone(),
                    leader: *leader,
                    leader_epoch: *leader_epoch,
                    partition_epoch: *partition_epoch,
                    unclean: *unclean,
                    elr: elr.clone(),
                    last_known_elr: last_known_elr.clone(),
                };
                topic.partitions.insert(*partition, registration);
            }
            MetadataRecord::PartitionChange {
                topic_id,
                partition,
                leader,
                isr,
                replicas,
                adding_replicas,
                removing_replicas,
                unclean,
                recovered,
                elr,
                last_known_elr,
            } => {
                let topic = self.topic_mut(*topic_id)?;
                let current =
                    topic
                        .partitions
                        .get_mut(partition)
                        .ok_or(ReplayError::UnknownPartition {
                            topic_id: *topic_id,
                            partition: *partition,
                        })?;
                // A present leader always bumps the epoch, even when it is the same broker: that
                // is how replicas a reassignment removed are fenced (Kafka's PartitionChange).
                if let Some(leader) = leader {
                    current.leader = *leader;
                    current.leader_epoch += 1;
                    current.unclean = *unclean;
                }
                if *recovered {
                    current.unclean = false;
                }
                if let Some(isr) = isr {
                    current.isr = isr.clone();
                }
                if let Some(replicas) = replicas {
                    current.replicas = replicas.clone();
                }
                if let Some(adding) = adding_replicas {
                    current.adding_replicas = adding.clone();
                }
                if let Some(removing) = removing_replicas {
                    current.removing_replicas = removing.clone();
                }
                if let Some(elr) = elr {
                    current.elr = elr.clone();
                }
                if let Some(last_known) = last_known_elr {
                    current.last_known_elr = last_known.clone();
                }
                current.partition_epoch += 1;
            }
            MetadataRecord::ClearElr { topic } => {
                let ids: Vec<u128> = match topic {
                    Some(name) => {
                        let id = self.topic_ids.get(name).copied();
                        // A topic deleted before the record was decided: nothing to clear.
                        id.into_iter().collect()
                    }
                    None => self.topics.keys().copied().collect(),
                };
                for id in ids {
                    let holds_elr = |p: &PartitionRegistration| {
                        !p.elr.is_empty() || !p.last_known_elr.is_empty()
                    };
                    let Some(topic) = self.topics.get(&id) else {
                        continue;
                    };
                    if !topic.partitions.values().any(holds_elr) {
                        continue;
                    }
                    for partition in self.topic_mut(id)?.partitions.values_mut() {
                        if holds_elr(partition) {
                            partition.elr.clear();
                            partition.last_known_elr.clear();
                            partition.partition_epoch += 1;
                        }
                    }
                }
            }
            MetadataRecord::Config {
                resource,
                name,
                value,
            } => {
                let configs = self.configs.entry(resource.clone()).or_default();
                match value {
                    Some(value) => {
                        configs.insert(name.clone(), value.clone());
                    }
                    None => {
                        configs.remove(name);
                    }
                }
                if configs.is_empty() {
                    self.configs.remove(resource);
                }
            }
            MetadataRecord::RemoveTopic { topic_id } => {
                let topic = self
                    .topics
                    .remove(topic_id)
                    .ok_or(ReplayError::UnknownTopic {
                        topic_id: *topic_id,
                    })?;
                self.topic_ids.remove(&topic.name);
                self.configs
                    .remove(&ConfigResource::Topic(topic.name.clone()));
            }
            MetadataRecord::NoOp => {}
        }
        Ok(())
    }

    /// The topic to change, copied first if another image shares it.
    fn topic_mut(&mut self, topic_id: u128) -> Result<&mut TopicImage, ReplayError> {
        self.topics
            .get_mut(&topic_id)
            .map(Arc::make_mut)
            .ok_or(ReplayError::UnknownTopic { topic_id })
    }

    pub fn topic_by_name(&self, name: &str) -> Option<&TopicImage> {
        let id = self.topic_ids.get(name)?;
        self.topics.get(id).map(|topic| &**topic)
    }

    pub fn partition(&self, name: &str, partition: i32) -> Option<&PartitionRegistration> {
        self.topic_by_name(name)?.partitions.get(&partition)
    }

    /// Whether `broker_id` is registered, unfenced and not shutting down.
    pub fn is_active(&self, broker_id: i32) -> bool {
        self.brokers
            .get(&broker_id)
            .is_some_and(BrokerRegistration::is_active)
    }

    /// Brokers that can host new replicas, in id order.
    pub fn active_brokers(&self) -> Vec<i32> {
        self.brokers
            .values()
            .filter(|b| b.is_active())
            .map(|b| b.broker_id)
            .collect()
    }

    /// The image as records that rebuild it when replayed into an empty image: a snapshot.
    pub fn to_records(&self) -> Vec<MetadataRecord> {
        let mut records = Vec::new();
        for broker in self.brokers.values() {
            records.push(MetadataRecord::RegisterBroker {
                broker_id: broker.broker_id,
                incarnation_id: broker.incarnation_id,
                broker_epoch: broker.broker_epoch,
                endpoints: broker.endpoints.clone(),
                rack: broker.rack.clone(),
                fenced: broker.fenced,
            });
            if broker.in_controlled_shutdown {
                records.push(MetadataRecord::BrokerRegistrationChange {
                    broker_id: broker.broker_id,
                    broker_epoch: broker.broker_epoch,
                    fenced: None,
                    in_controlled_shutdown: Some(true),
                });
            }
        }
        for topic in self.topics.values() {
            records.push(MetadataRecord::Topic {
                name: topic.name.clone(),
                topic_id: topic.topic_id,
            });
            for (&partition, p) in &topic.partitions {
                records.push(MetadataRecord::Partition {
                    topic_id: topic.topic_id,
                    partition,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    adding_replicas: p.adding_replicas.clone(),
                    removing_replicas: p.removing_replicas.clone(),
                    leader: p.leader,
                    leader_epoch: p.leader_epoch,
                    partition_epoch: p.partition_epoch,
                    unclean: p.unclean,
                    elr: p.elr.clone(),
                    last_known_elr: p.last_known_elr.clone(),
                });
            }
        }
        for (resource, configs) in &self.configs {
            for (name, value) in configs {
                records.push(MetadataRecord::Config {
                    resource: resource.clone(),
                    name: name.clone(),
                    value: Some(value.clone()),
                });
            }
        }
        records
    }

    /// Rebuilds an image from a snapshot's records taken at `offset`.
    pub fn from_snapshot(offset: i64, records: &[MetadataRecord]) -> Result<Self, ReplayError> {
        let mut image = MetadataImage::default();
        for record in records {
            image.replay(record)?;
        }
        image.offset = offset;
        Ok(image)
    }
}
