//! The KRaft keys: defaults, the realistic layouts (single node, a 3-node combined quorum, a
//! broker-only node, a controller-only node) and one bad configuration per rule.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::config::{BrokerConfig, ConfigError};

/// Node 2 of a 3-node combined cluster on one machine (ports 9x92 for clients, 9x93 for the
/// quorum).
const NODE_2: &[&str] = &[
    "node.id=2",
    "process.roles=broker,controller",
    "listeners=PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193",
    "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293",
];

/// A broker-only node 4 of the same cluster.
const BROKER_4: &[&str] = &[
    "node.id=4",
    "process.roles=broker",
    "listeners=PLAINTEXT://127.0.0.1:9492",
    "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293",
];

fn load(settings: &[&str]) -> Result<BrokerConfig, ConfigError> {
    let mut pairs = BTreeMap::new();
    for setting in settings {
        let (key, value) = setting.split_once('=').unwrap();
        pairs.insert(key.to_string(), value.to_string());
    }
    BrokerConfig::from_pairs(pairs)
}

/// `base` with `changes` applied on top (a key in `changes` replaces the one in `base`).
fn with(base: &[&str], changes: &[&str]) -> Vec<String> {
    let key = |setting: &str| setting.split_once('=').unwrap().0.to_string();
    let mut settings: Vec<String> = base
        .iter()
        .filter(|setting| !changes.iter().any(|change| key(change) == key(setting)))
        .map(|setting| setting.to_string())
        .collect();
    settings.extend(changes.iter().map(|change| change.to_string()));
    settings
}

fn load_with(base: &[&str], changes: &[&str]) -> Result<BrokerConfig, ConfigError> {
    let settings = with(base, changes);
    let refs: Vec<&str> = settings.iter().map(String::as_str).collect();
    load(&refs)
}

/// The KRaft error a bad configuration fails with, after checking its message is one line
/// written by hand (not the Debug fallback).
fn kraft_error(result: Result<BrokerConfig, ConfigError>) -> KraftError {
    let error = result.expect_err("configuration should be refused");
    let message = error.to_string();
    assert!(!message.contains('\n'), "{message}");
    assert!(!message.contains(" { "), "Debug text in {message}");
    match error {
        ConfigError::Kraft(error) => error,
        other => panic!("expected a KRaft error, got {other:?}"),
    }
}

fn voter(host: &str, port: u16) -> VoterAddress {
    VoterAddress {
        host: host.to_string(),
        port,
    }
}

#[test]
fn no_configuration_is_a_single_combined_voter_on_the_first_listener() {
    let config = BrokerConfig::load(None, &[]).unwrap();
    let kraft = &config.kraft;
    assert_eq!(kraft.roles, Roles::COMBINED);
    assert!(!kraft.voters_configured);
    assert_eq!(
        kraft.voters,
        BTreeMap::from([(1, voter("127.0.0.1", 9092))])
    );
    assert_eq!(kraft.controller_listener_names, vec!["CONTROLLER"]);
    assert!(kraft.controller_listener_is_shared());
    assert_eq!(config.controller_listener(), Some(&config.listeners[0]));
    assert_eq!(config.broker_listeners(), vec![&config.listeners[0]]);
    assert_eq!(config.advertised_listeners, config.listeners);
    assert_eq!(kraft.inter_broker_listener_name, "PLAINTEXT");
    assert_eq!(kraft.metadata_log_dir, PathBuf::from("./weir-data"));
    assert_eq!(config.value("controller.quorum.voters"), "1@127.0.0.1:9092");
    assert_eq!(config.value("process.roles"), "broker,controller");
    assert_eq!(
        config.value("advertised.listeners"),
        "PLAINTEXT://127.0.0.1:9092"
    );
    let map = &kraft.listener_security_protocol_map;
    assert_eq!(map["CONTROLLER"], SecurityProtocol::Plaintext);
    assert_eq!(map["SASL_SSL"], SecurityProtocol::SaslSsl);
}

#[test]
fn timeouts_default_to_kafkas_and_take_overrides() {
    let kraft = BrokerConfig::load(None, &[]).unwrap().kraft;
    let defaults = (
        kraft.broker_session_timeout_ms,
        kraft.broker_heartbeat_interval_ms,
        kraft.quorum_election_timeout_ms,
        kraft.quorum_fetch_timeout_ms,
        kraft.quorum_request_timeout_ms,
    );
    assert_eq!(defaults, (9000, 2000, 1000, 2000, 2000));
    assert!(kraft.auto_leader_rebalance_enable);
    assert_eq!(kraft.leader_imbalance_check_interval_seconds, 300);
    assert_eq!(
        kraft.metadata_log_max_record_bytes_between_snapshots,
        20_971_520
    );
    assert_eq!(kraft.metadata_max_idle_interval_ms, 500);
    let config = load(&[
        "controller.quorum.election.timeout.ms=1500",
        "controller.quorum.fetch.timeout.ms=3000",
        "auto.leader.rebalance.enable=false",
        "log.dirs=/a,/b",
        "metadata.max.idle.interval.ms=0",
    ])
    .unwrap();
    let kraft = &config.kraft;
    assert_eq!(kraft.quorum_election_timeout_ms, 1500);
    assert_eq!(kraft.quorum_fetch_timeout_ms, 3000);
    assert!(!kraft.auto_leader_rebalance_enable);
    assert_eq!(kraft.metadata_log_dir, PathBuf::from("/a"));
    assert_eq!(kraft.metadata_max_idle_interval_ms, 0);
    let config = load(&["log.dirs=/a,/b", "metadata.log.dir=/meta"]).unwrap();
    assert_eq!(config.kraft.metadata_log_dir, PathBuf::from("/meta"));
    let zero = load(&["controller.quorum.election.timeout.ms=0"]).unwrap_err();
    assert!(matches!(zero, ConfigError::TooSmall { min: 1, .. }));
}

#[test]
fn a_separate_controller_listener_carries_the_default_voter() {
    let config =
        load(&["listeners=PLAINTEXT://127.0.0.1:9092,controller://127.0.0.1:9093"]).unwrap();
    let kraft = &config.kraft;
    assert_eq!(
        kraft.voters,
        BTreeMap::from([(1, voter("127.0.0.1", 9093))])
    );
    assert!(!kraft.controller_listener_is_shared());
    assert_eq!(config.controller_listener().unwrap().port, 9093);
    assert_eq!(config.broker_listeners(), vec![&config.listeners[0]]);
    assert_eq!(
        config.advertised_listeners,
        vec![config.listeners[0].clone()]
    );
}

#[test]
fn a_wildcard_listener_gives_a_loopback_default_voter() {
    let config = load(&["listeners=PLAINTEXT://:9092", "node.id=7"]).unwrap();
    assert_eq!(
        config.kraft.voters,
        BTreeMap::from([(7, voter("127.0.0.1", 9092))])
    );
}

#[test]
fn node_2_of_a_three_node_combined_quorum() {
    let config = load(NODE_2).unwrap();
    let kraft = &config.kraft;
    assert_eq!(config.node_id, 2);
    assert!(kraft.roles.is_combined());
    assert!(kraft.voters_configured);
    let ids: Vec<i32> = kraft.voters.keys().copied().collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(kraft.voters[&3], voter("127.0.0.1", 9293));
    assert_eq!(kraft.voters[&2].addr(), "127.0.0.1:9193");
    let controller = config.controller_listener().unwrap();
    assert_eq!(
        (controller.name.as_str(), controller.port),
        ("CONTROLLER", 9193)
    );
    let brokers: Vec<u16> = config.broker_listeners().iter().map(|l| l.port).collect();
    assert_eq!(brokers, vec![9192]);
    assert_eq!(
        config.value("advertised.listeners"),
        "PLAINTEXT://127.0.0.1:9192"
    );
    assert_eq!(
        config.value("controller.quorum.voters"),
        "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293"
    );
}

#[test]
fn a_broker_only_node() {
    let config = load(BROKER_4).unwrap();
    let kraft = &config.kraft;
    assert_eq!(
        kraft.roles,
        Roles {
            broker: true,
            controller: false
        }
    );
    assert!(!kraft.is_voter(4));
    assert_eq!(kraft.voters.len(), 3);
    assert_eq!(config.controller_listener(), None);
    assert_eq!(config.broker_listeners(), vec![&config.listeners[0]]);
}

#[test]
fn a_controller_only_node() {
    let config = load(&[
        "node.id=1",
        "process.roles=controller",
        "listeners=CONTROLLER://127.0.0.1:9093",
        "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293",
    ])
    .unwrap();
    assert!(config.broker_listeners().is_empty());
    assert!(config.advertised_listeners.is_empty());
    assert_eq!(config.controller_listener().unwrap().port, 9093);
}

#[test]
fn process_roles_parse_and_refuse_repeats_and_strangers() {
    assert_eq!(Roles::parse("controller, broker").unwrap(), Roles::COMBINED);
    assert_eq!(Roles::COMBINED.to_string(), "broker,controller");
    let error = kraft_error(load(&["process.roles=broker,broker"]));
    assert!(matches!(error, KraftError::DuplicateRole { .. }));
    assert!(matches!(
        Roles::parse("leader"),
        Err(KraftError::UnknownRole { .. })
    ));
    for bad in ["process.roles=leader", "process.roles="] {
        let error = load(&[bad]).unwrap_err();
        assert!(matches!(error, ConfigError::NotOneOf { .. }), "{bad}");
    }
}

#[test]
fn voter_entries_are_checked_one_by_one() {
    let cases = [
        ("1-127.0.0.1:9093", "is not id@host:port"),
        ("1@127.0.0.1", "is not id@host:port"),
        ("1@a@b:9093", "is not id@host:port"),
        ("x@127.0.0.1:9093", "the id is not a node id"),
        ("-1@127.0.0.1:9093", "the id is not a node id"),
        ("1@127.0.0.1:99999", "the port is not a number"),
        ("1@127.0.0.1:0", "the port is not a number"),
        ("1@127.0.0.1:http", "the port is not a number"),
        ("1@:9093", "the host is not an address"),
        ("1@0.0.0.0:9093", "the host is not an address"),
    ];
    for (entry, expected) in cases {
        let setting = format!("controller.quorum.voters={entry},2@127.0.0.1:9193");
        let error = kraft_error(load(&[&setting]));
        let message = error.to_string();
        assert!(message.contains(expected), "{entry}: {message}");
        assert!(
            message.contains(&format!("{entry:?}")),
            "{entry}: {message}"
        );
        assert!(matches!(error, KraftError::Voters(_)), "{entry}");
    }
}

#[test]
fn voters_refuse_duplicates_emptiness_and_too_many() {
    let error = voters::parse("1@a:1,2@b:2,2@c:3").unwrap_err();
    let entry = "2@c:3".to_string();
    assert_eq!(error, VoterError::Duplicate { node_id: 2, entry });
    assert_eq!(voters::parse(" , ").unwrap_err(), VoterError::Empty);
    let many: Vec<String> = (0..16).map(|id| format!("{id}@h:{}", 9000 + id)).collect();
    let error = voters::parse(&many.join(",")).unwrap_err();
    assert!(matches!(error, VoterError::TooMany { voters: 16, .. }));
    let parsed = voters::parse("1@[::1]:9093, 2@host-b:9093").unwrap();
    assert_eq!(parsed[&1], voter("::1", 9093));
    assert_eq!(voters::join(&parsed), "1@[::1]:9093,2@host-b:9093");
}

#[test]
fn a_controller_must_be_a_voter() {
    let error = kraft_error(load_with(
        NODE_2,
        &["controller.quorum.voters=1@127.0.0.1:9093,3@127.0.0.1:9293"],
    ));
    assert!(matches!(
        error,
        KraftError::ControllerNotVoter { node_id: 2, .. }
    ));
}

#[test]
fn a_controller_needs_a_controller_listener() {
    let error = kraft_error(load_with(NODE_2, &["listeners=PLAINTEXT://127.0.0.1:9192"]));
    assert!(matches!(error, KraftError::NoControllerListener { .. }));
    // Explicit voters end the single-node exception: Kafka's rule applies again.
    let error = kraft_error(load(&["controller.quorum.voters=1@127.0.0.1:9092"]));
    assert!(matches!(error, KraftError::NoControllerListener { .. }));
}

#[test]
fn every_controller_listener_name_must_be_a_listener_of_a_controller() {
    let error = kraft_error(load_with(
        NODE_2,
        &["controller.listener.names=CONTROLLER,CTRL2"],
    ));
    let expected = KraftError::ControllerNameNotListener {
        name: "CTRL2".to_string(),
        listeners: "PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193".to_string(),
    };
    assert_eq!(error, expected);
}

#[test]
fn the_voter_entry_must_name_the_controller_listener_port() {
    let error = kraft_error(load_with(
        NODE_2,
        &["controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.1:9999,3@127.0.0.1:9293"],
    ));
    assert!(matches!(
        error,
        KraftError::VoterPortMismatch {
            node_id: 2,
            voter_port: 9999,
            ..
        }
    ));
}

#[test]
fn a_broker_only_node_is_no_voter_and_needs_voters() {
    let error = kraft_error(load_with(BROKER_4, &["node.id=3"]));
    assert!(matches!(
        error,
        KraftError::BrokerIsVoter { node_id: 3, .. }
    ));
    let without_voters: Vec<&str> = BROKER_4[..3].to_vec();
    let error = kraft_error(load(&without_voters));
    assert!(matches!(error, KraftError::VotersRequired { .. }));
    let error = kraft_error(load_with(BROKER_4, &["controller.listener.names="]));
    assert!(matches!(
        error,
        KraftError::NoControllerListenerNames { .. }
    ));
}

#[test]
fn a_broker_only_node_does_not_listen_on_a_controller_listener() {
    let error = kraft_error(load_with(
        BROKER_4,
        &["listeners=PLAINTEXT://127.0.0.1:9492,CONTROLLER://127.0.0.1:9493"],
    ));
    let listener = "CONTROLLER://127.0.0.1:9493".to_string();
    assert_eq!(error, KraftError::BrokerListensOnController { listener });
}

#[test]
fn a_controller_only_node_listens_only_on_controller_listeners() {
    let error = kraft_error(load(&[
        "process.roles=controller",
        "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
    ]));
    let listener = "PLAINTEXT://127.0.0.1:9092".to_string();
    assert_eq!(
        error,
        KraftError::ControllerOnlyHasBrokerListener { listener }
    );
    let error = kraft_error(load(&["process.roles=controller"]));
    assert!(matches!(error, KraftError::NoControllerListener { .. }));
}

#[test]
fn brokers_never_advertise_controller_listeners() {
    // Kafka 4 lists the controller's own endpoint in advertised.listeners; clients never see it.
    let config = load_with(
        NODE_2,
        &["advertised.listeners=PLAINTEXT://b2:9192,CONTROLLER://b2:9193"],
    )
    .unwrap();
    let advertised: Vec<String> = config
        .advertised_listeners
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(advertised, vec!["PLAINTEXT://b2:9192".to_string()]);
    let error = kraft_error(load(&["listeners=CONTROLLER://127.0.0.1:9093"]));
    assert!(matches!(error, KraftError::NoBrokerListener { .. }));
}

#[test]
fn the_inter_broker_listener_must_be_advertised() {
    let error = kraft_error(load(&["inter.broker.listener.name=internal"]));
    assert!(matches!(
        error,
        KraftError::InterBrokerNotAdvertised { ref name, .. } if name == "INTERNAL"
    ));
    let config = load(&[
        "listeners=CLIENT://127.0.0.1:9092,INTERNAL://127.0.0.1:9094",
        "listener.security.protocol.map=CLIENT:PLAINTEXT,INTERNAL:PLAINTEXT",
        "inter.broker.listener.name=INTERNAL",
    ])
    .unwrap();
    assert_eq!(config.kraft.inter_broker_listener_name, "INTERNAL");
}

#[test]
fn only_plaintext_listeners_are_accepted() {
    let error = kraft_error(load(&[
        "listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093",
    ]));
    let listener = "SSL://127.0.0.1:9093".to_string();
    let expected = SecurityError::UnsupportedProtocol {
        listener,
        protocol: "SSL",
    };
    assert_eq!(error, KraftError::Security(expected));
    let error = kraft_error(load(&["listeners=CLIENT://127.0.0.1:9092"]));
    let listener = "CLIENT://127.0.0.1:9092".to_string();
    let expected = SecurityError::NoSecurityProtocol { listener };
    assert_eq!(error, KraftError::Security(expected));
    // A broker-only node dials its controllers: their listener must be PLAINTEXT too.
    let error = kraft_error(load_with(
        BROKER_4,
        &["listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL"],
    ));
    assert!(error.to_string().contains("CONTROLLER maps to SASL_SSL"));
}

#[test]
fn the_security_map_is_parsed_strictly() {
    let cases = [
        (
            "PLAINTEXT",
            SecurityError::MapSyntax {
                entry: "PLAINTEXT".into(),
            },
        ),
        (
            ":PLAINTEXT",
            SecurityError::MapSyntax {
                entry: ":PLAINTEXT".into(),
            },
        ),
        (
            "A:TLS",
            SecurityError::UnknownProtocol {
                entry: "A:TLS".into(),
            },
        ),
        (
            "A:PLAINTEXT,a:SSL",
            SecurityError::DuplicateMapping { name: "A".into() },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(security::parse_map(text).unwrap_err(), expected, "{text}");
    }
    let map = security::parse_map("ctrl:plaintext").unwrap();
    assert_eq!(map["CTRL"], SecurityProtocol::Plaintext);
}

#[test]
fn an_unset_map_gives_any_controller_listener_name_plaintext() {
    let custom = [
        "listeners=PLAINTEXT://127.0.0.1:9092,CTRL://127.0.0.1:9093",
        "controller.listener.names=CTRL",
    ];
    let config = load(&custom).unwrap();
    assert_eq!(config.controller_listener().unwrap().name, "CTRL");
    // An explicit map is taken as written, as in Kafka.
    let error = kraft_error(load_with(
        &custom,
        &["listener.security.protocol.map=PLAINTEXT:PLAINTEXT"],
    ));
    let listener = "CTRL://127.0.0.1:9093".to_string();
    let expected = SecurityError::NoSecurityProtocol { listener };
    assert_eq!(error, KraftError::Security(expected));
}

#[test]
fn node_id_rules() {
    let error = load(&["node.id=-1"]).unwrap_err();
    assert!(matches!(error, ConfigError::TooSmall { min: 0, .. }));
    let error = kraft_error(load(&["node.id=2", "broker.id=3"]));
    let expected = KraftError::NodeIdMismatch {
        node_id: 2,
        broker_id: 3,
    };
    assert_eq!(error, expected);
    assert!(load(&["node.id=3", "broker.id=3"]).is_ok());
    let config = load(&["broker.id=5"]).unwrap();
    assert_eq!(config.node_id, 5);
    assert!(config.kraft.is_voter(5));
}

#[test]
fn listener_names_are_unique_and_advertised_names_exist() {
    let error = kraft_error(load(&[
        "listeners=PLAINTEXT://127.0.0.1:9092,plaintext://127.0.0.1:9093",
    ]));
    assert!(
        matches!(error, KraftError::DuplicateListenerName { ref name, .. } if name == "PLAINTEXT")
    );
    let error = kraft_error(load(&["advertised.listeners=EXTERNAL://b1:9092"]));
    assert!(matches!(error, KraftError::AdvertisedNotListener { .. }));
    assert!(matches!(
        load(&["log.dirs= , "]).unwrap_err(),
        ConfigError::NoLogDirs
    ));
}

#[test]
fn heartbeats_must_fit_twice_in_a_session() {
    let error = kraft_error(load(&["broker.heartbeat.interval.ms=4501"]));
    assert!(matches!(error, KraftError::HeartbeatTooSlow { .. }));
    assert!(load(&["broker.heartbeat.interval.ms=4500"]).is_ok());
}

#[test]
fn describe_configs_shows_the_new_keys_with_value_and_source() {
    use crate::server::configs::{resolve_broker, ConfigSource, DynamicConfigs};
    let config = load(NODE_2).unwrap();
    let dynamic = DynamicConfigs::default();
    let resolve = |name: &str| {
        let def = crate::config::defs::broker_def(name).unwrap();
        let resolved = resolve_broker(&config, &dynamic, def);
        (resolved.value, resolved.source)
    };
    assert_eq!(
        resolve("process.roles"),
        ("broker,controller".to_string(), ConfigSource::StaticBroker)
    );
    assert_eq!(
        resolve("controller.quorum.voters").1,
        ConfigSource::StaticBroker
    );
    assert_eq!(
        resolve("broker.session.timeout.ms"),
        ("9000".to_string(), ConfigSource::Default)
    );
    assert_eq!(
        resolve("metadata.log.dir"),
        ("./weir-data".to_string(), ConfigSource::Default)
    );
    assert_eq!(
        resolve("inter.broker.listener.name"),
        ("PLAINTEXT".to_string(), ConfigSource::Default)
    );
    assert_eq!(
        resolve("advertised.listeners"),
        (
            "PLAINTEXT://127.0.0.1:9192".to_string(),
            ConfigSource::Default
        )
    );
    let default = BrokerConfig::load(None, &[]).unwrap();
    let def = crate::config::defs::broker_def("controller.quorum.voters").unwrap();
    let resolved = resolve_broker(&default, &dynamic, def);
    assert_eq!(resolved.value, "1@127.0.0.1:9092");
    assert_eq!(resolved.source, ConfigSource::Default);
}
