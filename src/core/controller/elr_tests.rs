//! Eligible leader replicas (KIP-966) through the controller's operations: fencing shrinks an
//! ISR below `min.insync.replicas` into the ELR and finally to nothing, an ELR member that
//! returns is elected cleanly, an unclean restart drops a broker from the ELR, the last known
//! leader leads uncleanly when nobody else can, and AlterPartition and config changes move the
//! ELR as Kafka's controller does. Every step is committed through the test harness, so each
//! is also checked to replay the same on a follower.

use std::collections::BTreeMap;

use super::tests::{isr_change, Harness};
use super::*;

/// Brokers 1..=3 live, topic `e` with one partition on [1, 2, 3] at `min.insync.replicas`.
fn three_replicas(min_isr: &str) -> (Harness, BTreeMap<i32, i64>) {
    let mut h = Harness::new(ControllerSettings::default());
    let epochs = h.live_brokers(3);
    let request = CreateTopicRequest {
        name: "e".into(),
        num_partitions: -1,
        replication_factor: -1,
        assignments: BTreeMap::from([(0, vec![1, 2, 3])]),
        configs: BTreeMap::from([("min.insync.replicas".into(), min_isr.into())]),
    };
    h.run(|c, at, _| c.create_topic(request, false, at));
    (h, epochs)
}

/// (leader, ISR, ELR, last known leader, unclean)
fn state(h: &Harness) -> (i32, Vec<i32>, Vec<i32>, Vec<i32>, bool) {
    let p = h.partition("e", 0);
    (p.leader, p.isr, p.elr, p.last_known_elr, p.unclean)
}

/// A restart of `broker` as a new process: `clean` says whether the last one shut down cleanly
/// with the registered epoch. Returns the new epoch.
fn restart(h: &mut Harness, broker: i32, clean: bool) -> i64 {
    let registered = h.controller.image().brokers[&broker].clone();
    let request = RegisterBrokerRequest {
        broker_id: broker,
        incarnation_id: registered.incarnation_id + 1000,
        endpoints: registered.endpoints.clone(),
        rack: None,
        previous_broker_epoch: if clean { registered.broker_epoch } else { -1 },
    };
    h.run(|c, at, now| c.register_broker(request, now, at))
}

#[test]
fn fencing_below_min_isr_fills_the_elr_and_an_elr_member_returns_cleanly() {
    let (mut h, epochs) = three_replicas("2");
    assert_eq!(state(&h), (1, vec![1, 2, 3], vec![], vec![], false));
    // Down to the minimum: the high watermark still moves, so nobody is eligible.
    h.fence(3, epochs[&3]);
    assert_eq!(state(&h), (1, vec![1, 2], vec![], vec![], false));
    // Below it: the follower that leaves holds everything below the frozen high watermark.
    h.fence(2, epochs[&2]);
    assert_eq!(state(&h), (1, vec![1], vec![2], vec![], false));
    // The last member fenced: an empty ISR, no leader, and the last leader remembered.
    h.fence(1, epochs[&1]);
    assert_eq!(state(&h), (NO_LEADER, vec![], vec![1, 2], vec![1], false));
    // Broker 3 returns: it left while the ISR was at the minimum, so it may not lead.
    h.heartbeat(3, epochs[&3], false);
    assert_eq!(
        state(&h).0,
        NO_LEADER,
        "3 is neither in the ISR nor the ELR"
    );
    // Broker 2 returns (the same process: it was only cut off): a clean ELR election.
    let before = h.partition("e", 0);
    h.heartbeat(2, epochs[&2], false);
    assert_eq!(state(&h), (2, vec![2], vec![1], vec![], false));
    assert_eq!(h.partition("e", 0).leader_epoch, before.leader_epoch + 1);
}

#[test]
fn an_unclean_restart_leaves_the_elr_and_a_clean_one_stays() {
    let (mut h, epochs) = three_replicas("2");
    for broker in [3, 2, 1] {
        h.fence(broker, epochs[&broker]);
    }
    assert_eq!(state(&h), (NO_LEADER, vec![], vec![1, 2], vec![1], false));
    // Broker 1 crashed: it may have lost unflushed records, so it is no longer eligible.
    let one = restart(&mut h, 1, false);
    assert_eq!(state(&h), (NO_LEADER, vec![], vec![2], vec![1], false));
    // Broker 2 shut down cleanly: still eligible.
    let two = restart(&mut h, 2, true);
    assert_eq!(state(&h).2, vec![2]);
    // With an ELR member still to come back, the last known leader waits.
    h.heartbeat(1, one, false);
    assert_eq!(state(&h).0, NO_LEADER);
    h.heartbeat(2, two, false);
    assert_eq!(state(&h), (2, vec![2], vec![], vec![], false));
}

#[test]
fn with_nobody_eligible_the_last_known_leader_leads_uncleanly() {
    let (mut h, epochs) = three_replicas("2");
    for broker in [3, 2, 1] {
        h.fence(broker, epochs[&broker]);
    }
    let restarted: Vec<i64> = [1, 2, 3]
        .iter()
        .map(|&b| restart(&mut h, b, false))
        .collect();
    assert_eq!(state(&h), (NO_LEADER, vec![], vec![], vec![1], false));
    // Broker 2 is back first, but only the last leader is a candidate (unclean election off).
    h.heartbeat(2, restarted[1], false);
    assert_eq!(state(&h).0, NO_LEADER);
    h.heartbeat(1, restarted[0], false);
    assert_eq!(state(&h), (1, vec![1], vec![], vec![], true));
}

#[test]
fn with_one_in_sync_replica_required_only_the_last_member_is_remembered() {
    let (mut h, epochs) = three_replicas("1");
    h.fence(3, epochs[&3]);
    h.fence(2, epochs[&2]);
    assert_eq!(state(&h), (1, vec![1], vec![], vec![], false));
    h.fence(1, epochs[&1]);
    assert_eq!(state(&h), (NO_LEADER, vec![], vec![1], vec![1], false));
    h.heartbeat(1, epochs[&1], false);
    assert_eq!(state(&h), (1, vec![1], vec![], vec![], false));
}

#[test]
fn alter_partition_moves_the_elr_with_the_isr() {
    let (mut h, _) = three_replicas("2");
    let p = h.partition("e", 0);
    h.run(|c, at, _| c.alter_isr("e", 0, isr_change(1, &p, vec![1]), at));
    assert_eq!(state(&h), (1, vec![1], vec![2, 3], vec![], false));
    // One rejoins: the ISR is at the minimum again and the high watermark moves, so the ELR
    // empties (3 may fall behind from now on).
    let p = h.partition("e", 0);
    h.run(|c, at, _| c.alter_isr("e", 0, isr_change(1, &p, vec![1, 3]), at));
    assert_eq!(state(&h), (1, vec![1, 3], vec![], vec![], false));
}

#[test]
fn changing_min_insync_replicas_clears_the_elr() {
    let (mut h, epochs) = three_replicas("3");
    h.fence(3, epochs[&3]);
    assert_eq!(state(&h).2, vec![3]);
    let before = h.partition("e", 0);
    let resource = ConfigResource::Topic("e".into());
    let changes = vec![("min.insync.replicas".to_string(), Some("2".to_string()))];
    h.run(|c, at, _| c.alter_configs(resource, changes, at));
    let after = h.partition("e", 0);
    assert_eq!(
        (after.elr.clone(), after.last_known_elr.clone()),
        (vec![], vec![])
    );
    assert_eq!(after.partition_epoch, before.partition_epoch + 1);
    assert_eq!(
        after.leader_epoch, before.leader_epoch,
        "leadership is untouched"
    );
    // A config change that is not min.insync.replicas leaves an ELR alone.
    h.fence(2, epochs[&2]);
    assert_eq!(state(&h).2, vec![2]);
    let resource = ConfigResource::Topic("e".into());
    let changes = vec![("retention.ms".to_string(), Some("1000".to_string()))];
    h.run(|c, at, _| c.alter_configs(resource, changes, at));
    assert_eq!(state(&h).2, vec![2]);
}

/// Kafka 4.4 with ELR on (as a new cluster has it) refuses a broker's own
/// `min.insync.replicas` and the removal of the cluster-wide one; checked against the
/// reference broker with kafka-configs, and in `AdminVsKafkaTest`.
#[test]
fn min_insync_replicas_is_a_topic_or_cluster_setting_only() {
    let (mut h, _) = three_replicas("2");
    let set =
        |value: Option<&str>| vec![("min.insync.replicas".to_string(), value.map(String::from))];
    let broker = ConfigResource::Broker("1".into());
    let refused = h.controller.alter_configs(broker, set(Some("2")), h.next);
    assert_eq!(
        refused.unwrap_err(),
        ControllerError::MinIsrLockedByElr {
            cluster_level: false
        }
    );
    let cluster = ConfigResource::Broker(String::new());
    let removal = h
        .controller
        .alter_configs(cluster.clone(), set(None), h.next);
    let error = removal.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Cluster-level min.insync.replicas cannot be removed while ELR is enabled."
    );
    h.run(|c, at, _| c.alter_configs(cluster.clone(), set(Some("3")), at));
    let configs = &h.controller.image().configs[&cluster];
    assert_eq!(configs["min.insync.replicas"], "3");
    let topic = h.controller.image().topic_ids["e"];
    assert_eq!(h.controller.min_isr(topic), 2, "the topic's own value wins");
}
