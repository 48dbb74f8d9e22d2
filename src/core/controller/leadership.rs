//! Leadership and placement changes an operator or a leader asks for: ElectLeaders (preferred
//! and unclean), the periodic preferred-leader rebalance (`auto.leader.rebalance.enable`),
//! partition reassignment (AlterPartitionReassignments / ListPartitionReassignments) and ISR
//! changes from partition leaders (AlterPartition).
//!
//! Reassignment follows Kafka's protocol at the metadata level: the replica set becomes the
//! target plus the current replicas, with the difference recorded as adding and removing
//! replicas; once every added replica is in the ISR, the partition moves to exactly the target
//! (leader re-elected if it was being removed); added replicas join once they have caught up by
//! fetching, as their leader reports with AlterPartition. One that only drops replicas
//! completes at once.

use std::collections::{BTreeMap, BTreeSet};

use super::change::change_record;
use super::controller::{Controller, Outcome, RECORDS_PER_OPERATION_MAX};
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

/// AlterPartition's content for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterIsrRequest {
    /// The broker asking: it must be the partition's leader.
    pub broker_id: i32,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    pub isr: Vec<i32>,
    /// The broker epoch of each member as the leader saw it fetch (KIP-903); a member absent
    /// or at -1 is not checked (AlterPartition v2 carries none).
    pub broker_epochs: BTreeMap<i32, i64>,
    /// The leader finished recovering from an unclean election (KIP-704).
    pub recovered: bool,
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
                    None,
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
                    None,
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
                    None,
                ));
            }
        }
        changes.truncate(RECORDS_PER_OPERATION_MAX);
        changes
    }

    /// Starts (`Some(target)`) or cancels (`None`) a reassignment of one partition. A new
    /// target replaces one in progress; replicas added for the old target and not in the new
    /// one become replicas being removed, so the ISR and leader never leave the replica set.
    pub fn alter_reassignment(
        &mut self,
        topic: &str,
        partition: i32,
        target: Option<Vec<i32>>,
        at: i64,
    ) -> Result<Outcome<()>, ControllerError> {
        let (topic_id, current) = self.lookup(topic, partition)?;
        let record = match target {
            None => self.revert_reassignment(topic, topic_id, partition, &current)?,
            Some(target) => {
                self.check_replica_list(&target, None)?;
                let adding: Vec<i32> = target
                    .iter()
                    .copied()
                    .filter(|r| !current.replicas.contains(r))
                    .collect();
                let removing: Vec<i32> = current
                    .replicas
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
        self.finish(at, record.into_iter().collect(), ())
    }

    /// Cancels a reassignment (Kafka's `PartitionReassignmentRevert`): back to the replicas
    /// from before, the ISR without the replicas being added. If that leaves the ISR empty,
    /// the first original replica becomes the ISR uncleanly, which only an operator who allows
    /// unclean election for the topic may ask for.
    fn revert_reassignment(
        &self,
        topic: &str,
        topic_id: u128,
        partition: i32,
        current: &PartitionRegistration,
    ) -> Result<Option<MetadataRecord>, ControllerError> {
        if !current.is_reassigning() {
            return Err(ControllerError::NoReassignmentInProgress);
        }
        let original = current.original_replicas();
        let mut isr: Vec<i32> = current
            .isr
            .iter()
            .copied()
            .filter(|r| original.contains(r))
            .collect();
        let mut unclean = false;
        if isr.is_empty() {
            if !self.unclean_allowed(topic) {
                return Err(ControllerError::EligibleLeadersNotAvailable);
            }
            isr = original.first().copied().into_iter().collect();
            unclean = true;
        }
        let reverted = PartitionRegistration {
            replicas: original,
            isr,
            adding_replicas: Vec::new(),
            removing_replicas: Vec::new(),
            ..current.clone()
        };
        let record = self.settle_leader(topic_id, partition, current, reverted);
        Ok(record.map(|mut record| {
            if let MetadataRecord::PartitionChange {
                unclean: u, elr, ..
            } = &mut record
            {
                *u |= unclean;
                // An unclean leader makes the old ELR's claim moot.
                if unclean && !current.elr.is_empty() {
                    *elr = Some(Vec::new());
                }
            }
            record
        }))
    }

    /// A partition leader changes its ISR (Kafka's AlterPartition, validated as
    /// `validateAlterPartitionData` does). A reassignment whose target replicas have all joined
    /// completes.
    pub fn alter_isr(
        &mut self,
        topic: &str,
        partition: i32,
        request: AlterIsrRequest,
        at: i64,
    ) -> Result<Outcome<()>, ControllerError> {
        let (topic_id, current) = self.lookup(topic, partition)?;
        if request.broker_id != current.leader {
            return Err(ControllerError::NotLeader {
                broker_id: request.broker_id,
                leader: current.leader,
            });
        }
        if request.leader_epoch != current.leader_epoch {
            return Err(ControllerError::FencedLeaderEpoch {
                leader_epoch: request.leader_epoch,
                current: current.leader_epoch,
            });
        }
        if request.partition_epoch != current.partition_epoch {
            return Err(ControllerError::InvalidUpdateVersion {
                partition_epoch: request.partition_epoch,
                current: current.partition_epoch,
            });
        }
        let isr = request.isr;
        let distinct: BTreeSet<i32> = isr.iter().copied().collect();
        let valid = distinct.len() == isr.len()
            && isr.contains(&current.leader)
            && isr.iter().all(|r| current.replicas.contains(r));
        if !valid {
            return Err(ControllerError::InvalidIsr {
                isr,
                replicas: current.replicas.clone(),
                leader: current.leader,
            });
        }
        if let Some(&ineligible) = isr
            .iter()
            .find(|&&r| r != current.leader && !self.image.is_active(r))
        {
            return Err(ControllerError::IneligibleReplica {
                broker_id: ineligible,
            });
        }
        // KIP-903: a member whose fetches came from an earlier incarnation than the registered
        // one may have lost what that incarnation had (an unclean restart): it must catch up
        // again as the process it is now.
        for (&member, &broker_epoch) in &request.broker_epochs {
            let registered = self.image.brokers.get(&member).map(|b| b.broker_epoch);
            let stale = broker_epoch >= 0 && registered.is_some_and(|e| e != broker_epoch);
            if stale && member != current.leader && isr.contains(&member) {
                return Err(ControllerError::StaleMemberEpoch {
                    broker_id: member,
                    broker_epoch,
                    current: registered.unwrap_or(-1),
                });
            }
        }
        // KIP-704: a leader elected uncleanly must first recover, alone in the ISR.
        let still_recovering = current.unclean && !request.recovered;
        if still_recovering && isr.len() > 1 {
            return Err(ControllerError::InvalidIsr {
                isr,
                replicas: current.replicas.clone(),
                leader: current.leader,
            });
        }
        let proposed = PartitionRegistration {
            isr,
            unclean: still_recovering,
            ..current.clone()
        };
        let record = self.complete_or_record(topic_id, partition, &current, proposed);
        self.finish(at, record.into_iter().collect(), ())
    }

    /// The change from `current` to `proposed`, completing a reassignment once every target
    /// replica is in the ISR (not counting replicas being removed), as Kafka's
    /// `maybeCompleteReassignment` does.
    fn complete_or_record(
        &self,
        topic_id: u128,
        partition: i32,
        current: &PartitionRegistration,
        proposed: PartitionRegistration,
    ) -> Option<MetadataRecord> {
        let mut proposed = proposed;
        if proposed.is_reassigning() {
            let target = proposed.target_replicas();
            let isr_kept: Vec<i32> = proposed
                .isr
                .iter()
                .copied()
                .filter(|r| !proposed.removing_replicas.contains(r))
                .collect();
            let complete = !isr_kept.is_empty() && target.iter().all(|r| isr_kept.contains(r));
            if complete {
                let done = PartitionRegistration {
                    replicas: target,
                    isr: isr_kept,
                    adding_replicas: Vec::new(),
                    removing_replicas: Vec::new(),
                    ..proposed
                };
                return self.settle_leader(topic_id, partition, current, done);
            }
        }
        proposed.elr = self.elr_after(topic_id, current, &proposed.isr, None);
        change_record(topic_id, partition, current, &proposed, false)
    }

    /// The change to `proposed` with its leader re-elected if it is no longer an ISR member,
    /// and the leader epoch bumped if any replica left (which fences the removed replicas).
    /// The ELR follows the ISR, and forgets replicas no longer in the replica set.
    fn settle_leader(
        &self,
        topic_id: u128,
        partition: i32,
        current: &PartitionRegistration,
        mut proposed: PartitionRegistration,
    ) -> Option<MetadataRecord> {
        if !proposed.isr.contains(&proposed.leader) {
            proposed.leader = proposed
                .replicas
                .iter()
                .copied()
                .find(|&r| proposed.isr.contains(&r) && self.image.is_active(r))
                .unwrap_or(NO_LEADER);
        }
        proposed.elr = self.elr_after(topic_id, current, &proposed.isr, None);
        proposed.elr.retain(|r| proposed.replicas.contains(r));
        if proposed.unclean {
            proposed.elr.clear();
        }
        let replica_left = current
            .replicas
            .iter()
            .any(|r| !proposed.replicas.contains(r));
        change_record(topic_id, partition, current, &proposed, replica_left)
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
