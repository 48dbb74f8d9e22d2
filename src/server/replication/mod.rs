//! The broker's side of replication: which partitions it leads and which it follows, as the
//! metadata image says, and the runtime around the pure decisions of `core::replication`.
//!
//! For each partition it leads, [`Replicas`] keeps a [`PartitionLeader`] and feeds it the
//! leader's appends, its followers' fetches, the ISR the controller committed and the passing
//! of time; the high watermark it decides goes into the log (what consumers read up to) and
//! into a `watch` that acks=all produces wait on, holding no lock and no task of their own. ISR
//! changes it proposes go to the controller as AlterPartition (`alter_partition`). For each
//! partition it follows, it knows the leader and leader epoch; `fetcher` runs one fetcher per
//! source broker, which appends the leader's batches as they are and truncates where its log
//! diverged (KIP-279).
//!
//! Lock order: `Broker::state`, then `Replicas::roles`, then a partition's `Log`. The roles
//! lock is held only to feed one event and carry out what it decides.

mod alter_partition;
mod fetcher;
#[cfg(all(test, not(madsim)))]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

pub use alter_partition::{run_alter_partition_sender, AlterRequest};
pub use fetcher::run_fetchers;

use crate::core::controller::{MetadataImage, PartitionRegistration};
use crate::core::replication::{
    Command, Event, LeaderConfig, Leadership, PartitionLeader, ReplicaId,
};
use crate::runtime::sync::{mpsc, watch};
use crate::storage::{lock_log, Log, LogManager, LogRole};
use crate::types::TopicPartition;

/// What an acks=all produce waits on: the partition's high watermark and whether its ISR is
/// strong enough for the high watermark to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub high_watermark: i64,
    pub isr_size: usize,
    pub min_insync_replicas: usize,
}

impl Progress {
    /// The ISR is too small for acks=all (NOT_ENOUGH_REPLICAS).
    pub fn below_min_isr(&self) -> bool {
        self.isr_size < self.min_insync_replicas
    }
}

/// A partition this broker leads.
struct Leading {
    topic_id: u128,
    leader_epoch: i32,
    replicas: Vec<i32>,
    log: Arc<Mutex<Log>>,
    state: PartitionLeader,
    progress: watch::Sender<Progress>,
}

/// A partition this broker follows (`leader` -1: offline, nothing to fetch from).
#[derive(Clone)]
pub struct Followed {
    pub tp: TopicPartition,
    pub topic_id: u128,
    pub leader: i32,
    pub leader_epoch: i32,
    pub log: Arc<Mutex<Log>>,
}

enum Role {
    Leader(Box<Leading>),
    Follower(Followed),
}

/// Why a follower's fetch was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRecorded {
    /// This broker does not lead the partition (in that epoch).
    NotLeader,
    /// The fetching broker is not a replica of the partition.
    NotAReplica,
}

/// Every partition replica this broker hosts, by role.
pub struct Replicas {
    node_id: i32,
    lag_time_max_ms: i64,
    roles: Mutex<BTreeMap<TopicPartition, Role>>,
    /// Bumped when the partitions this broker follows, or their leaders, change.
    followed: watch::Sender<u64>,
    alters: mpsc::UnboundedSender<AlterRequest>,
    alters_receiver: Mutex<Option<mpsc::UnboundedReceiver<AlterRequest>>>,
}

impl Replicas {
    pub fn new(node_id: i32, lag_time_max_ms: i64) -> Self {
        let (alters, receiver) = mpsc::unbounded_channel();
        Replicas {
            node_id,
            lag_time_max_ms,
            roles: Mutex::new(BTreeMap::new()),
            followed: watch::channel(0).0,
            alters,
            alters_receiver: Mutex::new(Some(receiver)),
        }
    }

    fn roles(&self) -> MutexGuard<'_, BTreeMap<TopicPartition, Role>> {
        self.roles
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The AlterPartition requests leaders propose, for the one task that sends them (taken
    /// once).
    pub(super) fn take_alter_requests(&self) -> Option<mpsc::UnboundedReceiver<AlterRequest>> {
        self.alters_receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// Takes the roles `image` gives this broker: a partition it starts to lead (or leads in a
    /// new epoch, or with another replica set) gets a fresh leader state from its log; one it
    /// keeps leading hears the ISR the controller committed, which replicas may not join and
    /// its topic's settings; one it follows records its leader. Each log is told its role, under
    /// its own lock. Partitions it no longer hosts or leads drop their state, which answers
    /// their waiting acks=all produces NOT_LEADER_OR_FOLLOWER. Whether a high watermark moved.
    pub fn apply(&self, image: &MetadataImage, logs: &LogManager, now_ms: i64) -> bool {
        let me = self.node_id;
        let mut roles = self.roles();
        let mut next = BTreeMap::new();
        let mut followed_changed = false;
        let mut moved = false;
        for topic in image.topics.values() {
            for (&partition, registration) in &topic.partitions {
                if !registration.replicas.contains(&me) {
                    continue;
                }
                let tp = TopicPartition::new(&topic.name, partition);
                let Some(log) = logs.get(&tp) else { continue };
                let old = roles.remove(&tp);
                if registration.leader != me {
                    let followed = Followed {
                        tp: tp.clone(),
                        topic_id: topic.topic_id,
                        leader: registration.leader,
                        leader_epoch: registration.leader_epoch,
                        log,
                    };
                    followed_changed |= !matches!(&old, Some(Role::Follower(o))
                        if o.leader == followed.leader
                            && o.leader_epoch == followed.leader_epoch
                            && o.topic_id == followed.topic_id
                            && Arc::ptr_eq(&o.log, &followed.log));
                    lock_log(&followed.log).set_role(LogRole::Follower {
                        leader: followed.leader,
                        epoch: followed.leader_epoch,
                    });
                    next.insert(tp, Role::Follower(followed));
                    continue;
                }
                followed_changed |= matches!(old, Some(Role::Follower(_)));
                let leading = self.lead(&tp, image, topic.topic_id, registration, log, old, now_ms);
                moved |= leading.1;
                next.insert(tp, Role::Leader(leading.0));
            }
        }
        for role in roles.values() {
            // No longer hosted here (its log is being deleted or set aside).
            let log = match role {
                Role::Leader(leading) => &leading.log,
                Role::Follower(followed) => {
                    followed_changed = true;
                    &followed.log
                }
            };
            lock_log(log).set_role(LogRole::None);
        }
        *roles = next;
        drop(roles);
        if followed_changed {
            self.followed
                .send_modify(|count| *count = count.wrapping_add(1));
        }
        moved
    }

    /// The leader state of a partition `registration` says this broker leads: `old`'s, kept
    /// if it is the same leadership, else a fresh one. Whether the high watermark moved.
    #[allow(clippy::too_many_arguments)]
    fn lead(
        &self,
        tp: &TopicPartition,
        image: &MetadataImage,
        topic_id: u128,
        registration: &PartitionRegistration,
        log: Arc<Mutex<Log>>,
        old: Option<Role>,
        now_ms: i64,
    ) -> (Box<Leading>, bool) {
        let me = self.node_id;
        let isr: BTreeSet<ReplicaId> = registration.isr.iter().copied().collect();
        let ineligible: BTreeSet<ReplicaId> = (registration.replicas.iter().copied())
            .filter(|&id| id != me && !image.is_active(id))
            .collect();
        let (config, log_end, vouched, high_watermark) = {
            let mut locked = lock_log(&log);
            locked.set_role(LogRole::Leader {
                epoch: registration.leader_epoch,
            });
            // KIP-966 as Kafka applies it: never more in sync than there are replicas.
            let min_isr = (locked.config().min_insync_replicas).min(registration.replicas.len());
            let config = LeaderConfig {
                replica_lag_time_max_ms: self.lag_time_max_ms,
                min_insync_replicas: min_isr.max(1),
            };
            let end = locked.log_end_offset();
            // The leader vouches for its whole log as it finds it: what recovery kept after a
            // restart is on disk. (A produce whose group commit is still under way across an
            // epoch change is the exception: its records count before their fsync.)
            (config, end, end, locked.high_watermark())
        };
        let mut moved = false;
        let same_leadership = |leading: &Leading| {
            leading.leader_epoch == registration.leader_epoch
                && leading.topic_id == topic_id
                && Arc::ptr_eq(&leading.log, &log)
        };
        let (mut leading, events) = match old {
            Some(Role::Leader(leading))
                if same_leadership(&leading) && leading.replicas == registration.replicas =>
            {
                let mut events = vec![
                    Event::IsrCommitted {
                        isr,
                        partition_epoch: registration.partition_epoch,
                    },
                    Event::Ineligible {
                        replicas: ineligible,
                    },
                ];
                if leading.state.config() != config {
                    events.push(Event::Reconfigured { config });
                }
                (leading, events)
            }
            old => {
                if registration.replicas.len() > 1 {
                    // Followers ask where their last epoch ends; the answer must know this
                    // epoch even before the first append in it (a single replica has no one
                    // to ask, and records its epoch with its first append).
                    let result = lock_log(&log).begin_leader_epoch(registration.leader_epoch);
                    if let Err(error) = result {
                        tracing::error!(partition = %tp, %error, "cannot record the leader epoch");
                    }
                }
                let leadership = Leadership {
                    leader: me,
                    replicas: registration.replicas.clone(),
                    isr,
                    partition_epoch: registration.partition_epoch,
                    log_end_offset: log_end,
                    high_watermark,
                };
                let state = PartitionLeader::new(leadership, config, now_ms);
                // A new replica set in the same leadership (a reassignment step) keeps what
                // waiting produces watch.
                let progress = match old {
                    Some(Role::Leader(leading)) if same_leadership(&leading) => leading.progress,
                    _ => watch::channel(progress_of(&state)).0,
                };
                let leading = Box::new(Leading {
                    topic_id,
                    leader_epoch: registration.leader_epoch,
                    replicas: registration.replicas.clone(),
                    log: log.clone(),
                    state,
                    progress,
                });
                let events = vec![
                    Event::Ineligible {
                        replicas: ineligible,
                    },
                    Event::LeaderAppended {
                        log_end_offset: log_end,
                        vouched_end: vouched,
                    },
                ];
                (leading, events)
            }
        };
        for event in events {
            moved |= self.feed(tp, &mut leading, event, now_ms);
        }
        (leading, moved)
    }

    /// The leader appended: its log ends at `log_end_offset`, and its own copy counts up to
    /// `vouched_end`. Whether the high watermark moved.
    pub fn leader_appended(
        &self,
        tp: &TopicPartition,
        log_end_offset: i64,
        vouched_end: i64,
        now_ms: i64,
    ) -> bool {
        let event = Event::LeaderAppended {
            log_end_offset,
            vouched_end,
        };
        let mut roles = self.roles();
        match roles.get_mut(tp) {
            Some(Role::Leader(leading)) => self.feed(tp, leading, event, now_ms),
            _ => false,
        }
    }

    /// A follower fetched `tp` at `fetch_offset` in `leader_epoch`: what it has. Returns
    /// whether the high watermark moved, and the high watermark to tell the follower.
    pub fn follower_fetched(
        &self,
        tp: &TopicPartition,
        leader_epoch: i32,
        replica: ReplicaId,
        broker_epoch: i64,
        fetch_offset: i64,
        now_ms: i64,
    ) -> Result<bool, NotRecorded> {
        let mut roles = self.roles();
        let Some(Role::Leader(leading)) = roles.get_mut(tp) else {
            return Err(NotRecorded::NotLeader);
        };
        if leading.leader_epoch != leading_epoch_or(leader_epoch, leading.leader_epoch) {
            return Err(NotRecorded::NotLeader);
        }
        if replica == self.node_id || leading.state.follower_end(replica).is_none() {
            return Err(NotRecorded::NotAReplica);
        }
        let event = Event::FollowerFetched {
            replica,
            broker_epoch,
            fetch_offset,
        };
        Ok(self.feed(tp, leading, event, now_ms))
    }

    /// Whether `replica` is a follower of `tp`, which this broker leads.
    pub fn is_follower(&self, tp: &TopicPartition, replica: ReplicaId) -> bool {
        match self.roles().get(tp) {
            Some(Role::Leader(leading)) => {
                replica != self.node_id && leading.state.follower_end(replica).is_some()
            }
            _ => false,
        }
    }

    /// Lets time pass for every partition this broker leads: followers that lagged for
    /// `replica.lag.time.max.ms` are proposed out of the ISR.
    pub fn tick(&self, now_ms: i64) -> bool {
        let mut roles = self.roles();
        let mut moved = false;
        for (tp, role) in roles.iter_mut() {
            if let Role::Leader(leading) = role {
                moved |= self.feed(tp, leading, Event::Tick, now_ms);
            }
        }
        moved
    }

    /// The controller answered the AlterPartition `request`: committed as `committed` (the ISR
    /// and partition epoch), or definitely refused (`None`).
    pub fn alter_partition_answered(
        &self,
        request: &AlterRequest,
        committed: Option<(BTreeSet<ReplicaId>, i32)>,
        now_ms: i64,
    ) -> bool {
        let tp = &request.tp;
        let mut roles = self.roles();
        let Some(Role::Leader(leading)) = roles.get_mut(tp) else {
            return false;
        };
        if leading.leader_epoch != request.leader_epoch {
            return false;
        }
        let event = match committed {
            Some((isr, partition_epoch)) => Event::IsrCommitted {
                isr,
                partition_epoch,
            },
            None => Event::AlterPartitionFailed {
                isr: request.isr.clone(),
                partition_epoch: request.partition_epoch,
            },
        };
        self.feed(tp, leading, event, now_ms)
    }

    /// Whether `request` is still worth sending: the same topic, leadership and partition
    /// epoch, and still the change the leader has pending.
    pub fn alter_still_pending(&self, request: &AlterRequest) -> bool {
        let roles = self.roles();
        // The topic id too: a topic deleted and created again under its name starts at the
        // same epochs, and the old proposal must not land on the new topic.
        matches!(roles.get(&request.tp), Some(Role::Leader(leading))
            if leading.topic_id == request.topic_id
                && leading.leader_epoch == request.leader_epoch
                && leading.state.partition_epoch() == request.partition_epoch
                && leading.state.pending_isr() == Some(&request.isr))
    }

    /// What an acks=all produce to `tp` waits on, while this broker leads it in
    /// `leader_epoch`; the sender goes away when it stops leading.
    pub fn progress(
        &self,
        tp: &TopicPartition,
        leader_epoch: i32,
    ) -> Option<watch::Receiver<Progress>> {
        match self.roles().get(tp) {
            Some(Role::Leader(leading)) if leading.leader_epoch == leader_epoch => {
                Some(leading.progress.subscribe())
            }
            _ => None,
        }
    }

    /// The committed ISR of a partition this broker leads.
    pub fn isr(&self, tp: &TopicPartition) -> Option<BTreeSet<ReplicaId>> {
        self.leading(tp).map(|(isr, _)| isr)
    }

    /// The committed ISR and leader epoch of a partition this broker leads.
    pub fn leading(&self, tp: &TopicPartition) -> Option<(BTreeSet<ReplicaId>, i32)> {
        match self.roles().get(tp) {
            Some(Role::Leader(leading)) => {
                Some((leading.state.isr().clone(), leading.leader_epoch))
            }
            _ => None,
        }
    }

    /// The partitions this broker follows from `leader`.
    pub fn followed_from(&self, leader: i32) -> Vec<Followed> {
        (self.roles().values())
            .filter_map(|role| match role {
                Role::Follower(followed) if followed.leader == leader => Some(followed.clone()),
                _ => None,
            })
            .collect()
    }

    /// The brokers this broker fetches from.
    pub fn sources(&self) -> BTreeSet<i32> {
        (self.roles().values())
            .filter_map(|role| match role {
                Role::Follower(followed) if followed.leader >= 0 => Some(followed.leader),
                _ => None,
            })
            .collect()
    }

    /// A receiver that changes whenever the followed partitions or their leaders change.
    pub fn subscribe_followed(&self) -> watch::Receiver<u64> {
        self.followed.subscribe()
    }

    /// Feeds one event to a partition this broker leads and carries out its commands: a new
    /// high watermark goes into the log and to waiting produces, an ISR change to the
    /// AlterPartition sender. Whether the high watermark moved.
    fn feed(&self, tp: &TopicPartition, leading: &mut Leading, event: Event, now_ms: i64) -> bool {
        let mut moved = false;
        for command in leading.state.handle(event, now_ms) {
            match command {
                Command::HighWatermark { offset } => {
                    let mut log = lock_log(&leading.log);
                    let hw = log.high_watermark().max(offset);
                    log.set_high_watermark(hw);
                    crate::event!(
                        "hw {tp} epoch={} hw={offset} leo={}",
                        leading.leader_epoch,
                        log.log_end_offset()
                    );
                    moved = true;
                }
                Command::AlterPartition {
                    isr,
                    broker_epochs,
                    partition_epoch,
                } => {
                    crate::event!(
                        "isr-proposed {tp} epoch={} isr={isr:?} partition_epoch={partition_epoch}",
                        leading.leader_epoch
                    );
                    // The sender outlives every leader; a send fails only at shutdown.
                    let _ = self.alters.send(AlterRequest {
                        tp: tp.clone(),
                        topic_id: leading.topic_id,
                        leader_epoch: leading.leader_epoch,
                        partition_epoch,
                        isr,
                        broker_epochs,
                    });
                }
            }
        }
        // The whole of it: a Reconfigured event changes the minimum waiting produces judge by.
        let now = progress_of(&leading.state);
        leading
            .progress
            .send_if_modified(|p| std::mem::replace(p, now) != now);
        moved
    }
}

/// A follower's fetch names the leader epoch it believes current (-1: none named).
fn leading_epoch_or(named: i32, ours: i32) -> i32 {
    if named < 0 {
        ours
    } else {
        named
    }
}

fn progress_of(state: &PartitionLeader) -> Progress {
    Progress {
        high_watermark: state.high_watermark(),
        isr_size: state.isr().len(),
        min_insync_replicas: state.config().min_insync_replicas,
    }
}
