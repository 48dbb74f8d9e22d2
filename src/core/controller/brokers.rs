//! Broker lifecycle at the controller (Kafka's `ClusterControlManager` and the heartbeat half of
//! `ReplicationControlManager`): registration, heartbeats, unfencing a broker once it has caught
//! up with the metadata log, fencing one whose session expired, and controlled shutdown.
//!
//! A broker registers fenced. It is unfenced by a heartbeat that shows it has replayed the
//! metadata log past its own registration, so it never leads a partition before it knows the
//! partition's state. Fencing and controlled shutdown both take the broker out of leadership
//! and ISRs; fencing happens when `broker.session.timeout.ms` passes without a heartbeat,
//! controlled shutdown when the broker asks, and the broker may exit once it leads nothing.

use super::controller::{Controller, Outcome};
use super::errors::ControllerError;
use super::records::{Endpoint, MetadataRecord};

/// BrokerRegistration's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterBrokerRequest {
    pub broker_id: i32,
    pub incarnation_id: u128,
    pub endpoints: Vec<Endpoint>,
    pub rack: Option<String>,
    /// The broker epoch the process before this one had when it shut down cleanly, or -1
    /// (Kafka's `PreviousBrokerEpoch`, KIP-966): anything else is an unclean shutdown.
    pub previous_broker_epoch: i64,
}

/// BrokerHeartbeat's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatRequest {
    pub broker_id: i32,
    pub broker_epoch: i64,
    /// The offset of the next metadata entry the broker will replay.
    pub current_metadata_offset: i64,
    pub want_fence: bool,
    pub want_shutdown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatReply {
    pub is_caught_up: bool,
    pub is_fenced: bool,
    pub should_shutdown: bool,
}

impl Controller {
    /// Registers a broker; the reply is its new broker epoch (`at`, the offset of the entry).
    /// A retry from the same process gets its existing epoch back and writes nothing.
    pub fn register_broker(
        &mut self,
        request: RegisterBrokerRequest,
        now_ms: i64,
        at: i64,
    ) -> Result<Outcome<i64>, ControllerError> {
        let id = request.broker_id;
        let timeout = self.settings.session_timeout_ms;
        let mut records = Vec::new();
        if let Some(existing) = self.image.brokers.get(&id) {
            if existing.incarnation_id == request.incarnation_id {
                let epoch = existing.broker_epoch;
                self.sessions.touch(id, epoch, now_ms);
                return self.finish(at, records, epoch);
            }
            // A fenced registration holds nothing: only a live, unfenced one blocks (Kafka's
            // `hasValidSession`). Live means heard from by this controller: a session granted
            // at takeover would make a broker that crashed with the old controller (a combined
            // node restarting) wait out a whole session timeout for a process that is gone.
            let live = self
                .sessions
                .is_proven(id, existing.broker_epoch, now_ms, timeout);
            if !existing.fenced && live {
                return Err(ControllerError::DuplicateBrokerRegistration { broker_id: id });
            }
        }
        // Kafka's rule: a restart is clean only if the process before shut down cleanly as the
        // registration the controller knows. After an unclean one, the broker may have lost
        // unflushed records, so it leaves every ELR too.
        let clean = (self.image.brokers.get(&id))
            .is_some_and(|existing| existing.broker_epoch == request.previous_broker_epoch);
        let leaving = self.leave_partitions(id, !clean);
        records.push(MetadataRecord::RegisterBroker {
            broker_id: id,
            incarnation_id: request.incarnation_id,
            broker_epoch: at,
            endpoints: request.endpoints,
            rack: request.rack,
            fenced: true,
        });
        // The old incarnation is gone: whatever it led needs a new leader. (Its session had
        // expired, so normally it was fenced already and this only clears ELRs.)
        records.extend(leaving);
        self.sessions.remove(id);
        self.sessions.touch(id, at, now_ms);
        self.finish(at, records, at)
    }

    /// Handles a heartbeat: keeps the session alive and fences, unfences or shuts the broker
    /// down as it asks and as its progress allows.
    pub fn heartbeat(
        &mut self,
        request: HeartbeatRequest,
        now_ms: i64,
        at: i64,
    ) -> Result<Outcome<HeartbeatReply>, ControllerError> {
        self.check_offset(at)?;
        let id = request.broker_id;
        let registration = self
            .image
            .brokers
            .get(&id)
            .ok_or(ControllerError::BrokerNotRegistered { broker_id: id })?
            .clone();
        if registration.broker_epoch != request.broker_epoch {
            return Err(ControllerError::StaleBrokerEpoch {
                broker_id: id,
                broker_epoch: request.broker_epoch,
                current_epoch: registration.broker_epoch,
            });
        }
        let epoch = registration.broker_epoch;
        self.sessions.touch(id, epoch, now_ms);
        self.sessions
            .report_offset(id, request.current_metadata_offset);
        let is_caught_up = request.current_metadata_offset > epoch;
        let mut records = Vec::new();
        let change = |fenced: Option<bool>, in_controlled_shutdown: Option<bool>| {
            MetadataRecord::BrokerRegistrationChange {
                broker_id: id,
                broker_epoch: epoch,
                fenced,
                in_controlled_shutdown,
            }
        };
        if request.want_shutdown {
            if !registration.fenced && !registration.in_controlled_shutdown {
                self.sessions.begin_shutdown(id, at);
                records.push(change(None, Some(true)));
                self.apply_now(&records)?;
                let leaving = self.leave_partitions(id, false);
                self.apply_now(&leaving)?;
                records.extend(leaving);
            }
        } else if registration.fenced
            && is_caught_up
            && !request.want_fence
            && !registration.in_controlled_shutdown
        {
            // A broker that finished a controlled shutdown is on its way out: a late heartbeat
            // from it must not bring it back (its next process registers afresh).
            let unfence = vec![change(Some(false), Some(false))];
            self.apply_now(&unfence)?;
            records.extend(unfence);
            let returning = self.elect_offline_partitions();
            self.apply_now(&returning)?;
            records.extend(returning);
        } else if !registration.fenced && request.want_fence {
            let fence = self.fence(id, epoch);
            self.apply_now(&fence)?;
            records.extend(fence);
        }
        let leads_nothing = !self
            .image
            .topics
            .values()
            .flat_map(|t| t.partitions.values())
            .any(|p| p.leader == id);
        // Kafka's rule: the broker may go once every other active broker has replayed the
        // batch that moved its leadership away, so new leaders know they lead before it exits.
        let others_caught_up = match self.sessions.shutdown_offset(id) {
            None => true,
            Some(moved_at) => self
                .image
                .active_brokers()
                .into_iter()
                .filter(|&b| b != id)
                .all(|b| self.sessions.reported_offset(b) > moved_at),
        };
        let should_shutdown = request.want_shutdown && leads_nothing && others_caught_up;
        let still_unfenced = self.image.brokers.get(&id).is_some_and(|b| !b.fenced);
        if should_shutdown && still_unfenced {
            // The broker will exit now; fence it so nothing is placed on it meanwhile.
            let fence = vec![change(Some(true), None)];
            self.apply_now(&fence)?;
            records.extend(fence);
            self.sessions.remove(id);
        }
        let is_fenced = self.image.brokers.get(&id).is_none_or(|b| b.fenced);
        // Everything was applied as it was decided; only the image's offset is left to move.
        if !records.is_empty() {
            self.image.skip_to(at);
        }
        Ok(Outcome {
            records,
            reply: HeartbeatReply {
                is_caught_up,
                is_fenced,
                should_shutdown,
            },
        })
    }

    /// Fences every broker whose session expired, and runs the periodic preferred-leader
    /// rebalance when it is due.
    pub fn tick(&mut self, now_ms: i64, at: i64) -> Result<Outcome<()>, ControllerError> {
        self.check_offset(at)?;
        let mut records = Vec::new();
        let timeout = self.settings.session_timeout_ms;
        for (id, epoch) in self.sessions.expired(now_ms, timeout) {
            let current = self.image.brokers.get(&id);
            if current.is_none_or(|b| b.broker_epoch != epoch || b.fenced) {
                // A stale session (re-registered since) or a broker already fenced.
                self.sessions.remove(id);
                continue;
            }
            let fence = self.fence(id, epoch);
            self.apply_now(&fence)?;
            records.extend(fence);
            self.sessions.remove(id);
        }
        if records.is_empty() {
            // Finish what a capped batch left over (a broker leading more partitions than one
            // batch holds), one batch per tick.
            let leftovers = self.unfinished_moves();
            self.apply_now(&leftovers)?;
            records.extend(leftovers);
        }
        if self.settings.auto_leader_rebalance && now_ms >= self.next_rebalance_ms {
            self.next_rebalance_ms = now_ms + self.settings.leader_imbalance_check_interval_ms;
            let rebalance = self.preferred_elections_due();
            self.apply_now(&rebalance)?;
            records.extend(rebalance);
        }
        if !records.is_empty() {
            self.image.skip_to(at);
        }
        Ok(Outcome { records, reply: () })
    }

    /// The records that fence broker `id` at `epoch` and move its partitions away.
    fn fence(&self, id: i32, epoch: i64) -> Vec<MetadataRecord> {
        let mut records = self.leave_partitions(id, false);
        records.insert(
            0,
            MetadataRecord::BrokerRegistrationChange {
                broker_id: id,
                broker_epoch: epoch,
                fenced: Some(true),
                in_controlled_shutdown: Some(false),
            },
        );
        records
    }
}
