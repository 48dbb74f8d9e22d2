//! Leadership and placement changes an operator or a leader asks for: ElectLeaders (preferred
//! and unclean), the periodic preferred-leader rebalance (`auto.leader.rebalance.enable`),
//! partition reassignment (AlterPartitionReassignments / ListPartitionReassignments) and ISR
//! changes from partition leaders (AlterPartition).
//!
//! Reassignment follows Kafka's protocol at the metadata level: the replica set becomes the
//! target plus the current replicas, with the difference recorded as adding and removing
//! replicas; once every added replica is in the ISR, the partition moves to exactly the target
//! (leader re-elected if it was being removed). Without data replication nothing joins an ISR
//! yet, so a reassignment onto new brokers stays in progress until replication lands (or is
//! cancelled); one that only drops replicas completes at once.

use std::collections::BTreeSet;

use super::controller::{Controller, Outcome};
use super::election::ElectionType;
use super::errors::ControllerError;
use super::image::{PartitionRegistration, NO_LEADER};
use super::records::MetadataRecord;

/// ElectLeaders' election type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionKind {
    Preferred,
    Unclean,
}

/// A reassignment in progress, as ListPartitionReassignments reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassignment {
    pub topic: String,
    pub partition: i32,
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
}

impl Controller {
    /// Runs one election on `topic`/`partition`.
    pub fn elect_leader(
        &mut self,
        kind: ElectionKind,
        topic: &str,
        partition: i32,
        at: i64,
    ) -> Result<Outcome<()>, ControllerError> {
        let (topic_id, current) = self.lookup(topic, partition)?;
        let alive = |b: i32| self.image.is_active(b);
        let change = match kind {
            ElectionKind::Preferred => {
                let preferred = current.preferred_leader();
                if preferred == Some(current.leader) {
                    return Err(ControllerError::ElectionNotNeeded);
                }
                let isr = current.isr.clone();
                self.partition_change(
                    topic_id,
                    partition,
                    &current,
                    isr,
                    ElectionType::Preferred,
                    alive,
                )
                .ok_or(ControllerError::PreferredLeaderNotAvailable { preferred })?
            }
            ElectionKind::Unclean => {
                if current.leader != NO_LEADER && self.image.is_active(current.leader) {
                    return Err(ControllerError::ElectionNotNeeded);
                }
                let isr = current.isr.clone();
                self.partition_change(
                    topic_id,
                    partition,
                    &current,
                    isr,
                    ElectionType::Unclean,
                    alive,
                )
                .filter(|change| {
                    !matches!(
                        change,
                        MetadataRecord::PartitionChange {
                            leader: Some(NO_LEADER),
                            ..
                        }
                    )
                })
                .ok_or(ControllerError::EligibleLeadersNotAvailable)?
            }
        };
        self.finish(at, vec![change], ())
    }

    /// Every partition whose preferred leader is alive, in the ISR and not leading, moved back
    /// to it: the automatic rebalance after brokers come back.
    pub(super) fn preferred_elections_due(&self) -> Vec<MetadataRecord> {
        let alive = |b: i32| self.image.is_active(b);
        let mut changes = Vec::new();
        for topic in self.image.topics.values() {
            for (&partition, current) in &topic.partitions {
                if current.preferred_leader() == Some(current.leader) {
                    continue;
                }
                changes.extend(self.partition_change(
                    topic.topic_id,
                    partition,
                    current,
                    current.isr.clone(),
                    ElectionType::Preferred,
                    alive,
                ));
            }
        }
        changes
    }

    /// Starts (`Some(target)`) or cancels (`None`) a reassignment of one partition.
    pub fn alter_reassignment(
        &mut self,
        topic: &str,
        partition: i32,
        target: Option<Vec<i32>>,
        at: i64,
    ) -> Result<Outcome<()>, ControllerError> {
        let (topic_id, current) = self.lookup(topic, partition)?;
        let record = match target {
            None => {
                if !current.is_reassigning() {
                    return Err(ControllerError::NoReassignmentInProgress);
                }
                // Back to the replicas from before: drop the ones being added.
                let original: Vec<i32> = current
                    .replicas
                    .iter()
                    .copied()
                    .filter(|r| !current.adding_replicas.contains(r))
                    .collect();
                self.move_to(topic_id, partition, &current, &current.isr, original)
            }
            Some(target) => {
                self.check_replica_list(&target, None)?;
                if target == current.replicas && !current.is_reassigning() {
                    return self.finish(at, Vec::new(), ());
                }
                let original = if current.is_reassigning() {
                    current
                        .replicas
                        .iter()
                        .copied()
                        .filter(|r| !current.adding_replicas.contains(r))
                        .collect()
                } else {
                    current.replicas.clone()
                };
                let adding: Vec<i32> = target
                    .iter()
                    .copied()
                    .filter(|r| !original.contains(r))
                    .collect();
                let removing: Vec<i32> = original
                    .iter()
                    .copied()
                    .filter(|r| !target.contains(r))
                    .collect();
                let mut replicas = target.clone();
                replicas.extend(removing.iter().copied());
                let in_progress = PartitionRegistration {
                    replicas,
                    adding_replicas: adding,
                    removing_replicas: removing,
                    ..current.clone()
                };
                self.complete_or_record(topic_id, partition, &current, in_progress)
            }
        };
        let records = record.into_iter().collect();
        self.finish(at, records, ())
    }

    /// Reassignments in progress, in topic and partition order.
    pub fn list_reassignments(&self) -> Vec<Reassignment> {
        let mut out = Vec::new();
        for topic in self.image.topics.values() {
            for (&partition, p) in &topic.partitions {
                if p.is_reassigning() {
                    out.push(Reassignment {
                        topic: topic.name.clone(),
                        partition,
                        replicas: p.replicas.clone(),
                        adding_replicas: p.adding_replicas.clone(),
                        removing_replicas: p.removing_replicas.clone(),
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        out
    }

    /// A partition leader changes its ISR (AlterPartition). The leader must be current and the
    /// new ISR a subset of the replicas that includes the leader; a reassignment whose added
    /// replicas have all joined completes.
    pub fn alter_isr(
        &mut self,
        topic: &str,
        partition: i32,
        leader_epoch: i32,
        isr: Vec<i32>,
        at: i64,
    ) -> Result<Outcome<()>, ControllerError> {
        let (topic_id, current) = self.lookup(topic, partition)?;
        if leader_epoch != current.leader_epoch {
            return Err(ControllerError::FencedLeaderEpoch {
                leader_epoch,
                current: current.leader_epoch,
            });
        }
        let distinct: BTreeSet<i32> = isr.iter().copied().collect();
        let valid = distinct.len() == isr.len()
            && isr.contains(&current.leader)
            && isr.iter().all(|r| current.replicas.contains(r));
        if !valid {
            let reason = format!(
                "ISR {isr:?} must be distinct replicas of {:?} including leader {}",
                current.replicas, current.leader
            );
            return Err(ControllerError::InvalidReplicaAssignment { reason });
        }
        let proposed = PartitionRegistration {
            isr,
            ..current.clone()
        };
        let record = self.complete_or_record(topic_id, partition, &current, proposed);
        self.finish(at, record.into_iter().collect(), ())
    }

    /// The change from `current` to `proposed`, completing a reassignment if every added
    /// replica is in the ISR.
    fn complete_or_record(
        &self,
        topic_id: u128,
        partition: i32,
        current: &PartitionRegistration,
        proposed: PartitionRegistration,
    ) -> Option<MetadataRecord> {
        let complete = proposed.is_reassigning()
            && proposed
                .adding_replicas
                .iter()
                .all(|r| proposed.isr.contains(r));
        if complete {
            let target = proposed.target_replicas();
            return self.move_to(topic_id, partition, current, &proposed.isr, target);
        }
        diff(topic_id, partition, current, &proposed)
    }

    /// The change that makes `replicas` the partition's whole replica set, ends any
    /// reassignment, keeps the ISR (`isr`, the current or the newly reported one) within it and
    /// re-elects the leader if it left.
    fn move_to(
        &self,
        topic_id: u128,
        partition: i32,
        current: &PartitionRegistration,
        isr: &[i32],
        replicas: Vec<i32>,
    ) -> Option<MetadataRecord> {
        // An ISR left empty (nothing of the old one remains) means no clean leader until a
        // replica catches up, which is the truth.
        let isr: Vec<i32> = isr
            .iter()
            .copied()
            .filter(|r| replicas.contains(r))
            .collect();
        let mut leader = current.leader;
        if !replicas.contains(&leader) || !isr.contains(&leader) {
            leader = replicas
                .iter()
                .copied()
                .find(|&r| isr.contains(&r) && self.image.is_active(r))
                .unwrap_or(NO_LEADER);
        }
        let proposed = PartitionRegistration {
            replicas,
            isr,
            adding_replicas: Vec::new(),
            removing_replicas: Vec::new(),
            leader,
            ..current.clone()
        };
        diff(topic_id, partition, current, &proposed)
    }

    fn lookup(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<(u128, PartitionRegistration), ControllerError> {
        let image =
            self.image
                .topic_by_name(topic)
                .ok_or_else(|| ControllerError::UnknownTopic {
                    name: topic.to_string(),
                })?;
        let current = image.partitions.get(&partition).cloned().ok_or_else(|| {
            ControllerError::UnknownPartition {
                name: topic.to_string(),
                partition,
            }
        })?;
        Ok((image.topic_id, current))
    }
}

/// The PartitionChange record that turns `current` into `proposed`, or `None` if equal.
fn diff(
    topic_id: u128,
    partition: i32,
    current: &PartitionRegistration,
    proposed: &PartitionRegistration,
) -> Option<MetadataRecord> {
    let changed = |a: &Vec<i32>, b: &Vec<i32>| (a != b).then(|| b.clone());
    let leader = (proposed.leader != current.leader).then_some(proposed.leader);
    let isr = changed(&current.isr, &proposed.isr);
    let replicas = changed(&current.replicas, &proposed.replicas);
    let adding_replicas = changed(&current.adding_replicas, &proposed.adding_replicas);
    let removing_replicas = changed(&current.removing_replicas, &proposed.removing_replicas);
    let nothing = leader.is_none()
        && isr.is_none()
        && replicas.is_none()
        && adding_replicas.is_none()
        && removing_replicas.is_none();
    (!nothing).then_some(MetadataRecord::PartitionChange {
        topic_id,
        partition,
        leader,
        isr,
        replicas,
        adding_replicas,
        removing_replicas,
        unclean: false,
    })
}
