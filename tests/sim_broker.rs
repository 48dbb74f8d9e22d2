//! A real Weir broker and the native client inside madsim, with a fixed seed.
//!
//! The broker node runs exactly the code `weir broker` runs (`Node::start`), on an in-memory
//! disk; a client node creates a topic, produces keyed records with acks=all, the broker node is
//! killed and restarted mid-way (so recovery runs too), and everything acknowledged is read
//! back in order. The whole run is repeated with the same seed and must produce the same
//! outcome, simulated timings included: determinism is part of what is tested.
//!
//! Simulated nodes get TEST-NET-1 addresses (192.0.2.0/24, reserved for documentation): madsim
//! treats every 127/8 address as the node itself, and no packet leaves the process anyway.
#![cfg(madsim)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::madsim::runtime::{Handle, Runtime};
use weir::client::admin::{Admin, NewTopic};
use weir::client::cluster::ClusterOptions;
use weir::client::consumer::{Consumer, ConsumerConfig};
use weir::client::producer::{Producer, ProducerConfig};
use weir::client::records::ProducerRecord;
use weir::config::BrokerConfig;
use weir::node::Node;
use weir::storage::MemDisk;
use weir::types::TopicPartition;

const BROKER: &str = "192.0.2.1:9092";
const PARTITIONS: i32 = 3;
const RECORDS: usize = 200;

/// Runs one seeded simulation; returns what the client observed, in order.
fn run(seed: u64) -> Vec<String> {
    let runtime = Runtime::with_seed_and_config(seed, Default::default());
    runtime.block_on(async {
        let handle = Handle::current();
        let disk = MemDisk::new();
        let broker = handle
            .create_node()
            .name("broker-1")
            .ip("192.0.2.1".parse().unwrap())
            .init(move || {
                let disk = disk.clone();
                async move {
                    let overrides = [
                        format!("listeners=PLAINTEXT://{BROKER}"),
                        "log.dirs=/data".into(),
                    ];
                    let config = BrokerConfig::load(None, &overrides).unwrap();
                    let _node = Node::start(config, Arc::new(disk)).await.unwrap();
                    std::future::pending::<()>().await;
                }
            })
            .build();
        let client = handle
            .create_node()
            .name("client")
            .ip("192.0.2.2".parse().unwrap())
            .build();
        let broker_id = broker.id();
        client
            .spawn(async move { workload(Handle::current(), broker_id).await })
            .await
            .unwrap()
    })
}

async fn workload(handle: Handle, broker: tokio::madsim::task::NodeId) -> Vec<String> {
    let mut observed = Vec::new();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let admin = Admin::connect(ClusterOptions::new(BROKER)).await.unwrap();
    let topic = NewTopic {
        name: "sim".into(),
        partitions: PARTITIONS,
        replication_factor: 1,
        configs: Default::default(),
    };
    for (name, result) in admin.create_topics(&[topic], false).await.unwrap() {
        result.unwrap_or_else(|error| panic!("creating {name}: {error}"));
    }
    let mut config = ProducerConfig::new(BROKER);
    config.seed = Some(1);
    let producer = Producer::new(config).await.unwrap();
    let mut acked = Vec::new();
    let mut deliveries = Vec::new();
    for index in 0..RECORDS {
        let record = ProducerRecord::new("sim", Bytes::from(format!("value-{index}")))
            .with_key(Bytes::from(format!("key-{}", index % 17)));
        deliveries.push(producer.send(record).await.unwrap());
    }
    producer.flush().await;
    for delivery in deliveries {
        acked.push(delivery.await.unwrap());
    }
    for meta in &acked {
        observed.push(format!("ack p{} o{}", meta.partition, meta.offset));
    }
    // Crash the broker and bring it back: recovery runs on the same disk.
    handle.kill(broker);
    handle.restart(broker);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut consumer = Consumer::new(ConsumerConfig::new(BROKER)).await.unwrap();
    let partitions: Vec<TopicPartition> = (0..PARTITIONS)
        .map(|p| TopicPartition::new("sim", p))
        .collect();
    consumer.assign(partitions.clone());
    consumer.seek_to_beginning(&partitions);
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen.extend(consumer.poll(Duration::from_millis(200)).await.unwrap());
        if seen.len() >= RECORDS {
            break;
        }
    }
    assert_eq!(
        seen.len(),
        RECORDS,
        "every acknowledged record is read back"
    );
    for partition in 0..PARTITIONS {
        let offsets: Vec<i64> = seen
            .iter()
            .filter(|record| record.partition == partition)
            .map(|record| record.offset)
            .collect();
        let expected: Vec<i64> = (0..offsets.len() as i64).collect();
        assert_eq!(
            offsets, expected,
            "partition {partition} reads back contiguous offsets"
        );
    }
    for record in &seen {
        let acked_here = acked
            .iter()
            .any(|meta| meta.partition == record.partition && meta.offset == record.offset);
        assert!(acked_here, "read a record that was never acknowledged");
        observed.push(format!(
            "read p{} o{} {:?}",
            record.partition, record.offset, record.value
        ));
    }
    observed.push(format!(
        "simulated time {:?}",
        tokio::time::Instant::now().elapsed()
    ));
    observed
}

#[test]
fn broker_and_native_client_in_the_simulator_replay_identically() {
    let first = run(20_261_123);
    let second = run(20_261_123);
    assert_eq!(first.len(), RECORDS * 2 + 1);
    assert_eq!(first, second, "the same seed must replay the same run");
}
