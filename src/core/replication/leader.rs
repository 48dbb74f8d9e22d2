//! The leader's view of one partition's replicas: how far each follower has fetched, which
//! replicas are in sync, and the high watermark they allow, following Kafka's rules:
//!
//! - A follower's fetch at offset N says it has everything below N. It is caught up at that
//!   moment if N reaches the leader's log end, and it stays in sync while it keeps catching up
//!   within `replica.lag.time.max.ms` (a fetch that reaches what the leader's end was at the
//!   previous fetch counts from that previous fetch, as Kafka's `lastCaughtUpTimeMs` does).
//! - The high watermark is the lowest log end offset of the leader and every follower in the
//!   maximal ISR (the committed ISR plus a pending addition), and of every eligible follower
//!   that is caught up but not yet in it, so it never runs ahead of a replica about to join. It
//!   never moves back, and it moves only while the committed ISR has at least
//!   `min.insync.replicas` members (KIP-966).
//! - The leader never changes the ISR itself: it proposes one change at a time to the
//!   controller (AlterPartition with its partition epoch) and acts on the committed result. A
//!   follower joins when it has reached the high watermark and the start of the current leader
//!   epoch; followers that fell behind for longer than the lag time leave together.

use std::collections::{BTreeMap, BTreeSet};

use super::invariants::{self, LeaderViolation};
use crate::canary::{self, Canary};

/// A broker id, as a replica of the partition.
pub type ReplicaId = i32;

type Offset = i64;

/// The topic and broker configs the leader decides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaderConfig {
    /// `replica.lag.time.max.ms`
    pub replica_lag_time_max_ms: i64,
    /// `min.insync.replicas`
    pub min_insync_replicas: usize,
}

/// A leadership as the controller committed it, and the leader's log when it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    pub leader: ReplicaId,
    pub replicas: Vec<ReplicaId>,
    pub isr: BTreeSet<ReplicaId>,
    pub partition_epoch: i32,
    /// Where the new leader epoch starts.
    pub log_end_offset: Offset,
    pub high_watermark: Offset,
}

/// What reaches the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The leader's own log now ends at `log_end_offset` (an append), and its own copy counts
    /// towards the high watermark up to `vouched_end`: records a flush policy wants durable
    /// count only once they are (`vouched_end` then trails the log end until the fsync).
    LeaderAppended {
        log_end_offset: Offset,
        vouched_end: Offset,
    },
    /// A follower fetched at `fetch_offset`: it has every record below it. A fetch past the
    /// leader's log end is the runtime's to refuse (OFFSET_OUT_OF_RANGE); here it changes
    /// nothing.
    FollowerFetched {
        replica: ReplicaId,
        broker_epoch: i64,
        fetch_offset: Offset,
    },
    /// Time passed: followers that have lagged too long are proposed out of the ISR.
    Tick,
    /// The controller's committed ISR at `partition_epoch` (an AlterPartition answer, or the
    /// metadata log). Every commit bumps the partition epoch, so one not newer than the
    /// leader's (a replay of what it knows) or without the leader is ignored: it must not
    /// clear a pending change.
    IsrCommitted {
        isr: BTreeSet<ReplicaId>,
        partition_epoch: i32,
    },
    /// The controller definitely refused the change proposed as `isr` at `partition_epoch`;
    /// if that is still the pending one, the leader proposes again from what it sees next (an
    /// answer to an earlier proposal, retried after it was overtaken, changes nothing). A
    /// request that timed out is the runtime's to retry as it was (Kafka does): the change may
    /// have been committed.
    AlterPartitionFailed {
        isr: BTreeSet<ReplicaId>,
        partition_epoch: i32,
    },
    /// The topic's settings changed (`min.insync.replicas`): the high watermark moves by the
    /// new ones from now on.
    Reconfigured { config: LeaderConfig },
    /// The replicas that may not join the ISR now (fenced, shutting down, or not registered
    /// with the broker epoch they fetch with), from the latest metadata.
    Ineligible { replicas: BTreeSet<ReplicaId> },
}

/// What the runtime must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Ask the controller to make `isr` the ISR (AlterPartition at `partition_epoch`), each
    /// follower in it with the broker epoch it last fetched with (-1 if it has not fetched in
    /// this leadership), so the controller can refuse a stale incarnation (KIP-903). The
    /// runtime adds the leader's own.
    AlterPartition {
        isr: BTreeSet<ReplicaId>,
        broker_epochs: BTreeMap<ReplicaId, i64>,
        partition_epoch: i32,
    },
    /// The high watermark moved up to `offset`: consumers may read below it, and acks=all
    /// produces whose records all lie below it are acknowledged.
    HighWatermark { offset: Offset },
}

/// A follower's fetch state (Kafka's `ReplicaState`); offsets are -1 until it first fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Follower {
    broker_epoch: i64,
    log_end_offset: Offset,
    /// When it last had everything the leader had (`None`: never, in this leadership).
    last_caught_up_ms: Option<i64>,
    last_fetch_ms: Option<i64>,
    /// The leader's log end offset at this follower's previous fetch.
    leader_end_at_last_fetch: Offset,
}

impl Follower {
    /// Kafka's `isCaughtUp`: level with the leader, or caught up within the lag time.
    fn is_caught_up(&self, leader_end: Offset, now_ms: i64, lag_max_ms: i64) -> bool {
        self.log_end_offset == leader_end
            || self
                .last_caught_up_ms
                .is_some_and(|at| now_ms - at <= lag_max_ms)
    }
}

/// One partition as its leader sees it.
#[derive(Debug, Clone)]
pub struct PartitionLeader {
    leader: ReplicaId,
    partition_epoch: i32,
    config: LeaderConfig,
    /// The leader's log end when this leader epoch began: a follower is in sync only past it.
    epoch_start_offset: Offset,
    isr: BTreeSet<ReplicaId>,
    /// The ISR proposed to the controller and not yet answered.
    pending: Option<BTreeSet<ReplicaId>>,
    followers: BTreeMap<ReplicaId, Follower>,
    ineligible: BTreeSet<ReplicaId>,
    log_end_offset: Offset,
    /// How far the leader's own copy counts (see [`Event::LeaderAppended`]).
    vouched_end: Offset,
    high_watermark: Offset,
}

impl PartitionLeader {
    /// Becomes leader as `start` says. ISR members count as caught up now, so none is dropped
    /// before it had the lag time to fetch (Kafka resets their state the same way).
    pub fn new(start: Leadership, config: LeaderConfig, now_ms: i64) -> Self {
        let Leadership {
            leader,
            replicas,
            isr,
            partition_epoch,
            log_end_offset,
            high_watermark,
        } = start;
        let followers = (replicas.iter().copied())
            .filter(|&id| id != leader)
            .map(|id| {
                let follower = Follower {
                    broker_epoch: -1,
                    log_end_offset: -1,
                    last_caught_up_ms: isr.contains(&id).then_some(now_ms),
                    last_fetch_ms: None,
                    leader_end_at_last_fetch: -1,
                };
                (id, follower)
            })
            .collect();
        PartitionLeader {
            leader,
            partition_epoch,
            config,
            epoch_start_offset: log_end_offset,
            isr,
            pending: None,
            followers,
            ineligible: BTreeSet::new(),
            log_end_offset,
            // What the leader's own copy vouches for is reported by the runtime
            // (`LeaderAppended`); until then, only what was already replicated.
            vouched_end: high_watermark.min(log_end_offset),
            high_watermark: high_watermark.min(log_end_offset),
        }
    }

    pub fn high_watermark(&self) -> Offset {
        self.high_watermark
    }

    /// The leader's log end offset as last reported.
    pub fn log_end_offset(&self) -> Offset {
        self.log_end_offset
    }

    /// The replicas of the partition, the leader first.
    pub fn replicas(&self) -> impl Iterator<Item = ReplicaId> + '_ {
        std::iter::once(self.leader).chain(self.followers.keys().copied())
    }

    pub fn config(&self) -> LeaderConfig {
        self.config
    }

    /// The committed ISR.
    pub fn isr(&self) -> &BTreeSet<ReplicaId> {
        &self.isr
    }

    /// The ISR proposed to the controller, while it has not answered.
    pub fn pending_isr(&self) -> Option<&BTreeSet<ReplicaId>> {
        self.pending.as_ref()
    }

    pub fn partition_epoch(&self) -> i32 {
        self.partition_epoch
    }

    /// The committed ISR and a pending addition: the replicas the high watermark waits for.
    pub fn maximal_isr(&self) -> BTreeSet<ReplicaId> {
        let pending = self.pending.iter().flatten().copied();
        self.isr.iter().copied().chain(pending).collect()
    }

    /// A follower's log end offset as last fetched (-1 before its first fetch); `None` for a
    /// broker that is not a follower of this partition.
    pub fn follower_end(&self, replica: ReplicaId) -> Option<Offset> {
        self.followers.get(&replica).map(|f| f.log_end_offset)
    }

    /// Feeds one event; returns the commands to carry out, in order. In test, debug and
    /// simulator builds every event ends with the invariants checked, and a violation panics.
    pub fn handle(&mut self, event: Event, now_ms: i64) -> Vec<Command> {
        let before = self.high_watermark;
        let mut commands = Vec::new();
        match event {
            Event::LeaderAppended {
                log_end_offset,
                vouched_end,
            } => {
                self.log_end_offset = self.log_end_offset.max(log_end_offset);
                let vouched = vouched_end.min(self.log_end_offset);
                self.vouched_end = self.vouched_end.max(vouched);
            }
            Event::FollowerFetched {
                replica,
                broker_epoch,
                fetch_offset,
            } => {
                if self.record_fetch(replica, broker_epoch, fetch_offset, now_ms) {
                    self.maybe_expand(replica, &mut commands);
                }
            }
            Event::Tick => self.maybe_shrink(now_ms, &mut commands),
            Event::IsrCommitted {
                isr,
                partition_epoch,
            } => {
                // Without the leader it speaks of another leadership (this one's end arrives
                // as new metadata); older than ours, it is stale.
                if partition_epoch > self.partition_epoch && isr.contains(&self.leader) {
                    self.isr = isr;
                    self.partition_epoch = partition_epoch;
                    self.pending = None;
                }
            }
            Event::AlterPartitionFailed {
                isr,
                partition_epoch,
            } => {
                let ours = self.pending.as_ref() == Some(&isr);
                if ours && partition_epoch == self.partition_epoch {
                    self.pending = None;
                }
            }
            Event::Reconfigured { config } => self.config = config,
            Event::Ineligible { replicas } => self.ineligible = replicas,
        }
        self.maybe_advance(now_ms, &mut commands);
        // A canary that breaks these rules on purpose is for the simulator's own checkers to
        // catch, from what clients and disks show.
        let broken_on_purpose = [
            Canary::HighWatermarkPastIsr,
            Canary::IsrExpandedEarly,
            Canary::HighWatermarkUnderMinIsr,
        ]
        .into_iter()
        .any(canary::is_on);
        if cfg!(any(test, debug_assertions, madsim)) && !broken_on_purpose {
            if let Err(violation) = self.validate(before) {
                panic!("replication leader invariant broken: {violation:?}");
            }
        }
        commands
    }

    /// Records a fetch; false if it changed nothing (not a follower, or past the log end).
    fn record_fetch(
        &mut self,
        replica: ReplicaId,
        broker_epoch: i64,
        fetch_offset: Offset,
        now_ms: i64,
    ) -> bool {
        let leader_end = self.log_end_offset;
        let Some(follower) = self.followers.get_mut(&replica) else {
            return false;
        };
        if fetch_offset > leader_end || fetch_offset < 0 {
            return false;
        }
        if fetch_offset >= leader_end {
            follower.last_caught_up_ms = Some(now_ms);
        } else if fetch_offset >= follower.leader_end_at_last_fetch {
            // It reached what the leader had at its previous fetch: caught up as of then.
            follower.last_caught_up_ms = follower.last_caught_up_ms.max(follower.last_fetch_ms);
        }
        follower.log_end_offset = fetch_offset;
        follower.leader_end_at_last_fetch = leader_end;
        follower.last_fetch_ms = Some(now_ms);
        follower.broker_epoch = broker_epoch;
        true
    }

    /// Proposes adding `replica` once it has reached the high watermark and the start of this
    /// leader epoch (Kafka's `isFollowerInSync`), if nothing else is pending.
    fn maybe_expand(&mut self, replica: ReplicaId, commands: &mut Vec<Command>) {
        if self.pending.is_some() || self.isr.contains(&replica) || !self.eligible(replica) {
            return;
        }
        let end = self.followers[&replica].log_end_offset;
        // The canary (simulator builds only) lets any follower that fetched join.
        let early = canary::is_on(Canary::IsrExpandedEarly) && end >= 0;
        if early || (end >= self.high_watermark && end >= self.epoch_start_offset) {
            let mut isr = self.isr.clone();
            isr.insert(replica);
            self.propose(isr, commands);
        }
    }

    /// Proposes dropping every ISR follower that has not caught up within the lag time.
    fn maybe_shrink(&mut self, now_ms: i64, commands: &mut Vec<Command>) {
        if self.pending.is_some() {
            return;
        }
        let lag_max = self.config.replica_lag_time_max_ms;
        let lagging: Vec<ReplicaId> = (self.isr.iter())
            .filter(|&&id| {
                self.followers
                    .get(&id)
                    .is_some_and(|f| !f.is_caught_up(self.log_end_offset, now_ms, lag_max))
            })
            .copied()
            .collect();
        if !lagging.is_empty() {
            let isr = (self.isr.iter().copied())
                .filter(|id| !lagging.contains(id))
                .collect();
            self.propose(isr, commands);
        }
    }

    fn propose(&mut self, isr: BTreeSet<ReplicaId>, commands: &mut Vec<Command>) {
        let broker_epochs = (isr.iter())
            .filter_map(|id| Some((*id, self.followers.get(id)?.broker_epoch)))
            .collect();
        commands.push(Command::AlterPartition {
            isr: isr.clone(),
            broker_epochs,
            partition_epoch: self.partition_epoch,
        });
        self.pending = Some(isr);
    }

    fn eligible(&self, replica: ReplicaId) -> bool {
        !self.ineligible.contains(&replica)
    }

    /// Moves the high watermark up to what every replica it waits for has, if the committed
    /// ISR is at least `min.insync.replicas` strong.
    fn maybe_advance(&mut self, now_ms: i64, commands: &mut Vec<Command>) {
        let under_min = self.isr.len() < self.config.min_insync_replicas;
        if under_min && !canary::is_on(Canary::HighWatermarkUnderMinIsr) {
            return;
        }
        let maximal = self.maximal_isr();
        let lag_max = self.config.replica_lag_time_max_ms;
        let mut candidate = self.vouched_end;
        let waited_for = (self.followers.iter()).filter(|(id, follower)| {
            let about_to_join =
                self.eligible(**id) && follower.is_caught_up(self.log_end_offset, now_ms, lag_max);
            maximal.contains(id) || about_to_join
        });
        let ends: Vec<Offset> = waited_for.map(|(_, f)| f.log_end_offset).collect();
        if canary::is_on(Canary::HighWatermarkPastIsr) {
            // The canary (simulator builds only) waits for the fastest replica, not the slowest.
            if let Some(&fastest) = ends.iter().max() {
                candidate = candidate.min(fastest);
            }
        } else if let Some(&slowest) = ends.iter().min() {
            candidate = candidate.min(slowest);
        }
        if candidate > self.high_watermark {
            self.high_watermark = candidate;
            commands.push(Command::HighWatermark { offset: candidate });
        }
    }

    /// The invariants after an event that began with the high watermark at `before`.
    pub fn validate(&self, before: Offset) -> Result<(), LeaderViolation> {
        let follower_ends = (self.followers.iter())
            .map(|(id, f)| (*id, f.log_end_offset))
            .collect();
        invariants::check(&invariants::LeaderView {
            leader: self.leader,
            isr: &self.isr,
            maximal_isr: &self.maximal_isr(),
            pending: self.pending.as_ref(),
            follower_ends: &follower_ends,
            min_insync_replicas: self.config.min_insync_replicas,
            log_end_offset: self.log_end_offset,
            high_watermark_before: before,
            high_watermark: self.high_watermark,
        })
    }
}
