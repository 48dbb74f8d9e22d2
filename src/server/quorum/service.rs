//! The metadata quorum as a running service: the replica and the active controller behind one
//! short lock, a ticker that wakes when the core's nearest timer is due (the core says when:
//! `next_tick_ms`, as KafkaRaftClient polls with the time to its nearest timer), one sender
//! task per peer, and the entry points the CONTROLLER listener and the node use (an inbound
//! quorum request, a controller operation that resolves once its records commit).
//!
//! The lock is a `std::sync::Mutex` held only for synchronous work and never across an
//! `.await`, as everywhere in the broker. Messages the core emits are routed after each call:
//! answers to the request being served go back on its connection, everything else to the
//! peer's sender queue, which drops the oldest work if a peer is too slow (Raft retries).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::active::{ActiveController, SubmitError};
use super::replica::{MetadataReplica, ReplicaError};
use super::transport::PeerConnection;
use crate::core::controller::{Controller, ControllerError, MetadataImage, Outcome};
use crate::core::raft::{Event, Message, NodeId, Offset, RoleKind};
use crate::protocol::quorum::{LocalNode, ResponseOutcome};
use crate::runtime::{self, sync, Instant, JoinHandle};

/// The longest the ticker sleeps before it looks at the timers again, with none due. Every
/// event that can bring a timer closer wakes it anyway.
const TICK_IDLE_MAX: Duration = Duration::from_secs(1);
/// Messages queued for one peer before new ones are dropped.
const PEER_QUEUE_MAX: usize = 64;
/// How long a sender waits for a peer to connect or answer.
const PEER_WAIT: Duration = Duration::from_millis(500);

struct Shared {
    replica: MetadataReplica,
    active: ActiveController,
    /// Set once the replica failed: the service stops and the node must halt.
    failed: Option<String>,
    /// The leader and epoch last written to the log, to log each change once.
    announced: (Option<NodeId>, i32),
}

pub struct QuorumService {
    node_id: NodeId,
    cluster_id: String,
    started: Instant,
    shared: Mutex<Shared>,
    peers: BTreeMap<NodeId, sync::mpsc::Sender<Message>>,
    /// The committed image's offset, for callers waiting on a commit.
    committed: sync::watch::Sender<Offset>,
    /// The committed image itself, for the broker that serves from it; replaced (not
    /// mutated) on every commit so readers hold a consistent copy without the lock.
    published: sync::watch::Sender<Arc<MetadataImage>>,
    /// Flips to true once the replica failed, for the node to halt on.
    failed_flag: sync::watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Set by `stop`: connections still open answer nothing more and close.
    stopped: AtomicBool,
    /// The time (`now_ms`) the ticker sleeps until, and how to wake it when an event brings
    /// the nearest timer closer.
    next_tick_ms: AtomicI64,
    tick_moved: sync::Notify,
}

impl QuorumService {
    /// Starts the service for `node_id`, with `voters` mapping every other voter to the
    /// address of its CONTROLLER listener.
    pub fn start(
        replica: MetadataReplica,
        active: ActiveController,
        node_id: NodeId,
        cluster_id: String,
        voters: BTreeMap<NodeId, String>,
    ) -> Arc<Self> {
        let mut peers = BTreeMap::new();
        let mut receivers = Vec::new();
        for (&id, addr) in &voters {
            if id != node_id {
                let (tx, rx) = sync::mpsc::channel(PEER_QUEUE_MAX);
                peers.insert(id, tx);
                receivers.push((id, addr.clone(), rx));
            }
        }
        let (committed, _) = sync::watch::channel(replica.image().offset);
        let (published, _) = sync::watch::channel(Arc::new(replica.image().clone()));
        let service = Arc::new(Self {
            node_id,
            cluster_id,
            started: runtime::now(),
            shared: Mutex::new(Shared {
                replica,
                active,
                failed: None,
                announced: (None, -1),
            }),
            peers,
            committed,
            published,
            failed_flag: sync::watch::channel(false).0,
            tasks: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
            next_tick_ms: AtomicI64::new(i64::MIN),
            tick_moved: sync::Notify::new(),
        });
        let mut tasks = Vec::new();
        tasks.push(runtime::spawn(tick_loop(service.clone())));
        for (id, addr, rx) in receivers {
            tasks.push(runtime::spawn(peer_loop(service.clone(), id, addr, rx)));
        }
        *service.tasks.lock().unwrap_or_else(|e| e.into_inner()) = tasks;
        service
    }

    /// Adds a task (e.g. the CONTROLLER listener's accept loop) to stop with the service.
    pub fn track(&self, task: JoinHandle<()>) {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Stops every task of the service (the node is shutting down or was killed).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        for task in self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }

    pub fn local(&self) -> LocalNode<'_> {
        LocalNode {
            cluster_id: &self.cluster_id,
            node_id: self.node_id,
        }
    }

    /// Milliseconds on the service's clock (broker sessions are timed on it).
    pub fn now_ms(&self) -> i64 {
        runtime::now().duration_since(self.started).as_millis() as i64
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until the replica fails (the metadata log cannot be written or read back); the
    /// reason. The node halts on it, as Kafka exits on a fatal metadata log error.
    pub async fn failed(&self) -> String {
        let mut flag = self.failed_flag.subscribe();
        let _ = flag.wait_for(|&failed| failed).await;
        self.failure().unwrap_or_default()
    }

    /// The reason the replica stopped, if it did.
    pub fn failure(&self) -> Option<String> {
        self.lock().failed.clone()
    }

    /// A copy of the committed metadata image.
    pub fn image(&self) -> MetadataImage {
        self.lock().replica.image().clone()
    }

    /// The committed image as last published: cheap, and never half-applied.
    pub fn published_image(&self) -> Arc<MetadataImage> {
        self.published.borrow().clone()
    }

    /// Changes whenever a newer committed image is published.
    pub fn subscribe_image(&self) -> sync::watch::Receiver<Arc<MetadataImage>> {
        self.published.subscribe()
    }

    /// This node's id in the quorum.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// Whether this node is the active controller now (leads with an up-to-date image).
    pub fn is_active(&self) -> bool {
        let now = self.now_ms();
        let mut shared = self.lock();
        let shared = &mut *shared;
        shared.failed.is_none() && shared.active.is_active(&shared.replica, now)
    }

    /// The current leader of the quorum and its epoch, and this node's role.
    pub fn leadership(&self) -> (Option<NodeId>, i32, RoleKind) {
        let shared = self.lock();
        let node = shared.replica.node();
        (node.leader(), node.leader_epoch(), node.role())
    }

    /// Feeds `event` and routes what the core emits. Returns the answer addressed to
    /// `reply_to`, if the core produced one (the response to an inbound request).
    fn feed(&self, event: Event, reply_to: Option<NodeId>) -> Option<Message> {
        if self.is_stopped() {
            return None;
        }
        let now = self.now_ms();
        let mut shared = self.lock();
        if shared.failed.is_some() {
            return None;
        }
        if let Err(error) = shared.replica.handle(now, event) {
            fail(&mut shared, error);
            self.failed_flag.send_replace(true);
            return None;
        }
        self.route(&mut shared, reply_to)
    }

    /// Sends the outbox on and publishes the committed offset; picks out the answer to
    /// `reply_to`'s request.
    fn route(&self, shared: &mut Shared, reply_to: Option<NodeId>) -> Option<Message> {
        let node = shared.replica.node();
        let leadership = (node.leader(), node.leader_epoch());
        if leadership != shared.announced && leadership.0.is_some() {
            shared.announced = leadership;
            let (leader, epoch) = (leadership.0.unwrap_or(-1), leadership.1);
            if leader == self.node_id {
                tracing::info!(
                    epoch,
                    "this node leads the metadata quorum: active controller"
                );
            } else {
                tracing::info!(leader, epoch, "the metadata quorum has a leader");
            }
        }
        let mut reply = None;
        for (to, message) in shared.replica.take_outbox() {
            let is_answer = matches!(
                message,
                Message::VoteResponse(_)
                    | Message::FetchResponse(_)
                    | Message::FetchSnapshotResponse(_)
            );
            if is_answer {
                if Some(to) == reply_to && reply.is_none() {
                    reply = Some(message);
                }
                // An answer with no request waiting for it has nowhere to go.
                continue;
            }
            if let Some(peer) = self.peers.get(&to) {
                let _ = peer.try_send(message);
            }
        }
        if shared.replica.next_tick_ms() < self.next_tick_ms.load(Ordering::SeqCst) {
            self.tick_moved.notify_one();
        }
        let offset = shared.replica.image().offset;
        if offset > self.published.borrow().offset {
            self.published
                .send_replace(Arc::new(shared.replica.image().clone()));
        }
        self.committed.send_if_modified(|current| {
            let advanced = offset > *current;
            *current = (*current).max(offset);
            advanced
        });
        reply
    }

    /// Serves one request from peer `from`; the answer, if the core gave one.
    pub fn handle_request(&self, from: NodeId, message: Message) -> Option<Message> {
        self.feed(Event::Received { from, message }, Some(from))
    }

    /// Runs a controller operation and waits until its records commit. Fails with
    /// `NotController` when this node does not lead, or stops leading before the commit.
    pub async fn submit<R>(
        &self,
        operation: impl FnOnce(&mut Controller, Offset) -> Result<Outcome<R>, ControllerError>,
        wait: Duration,
    ) -> Result<R, SubmitError> {
        let (submitted, epoch) = {
            let now = self.now_ms();
            let mut shared = self.lock();
            let shared = &mut *shared;
            if let Some(reason) = &shared.failed {
                return Err(SubmitError::Failed(reason.clone()));
            }
            if self.is_stopped() {
                return Err(SubmitError::Failed("the quorum service was stopped".into()));
            }
            let submitted = shared.active.submit(&mut shared.replica, now, operation);
            if let Err(SubmitError::Replica(error)) = &submitted {
                // The proposal reached the store and the store failed: as fatal as a failure
                // while handling an event.
                tracing::error!(%error, "metadata log failed; this node must stop");
                shared.failed = Some(error.to_string());
                self.failed_flag.send_replace(true);
            }
            let epoch = shared.replica.node().leader_epoch();
            self.route(shared, None);
            (submitted?, epoch)
        };
        let Some(offset) = submitted.commit_offset else {
            return Ok(submitted.reply);
        };
        let mut committed = self.committed.subscribe();
        // `wait_for` returns a read guard on the watch: dropped here, before `leadership`
        // takes `shared`, because `route` holds `shared` while it writes the watch (two
        // workers deadlocked on exactly that).
        let reached = runtime::timeout(wait, committed.wait_for(|&at| at > offset))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if !reached {
            return Err(SubmitError::Timeout);
        }
        // Entries of a leader's own epoch are never truncated while it leads, so if this node
        // still leads in the epoch it proposed in, the committed entry is ours.
        let (leader, now_epoch, _) = self.leadership();
        if leader == Some(self.node_id) && now_epoch == epoch {
            Ok(submitted.reply)
        } else {
            Err(SubmitError::NotController { leader })
        }
    }

    /// The quorum as its leader sees it (DescribeQuorum); `None` unless this node leads.
    /// Fetch times are the core's (milliseconds since this service started); they go out as
    /// Unix milliseconds, as Kafka's tools expect (they print them and subtract them from now).
    pub fn describe(&self) -> Option<crate::core::raft::QuorumDescription> {
        let mut description = self.lock().replica.node().describe_quorum()?;
        let since_start_ms = self.now_ms();
        let unix_now_ms = runtime::unix_time_ms();
        let replicas = description.current_voters.iter_mut();
        for replica in replicas.chain(description.observers.iter_mut()) {
            replica.last_fetch_timestamp_ms = replica
                .last_fetch_timestamp_ms
                .map(|at| unix_now_ms.saturating_sub(since_start_ms.saturating_sub(at)));
        }
        Some(description)
    }

    /// A copy of this node's Raft state, for checkers that compare nodes (the simulator's
    /// quorum invariants).
    pub fn raft_node(&self) -> crate::core::raft::RaftNode {
        self.lock().replica.node().clone()
    }

    /// The Raft state's [`ViewKey`](crate::core::raft::ViewKey): tells a sampler whether
    /// `raft_node` would show anything new, without copying the log.
    pub fn view_key(&self) -> crate::core::raft::ViewKey {
        self.lock().replica.node().view_key()
    }

    /// Hands the lead to another voter (controlled shutdown).
    pub fn resign(&self) {
        self.feed(Event::Resign, None);
    }
}

fn fail(shared: &mut Shared, error: ReplicaError) {
    tracing::error!(%error, "metadata log failed; this node must stop");
    shared.failed = Some(error.to_string());
}

/// Ticks the core when its nearest timer is due, and otherwise sleeps until then or until an
/// event brings a timer closer. Ticks are at least a millisecond apart, so a timer that a tick
/// leaves due can never spin the ticker without time passing.
async fn tick_loop(service: Arc<QuorumService>) {
    let mut last_tick_ms = i64::MIN;
    loop {
        if service.failure().is_some() {
            return; // The replica failed on some other event: nothing will tick again.
        }
        let now_ms = service.now_ms();
        let due_ms = {
            // Decided under the lock `route` holds, so an event cannot slip between reading the
            // timers and publishing when the ticker wakes: it either shows here or notifies.
            let shared = service.lock();
            let due_ms = shared.replica.next_tick_ms().max(last_tick_ms + 1);
            let sleeps_until = if due_ms <= now_ms { i64::MIN } else { due_ms };
            service.next_tick_ms.store(sleeps_until, Ordering::SeqCst);
            due_ms
        };
        if due_ms <= now_ms {
            last_tick_ms = now_ms;
            service.feed(Event::Tick, None);
            if service.failure().is_some() {
                return;
            }
            continue;
        }
        let wait = Duration::from_millis(u64::try_from(due_ms - now_ms).unwrap_or(u64::MAX));
        let moved = service.tick_moved.notified();
        runtime::select! {
            _ = runtime::sleep(wait.min(TICK_IDLE_MAX)) => {}
            _ = moved => {}
        }
    }
}

/// Sends queued messages to one peer, one exchange at a time, and feeds the answers back.
async fn peer_loop(
    service: Arc<QuorumService>,
    peer: NodeId,
    addr: String,
    mut queue: sync::mpsc::Receiver<Message>,
) {
    let mut connection: Option<PeerConnection> = None;
    while let Some(message) = queue.recv().await {
        if connection.is_none() {
            match PeerConnection::open(&addr, PEER_WAIT).await {
                Ok(opened) => connection = Some(opened),
                Err(_) => continue, // Dropped: the core retries on its timers.
            }
        }
        let Some(open) = connection.as_mut() else {
            continue;
        };
        let local = service.local();
        match open.exchange(&message, &local, peer, PEER_WAIT).await {
            Ok(ResponseOutcome::Answer(answer)) => {
                service.feed(
                    Event::Received {
                        from: peer,
                        message: answer,
                    },
                    None,
                );
            }
            Ok(ResponseOutcome::Acknowledged | ResponseOutcome::Refused { .. }) => {}
            Err(_) => connection = None,
        }
    }
}
