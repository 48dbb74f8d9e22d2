//! Loading whole configurations: Kafka's own shipped `server.properties`, Kafka keys Weir does
//! not act on, unknown keys and bad values.

use super::*;

const KAFKA_SERVER_PROPERTIES: &str = include_str!("../../tests/fixtures/kafka-server.properties");

#[test]
fn kafkas_shipped_server_properties_loads() {
    let config = BrokerConfig::load(Some(KAFKA_SERVER_PROPERTIES), &[]).unwrap();
    assert_eq!(config.node_id, 1);
    assert!(config.kraft.roles.broker && config.kraft.roles.controller);
    // No controller.quorum.voters: the node is its own only voter at its CONTROLLER listener,
    // what `kafka-storage format --standalone` makes of this file.
    let voters: Vec<_> = config
        .kraft
        .voters
        .iter()
        .map(|(id, v)| (*id, v.port))
        .collect();
    assert_eq!(voters, vec![(1, 9093)]);
    assert_eq!(config.controller_listener().map(|l| l.port), Some(9093));
    let client_ports: Vec<u16> = config.broker_listeners().iter().map(|l| l.port).collect();
    assert_eq!(client_ports, vec![9092]);
    assert_eq!(
        config.log_dirs,
        vec![PathBuf::from("/tmp/kraft-combined-logs")]
    );
    for key in ["num.network.threads", "offsets.topic.replication.factor"] {
        assert!(config.not_acted_on.iter().any(|k| k == key), "{key}");
    }
    assert!(config.unknown.is_empty(), "{:?}", config.unknown);
    let warnings = config.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("num.network.threads"), "{warnings:?}");
    // Kafka's request handler threads are the broker runtime's workers.
    assert!(!warnings[0].contains("num.io.threads"), "{warnings:?}");
    assert_eq!(config.io_threads, 8);
}

#[test]
fn the_runtime_has_a_worker_per_core_unless_num_io_threads_says_otherwise() {
    let config = BrokerConfig::load(None, &[]).unwrap();
    assert_eq!(config.io_threads, crate::runtime::cores());
    assert_eq!(
        config.value("num.io.threads"),
        crate::runtime::cores().to_string()
    );
    let two = BrokerConfig::load(None, &["num.io.threads=2".to_string()]).unwrap();
    assert_eq!(two.io_threads, 2);
    let error = BrokerConfig::load(None, &["num.io.threads=0".to_string()]).unwrap_err();
    assert!(error.to_string().contains("num.io.threads"), "{error}");
}

#[test]
fn an_unknown_key_is_a_warning_naming_the_closest_key() {
    let overrides = ["num.netwrk.threads=3".to_string()];
    let config = BrokerConfig::load(None, &overrides).unwrap();
    assert_eq!(
        config.unknown,
        vec![UnknownKey {
            key: "num.netwrk.threads".to_string(),
            closest: "num.network.threads",
        }]
    );
    assert_eq!(
        config.warnings(),
        vec![
            "unknown configuration key \"num.netwrk.threads\" ignored; did you mean \
             \"num.network.threads\"?"
                .to_string()
        ]
    );
    assert!(!config.is_explicit("num.netwrk.threads"));
}

#[test]
fn a_bad_value_of_a_key_weir_uses_is_still_an_error() {
    let overrides = [
        "num.partitions=zero".to_string(),
        "num.io.threads=8".to_string(),
    ];
    let error = BrokerConfig::load(None, &overrides).unwrap_err();
    assert!(error.to_string().contains("num.partitions"), "{error}");
}

#[test]
fn no_warnings_without_unused_keys() {
    let config = BrokerConfig::load(None, &["num.partitions=3".to_string()]).unwrap();
    assert!(config.warnings().is_empty());
}

#[test]
fn no_configuration_is_a_working_single_node() {
    let config = BrokerConfig::load(None, &[]).unwrap();
    assert_eq!(config.node_id, 1);
    assert_eq!(config.listeners[0].bind_addr(), "127.0.0.1:9092");
    assert_eq!(config.advertised_for(&config.listeners[0]).port, 9092);
    assert_eq!(config.log_dirs, vec![PathBuf::from("./weir-data")]);
    assert!(config.auto_create_topics_enable);
    assert_eq!(config.value("log.roll.ms"), "604800000");
    assert_eq!(config.value("log.retention.ms"), "604800000");
}

#[test]
fn background_periods_default_to_kafkas() {
    let config = BrokerConfig::load(None, &[]).unwrap();
    assert_eq!(config.flush_scheduler_interval_ms, 1000);
    assert_eq!(config.checkpoint_interval_ms, 60_000);
    assert_eq!(config.retention_check_interval_ms, 300_000);
    let overrides = vec!["log.flush.offset.checkpoint.interval.ms=5000".to_string()];
    let config = BrokerConfig::load(None, &overrides).unwrap();
    assert_eq!(config.checkpoint_interval_ms, 5000);
}

#[test]
fn overrides_win() {
    let text = "node.id=4\nnum.partitions=2\n";
    let overrides = vec!["num.partitions=6".to_string()];
    let config = BrokerConfig::load(Some(text), &overrides).unwrap();
    assert_eq!((config.node_id, config.num_partitions), (4, 6));
    let error = BrokerConfig::load(None, &["num.partitions=zero".to_string()]).unwrap_err();
    assert!(error.to_string().contains("not a number"));
}

#[test]
fn wildcard_listeners_advertise_loopback_and_bad_listeners_fail() {
    let overrides = vec!["listeners=PLAINTEXT://:9093".to_string()];
    let config = BrokerConfig::load(None, &overrides).unwrap();
    assert_eq!(config.listeners[0].bind_addr(), "0.0.0.0:9093");
    assert_eq!(
        config.advertised_for(&config.listeners[0]).host,
        "127.0.0.1"
    );
    let bad = vec!["listeners=127.0.0.1:9092".to_string()];
    assert!(BrokerConfig::load(None, &bad).is_err());
}

#[test]
fn bootstrap_servers_without_voters_must_be_this_node_alone() {
    let base = [
        "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
        "controller.listener.names=CONTROLLER",
    ];
    let load = |extra: &str| {
        let mut overrides: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        overrides.push(extra.to_string());
        BrokerConfig::load(None, &overrides)
    };
    assert!(load("controller.quorum.bootstrap.servers=localhost:9093").is_ok());
    // Three nodes naming each other would each become a one-voter cluster of its own.
    let error = load("controller.quorum.bootstrap.servers=a:9093,b:9093,c:9093").unwrap_err();
    assert!(
        error.to_string().contains("dynamic quorum (KIP-853)"),
        "{error}"
    );
    let error = load("controller.quorum.bootstrap.servers=localhost:9999").unwrap_err();
    assert!(
        error.to_string().contains("controller.quorum.voters"),
        "{error}"
    );
    // With voters listed, the bootstrap list is Kafka's business only.
    let voters = "controller.quorum.voters=1@127.0.0.1:9093";
    let mut overrides: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    overrides.push(voters.to_string());
    overrides.push("controller.quorum.bootstrap.servers=a:9093,b:9093".to_string());
    assert!(BrokerConfig::load(None, &overrides).is_ok());
}

#[test]
fn security_keys_weir_does_not_enforce_are_errors() {
    let overrides =
        ["authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"];
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let error = BrokerConfig::load(None, &overrides).unwrap_err();
    assert_eq!(
        error.to_string(),
        "authorizer.class.name is a Kafka config that Weir does not support yet"
    );
}
