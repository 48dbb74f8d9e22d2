//! Topic operations at the controller: CreateTopics, CreatePartitions, DeleteTopics and config
//! changes, each turned into one atomic batch of records.
//!
//! Names and config values are checked by the broker that received the request, before it
//! reaches the controller (the same pure checks a single node uses); the controller checks what
//! only it can: existence, partition counts against the image, and replica placement against
//! the live brokers: a replication factor is at least 1 and at most the live brokers.

use std::collections::{BTreeMap, BTreeSet};

use super::controller::{
    Controller, Outcome, MIN_INSYNC_REPLICAS, RECORDS_PER_OPERATION_MAX,
    UNCLEAN_LEADER_ELECTION_ENABLE,
};
use super::errors::ControllerError;
use super::placement::{continue_from, place_replicas, PlacementError};
use super::records::{ConfigResource, MetadataRecord};
use crate::limits::TOPIC_PARTITIONS_MAX;

/// A topic to create. `num_partitions` and `replication_factor` of -1 mean the defaults;
/// `assignments`, when given, fixes both (partition index → replicas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicRequest {
    pub name: String,
    pub num_partitions: i32,
    pub replication_factor: i16,
    pub assignments: BTreeMap<i32, Vec<i32>>,
    pub configs: BTreeMap<String, String>,
}

/// What was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    pub topic_id: u128,
    pub num_partitions: i32,
    pub replication_factor: i16,
}

/// One config change of IncrementalAlterConfigs: set (`Some`) or delete (`None`).
pub type ConfigChange = (String, Option<String>);

impl Controller {
    /// Creates a topic with its partitions and configs. With `validate_only` nothing is
    /// written, but every check runs.
    pub fn create_topic(
        &mut self,
        request: CreateTopicRequest,
        validate_only: bool,
        at: i64,
    ) -> Result<Outcome<CreatedTopic>, ControllerError> {
        self.create_topic_with_id(request, validate_only, None, at)
    }

    /// Brings a topic a single node kept before it ran the quorum (its `weir-metadata.json`)
    /// into the metadata log with the id it already had, so clients that cached the id and
    /// logs already on disk stay valid. `request` must carry manual assignments.
    pub fn import_topic(
        &mut self,
        request: CreateTopicRequest,
        topic_id: u128,
        at: i64,
    ) -> Result<Outcome<CreatedTopic>, ControllerError> {
        if request.assignments.is_empty() {
            let reason = "an imported topic must name its replicas".to_string();
            return Err(ControllerError::InvalidReplicaAssignment { reason });
        }
        if topic_id == 0 || self.image.topics.contains_key(&topic_id) {
            let reason = format!(
                "topic id {} is zero or taken",
                uuid::Uuid::from_u128(topic_id)
            );
            return Err(ControllerError::InvalidReplicaAssignment { reason });
        }
        self.create_topic_with_id(request, false, Some(topic_id), at)
    }

    fn create_topic_with_id(
        &mut self,
        request: CreateTopicRequest,
        validate_only: bool,
        topic_id: Option<u128>,
        at: i64,
    ) -> Result<Outcome<CreatedTopic>, ControllerError> {
        if self.image.topic_ids.contains_key(&request.name) {
            return Err(ControllerError::TopicExists { name: request.name });
        }
        // Kafka refuses a name equal to an existing one once '.' is read as '_': the two
        // would share their metric names.
        let metric_name = |name: &str| name.replace('.', "_");
        let wanted = metric_name(&request.name);
        if let Some(existing) =
            (self.image.topic_ids.keys()).find(|name| metric_name(name) == wanted)
        {
            return Err(ControllerError::TopicCollides {
                name: request.name,
                existing: existing.clone(),
            });
        }
        let assignments = if request.assignments.is_empty() {
            let partitions = match request.num_partitions {
                -1 => self.settings.default_partitions,
                n => n,
            };
            let factor = match request.replication_factor {
                -1 => self.settings.default_replication_factor,
                n => n,
            };
            check_partition_count(&request.name, partitions)?;
            check_replication_factor(factor)?;
            let brokers = self.image.active_brokers();
            let n = brokers.len().max(1) as u64;
            // A validation must not move the stream, or it would change the real creation.
            let mut rng = self.rng.clone();
            let start = rng.below(n) as usize;
            let shift = rng.below(n) as usize;
            if !validate_only {
                self.rng = rng;
            }
            place_replicas(&brokers, 0, partitions, factor, start, shift)
                .map_err(|error| placement_error(error, brokers.len()))?
        } else {
            self.manual_assignments(&request)?
        };
        check_record_count(assignments.len() + request.configs.len() + 1)?;
        let num_partitions = assignments.len() as i32;
        let replication_factor = assignments.first().map_or(0, |r| r.len() as i16);
        if validate_only {
            // Kafka answers a validation with the zero id: nothing was created.
            let created = CreatedTopic {
                topic_id: 0,
                num_partitions,
                replication_factor,
            };
            return Ok(Outcome {
                records: Vec::new(),
                reply: created,
            });
        }
        let topic_id = topic_id.unwrap_or_else(|| self.new_topic_id());
        let created = CreatedTopic {
            topic_id,
            num_partitions,
            replication_factor,
        };
        let mut records = vec![MetadataRecord::Topic {
            name: request.name.clone(),
            topic_id,
        }];
        records.extend(self.partition_records(topic_id, 0, assignments)?);
        for (name, value) in request.configs {
            records.push(MetadataRecord::Config {
                resource: ConfigResource::Topic(request.name.clone()),
                name,
                value: Some(value),
            });
        }
        self.finish(at, records, created)
    }

    /// Grows `name` to `total` partitions (CreatePartitions); shrinking is refused.
    pub fn create_partitions(
        &mut self,
        name: &str,
        total: i32,
        assignments: Option<Vec<Vec<i32>>>,
        validate_only: bool,
        at: i64,
    ) -> Result<Outcome<()>, ControllerError> {
        let unknown = || ControllerError::UnknownTopic {
            name: name.to_string(),
        };
        let topic = self.image.topic_by_name(name).ok_or_else(unknown)?;
        let topic_id = topic.topic_id;
        let current = topic.partitions.len() as i32;
        let invalid = |reason: String| ControllerError::InvalidPartitions {
            name: name.to_string(),
            reason,
        };
        if total <= current {
            let reason =
                format!("has {current} partitions; the count can only grow, not to {total}");
            return Err(invalid(reason));
        }
        check_partition_count(name, total)?;
        let count = total - current;
        check_record_count(count as usize)?;
        // The factor the topic is heading to: a reassignment in progress inflates `replicas`.
        let factor = topic
            .partitions
            .get(&0)
            .map_or(1, |p| p.target_replicas().len() as i16);
        check_replication_factor(factor)?;
        let placed = match assignments {
            Some(lists) => {
                if lists.len() as i32 != count {
                    let reason = format!(
                        "{} assignments given for {count} new partitions",
                        lists.len()
                    );
                    return Err(ControllerError::InvalidReplicaAssignment { reason });
                }
                for replicas in &lists {
                    self.check_replica_list(replicas, Some(factor))?;
                }
                lists
            }
            None => {
                let brokers = self.image.active_brokers();
                let partition_zero = topic.partitions.get(&0).map(|p| p.target_replicas());
                let start = continue_from(&brokers, &partition_zero.unwrap_or_default());
                place_replicas(&brokers, current, count, factor, start, 0)
                    .map_err(|error| placement_error(error, brokers.len()))?
            }
        };
        if validate_only {
            return Ok(Outcome {
                records: Vec::new(),
                reply: (),
            });
        }
        let records = self.partition_records(topic_id, current, placed)?;
        self.finish(at, records, ())
    }

    /// Deletes a topic, its partitions and its configs.
    pub fn delete_topic(&mut self, name: &str, at: i64) -> Result<Outcome<u128>, ControllerError> {
        let topic_id =
            *self
                .image
                .topic_ids
                .get(name)
                .ok_or_else(|| ControllerError::UnknownTopic {
                    name: name.to_string(),
                })?;
        self.finish(at, vec![MetadataRecord::RemoveTopic { topic_id }], topic_id)
    }

    /// Applies config changes to one resource. Turning unclean leader election on elects
    /// leaders for partitions that were offline for want of an ISR member; a changed
    /// `min.insync.replicas` clears eligible leader replicas, and may be set only per topic or
    /// cluster-wide, never removed cluster-wide (Kafka's rules while ELR is on).
    pub fn alter_configs(
        &mut self,
        resource: ConfigResource,
        changes: Vec<ConfigChange>,
        at: i64,
    ) -> Result<Outcome<()>, ControllerError> {
        self.check_offset(at)?;
        if let ConfigResource::Topic(name) = &resource {
            if !self.image.topic_ids.contains_key(name) {
                return Err(ControllerError::UnknownTopic { name: name.clone() });
            }
        }
        let current = self
            .image
            .configs
            .get(&resource)
            .cloned()
            .unwrap_or_default();
        let mut named = BTreeSet::new();
        if let Some((name, _)) = changes.iter().find(|(name, _)| !named.insert(name.clone())) {
            return Err(ControllerError::DuplicateConfig { name: name.clone() });
        }
        check_record_count(changes.len())?;
        if let ConfigResource::Broker(name) = &resource {
            let min_isr = changes.iter().find(|(key, _)| key == MIN_INSYNC_REPLICAS);
            match min_isr {
                Some(_) if !name.is_empty() => {
                    return Err(ControllerError::MinIsrLockedByElr {
                        cluster_level: false,
                    })
                }
                Some((_, None)) => {
                    return Err(ControllerError::MinIsrLockedByElr {
                        cluster_level: true,
                    })
                }
                _ => {}
            }
        }
        let mut records = Vec::new();
        for (name, value) in changes {
            if current.get(&name) == value.as_ref() {
                continue;
            }
            records.push(MetadataRecord::Config {
                resource: resource.clone(),
                name,
                value,
            });
        }
        // Who was eligible under the old minimum says nothing about the new one (Kafka's
        // ClearElrRecord).
        let touches_min_isr = records.iter().any(|record| {
            matches!(record, MetadataRecord::Config { name, .. } if name == MIN_INSYNC_REPLICAS)
        });
        if touches_min_isr {
            let topic = match &resource {
                ConfigResource::Topic(name) => Some(name.clone()),
                ConfigResource::Broker(_) => None,
            };
            records.push(MetadataRecord::ClearElr { topic });
        }
        let touches_unclean = records.iter().any(|record| {
            let unclean = UNCLEAN_LEADER_ELECTION_ENABLE;
            matches!(record, MetadataRecord::Config { name, .. } if name == unclean)
        });
        if touches_unclean {
            self.apply_now(&records)?;
            let elections = self.elect_offline_partitions();
            self.apply_now(&elections)?;
            records.extend(elections);
            if !records.is_empty() {
                self.image.skip_to(at);
            }
            return Ok(Outcome { records, reply: () });
        }
        self.finish(at, records, ())
    }

    /// Partition records for new partitions `first..` with the given replica lists. The ISR is
    /// the active replicas (KIP-841: fenced brokers never enter an ISR) and the first of them
    /// leads; a list with no active replica is refused, as Kafka does.
    fn partition_records(
        &self,
        topic_id: u128,
        first: i32,
        assignments: Vec<Vec<i32>>,
    ) -> Result<Vec<MetadataRecord>, ControllerError> {
        (first..)
            .zip(assignments)
            .map(|(partition, replicas)| {
                let isr: Vec<i32> = replicas
                    .iter()
                    .copied()
                    .filter(|&r| self.image.is_active(r))
                    .collect();
                let Some(&leader) = isr.first() else {
                    return Err(ControllerError::InvalidReplicaAssignment {
                        reason: format!(
                            "every replica of {replicas:?} is fenced or in controlled shutdown"
                        ),
                    });
                };
                Ok(MetadataRecord::Partition {
                    topic_id,
                    partition,
                    replicas,
                    isr,
                    adding_replicas: Vec::new(),
                    removing_replicas: Vec::new(),
                    leader,
                    leader_epoch: 0,
                    partition_epoch: 0,
                    unclean: false,
                    elr: Vec::new(),
                    last_known_elr: Vec::new(),
                })
            })
            .collect()
    }

    /// Checks CreateTopics' manual assignments: partitions 0..n, each with the same number of
    /// distinct, registered replicas.
    fn manual_assignments(
        &self,
        request: &CreateTopicRequest,
    ) -> Result<Vec<Vec<i32>>, ControllerError> {
        if request.num_partitions != -1 || request.replication_factor != -1 {
            return Err(ControllerError::AssignmentsWithCountOrFactor);
        }
        check_partition_count(&request.name, request.assignments.len() as i32)?;
        let expected: Vec<i32> = (0..request.assignments.len() as i32).collect();
        let got: Vec<i32> = request.assignments.keys().copied().collect();
        if got != expected {
            let reason = format!(
                "partition indexes must be 0..{}, got {got:?}",
                expected.len()
            );
            return Err(ControllerError::InvalidReplicaAssignment { reason });
        }
        let factor = request.assignments.values().next().map(|r| r.len() as i16);
        for replicas in request.assignments.values() {
            self.check_replica_list(replicas, factor)?;
        }
        Ok(request.assignments.values().cloned().collect())
    }

    /// A replica list must be non-empty, distinct, name registered brokers, match `factor` if
    /// given, and stay within the supported replication factor.
    pub(super) fn check_replica_list(
        &self,
        replicas: &[i32],
        factor: Option<i16>,
    ) -> Result<(), ControllerError> {
        let invalid = |reason: String| ControllerError::InvalidReplicaAssignment { reason };
        if replicas.is_empty() {
            return Err(invalid("a replica list is empty".to_string()));
        }
        let distinct: BTreeSet<i32> = replicas.iter().copied().collect();
        if distinct.len() != replicas.len() {
            return Err(invalid(format!(
                "replica list {replicas:?} repeats a broker"
            )));
        }
        if let Some(unknown) = replicas
            .iter()
            .find(|r| !self.image.brokers.contains_key(r))
        {
            return Err(invalid(format!("broker {unknown} is not registered")));
        }
        if factor.is_some_and(|f| f as usize != replicas.len()) {
            return Err(invalid(format!(
                "replica list {replicas:?} does not have the topic's replication factor"
            )));
        }
        check_replication_factor(replicas.len() as i16)
    }
}

fn check_partition_count(name: &str, partitions: i32) -> Result<(), ControllerError> {
    if !(1..=TOPIC_PARTITIONS_MAX).contains(&partitions) {
        return Err(ControllerError::InvalidPartitions {
            name: name.to_string(),
            reason: format!(
                "the partition count must be between 1 and {TOPIC_PARTITIONS_MAX}, not \
                 {partitions}"
            ),
        });
    }
    Ok(())
}

fn check_record_count(records: usize) -> Result<(), ControllerError> {
    if records > RECORDS_PER_OPERATION_MAX {
        return Err(ControllerError::TooManyRecords {
            records,
            records_max: RECORDS_PER_OPERATION_MAX,
        });
    }
    Ok(())
}

fn check_replication_factor(factor: i16) -> Result<(), ControllerError> {
    if factor < 1 {
        return Err(ControllerError::InvalidReplicationFactor {
            replication_factor: factor,
            reason: "must be at least 1".to_string(),
        });
    }
    Ok(())
}

fn placement_error(error: PlacementError, brokers: usize) -> ControllerError {
    match error {
        PlacementError::NotEnoughBrokers {
            replication_factor, ..
        } => ControllerError::InvalidReplicationFactor {
            replication_factor,
            reason: format!("larger than the {brokers} available brokers"),
        },
        PlacementError::InvalidReplicationFactor { replication_factor } => {
            ControllerError::InvalidReplicationFactor {
                replication_factor,
                reason: "must be at least 1".to_string(),
            }
        }
    }
}
