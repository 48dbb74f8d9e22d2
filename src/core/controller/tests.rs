//! Scenario tests of the controller's decisions. The harness commits every outcome the way the
//! runtime will: encode the batch, decode it on a "follower" image, replay it at the next
//! offset, and check the follower's image equals the controller's working image, so every
//! decision is also a test that records replay to the same state everywhere.

use std::collections::BTreeMap;

use super::controller::RECORDS_PER_OPERATION_MAX;
use super::*;
use crate::runtime::RngStream;

/// What must hold of every committed image: ISRs inside the replicas, only active brokers in
/// an ISR of several, the leader offline or in the ISR (an empty ISR has no leader), the ELR
/// inside the replicas, apart from the ISR and sorted, the last known leader only on a
/// leaderless partition, reassignment sets inside the replicas, and a snapshot that rebuilds
/// the image.
pub(super) fn check_image(image: &MetadataImage) {
    for topic in image.topics.values() {
        for (p, reg) in &topic.partitions {
            let at = format!("{}-{p}: {reg:?}", topic.name);
            assert!(
                reg.isr.iter().all(|r| reg.replicas.contains(r)),
                "ISR outside replicas at {at}"
            );
            assert!(
                reg.isr.len() <= 1 || reg.isr.iter().all(|&r| image.is_active(r)),
                "inactive broker in a multi-member ISR at {at}"
            );
            assert!(
                reg.leader == NO_LEADER || reg.isr.contains(&reg.leader),
                "leader outside ISR at {at}"
            );
            assert!(
                reg.elr
                    .iter()
                    .all(|r| reg.replicas.contains(r) && !reg.isr.contains(r)),
                "ELR outside the replicas or inside the ISR at {at}"
            );
            assert!(
                reg.elr.windows(2).all(|w| w[0] < w[1]),
                "ELR unsorted at {at}"
            );
            assert!(
                reg.last_known_elr.is_empty()
                    || (reg.leader == NO_LEADER && reg.last_known_elr.len() == 1),
                "last known leader on a led partition at {at}"
            );
            let inside = |set: &Vec<i32>| set.iter().all(|r| reg.replicas.contains(r));
            assert!(
                inside(&reg.adding_replicas) && inside(&reg.removing_replicas),
                "at {at}"
            );
        }
    }
    let rebuilt = MetadataImage::from_snapshot(image.offset, &image.to_records()).unwrap();
    assert_eq!(&rebuilt, image, "the snapshot does not rebuild the image");
}

pub(super) struct Harness {
    pub(super) controller: Controller,
    follower: MetadataImage,
    pub(super) next: i64,
    pub(super) now: i64,
}

impl Harness {
    pub(super) fn new(settings: ControllerSettings) -> Self {
        let rng = RngStream::new(7, "controller");
        Self {
            controller: Controller::new(settings, MetadataImage::default(), rng, 0),
            follower: MetadataImage::default(),
            next: 0,
            now: 0,
        }
    }

    /// Runs one controller operation at the next offset and commits its outcome.
    pub(super) fn run<R>(
        &mut self,
        operation: impl FnOnce(&mut Controller, i64, i64) -> Result<Outcome<R>, ControllerError>,
    ) -> R {
        let outcome = operation(&mut self.controller, self.next, self.now);
        self.commit(outcome)
    }

    pub(super) fn commit<R>(&mut self, outcome: Result<Outcome<R>, ControllerError>) -> R {
        let outcome = outcome.expect("the controller accepted the request");
        if !outcome.records.is_empty() {
            let bytes = encode_batch(&outcome.records);
            let records = decode_batch(&bytes).unwrap();
            self.follower.replay_batch(self.next, &records).unwrap();
            self.next += 1;
        }
        assert_eq!(&self.follower, self.controller.image(), "follower diverged");
        check_image(&self.follower);
        outcome.reply
    }

    pub(super) fn register(&mut self, broker_id: i32, incarnation_id: u128) -> i64 {
        let request = RegisterBrokerRequest {
            broker_id,
            incarnation_id,
            endpoints: vec![Endpoint {
                listener: "PLAINTEXT".into(),
                host: "127.0.0.1".into(),
                port: 9000 + broker_id as u16,
            }],
            rack: None,
            previous_broker_epoch: -1,
        };
        let outcome = self
            .controller
            .register_broker(request, self.now, self.next);
        self.commit(outcome)
    }

    pub(super) fn heartbeat(
        &mut self,
        broker_id: i32,
        broker_epoch: i64,
        shutdown: bool,
    ) -> HeartbeatReply {
        let request = HeartbeatRequest {
            broker_id,
            broker_epoch,
            current_metadata_offset: self.next,
            want_fence: false,
            want_shutdown: shutdown,
        };
        let outcome = self.controller.heartbeat(request, self.now, self.next);
        self.commit(outcome)
    }

    /// The broker asks to be fenced (as on a failed log dir); its leadership moves away.
    pub(super) fn fence(&mut self, broker_id: i32, broker_epoch: i64) {
        let request = HeartbeatRequest {
            broker_id,
            broker_epoch,
            current_metadata_offset: self.next,
            want_fence: true,
            want_shutdown: false,
        };
        self.run(|c, at, now| c.heartbeat(request, now, at));
    }

    /// Registers brokers 1..=n and unfences them; returns their epochs.
    pub(super) fn live_brokers(&mut self, n: i32) -> BTreeMap<i32, i64> {
        let mut epochs = BTreeMap::new();
        for id in 1..=n {
            epochs.insert(id, self.register(id, 100 + id as u128));
        }
        for (&id, &epoch) in &epochs {
            let reply = self.heartbeat(id, epoch, false);
            assert!(!reply.is_fenced);
        }
        epochs
    }

    pub(super) fn create(&mut self, name: &str, partitions: i32) -> u128 {
        let request = CreateTopicRequest {
            name: name.into(),
            num_partitions: partitions,
            replication_factor: 1,
            assignments: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        let outcome = self.controller.create_topic(request, false, self.next);
        self.commit(outcome).topic_id
    }

    pub(super) fn tick(&mut self) {
        let outcome = self.controller.tick(self.now, self.next);
        self.commit(outcome);
    }

    pub(super) fn partition(&self, topic: &str, partition: i32) -> PartitionRegistration {
        self.controller
            .image()
            .partition(topic, partition)
            .cloned()
            .unwrap()
    }
}

#[test]
fn brokers_register_fenced_and_are_unfenced_once_caught_up() {
    let mut h = Harness::new(ControllerSettings::default());
    let epoch = h.register(1, 11);
    assert_eq!(epoch, 0, "the broker epoch is the registration's offset");
    assert!(h.controller.image().brokers[&1].fenced);
    // A heartbeat from a broker that has not replayed its own registration keeps it fenced.
    let request = HeartbeatRequest {
        broker_id: 1,
        broker_epoch: epoch,
        current_metadata_offset: 0,
        want_fence: false,
        want_shutdown: false,
    };
    let reply = h.run(|c, at, _| c.heartbeat(request, 0, at));
    assert_eq!(
        reply,
        HeartbeatReply {
            is_caught_up: false,
            is_fenced: true,
            should_shutdown: false
        }
    );
    let reply = h.heartbeat(1, epoch, false);
    assert!(reply.is_caught_up && !reply.is_fenced);
    assert_eq!(h.controller.image().active_brokers(), vec![1]);
    // Stale epochs and unknown brokers are refused.
    let stale = HeartbeatRequest {
        broker_epoch: epoch + 5,
        ..request
    };
    assert!(matches!(
        h.controller.heartbeat(stale, 0, h.next),
        Err(ControllerError::StaleBrokerEpoch { .. })
    ));
    let unknown = HeartbeatRequest {
        broker_id: 9,
        ..request
    };
    assert_eq!(
        h.controller.heartbeat(unknown, 0, h.next).unwrap_err(),
        ControllerError::BrokerNotRegistered { broker_id: 9 }
    );
}

#[test]
fn a_second_process_with_the_same_id_is_refused_while_the_first_is_live() {
    let mut h = Harness::new(ControllerSettings::default());
    let first = h.register(1, 11);
    assert!(!h.heartbeat(1, first, false).is_fenced);
    // A retry from the same process gets the same epoch and writes nothing.
    let before = h.next;
    assert_eq!(h.register(1, 11), first);
    assert_eq!(h.next, before);
    let request = RegisterBrokerRequest {
        broker_id: 1,
        incarnation_id: 12,
        endpoints: vec![],
        rack: None,
        previous_broker_epoch: -1,
    };
    assert_eq!(
        h.controller
            .register_broker(request.clone(), 1_000, h.next)
            .unwrap_err(),
        ControllerError::DuplicateBrokerRegistration { broker_id: 1 }
    );
    // Once the old session expired the new process registers with a larger epoch.
    h.now = 9_000;
    let second = h.run(|c, at, now| c.register_broker(request, now, at));
    assert!(second > first);
    assert_eq!(h.controller.image().brokers[&1].incarnation_id, 12);
}

#[test]
fn topics_spread_leaders_round_robin_and_refuse_more_replicas_than_brokers() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(3);
    h.create("orders", 6);
    let mut per_broker = BTreeMap::new();
    for p in 0..6 {
        let partition = h.partition("orders", p);
        assert_eq!(partition.replicas.len(), 1);
        assert_eq!(partition.isr, partition.replicas);
        assert_eq!(partition.leader, partition.replicas[0]);
        assert_eq!(partition.leader_epoch, 0);
        *per_broker.entry(partition.leader).or_insert(0) += 1;
    }
    assert_eq!(
        per_broker.values().copied().collect::<Vec<_>>(),
        vec![2, 2, 2]
    );
    // Three replicas on three brokers: spread, the first replica leading.
    let rf3 = CreateTopicRequest {
        name: "replicated".into(),
        num_partitions: 1,
        replication_factor: 3,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    h.run(|c, at, _| c.create_topic(rf3, false, at));
    assert_eq!(h.partition("replicated", 0).replicas.len(), 3);
    let rf4 = CreateTopicRequest {
        name: "too-many".into(),
        num_partitions: 1,
        replication_factor: 4,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    let error = h.controller.create_topic(rf4, false, h.next).unwrap_err();
    assert!(
        matches!(
            error,
            ControllerError::InvalidReplicationFactor {
                replication_factor: 4,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("replication"), "{error}");
    let existing = CreateTopicRequest {
        name: "orders".into(),
        num_partitions: 1,
        replication_factor: 1,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    assert_eq!(
        h.controller
            .create_topic(existing, false, h.next)
            .unwrap_err(),
        ControllerError::TopicExists {
            name: "orders".into()
        }
    );
    // "orders" and "or.ders"/"or_ders" would not collide, but "a.b" and "a_b" do.
    let dotted = CreateTopicRequest {
        name: "a.b".into(),
        num_partitions: 1,
        replication_factor: 1,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    let outcome = h.controller.create_topic(dotted.clone(), false, h.next);
    h.commit(outcome);
    let underscored = CreateTopicRequest {
        name: "a_b".into(),
        ..dotted
    };
    assert_eq!(
        h.controller
            .create_topic(underscored, false, h.next)
            .unwrap_err(),
        ControllerError::TopicCollides {
            name: "a_b".into(),
            existing: "a.b".into()
        }
    );
}

#[test]
fn validate_only_writes_nothing_and_manual_assignments_are_checked() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(2);
    let mut request = CreateTopicRequest {
        name: "manual".into(),
        num_partitions: -1,
        replication_factor: -1,
        assignments: BTreeMap::from([(0, vec![2]), (1, vec![1])]),
        configs: BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]),
    };
    let outcome = h
        .controller
        .create_topic(request.clone(), true, h.next)
        .unwrap();
    assert!(outcome.records.is_empty());
    assert!(h.controller.image().topic_by_name("manual").is_none());
    h.run(|c, at, _| c.create_topic(request.clone(), false, at));
    assert_eq!(h.partition("manual", 0).leader, 2);
    assert_eq!(h.partition("manual", 1).leader, 1);
    let configs = &h.controller.image().configs[&ConfigResource::Topic("manual".into())];
    assert_eq!(configs["retention.ms"], "1000");
    request.name = "bad".into();
    for assignments in [
        BTreeMap::from([(0, vec![7])]),
        BTreeMap::from([(0, vec![1, 1])]),
        BTreeMap::from([(1, vec![1])]),
        BTreeMap::from([(0, vec![])]),
    ] {
        let request = CreateTopicRequest {
            assignments,
            ..request.clone()
        };
        let error = h
            .controller
            .create_topic(request, false, h.next)
            .unwrap_err();
        assert!(
            matches!(error, ControllerError::InvalidReplicaAssignment { .. }),
            "{error:?}"
        );
    }
}

#[test]
fn a_silent_broker_is_fenced_its_partitions_go_offline_and_come_back_with_a_new_epoch() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(3);
    h.create("orders", 6);
    let led_by_2: Vec<i32> = (0..6)
        .filter(|&p| h.partition("orders", p).leader == 2)
        .collect();
    assert!(!led_by_2.is_empty());
    // Brokers 1 and 3 keep heartbeating; broker 2 goes silent.
    for step in 1..=10 {
        h.now = step * 1_000;
        h.heartbeat(1, epochs[&1], false);
        h.heartbeat(3, epochs[&3], false);
        h.tick();
    }
    assert!(h.controller.image().brokers[&2].fenced);
    for p in 0..6 {
        let partition = h.partition("orders", p);
        if led_by_2.contains(&p) {
            assert_eq!(partition.leader, NO_LEADER, "partition {p} offline");
            assert_eq!(partition.leader_epoch, 1);
            // KIP-966: the last member leaves the ISR for the ELR, and is the last leader.
            assert_eq!(
                (partition.isr.clone(), partition.elr.clone()),
                (vec![], vec![2]),
                "partition {p}: the last ISR member is remembered in the ELR"
            );
            assert_eq!(partition.last_known_elr, vec![2]);
        } else {
            assert_ne!(partition.leader, NO_LEADER);
            assert_eq!(partition.leader_epoch, 0, "partition {p} untouched");
        }
    }
    // Broker 2 comes back (same process, same epoch): unfenced, its partitions return.
    let reply = h.heartbeat(2, epochs[&2], false);
    assert!(!reply.is_fenced);
    for &p in &led_by_2 {
        let partition = h.partition("orders", p);
        assert_eq!(partition.leader, 2);
        assert_eq!(
            partition.leader_epoch, 2,
            "every leader change bumps the epoch"
        );
    }
}

#[test]
fn a_new_controller_gives_every_broker_a_fresh_session() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(2);
    // The old controller heard nothing for a long time; a new one takes over at 50 s.
    let image = h.controller.image().clone();
    let mut successor = Controller::new(
        ControllerSettings::default(),
        image,
        RngStream::new(8, "controller"),
        50_000,
    );
    let outcome = successor.tick(50_000, h.next).unwrap();
    assert!(outcome.records.is_empty(), "nobody fenced at takeover");
    let outcome = successor.tick(59_000, h.next).unwrap();
    assert_eq!(outcome.records.len(), 2, "{:?}", outcome.records);
}

#[test]
fn a_session_granted_at_takeover_does_not_block_a_restarted_process() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(2);
    // A combined node crashed and restarted: its controller takes over with broker 1's old,
    // unfenced registration, whose process is gone.
    let image = h.controller.image().clone();
    let rng = RngStream::new(8, "controller");
    h.controller = Controller::new(ControllerSettings::default(), image, rng, 50_000);
    h.now = 50_000;
    let restarted = h.register(1, 99);
    assert!(
        restarted > epochs[&1],
        "registers at once, with a new epoch"
    );
    // Broker 2 heartbeats to the new controller: a second process claiming id 2 is refused.
    h.heartbeat(2, epochs[&2], false);
    let request = RegisterBrokerRequest {
        broker_id: 2,
        incarnation_id: 98,
        endpoints: vec![],
        rack: None,
        previous_broker_epoch: -1,
    };
    let refused = h.controller.register_broker(request, h.now, h.next);
    assert_eq!(
        refused.unwrap_err(),
        ControllerError::DuplicateBrokerRegistration { broker_id: 2 }
    );
}

#[test]
fn controlled_shutdown_moves_leadership_away_then_lets_the_broker_go() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(2);
    h.create("orders", 4);
    let reply = h.heartbeat(1, epochs[&1], true);
    assert!(
        !reply.should_shutdown,
        "broker 2 has not replayed the leadership move yet"
    );
    assert!(!reply.is_fenced);
    h.heartbeat(2, epochs[&2], false);
    let reply = h.heartbeat(1, epochs[&1], true);
    assert!(reply.should_shutdown && reply.is_fenced);
    for p in 0..4 {
        assert_ne!(h.partition("orders", p).leader, 1);
    }
    // A late heartbeat from the exiting process does not bring it back.
    let late = h.heartbeat(1, epochs[&1], false);
    assert!(late.is_fenced);
    for p in 0..4 {
        assert_ne!(h.partition("orders", p).leader, 1);
    }
    // Broker 1 restarts as a new process once its old session is gone (it was removed at
    // shutdown, so no wait), and its partitions come back when it is caught up.
    let epoch = h.register(1, 999);
    assert!(epoch > epochs[&1]);
    h.heartbeat(1, epoch, false);
    let leaders: Vec<i32> = (0..4).map(|p| h.partition("orders", p).leader).collect();
    assert_eq!(
        leaders.iter().filter(|&&l| l == 1).count(),
        2,
        "{leaders:?}"
    );
}

/// An image with one rf=3 partition, as replication will create them; built from records
/// directly because the controller refuses replication factors above 1 for now.
fn replicated_partition(h: &mut Harness, isr: Vec<i32>, leader: i32) {
    let records = vec![
        MetadataRecord::Topic {
            name: "r".into(),
            topic_id: 77,
        },
        MetadataRecord::Partition {
            topic_id: 77,
            partition: 0,
            replicas: vec![1, 2, 3],
            isr,
            adding_replicas: vec![],
            removing_replicas: vec![],
            leader,
            leader_epoch: 5,
            partition_epoch: 5,
            unclean: false,
            elr: vec![],
            last_known_elr: vec![],
        },
    ];
    h.controller.apply_now(&records).unwrap();
    h.follower.replay_records(&records).unwrap();
}

#[test]
fn fencing_the_leader_elects_from_the_isr_or_uncleanly_only_when_allowed() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(3);
    replicated_partition(&mut h, vec![1, 3], 1);
    h.fence(1, epochs[&1]);
    let p = h.partition("r", 0);
    assert_eq!(
        (p.leader, p.isr.clone(), p.leader_epoch, p.unclean),
        (3, vec![3], 6, false)
    );
    // Now 3 goes too: 3 is the last ISR member, 2 is alive but out of the ISR.
    h.fence(3, epochs[&3]);
    let p = h.partition("r", 0);
    assert_eq!(
        (p.leader, p.isr.clone(), p.elr.clone()),
        (NO_LEADER, vec![], vec![3]),
        "offline, not unclean"
    );
    // Allowing unclean election for the topic elects 2 at once, recorded as unclean.
    let enable = vec![(
        "unclean.leader.election.enable".to_string(),
        Some("true".to_string()),
    )];
    let outcome = h
        .controller
        .alter_configs(ConfigResource::Topic("r".into()), enable, h.next);
    h.commit(outcome);
    let p = h.partition("r", 0);
    assert_eq!((p.leader, p.isr.clone(), p.unclean), (2, vec![2], true));
    assert_eq!(p.leader_epoch, 8);
}

#[test]
fn elect_leaders_preferred_and_unclean_answer_like_kafka() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(3);
    replicated_partition(&mut h, vec![1, 2, 3], 2);
    h.run(|c, at, _| c.elect_leader(ElectionKind::Preferred, "r", 0, at));
    assert_eq!(h.partition("r", 0).leader, 1);
    assert_eq!(
        h.controller
            .elect_leader(ElectionKind::Preferred, "r", 0, h.next)
            .unwrap_err(),
        ControllerError::ElectionNotNeeded
    );
    assert_eq!(
        h.controller
            .elect_leader(ElectionKind::Unclean, "r", 0, h.next)
            .unwrap_err(),
        ControllerError::ElectionNotNeeded,
        "a live leader needs no unclean election"
    );
    assert!(matches!(
        h.controller
            .elect_leader(ElectionKind::Preferred, "nope", 0, h.next),
        Err(ControllerError::UnknownTopic { .. })
    ));
    assert!(matches!(
        h.controller
            .elect_leader(ElectionKind::Preferred, "r", 3, h.next),
        Err(ControllerError::UnknownPartition { .. })
    ));
    // Fence 1: leadership moves to 2; preferred election is then not available.
    h.fence(1, epochs[&1]);
    assert_eq!(h.partition("r", 0).leader, 2);
    assert_eq!(
        h.controller
            .elect_leader(ElectionKind::Preferred, "r", 0, h.next)
            .unwrap_err(),
        ControllerError::PreferredLeaderNotAvailable { preferred: Some(1) }
    );
}

#[test]
fn unclean_election_on_request_picks_a_live_replica_outside_the_isr() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(3);
    replicated_partition(&mut h, vec![9], NO_LEADER);
    h.run(|c, at, _| c.elect_leader(ElectionKind::Unclean, "r", 0, at));
    let p = h.partition("r", 0);
    assert_eq!((p.leader, p.isr, p.unclean), (1, vec![1], true));
}

#[test]
fn the_periodic_rebalance_returns_leadership_to_preferred_replicas() {
    let settings = ControllerSettings {
        leader_imbalance_check_interval_ms: 1_000,
        ..ControllerSettings::default()
    };
    let mut h = Harness::new(settings);
    let epochs = h.live_brokers(3);
    replicated_partition(&mut h, vec![1, 2, 3], 3);
    h.now = 500;
    h.tick();
    assert_eq!(h.partition("r", 0).leader, 3, "not due yet");
    h.now = 1_000;
    for (&id, &epoch) in &epochs {
        h.heartbeat(id, epoch, false);
    }
    h.tick();
    assert_eq!(h.partition("r", 0).leader, 1);
}

pub(super) fn isr_change(
    broker_id: i32,
    p: &PartitionRegistration,
    isr: Vec<i32>,
) -> AlterIsrRequest {
    AlterIsrRequest {
        broker_id,
        leader_epoch: p.leader_epoch,
        partition_epoch: p.partition_epoch,
        isr,
        broker_epochs: BTreeMap::new(),
        recovered: false,
    }
}

#[test]
fn reassignment_waits_for_new_replicas_to_join_the_isr_and_can_be_cancelled() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(2);
    let manual = CreateTopicRequest {
        name: "moving".into(),
        num_partitions: -1,
        replication_factor: -1,
        assignments: BTreeMap::from([(0, vec![1])]),
        configs: BTreeMap::new(),
    };
    h.run(|c, at, _| c.create_topic(manual, false, at));
    h.run(|c, at, _| c.alter_reassignment("moving", 0, Some(vec![2]), at));
    let p = h.partition("moving", 0);
    assert_eq!(
        (
            p.replicas.clone(),
            p.adding_replicas.clone(),
            p.removing_replicas.clone()
        ),
        (vec![2, 1], vec![2], vec![1])
    );
    assert_eq!(
        p.leader, 1,
        "the old replica leads until the new one has caught up"
    );
    let listed = h.controller.image().reassignments();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].2.adding_replicas, vec![2]);
    // Cancel: back to [1]; dropping replica 2 bumps the leader epoch to fence it.
    h.run(|c, at, _| c.alter_reassignment("moving", 0, None, at));
    let q = h.partition("moving", 0);
    assert_eq!((q.replicas.clone(), q.is_reassigning()), (vec![1], false));
    assert_eq!((q.leader, q.leader_epoch), (1, p.leader_epoch + 1));
    assert_eq!(
        h.controller
            .alter_reassignment("moving", 0, None, h.next)
            .unwrap_err(),
        ControllerError::NoReassignmentInProgress
    );
    // Again, and this time broker 2 catches up (the leader reports it in the ISR).
    h.run(|c, at, _| c.alter_reassignment("moving", 0, Some(vec![2]), at));
    let p = h.partition("moving", 0);
    h.run(|c, at, _| c.alter_isr("moving", 0, isr_change(1, &p, vec![1, 2]), at));
    let q = h.partition("moving", 0);
    assert_eq!(
        (q.replicas.clone(), q.isr.clone(), q.leader),
        (vec![2], vec![2], 2)
    );
    assert_eq!(q.leader_epoch, p.leader_epoch + 1);
    assert!(h.controller.image().reassignments().is_empty());
    assert!(
        h.controller
            .alter_reassignment("moving", 0, Some(vec![1, 1]), h.next)
            .is_err(),
        "a replica named twice is refused"
    );
}

#[test]
fn alter_isr_refuses_what_kafka_refuses() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(3);
    replicated_partition(&mut h, vec![1, 2], 1);
    let p = h.partition("r", 0);
    let refuse = |h: &mut Harness, request: AlterIsrRequest| {
        h.controller.alter_isr("r", 0, request, h.next).unwrap_err()
    };
    let not_leader = refuse(&mut h, isr_change(2, &p, vec![1, 2, 3]));
    assert_eq!(
        not_leader,
        ControllerError::NotLeader {
            broker_id: 2,
            leader: 1
        }
    );
    let stale_epoch = AlterIsrRequest {
        leader_epoch: p.leader_epoch - 1,
        ..isr_change(1, &p, vec![1, 2, 3])
    };
    assert!(matches!(
        refuse(&mut h, stale_epoch),
        ControllerError::FencedLeaderEpoch { .. }
    ));
    let stale_version = AlterIsrRequest {
        partition_epoch: p.partition_epoch - 1,
        ..isr_change(1, &p, vec![1, 2, 3])
    };
    assert!(matches!(
        refuse(&mut h, stale_version),
        ControllerError::InvalidUpdateVersion { .. }
    ));
    for bad in [vec![2, 3], vec![1, 1], vec![1, 4]] {
        assert!(matches!(
            refuse(&mut h, isr_change(1, &p, bad)),
            ControllerError::InvalidIsr { .. }
        ));
    }
    // A fenced broker may not join.
    h.fence(3, epochs[&3]);
    let p = h.partition("r", 0);
    assert_eq!(
        refuse(&mut h, isr_change(1, &p, vec![1, 2, 3])),
        ControllerError::IneligibleReplica { broker_id: 3 }
    );
    h.run(|c, at, _| c.alter_isr("r", 0, isr_change(1, &p, vec![1]), at));
    assert_eq!(h.partition("r", 0).isr, vec![1]);
    // KIP-903: broker 2 fetched as its incarnation before the registration of now.
    let p = h.partition("r", 0);
    let earlier = AlterIsrRequest {
        broker_epochs: BTreeMap::from([(1, epochs[&1]), (2, epochs[&2] - 1)]),
        ..isr_change(1, &p, vec![1, 2])
    };
    assert_eq!(
        refuse(&mut h, earlier),
        ControllerError::StaleMemberEpoch {
            broker_id: 2,
            broker_epoch: epochs[&2] - 1,
            current: epochs[&2]
        }
    );
    let current = AlterIsrRequest {
        broker_epochs: BTreeMap::from([(1, epochs[&1]), (2, epochs[&2])]),
        ..isr_change(1, &p, vec![1, 2])
    };
    h.run(|c, at, _| c.alter_isr("r", 0, current, at));
    assert_eq!(h.partition("r", 0).isr, vec![1, 2]);
}

#[test]
fn an_unclean_leader_recovers_alone_before_the_isr_grows() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(3);
    replicated_partition(&mut h, vec![9], NO_LEADER);
    h.run(|c, at, _| c.elect_leader(ElectionKind::Unclean, "r", 0, at));
    let p = h.partition("r", 0);
    assert!(p.unclean);
    let grow = isr_change(1, &p, vec![1, 2]);
    assert!(matches!(
        h.controller.alter_isr("r", 0, grow.clone(), h.next),
        Err(ControllerError::InvalidIsr { .. })
    ));
    let recovered = AlterIsrRequest {
        recovered: true,
        ..grow
    };
    h.run(|c, at, _| c.alter_isr("r", 0, recovered, at));
    let q = h.partition("r", 0);
    assert_eq!(
        (q.isr.clone(), q.unclean, q.leader_epoch),
        (vec![1, 2], false, p.leader_epoch)
    );
}

#[test]
fn a_shrinking_reassignment_waits_until_its_target_is_in_the_isr() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(3);
    replicated_partition(&mut h, vec![1], 1);
    // Target [2]: replica 2 is not in the ISR, so the move waits instead of emptying the ISR.
    h.run(|c, at, _| c.alter_reassignment("r", 0, Some(vec![2]), at));
    let p = h.partition("r", 0);
    assert_eq!(
        (p.replicas.clone(), p.isr.clone(), p.leader),
        (vec![2, 1, 3], vec![1], 1)
    );
    assert_eq!(p.removing_replicas, vec![1, 3]);
    // A new target replaces it; the ISR and leader stay inside the replica set.
    h.run(|c, at, _| c.alter_reassignment("r", 0, Some(vec![3]), at));
    let q = h.partition("r", 0);
    assert!(q.isr.iter().all(|r| q.replicas.contains(r)), "{q:?}");
    assert!(q.replicas.contains(&q.leader));
}

#[test]
fn cancelling_when_only_added_replicas_are_in_the_isr_needs_unclean_election() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(3);
    let records = vec![
        MetadataRecord::Topic {
            name: "c".into(),
            topic_id: 78,
        },
        MetadataRecord::Partition {
            topic_id: 78,
            partition: 0,
            replicas: vec![2, 1],
            isr: vec![2],
            adding_replicas: vec![2],
            removing_replicas: vec![1],
            leader: 2,
            leader_epoch: 3,
            partition_epoch: 3,
            unclean: false,
            elr: vec![],
            last_known_elr: vec![],
        },
    ];
    h.controller.apply_now(&records).unwrap();
    h.follower.replay_records(&records).unwrap();
    assert_eq!(
        h.controller
            .alter_reassignment("c", 0, None, h.next)
            .unwrap_err(),
        ControllerError::EligibleLeadersNotAvailable
    );
    let enable = vec![(
        "unclean.leader.election.enable".to_string(),
        Some("true".to_string()),
    )];
    h.run(|c, at, _| c.alter_configs(ConfigResource::Topic("c".into()), enable, at));
    h.run(|c, at, _| c.alter_reassignment("c", 0, None, at));
    let p = h.partition("c", 0);
    assert_eq!(
        (p.replicas.clone(), p.isr.clone(), p.leader, p.unclean),
        (vec![1], vec![1], 1, true)
    );
}

#[test]
fn partitions_only_grow_and_deleted_topics_leave_no_configs() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(3);
    h.create("t", 2);
    h.run(|c, at, _| c.create_partitions("t", 5, None, false, at));
    assert_eq!(
        h.controller
            .image()
            .topic_by_name("t")
            .unwrap()
            .partitions
            .len(),
        5
    );
    assert!(matches!(
        h.controller.create_partitions("t", 5, None, false, h.next),
        Err(ControllerError::InvalidPartitions { .. })
    ));
    assert!(matches!(
        h.controller
            .create_partitions("t", 7, Some(vec![vec![1]]), false, h.next),
        Err(ControllerError::InvalidReplicaAssignment { .. })
    ));
    h.run(|c, at, _| c.create_partitions("t", 6, Some(vec![vec![3]]), false, at));
    assert_eq!(h.partition("t", 5).replicas, vec![3]);
    let set = vec![("retention.ms".to_string(), Some("5".to_string()))];
    h.run(|c, at, _| c.alter_configs(ConfigResource::Topic("t".into()), set, at));
    h.run(|c, at, _| c.delete_topic("t", at));
    assert!(h.controller.image().topic_by_name("t").is_none());
    assert!(h.controller.image().configs.is_empty());
    assert!(matches!(
        h.controller.delete_topic("t", h.next),
        Err(ControllerError::UnknownTopic { .. })
    ));
    assert!(matches!(
        h.controller
            .alter_configs(ConfigResource::Topic("t".into()), vec![], h.next),
        Err(ControllerError::UnknownTopic { .. })
    ));
}

#[test]
fn a_snapshot_rebuilds_the_same_image() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(3);
    h.create("a", 3);
    h.create("b", 2);
    replicated_partition(&mut h, vec![1], 1);
    h.run(|c, at, _| c.alter_reassignment("a", 0, Some(vec![3]), at));
    h.heartbeat(2, epochs[&2], true);
    let set = vec![("x".to_string(), Some("y".to_string()))];
    h.run(|c, at, _| c.alter_configs(ConfigResource::Broker(String::new()), set, at));
    let image = h.controller.image().clone();
    let bytes = encode_batch(&image.to_records());
    let rebuilt = MetadataImage::from_snapshot(image.offset, &decode_batch(&bytes).unwrap());
    assert_eq!(rebuilt.unwrap(), image);
}

#[test]
fn replay_refuses_records_that_do_not_fit() {
    let mut image = MetadataImage::default();
    let change = MetadataRecord::PartitionChange {
        topic_id: 1,
        partition: 0,
        leader: Some(1),
        isr: None,
        replicas: None,
        adding_replicas: None,
        removing_replicas: None,
        unclean: false,
        recovered: false,
        elr: None,
        last_known_elr: None,
    };
    assert_eq!(
        image.replay_batch(0, &[change]),
        Err(ReplayError::UnknownTopic { topic_id: 1 })
    );
    let topic = MetadataRecord::Topic {
        name: "t".into(),
        topic_id: 1,
    };
    // A failing batch leaves the image untouched, even when its first record applied.
    assert!(image
        .replay_batch(0, &[topic.clone(), topic.clone()])
        .is_err());
    assert_eq!(image, MetadataImage::default());
    image.replay_batch(0, &[topic]).unwrap();
    assert_eq!(
        image.replay_batch(0, &[MetadataRecord::NoOp]),
        Err(ReplayError::OffsetBehind {
            offset: 0,
            image_offset: 1
        })
    );
    let fence = MetadataRecord::BrokerRegistrationChange {
        broker_id: 4,
        broker_epoch: 0,
        fenced: Some(true),
        in_controlled_shutdown: None,
    };
    assert_eq!(
        image.replay_batch(1, &[fence]),
        Err(ReplayError::UnknownBroker { broker_id: 4 })
    );
}

/// `replay_records` applies a lone record in place, so each kind of record must fail before it
/// changes anything.
#[test]
fn a_record_that_does_not_fit_changes_nothing() {
    let register = |broker_epoch| MetadataRecord::RegisterBroker {
        broker_id: 1,
        incarnation_id: 7,
        broker_epoch,
        endpoints: Vec::new(),
        rack: None,
        fenced: true,
    };
    let topic = |name: &str, topic_id| MetadataRecord::Topic {
        name: name.into(),
        topic_id,
    };
    let partition = MetadataRecord::Partition {
        topic_id: 1,
        partition: 0,
        replicas: vec![1],
        isr: vec![1],
        adding_replicas: Vec::new(),
        removing_replicas: Vec::new(),
        leader: 1,
        leader_epoch: 0,
        partition_epoch: 0,
        unclean: false,
        elr: vec![],
        last_known_elr: vec![],
    };
    let mut image = MetadataImage::default();
    for record in [register(5), topic("t", 1), partition.clone()] {
        image.replay_records(&[record]).unwrap();
    }
    let change = |partition| MetadataRecord::PartitionChange {
        topic_id: 1,
        partition,
        leader: Some(1),
        isr: Some(vec![1, 2]),
        replicas: None,
        adding_replicas: None,
        removing_replicas: None,
        unclean: false,
        recovered: false,
        elr: None,
        last_known_elr: None,
    };
    let misfits = [
        register(5),
        MetadataRecord::BrokerRegistrationChange {
            broker_id: 1,
            broker_epoch: 4,
            fenced: Some(false),
            in_controlled_shutdown: Some(true),
        },
        topic("t", 2),
        topic("u", 1),
        partition,
        change(1),
        MetadataRecord::RemoveTopic { topic_id: 9 },
    ];
    for record in misfits {
        let before = image.clone();
        assert!(
            image.replay_records(std::slice::from_ref(&record)).is_err(),
            "{record:?}"
        );
        assert_eq!(image, before, "{record:?} changed the image");
    }
    image.replay_records(&[change(0)]).unwrap();
    assert_eq!(image.topics[&1].partitions[&0].isr, [1, 2]);
}

#[test]
fn the_same_seed_makes_the_same_decisions() {
    let run = || {
        let mut h = Harness::new(ControllerSettings::default());
        h.live_brokers(4);
        let ids = [h.create("x", 5), h.create("y", 5)];
        (ids, h.controller.image().clone())
    };
    assert_eq!(run(), run());
}

#[test]
fn a_fenced_broker_does_not_block_its_next_process() {
    let mut h = Harness::new(ControllerSettings::default());
    h.register(1, 11);
    // Still fenced (never caught up) when it crashes; the new process registers at once.
    let request = RegisterBrokerRequest {
        broker_id: 1,
        incarnation_id: 12,
        endpoints: vec![],
        rack: None,
        previous_broker_epoch: -1,
    };
    h.run(|c, at, now| c.register_broker(request, now, at));
    assert_eq!(h.controller.image().brokers[&1].incarnation_id, 12);
}

#[test]
fn oversized_and_ambiguous_requests_are_refused_before_anything_is_decided() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(1);
    let huge = CreateTopicRequest {
        name: "huge".into(),
        num_partitions: 5_000,
        replication_factor: 1,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    let before = h.controller.image().clone();
    assert!(matches!(
        h.controller.create_topic(huge, false, h.next),
        Err(ControllerError::TooManyRecords { records: 5_001, .. })
    ));
    assert_eq!(h.controller.image(), &before);
    let mixed = CreateTopicRequest {
        name: "mixed".into(),
        num_partitions: 1,
        replication_factor: -1,
        assignments: BTreeMap::from([(0, vec![1])]),
        configs: BTreeMap::new(),
    };
    assert_eq!(
        h.controller.create_topic(mixed, false, h.next).unwrap_err(),
        ControllerError::AssignmentsWithCountOrFactor
    );
    let twice = vec![
        ("x".to_string(), Some("1".to_string())),
        ("x".to_string(), None),
    ];
    assert_eq!(
        h.controller
            .alter_configs(ConfigResource::Broker(String::new()), twice, h.next)
            .unwrap_err(),
        ControllerError::DuplicateConfig { name: "x".into() }
    );
}

#[test]
fn fencing_a_broker_that_leads_more_than_one_batch_finishes_over_ticks() {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(2);
    for t in 0..3 {
        let request = CreateTopicRequest {
            name: format!("t{t}"),
            num_partitions: -1,
            replication_factor: -1,
            assignments: (0..3_000).map(|p| (p, vec![1])).collect(),
            configs: BTreeMap::new(),
        };
        h.run(|c, at, _| c.create_topic(request, false, at));
    }
    let fence = HeartbeatRequest {
        broker_id: 1,
        broker_epoch: epochs[&1],
        current_metadata_offset: h.next,
        want_fence: true,
        want_shutdown: false,
    };
    let first = h.controller.heartbeat(fence, h.now, h.next).unwrap();
    assert!(first.records.len() <= RECORDS_PER_OPERATION_MAX + 1);
    h.commit(Ok(first));
    h.tick();
    h.tick();
    let led_by_1 = h
        .controller
        .image()
        .topics
        .values()
        .flat_map(|t| t.partitions.values())
        .filter(|p| p.leader == 1)
        .count();
    assert_eq!(led_by_1, 0, "every partition moved off the fenced broker");
}

#[test]
fn validating_a_topic_does_not_consume_its_id() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(1);
    let request = CreateTopicRequest {
        name: "v".into(),
        num_partitions: 1,
        replication_factor: 1,
        assignments: BTreeMap::new(),
        configs: BTreeMap::new(),
    };
    let validated = h
        .controller
        .create_topic(request.clone(), true, h.next)
        .unwrap();
    assert_eq!(validated.reply.topic_id, 0);
    let mut twin = Harness::new(ControllerSettings::default());
    twin.live_brokers(1);
    assert_eq!(h.create("v", 1), twin.create("v", 1));
}

#[test]
fn decisions_at_an_offset_the_image_passed_are_refused() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(1);
    assert!(h.next > 1);
    assert!(matches!(
        h.controller.tick(0, 0),
        Err(ControllerError::Internal(ReplayError::OffsetBehind { .. }))
    ));
}

#[test]
fn topic_ids_skip_kafkas_reserved_and_dash_first_ids() {
    let mut h = Harness::new(ControllerSettings::default());
    h.live_brokers(1);
    for i in 0..200 {
        let id = h.create(&format!("t{i}"), 1);
        assert!(id > 1 && (id >> 122) != 62, "{id:x}");
    }
}
