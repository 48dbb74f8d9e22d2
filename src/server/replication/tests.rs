//! Three nodes on loopback (each a broker and a voter), a topic with three replicas and
//! `min.insync.replicas=2`: acks=all produces are answered once every in-sync replica has the
//! records, followers hold the leader's batches byte for byte, and when the leader stops the
//! others elect a new one from the ISR, lose nothing acknowledged, and go on at acks=all.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::client::records::ProducerRecord;
use crate::client::{Acks, Admin, ClusterOptions, NewTopic, Producer, ProducerConfig};
use crate::config::BrokerConfig;
use crate::node::Node;
use crate::runtime;
use crate::storage::{lock_log, MemDisk};
use crate::types::TopicPartition;

fn free_ports(n: usize) -> Vec<u16> {
    let sockets: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    sockets
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect()
}

async fn start_cluster() -> Vec<Node> {
    let ports = free_ports(3);
    let voters: Vec<String> = (1..=3)
        .map(|n| format!("{n}@127.0.0.1:{}", ports[n - 1]))
        .collect();
    let mut starting = Vec::new();
    for n in 1..=3 {
        let settings = [
            format!("node.id={n}"),
            format!(
                "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:{}",
                ports[n - 1]
            ),
            format!("controller.quorum.voters={}", voters.join(",")),
            format!("log.dirs=/d{n}"),
            "broker.session.timeout.ms=1500".to_string(),
            "broker.heartbeat.interval.ms=300".to_string(),
            "replica.lag.time.max.ms=1000".to_string(),
            "replica.fetch.backoff.ms=100".to_string(),
        ];
        let config = BrokerConfig::load(None, &settings).unwrap();
        starting.push(runtime::spawn(Node::start(
            config,
            Arc::new(MemDisk::new()),
        )));
    }
    let mut nodes = Vec::new();
    for handle in starting {
        nodes.push(handle.await.unwrap().unwrap());
    }
    nodes
}

fn bootstrap(nodes: &[&Node]) -> String {
    let addresses: Vec<String> = nodes.iter().map(|n| n.bound[0].to_string()).collect();
    addresses.join(",")
}

async fn produce_all(bootstrap: &str, from: usize, count: usize) -> Vec<i64> {
    let mut config = ProducerConfig::new(bootstrap);
    config.acks = Acks::All;
    let producer = Producer::new(config).await.unwrap();
    let mut deliveries = Vec::new();
    for i in from..from + count {
        let mut record = ProducerRecord::new("r", format!("v{i}"));
        record.partition = Some(0);
        deliveries.push(producer.send(record).await.unwrap());
    }
    let mut offsets = Vec::new();
    for delivery in deliveries {
        offsets.push(delivery.await.unwrap().offset);
    }
    producer.close().await;
    offsets
}

/// (log end offset, high watermark) of `r-0` on `node`.
fn offsets(node: &Node) -> (i64, i64) {
    let log = node.broker.log(&TopicPartition::new("r", 0)).unwrap();
    let log = lock_log(&log);
    (log.log_end_offset(), log.high_watermark())
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        runtime::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Topic `r`: one partition, three replicas, `min.insync.replicas=2`.
async fn create_replicated_topic(nodes: &[&Node]) {
    let admin = Admin::connect(ClusterOptions::new(&bootstrap(nodes)))
        .await
        .unwrap();
    let topic = NewTopic {
        name: "r".into(),
        partitions: 1,
        replication_factor: 3,
        configs: BTreeMap::from([("min.insync.replicas".into(), "2".into())]),
    };
    let created = admin.create_topics(&[topic], false).await.unwrap();
    assert!(created[0].1.is_ok(), "{:?}", created[0].1);
}

#[test]
fn acks_all_waits_for_the_isr_and_a_new_leader_keeps_every_acknowledged_record() {
    runtime::block_on(async {
        let nodes = start_cluster().await;
        let all: Vec<&Node> = nodes.iter().collect();
        create_replicated_topic(&all).await;

        // One at a time: when acks=all answers, every replica (all three are in sync) has
        // the record already.
        let mut config = ProducerConfig::new(&bootstrap(&all));
        config.acks = Acks::All;
        let producer = Producer::new(config).await.unwrap();
        for i in 0..10 {
            let mut record = ProducerRecord::new("r", format!("one-{i}"));
            record.partition = Some(0);
            let offset = producer.send(record).await.unwrap().await.unwrap().offset;
            assert_eq!(offset, i);
            for node in &nodes {
                let (end, _) = offsets(node);
                assert!(
                    end > offset,
                    "acknowledged before node {} had it",
                    node.broker.config.node_id
                );
            }
        }
        producer.close().await;
        let first = produce_all(&bootstrap(&all), 10, 30).await;
        assert_eq!(first, (10..40).collect::<Vec<i64>>());
        let image = nodes[0].broker.image();
        let leader = image.partition("r", 0).unwrap().leader;
        let leader_node = nodes
            .iter()
            .find(|n| n.broker.config.node_id == leader)
            .unwrap();
        // Acknowledged at acks=all: the leader's high watermark passed them, so every ISR
        // member had them.
        assert_eq!(offsets(leader_node), (40, 40));
        for node in &nodes {
            eventually(
                "every follower has the records and the high watermark",
                || offsets(node) == (40, 40),
            )
            .await;
        }
        // The followers' logs hold the leader's batches as they are.
        let read = |node: &Node| {
            let log = node.broker.log(&TopicPartition::new("r", 0)).unwrap();
            let bytes = lock_log(&log).read(0, 1 << 20, 40, true).unwrap();
            bytes
        };
        let leader_bytes = read(leader_node);
        for node in &nodes {
            assert_eq!(read(node), leader_bytes);
        }
        // The leader's log start moves (as retention moves it); followers keep it too.
        let leader_log = leader_node
            .broker
            .log(&TopicPartition::new("r", 0))
            .unwrap();
        lock_log(&leader_log)
            .increment_log_start_offset(25)
            .unwrap();
        let log_start = |node: &Node| {
            let log = node.broker.log(&TopicPartition::new("r", 0)).unwrap();
            let start = lock_log(&log).log_start_offset();
            start
        };
        for node in &nodes {
            eventually("every follower keeps the leader's log start", || {
                log_start(node) == 25
            })
            .await;
        }

        // The leader stops; the others elect one of themselves and go on at acks=all.
        let mut rest = Vec::new();
        let mut stopped = None;
        for node in nodes {
            if node.broker.config.node_id == leader {
                stopped = Some(node);
            } else {
                rest.push(node);
            }
        }
        stopped.unwrap().stop().unwrap();
        let survivors: Vec<&Node> = rest.iter().collect();
        let watcher = rest[0].broker.clone();
        let elected = watcher.wait_image(
            |image| {
                let p = image.partition("r", 0).unwrap();
                p.leader >= 0 && p.leader != leader && !p.isr.contains(&leader)
            },
            Duration::from_secs(20),
        );
        assert!(
            elected.await,
            "a new leader from the ISR within the session timeout"
        );
        let second = produce_all(&bootstrap(&survivors), 40, 40).await;
        assert_eq!(second, (40..80).collect::<Vec<i64>>());
        for node in &rest {
            eventually("both survivors have every record", || {
                offsets(node) == (80, 80)
            })
            .await;
        }
        for node in rest {
            node.stop().unwrap();
        }
    })
    .unwrap();
}

/// A follower that stops fetching holds acks=all produces until the leader has dropped it
/// from the ISR (after `replica.lag.time.max.ms`, committed by the controller): the answer
/// never comes while the ISR still names a replica without the records.
#[test]
fn acks_all_waits_until_a_stopped_follower_is_out_of_the_isr() {
    runtime::block_on(async {
        let nodes = start_cluster().await;
        let all: Vec<&Node> = nodes.iter().collect();
        create_replicated_topic(&all).await;
        produce_all(&bootstrap(&all), 0, 5).await;
        let tp = TopicPartition::new("r", 0);
        let image = nodes[0].broker.image();
        let registration = image.partition("r", 0).unwrap().clone();
        let leader = registration.leader;
        // Stop a follower that is not the active controller, so the quorum stays whole.
        let follower = (registration.replicas.iter().copied())
            .find(|&id| {
                id != leader
                    && !nodes
                        .iter()
                        .any(|n| n.broker.config.node_id == id && n.quorum.is_active())
            })
            .unwrap();
        let mut rest = Vec::new();
        for node in nodes {
            if node.broker.config.node_id == follower {
                node.stop().unwrap();
            } else {
                rest.push(node);
            }
        }
        let leader_node = rest
            .iter()
            .find(|n| n.broker.config.node_id == leader)
            .unwrap();
        let survivors: Vec<&Node> = rest.iter().collect();
        let started = runtime::now();
        let offsets_acked = produce_all(&bootstrap(&survivors), 5, 1).await;
        assert_eq!(offsets_acked, vec![5]);
        let isr = leader_node.broker.replicas.isr(&tp).unwrap();
        assert!(
            !isr.contains(&follower),
            "acknowledged while the ISR {isr:?} still held the stopped follower {follower}"
        );
        assert!(runtime::now() - started >= Duration::from_millis(500));
        for node in rest {
            node.stop().unwrap();
        }
    })
    .unwrap();
}
