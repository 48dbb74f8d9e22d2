//! Node start-up: what configurations start, restarts keep topics and bump leader epochs,
//! a pre-quorum `weir-metadata.json` is imported with its topic ids, and logs the metadata
//! does not name are set aside, never deleted.

use super::*;

fn config(settings: &[&str]) -> BrokerConfig {
    let overrides: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    BrokerConfig::load(None, &overrides).unwrap()
}

/// Loopback ports free a moment ago (the controllers' addresses must be known up front).
#[cfg(not(madsim))]
fn free_ports(n: usize) -> Vec<u16> {
    let sockets: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    sockets
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect()
}

/// Three controller-only nodes and one broker-only node: the broker follows the metadata log as
/// an observer, registers with the active controller over the wire, and leads the partitions
/// of a topic the controller places on it.
#[cfg(not(madsim))]
#[test]
fn controllers_and_a_broker_on_separate_nodes_form_a_cluster() {
    use crate::core::controller::CreateTopicRequest;
    use crate::storage::MemDisk;
    runtime::block_on(async {
        let ports = free_ports(3);
        let voters: Vec<String> = (1..=3)
            .map(|n| format!("{n}@127.0.0.1:{}", ports[n - 1]))
            .collect();
        let voters = format!("controller.quorum.voters={}", voters.join(","));
        let mut starting = Vec::new();
        for n in 1..=3 {
            let settings = [
                format!("node.id={n}"),
                "process.roles=controller".to_string(),
                format!("listeners=CONTROLLER://127.0.0.1:{}", ports[n - 1]),
                "controller.listener.names=CONTROLLER".to_string(),
                voters.clone(),
                format!("log.dirs=/c{n}"),
            ];
            let config = BrokerConfig::load(None, &settings).unwrap();
            starting.push(runtime::spawn(Node::start(
                config,
                Arc::new(MemDisk::new()),
            )));
        }
        let settings = [
            "node.id=4".to_string(),
            "process.roles=broker".to_string(),
            "listeners=PLAINTEXT://127.0.0.1:0".to_string(),
            "controller.listener.names=CONTROLLER".to_string(),
            voters.clone(),
            "log.dirs=/b4".to_string(),
        ];
        let config = BrokerConfig::load(None, &settings).unwrap();
        let broker_node = Node::start(config, Arc::new(MemDisk::new())).await.unwrap();
        let mut controllers = Vec::new();
        for handle in starting {
            controllers.push(handle.await.unwrap().unwrap());
        }
        let broker = broker_node.broker.clone();
        assert!(
            !broker.quorum().unwrap().is_active(),
            "an observer never leads"
        );
        let image = broker.image();
        assert!(
            image.brokers[&4].is_active(),
            "registered over the wire and unfenced"
        );
        assert_eq!(
            image.brokers.len(),
            1,
            "controllers do not register as brokers"
        );
        let request = CreateTopicRequest {
            name: "t".into(),
            num_partitions: 3,
            replication_factor: 1,
            assignments: Default::default(),
            configs: Default::default(),
        };
        // The broker's own submit is refused: it is not the controller (clients' requests are
        // forwarded above this, in the handlers).
        let refused = broker
            .create_topic(request.clone(), false)
            .await
            .unwrap_err();
        assert!(matches!(
            refused,
            crate::server::broker::TopicError::NotController { .. }
        ));
        let active = controllers
            .iter()
            .find(|c| c.quorum.is_active())
            .expect("one controller is active");
        active.broker.create_topic(request, false).await.unwrap();
        let visible = broker
            .wait_image(|i| i.topic_ids.contains_key("t"), Duration::from_secs(5))
            .await;
        assert!(visible, "the broker learns the topic from the log");
        let tp = crate::types::TopicPartition::new("t", 2);
        assert!(
            broker.leader_log(&tp).is_ok(),
            "the broker leads what it hosts"
        );
        broker_node.stop().unwrap();
        for controller in controllers {
            controller.stop().unwrap();
        }
    })
    .unwrap();
}

mod restarts {
    use std::collections::BTreeMap;
    use std::path::Path;

    use bytes::Bytes;
    use kafka_protocol::records::Compression;

    use super::*;
    use crate::client::records::{encode_batch, ProducerRecord};
    use crate::core::controller::CreateTopicRequest;
    use crate::server::configs::DynamicConfigs;
    use crate::server::topics::{write_legacy, LegacyRegistry, TopicMeta};
    use crate::storage::MemDisk;
    use crate::types::TopicPartition;

    fn node_config() -> BrokerConfig {
        config(&["log.dirs=/data", "listeners=PLAINTEXT://127.0.0.1:0"])
    }

    fn topic(name: &str, partitions: i32) -> CreateTopicRequest {
        CreateTopicRequest {
            name: name.into(),
            num_partitions: partitions,
            replication_factor: 1,
            assignments: BTreeMap::new(),
            configs: BTreeMap::new(),
        }
    }

    /// Appends one record to a partition this node leads; its offset.
    fn append(node: &Node, tp: &TopicPartition, value: &'static [u8]) -> i64 {
        let (log, epoch) = node.broker.leader_log(tp).expect("this node leads it");
        let record = ProducerRecord::new(&tp.topic, Bytes::from_static(value));
        let batch = encode_batch(&[record], &[1_700_000_000_000], Compression::None).unwrap();
        let mut log = crate::server::broker::lock_log(&log);
        let info = log.append_as_leader(&batch, epoch, 0).unwrap();
        let end = log.log_end_offset();
        log.set_high_watermark(end);
        info.base_offset
    }

    fn log_end(node: &Node, tp: &TopicPartition) -> i64 {
        let (log, _) = node.broker.leader_log(tp).expect("this node leads it");
        let end = crate::server::broker::lock_log(&log).log_end_offset();
        end
    }

    #[test]
    fn a_restart_keeps_topics_and_data_and_bumps_the_leader_epoch() {
        runtime::block_on(async {
            let disk = Arc::new(MemDisk::new());
            let node = Node::start(node_config(), disk.clone()).await.unwrap();
            let created = node
                .broker
                .create_topic(topic("t", 2), false)
                .await
                .unwrap();
            let tp = TopicPartition::new("t", 1);
            append(&node, &tp, b"a");
            append(&node, &tp, b"b");
            let epoch_before = node.broker.leader_log(&tp).unwrap().1;
            let broker_epoch = node.broker.broker_epoch();
            node.stop().unwrap();

            let node = Node::start(node_config(), disk.clone()).await.unwrap();
            // A clean stop names its broker epoch in the markers, so the restart registers as
            // clean (KIP-966) and the partition comes back from its ELR cleanly.
            assert_eq!(node.broker.previous_broker_epoch(), broker_epoch);
            let registration = node.broker.image().partition("t", 1).cloned().unwrap();
            assert!(!registration.unclean, "a clean restart: {registration:?}");
            assert!(registration.elr.is_empty() && registration.last_known_elr.is_empty());
            let meta = node.broker.state().registry.get("t").cloned().unwrap();
            assert_eq!(meta.topic_id, created.topic_id, "the id survives a restart");
            assert_eq!(log_end(&node, &tp), 2, "the data survives a restart");
            let epoch_after = node.broker.leader_log(&tp).unwrap().1;
            assert!(
                epoch_after > epoch_before,
                "a new incarnation leads in a new epoch: {epoch_before} -> {epoch_after}"
            );
            // A controlled shutdown fences the broker, so the next start registers at once.
            node.shutdown().await.unwrap();
            let node = Node::start(node_config(), disk).await.unwrap();
            assert_eq!(log_end(&node, &tp), 2);
            node.stop().unwrap();
        })
        .unwrap();
    }

    #[test]
    fn a_pre_quorum_registry_is_imported_with_its_ids_and_strays_are_set_aside() {
        runtime::block_on(async {
            let disk = Arc::new(MemDisk::new());
            // A node that ran before the quorum: logs on disk, topics in weir-metadata.json.
            let node = Node::start(node_config(), disk.clone()).await.unwrap();
            let mut configs = BTreeMap::new();
            configs.insert("retention.ms".to_string(), "86400000".to_string());
            let old = node
                .broker
                .create_topic(
                    CreateTopicRequest {
                        configs: configs.clone(),
                        ..topic("old", 2)
                    },
                    false,
                )
                .await
                .unwrap();
            node.broker
                .create_topic(topic("ghost", 1), false)
                .await
                .unwrap();
            let tp = TopicPartition::new("old", 0);
            append(&node, &tp, b"kept");
            node.stop().unwrap();
            disk.remove_dir_all(Path::new("/data/__cluster_metadata-0"))
                .unwrap();
            let mut dynamic = DynamicConfigs::default();
            dynamic
                .cluster_default
                .insert("log.retention.ms".into(), "3600000".into());
            let legacy = LegacyRegistry {
                topics: vec![TopicMeta {
                    name: "old".into(),
                    topic_id: old.topic_id.clone(),
                    partitions: 2,
                    replication_factor: 1,
                    configs: configs.clone(),
                }],
                dynamic,
            };
            write_legacy(&*disk, Path::new("/data/weir-metadata.json"), &legacy);

            let node = Node::start(node_config(), disk.clone()).await.unwrap();
            let imported = node.broker.state().registry.get("old").cloned().unwrap();
            assert_eq!(imported.topic_id, old.topic_id);
            assert_eq!(imported.partitions, 2);
            assert_eq!(imported.configs, configs);
            let default = node.broker.state().registry.dynamic.cluster_default.clone();
            assert_eq!(default["log.retention.ms"], "3600000");
            assert_eq!(log_end(&node, &tp), 1, "the imported topic keeps its data");
            let paths = disk.file_paths();
            let has = |needle: &str| paths.iter().any(|p| p.to_string_lossy().contains(needle));
            assert!(has("/data/weir-metadata.json.migrated"), "{paths:?}");
            assert!(!paths.iter().any(|p| p.ends_with("weir-metadata.json")));
            // `ghost` is not in the registry: its log is set aside, not deleted.
            assert!(node.broker.state().registry.get("ghost").is_none());
            assert!(has("/data/ghost-0.") && has("-stray/"), "{paths:?}");
            assert!(!has("/data/ghost-0/"), "{paths:?}");
            node.stop().unwrap();

            // Imported once: the next start neither imports again nor loses the topic.
            let node = Node::start(node_config(), disk).await.unwrap();
            assert!(node.broker.state().registry.get("old").is_some());
            node.stop().unwrap();
        })
        .unwrap();
    }
}
