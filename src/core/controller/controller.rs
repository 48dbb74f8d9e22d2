//! The active controller's decisions (Kafka's `QuorumController` with its control managers), as
//! a pure state machine over the metadata image.
//!
//! Every operation takes the offset `at` that the entry carrying its records will get, decides
//! the records, applies them to the controller's working image at once and returns them with
//! the reply. The runtime proposes them to the quorum as one atomic batch at exactly that offset
//! and answers the client once the entry commits. If a proposal fails (the node lost the lead),
//! the runtime drops this controller and builds a new one from the committed image when it
//! next leads, which reverts every uncommitted decision, as Kafka's controller does.
//!
//! Broker-facing operations live in `brokers.rs`, topic operations in `topics.rs`, elections
//! and reassignments in `leadership.rs`; this file holds the state and the shared helpers.

use super::change::{change_record, target_elr};
use super::election::{elect_leader, Candidates, ElectionResult, ElectionType};
use super::errors::ControllerError;
use super::image::{MetadataImage, PartitionRegistration, ReplayError, NO_LEADER};
use super::records::{ConfigResource, MetadataRecord};
use super::sessions::BrokerSessions;
use crate::runtime::RngStream;

/// Most records one operation writes in one metadata entry (Kafka caps user operations at
/// 10,000 records; entries here are at most 1 MiB and a partition record is about 220 bytes).
/// Fencing, unfencing and rebalancing write at most this many partition changes per batch and
/// finish the rest on the next tick.
pub const RECORDS_PER_OPERATION_MAX: usize = 4_000;

/// The topic config (and broker default) that allows unclean leader election.
pub const UNCLEAN_LEADER_ELECTION_ENABLE: &str = "unclean.leader.election.enable";
/// The topic config (and broker default) below which an ISR keeps eligible leader replicas.
pub const MIN_INSYNC_REPLICAS: &str = "min.insync.replicas";

/// The controller's static settings, from the node's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerSettings {
    /// `broker.session.timeout.ms`
    pub session_timeout_ms: i64,
    /// The static `unclean.leader.election.enable` (dynamic and topic values override it).
    pub unclean_leader_election_default: bool,
    /// The static `min.insync.replicas` (dynamic and topic values override it).
    pub min_insync_replicas_default: usize,
    /// `auto.leader.rebalance.enable`
    pub auto_leader_rebalance: bool,
    /// `leader.imbalance.check.interval.seconds`, in ms.
    pub leader_imbalance_check_interval_ms: i64,
    /// `num.partitions` and `default.replication.factor`, for requests that leave them at -1.
    pub default_partitions: i32,
    pub default_replication_factor: i16,
}

impl Default for ControllerSettings {
    fn default() -> Self {
        Self {
            session_timeout_ms: 9_000,
            unclean_leader_election_default: false,
            min_insync_replicas_default: 1,
            auto_leader_rebalance: true,
            leader_imbalance_check_interval_ms: 300_000,
            default_partitions: 1,
            default_replication_factor: 1,
        }
    }
}

/// Records to propose as one batch, and the answer to give once they commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<R> {
    pub records: Vec<MetadataRecord>,
    pub reply: R,
}

/// The active controller.
#[derive(Debug, Clone)]
pub struct Controller {
    pub(super) settings: ControllerSettings,
    pub(super) image: MetadataImage,
    pub(super) sessions: BrokerSessions,
    pub(super) rng: RngStream,
    pub(super) next_rebalance_ms: i64,
}

impl Controller {
    /// Takes over from the committed `image` at `now_ms`. Every registered broker gets a fresh
    /// session, so none is fenced for heartbeats that went to the previous controller.
    pub fn new(
        settings: ControllerSettings,
        image: MetadataImage,
        rng: RngStream,
        now_ms: i64,
    ) -> Self {
        let mut sessions = BrokerSessions::default();
        for broker in image.brokers.values() {
            sessions.adopt(broker.broker_id, broker.broker_epoch, now_ms);
        }
        let next_rebalance_ms = now_ms + settings.leader_imbalance_check_interval_ms;
        Self {
            settings,
            image,
            sessions,
            rng,
            next_rebalance_ms,
        }
    }

    /// The working image: committed state plus this controller's decisions not yet committed.
    pub fn image(&self) -> &MetadataImage {
        &self.image
    }

    pub fn settings(&self) -> &ControllerSettings {
        &self.settings
    }

    /// Applies `records` (decided at offset `at`) to the working image and wraps the reply.
    pub(super) fn finish<R>(
        &mut self,
        at: i64,
        records: Vec<MetadataRecord>,
        reply: R,
    ) -> Result<Outcome<R>, ControllerError> {
        if !records.is_empty() {
            self.image
                .replay_batch(at, &records)
                .map_err(ControllerError::Internal)?;
        }
        Ok(Outcome { records, reply })
    }

    /// Refuses to decide at an offset the working image has already passed: the runtime must
    /// hand each operation the offset its entry will really get.
    pub(super) fn check_offset(&self, at: i64) -> Result<(), ControllerError> {
        if at < self.image.offset {
            return Err(ControllerError::Internal(ReplayError::OffsetBehind {
                offset: at,
                image_offset: self.image.offset,
            }));
        }
        Ok(())
    }

    /// Applies records decided so far, so later decisions in the same operation see them.
    pub(super) fn apply_now(&mut self, records: &[MetadataRecord]) -> Result<(), ControllerError> {
        self.image
            .replay_records(records)
            .map_err(ControllerError::Internal)
    }

    /// Topic config `key` of `topic` as set dynamically: the topic's override, else the
    /// cluster-wide dynamic default (`None`: neither, so the static setting holds).
    fn dynamic_topic_config(&self, topic: &str, key: &str) -> Option<&str> {
        let lookup = |resource: ConfigResource| {
            let configs = self.image.configs.get(&resource)?;
            configs.get(key).map(|value| value.trim())
        };
        lookup(ConfigResource::Topic(topic.to_string()))
            .or_else(|| lookup(ConfigResource::Broker(String::new())))
    }

    /// The effective `unclean.leader.election.enable` for `topic`.
    pub fn unclean_allowed(&self, topic: &str) -> bool {
        self.dynamic_topic_config(topic, UNCLEAN_LEADER_ELECTION_ENABLE)
            .map(|value| value.eq_ignore_ascii_case("true"))
            .unwrap_or(self.settings.unclean_leader_election_default)
    }

    /// The effective `min.insync.replicas` of the topic `topic_id`.
    pub(super) fn min_isr(&self, topic_id: u128) -> usize {
        (self.image.topics.get(&topic_id))
            .and_then(|topic| self.dynamic_topic_config(&topic.name, MIN_INSYNC_REPLICAS))
            .and_then(|value| value.parse().ok())
            .unwrap_or(self.settings.min_insync_replicas_default)
    }

    /// The ELR of partition `current` of `topic_id` once its ISR becomes `isr` (`change.rs`),
    /// by the topic's effective `min.insync.replicas`.
    pub(super) fn elr_after(
        &self,
        topic_id: u128,
        current: &PartitionRegistration,
        isr: &[i32],
        unclean_shutdown: Option<i32>,
    ) -> Vec<i32> {
        target_elr(current, isr, self.min_isr(topic_id), unclean_shutdown)
    }

    /// The change that elects a leader for one partition with the ISR set to `isr`, or `None`
    /// when nothing would change. The ELR follows the ISR (`change.rs`) before the election
    /// reads it; a winner from outside the ISR becomes its only member, and an unclean winner
    /// empties the ELR (it may lack what the ELR members hold, and leads from now on). A failed
    /// preferred election changes nothing. `unclean_shutdown` names a broker back from an
    /// unclean shutdown, which leaves the ELR and may not lead.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn partition_change(
        &self,
        topic_id: u128,
        partition: i32,
        current: &PartitionRegistration,
        isr: Vec<i32>,
        election: ElectionType,
        is_alive: impl Fn(i32) -> bool,
        unclean_shutdown: Option<i32>,
    ) -> Option<MetadataRecord> {
        let elr = self.elr_after(topic_id, current, &isr, unclean_shutdown);
        let candidates = Candidates {
            replicas: &current.replicas,
            isr: &isr,
            elr: &elr,
            last_known_elr: &current.last_known_elr,
            leader: current.leader,
        };
        let result = elect_leader(candidates, is_alive, election);
        let mut proposed = PartitionRegistration {
            isr,
            elr,
            ..current.clone()
        };
        match result {
            ElectionResult::Elected { leader, unclean } => {
                if leader != current.leader || unclean {
                    proposed.unclean = unclean;
                }
                proposed.leader = leader;
                if unclean {
                    proposed.isr = vec![leader];
                    proposed.elr.clear();
                } else if !proposed.isr.contains(&leader) {
                    proposed.isr = vec![leader];
                    proposed.elr.retain(|&r| r != leader);
                }
            }
            // An operator's election (or the rebalance) that found nobody changes nothing, not
            // even the ELR: the caller reports that nobody was eligible.
            ElectionResult::Offline if !matches!(election, ElectionType::Clean { .. }) => {
                return None;
            }
            ElectionResult::Offline if current.leader != NO_LEADER => {
                proposed.leader = NO_LEADER;
                proposed.unclean = false;
            }
            ElectionResult::Offline => {}
        }
        change_record(topic_id, partition, current, &proposed, false)
    }

    /// The changes that take `broker` out of every partition's leadership and ISR, because it
    /// is being fenced or shutting down, or restarted. The ISR may become empty (the last
    /// member fenced), its members then remembered in the ELR (KIP-966), from which the
    /// partition comes back cleanly when one of them does. After an unclean shutdown
    /// (`unclean_shutdown`) the broker leaves the ELR too: it may have lost unflushed records.
    pub(super) fn leave_partitions(
        &self,
        broker: i32,
        unclean_shutdown: bool,
    ) -> Vec<MetadataRecord> {
        let alive = |b: i32| b != broker && self.image.is_active(b);
        let mut changes = Vec::new();
        for topic in self.image.topics.values() {
            if changes.len() >= RECORDS_PER_OPERATION_MAX {
                break;
            }
            let election = ElectionType::Clean {
                unclean_allowed: self.unclean_allowed(&topic.name),
            };
            for (&partition, current) in &topic.partitions {
                let in_elr = unclean_shutdown && current.elr.contains(&broker);
                if current.leader != broker && !current.isr.contains(&broker) && !in_elr {
                    continue;
                }
                let isr = (current.isr.iter().copied())
                    .filter(|&r| r != broker)
                    .collect();
                changes.extend(self.partition_change(
                    topic.topic_id,
                    partition,
                    current,
                    isr,
                    election,
                    alive,
                    unclean_shutdown.then_some(broker),
                ));
            }
        }
        changes.truncate(RECORDS_PER_OPERATION_MAX);
        changes
    }

    /// Work a capped batch left over: partitions still led by, or in the ISR of, brokers that
    /// are fenced or shutting down, and leaderless partitions that now have an eligible leader.
    pub(super) fn unfinished_moves(&self) -> Vec<MetadataRecord> {
        let inactive: Vec<i32> = self
            .image
            .brokers
            .values()
            .filter(|b| !b.is_active())
            .map(|b| b.broker_id)
            .collect();
        let mut changes = Vec::new();
        for broker in inactive {
            if changes.len() >= RECORDS_PER_OPERATION_MAX {
                break;
            }
            changes.extend(self.leave_partitions(broker, false));
        }
        if changes.is_empty() {
            changes = self.elect_offline_partitions();
        }
        changes.truncate(RECORDS_PER_OPERATION_MAX);
        changes
    }

    /// Elections for every leaderless partition, now that some broker became available (or
    /// unclean election became allowed).
    pub(super) fn elect_offline_partitions(&self) -> Vec<MetadataRecord> {
        let alive = |b: i32| self.image.is_active(b);
        let mut changes = Vec::new();
        for topic in self.image.topics.values() {
            if changes.len() >= RECORDS_PER_OPERATION_MAX {
                break;
            }
            let election = ElectionType::Clean {
                unclean_allowed: self.unclean_allowed(&topic.name),
            };
            for (&partition, current) in &topic.partitions {
                if current.leader != NO_LEADER {
                    continue;
                }
                changes.extend(self.partition_change(
                    topic.topic_id,
                    partition,
                    current,
                    current.isr.clone(),
                    election,
                    alive,
                    None,
                ));
            }
        }
        changes.truncate(RECORDS_PER_OPERATION_MAX);
        changes
    }

    /// A fresh, unused topic id from the controller's seeded stream. Like Kafka's
    /// `Uuid.randomUuid`, it skips the reserved ids (zero and the metadata topic's 1) and ids
    /// whose URL-safe base64 form starts with '-' (top six bits 62), which command lines would
    /// read as an option.
    pub(super) fn new_topic_id(&mut self) -> u128 {
        loop {
            let id = (u128::from(self.rng.next_u64()) << 64) | u128::from(self.rng.next_u64());
            let reserved = id <= 1;
            let dash_first = (id >> 122) == 62;
            if !reserved && !dash_first && !self.image.topics.contains_key(&id) {
                return id;
            }
        }
    }
}
