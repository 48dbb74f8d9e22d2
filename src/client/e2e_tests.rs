//! The client end to end against [`MockBroker`](super::mock_broker::MockBroker) on loopback:
//! admin, producer (keys, keyless, acks=0, compression) and consumer (seeks, positions).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::mock_broker::MockBroker;
use super::partitioner::partition_for_key;
use super::*;
use crate::runtime;

fn run<F: std::future::Future<Output = ()>>(test: F) {
    runtime::block_on(test).unwrap();
}

#[test]
fn produce_then_consume_every_codec() {
    run(async {
        let broker = MockBroker::start().await;
        let admin = Admin::connect(ClusterOptions::new(&broker.addr))
            .await
            .unwrap();
        let topic = NewTopic {
            name: "t".into(),
            partitions: 3,
            replication_factor: 1,
            configs: BTreeMap::new(),
        };
        let created = admin
            .create_topics(std::slice::from_ref(&topic), false)
            .await
            .unwrap();
        assert!(created[0].1.is_ok());
        let again = admin.create_topics(&[topic], false).await.unwrap();
        assert_eq!(again[0].1.as_ref().unwrap_err().kafka_code(), Some(36));
        assert_eq!(
            admin.list_topics(false).await.unwrap(),
            vec!["t".to_string()]
        );

        let mut sent = Vec::new();
        for (round, codec) in ["none", "gzip", "snappy", "lz4", "zstd"].iter().enumerate() {
            let mut config = ProducerConfig::new(&broker.addr);
            config.compression = parse_compression(codec).unwrap();
            config.acks = Acks::Leader;
            config.seed = Some(round as u64);
            let producer = Producer::new(config).await.unwrap();
            let mut deliveries = Vec::new();
            for i in 0..20 {
                let key = format!("key-{}", i % 4);
                let record = ProducerRecord::new("t", format!("{codec}-{i}")).with_key(key);
                deliveries.push(producer.send(record).await.unwrap());
            }
            for (i, delivery) in deliveries.into_iter().enumerate() {
                let metadata = delivery.await.unwrap();
                let key = format!("key-{}", i % 4);
                assert_eq!(metadata.partition, partition_for_key(key.as_bytes(), 3));
                assert!(metadata.offset >= 0);
                sent.push((metadata.partition, metadata.offset, format!("{codec}-{i}")));
            }
            producer.close().await;
        }

        let mut consumer = Consumer::new(ConsumerConfig::new(&broker.addr))
            .await
            .unwrap();
        let partitions: Vec<TopicPartition> = (0..3).map(|p| TopicPartition::new("t", p)).collect();
        consumer.assign(partitions.clone());
        consumer.seek_to_beginning(&partitions);
        let mut received = Vec::new();
        while received.len() < sent.len() {
            let records = consumer.poll(Duration::from_secs(2)).await.unwrap();
            assert!(
                !records.is_empty(),
                "ran dry after {} records",
                received.len()
            );
            for record in records {
                let value = String::from_utf8(record.value.unwrap().to_vec()).unwrap();
                received.push((record.partition, record.offset, value));
            }
        }
        sent.sort();
        received.sort();
        assert_eq!(received, sent);
        assert!(consumer
            .poll(Duration::from_millis(50))
            .await
            .unwrap()
            .is_empty());
    });
}

#[test]
fn seek_inside_a_batch_skips_earlier_records_and_offsets_list() {
    run(async {
        let broker = MockBroker::start().await;
        broker.create_topic("s", 1);
        let mut config = ProducerConfig::new(&broker.addr);
        config.linger = Duration::from_millis(50);
        let producer = Producer::new(config).await.unwrap();
        let mut deliveries = Vec::new();
        for i in 0..10 {
            deliveries.push(
                producer
                    .send(ProducerRecord::new("s", format!("v{i}")))
                    .await
                    .unwrap(),
            );
        }
        producer.flush().await;
        for (i, delivery) in deliveries.into_iter().enumerate() {
            assert_eq!(
                delivery.await.unwrap().offset,
                i as i64,
                "one batch, in order"
            );
        }
        producer.close().await;

        let admin = Admin::connect(ClusterOptions::new(&broker.addr))
            .await
            .unwrap();
        let tp = TopicPartition::new("s", 0);
        let specs = BTreeMap::from([(tp.clone(), OffsetSpec::Latest)]);
        assert_eq!(admin.list_offsets(&specs).await.unwrap()[&tp].offset, 10);

        let mut consumer = Consumer::new(ConsumerConfig::new(&broker.addr))
            .await
            .unwrap();
        consumer.assign(vec![tp.clone()]);
        consumer.seek(&tp, 7);
        let records = consumer.poll(Duration::from_secs(2)).await.unwrap();
        let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, vec![7, 8, 9]);
        assert_eq!(consumer.position(&tp).await.unwrap(), Some(10));

        // Past the end: OFFSET_OUT_OF_RANGE resets to latest (the default policy).
        consumer.seek(&tp, 99);
        assert!(consumer
            .poll(Duration::from_millis(100))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(consumer.position(&tp).await.unwrap(), Some(10));
    });
}

#[test]
fn acks_zero_and_keyless_records_spread_over_partitions() {
    run(async {
        let broker = MockBroker::start().await;
        broker.create_topic("k", 4);
        let mut config = ProducerConfig::new(&broker.addr);
        config.acks = Acks::None;
        config.batch_size = 200;
        let producer = Producer::new(config).await.unwrap();
        let mut partitions = std::collections::BTreeSet::new();
        let mut deliveries = Vec::new();
        for i in 0..200 {
            let record = ProducerRecord::new("k", Bytes::from(format!("value-{i:04}")));
            deliveries.push(producer.send(record).await.unwrap());
        }
        for delivery in deliveries {
            let metadata = delivery.await.unwrap();
            assert_eq!(metadata.offset, -1);
            partitions.insert(metadata.partition);
        }
        producer.close().await;
        assert!(
            partitions.len() > 1,
            "sticky partitioning moved on: {partitions:?}"
        );
    });
}

#[test]
fn unreachable_brokers_fail_fast() {
    run(async {
        let mut options = ClusterOptions::new("127.0.0.1:1");
        options.connection.connect_timeout = Duration::from_millis(500);
        let error = Admin::connect(options).await.unwrap_err();
        assert!(error.is_retriable(), "{error}");
    });
}

#[test]
fn paced_refreshes_ask_at_most_once_per_backoff() {
    run(async {
        let broker = MockBroker::start().await;
        broker.create_topic("t", 1);
        let mut options = ClusterOptions::new(&broker.addr);
        options.retry_backoff = Duration::from_millis(200);
        let cluster = Cluster::connect(options).await.unwrap();
        let (t, u) = (["t".to_string()], ["u".to_string()]);
        let asked = || broker.metadata_requests();
        let start = asked();
        // Start-up asked about no topic, so the first paced refresh about `t` goes out.
        for _ in 0..5 {
            let metadata = cluster.refresh_metadata_paced(Some(&t)).await.unwrap();
            assert!(metadata.topics.contains_key("t"));
        }
        assert_eq!(asked() - start, 1);
        // A topic the last request did not ask about is asked about at once.
        let _ = cluster.refresh_metadata_paced(Some(&u)).await;
        assert_eq!(asked() - start, 2);
        // A plain refresh always asks.
        cluster.refresh_metadata(Some(&t)).await.unwrap();
        assert_eq!(asked() - start, 3);
        runtime::sleep(Duration::from_millis(200)).await;
        cluster.refresh_topic_paced("t").await.unwrap();
        cluster.refresh_topic_paced("t").await.unwrap();
        assert_eq!(asked() - start, 4);
    });
}
