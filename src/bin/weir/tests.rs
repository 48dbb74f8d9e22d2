//! Tests of argument parsing and of the output formats, without a broker.

use bytes::{Bytes, BytesMut};
use clap::Parser;
use weir::client::records::encode_batch;
use weir::client::{
    Compression, ConfigEntry, ConsumerRecord, PartitionInfo, ProducerRecord, TimestampType,
    TopicInfo,
};

use super::{Cli, Command};
use crate::consume::{parse_start, Formatter, StartAt};
use crate::perf::PerfCommand;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("weir").chain(args.iter().copied()))
}

#[test]
fn topics_create_parses_configs_and_defaults_the_bootstrap_server() {
    let cli = parse(&[
        "topics",
        "--create",
        "--topic",
        "t",
        "--partitions",
        "3",
        "--replication-factor",
        "1",
        "--config",
        "retention.ms=1000",
        "--config",
        "cleanup.policy=compact",
    ])
    .unwrap();
    let Command::Topics(args) = cli.command else {
        panic!("expected topics");
    };
    assert!(args.create);
    assert_eq!(args.connect.bootstrap_server, "localhost:9092");
    assert_eq!(args.partitions, Some(3));
    assert_eq!(args.replication_factor, Some(1));
    assert_eq!(
        args.configs[0],
        ("retention.ms".to_string(), "1000".to_string())
    );
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    assert!(parse(&["topics"]).is_err(), "an action is required");
    assert!(parse(&["topics", "--list", "--create"]).is_err());
    assert!(parse(&["topics", "--create", "--config", "novalue"]).is_err());
    assert!(parse(&["topics", "--list", "--partitions", "x"]).is_err());
    assert!(parse(&["produce"]).is_err(), "--topic is required");
    assert!(parse(&["configs", "--describe", "--entity-type", "users"]).is_err());
    assert!(parse(&["dump-log"]).is_err());
    assert!(parse(&["nope"]).is_err());
}

#[test]
fn produce_consume_and_perf_flags() {
    let cli = parse(&[
        "produce",
        "--topic",
        "t",
        "--acks",
        "-1",
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=:",
        "--bootstrap-server",
        "127.0.0.1:19092",
    ])
    .unwrap();
    let Command::Produce(args) = cli.command else {
        panic!("expected produce");
    };
    assert_eq!(args.acks, "-1");
    assert_eq!(args.properties.len(), 2);
    assert_eq!(args.connect.bootstrap_server, "127.0.0.1:19092");

    let cli = parse(&[
        "consume",
        "--topic",
        "t",
        "--offset",
        "earliest",
        "--max-messages",
        "5",
    ])
    .unwrap();
    let Command::Consume(args) = cli.command else {
        panic!("expected consume");
    };
    assert_eq!(args.max_messages, Some(5));
    assert_eq!(
        parse_start(args.offset.as_deref(), false).unwrap(),
        StartAt::Earliest
    );

    let cli = parse(&[
        "perf",
        "produce",
        "--topic",
        "t",
        "--num-records",
        "10",
        "--record-size",
        "100",
        "--throughput",
        "-1",
    ])
    .unwrap();
    let Command::Perf(perf) = cli.command else {
        panic!("expected perf");
    };
    let PerfCommand::Produce(args) = perf.command else {
        panic!("expected perf produce");
    };
    assert_eq!(args.throughput, -1.0);
    assert_eq!(args.num_records, 10);
}

#[test]
fn broker_takes_a_properties_file_and_overrides() {
    let cli = parse(&[
        "broker",
        "server.properties",
        "--override",
        "listeners=PLAINTEXT://127.0.0.1:19092",
        "--override",
        "log.dirs=/tmp/x",
    ])
    .unwrap();
    let Command::Broker(args) = cli.command else {
        panic!("expected broker");
    };
    assert_eq!(args.properties.unwrap().to_str(), Some("server.properties"));
    assert_eq!(args.overrides.len(), 2);
}

#[test]
fn start_offsets() {
    assert_eq!(parse_start(None, false).unwrap(), StartAt::Latest);
    assert_eq!(parse_start(None, true).unwrap(), StartAt::Earliest);
    assert_eq!(parse_start(Some("42"), true).unwrap(), StartAt::Offset(42));
    assert!(parse_start(Some("-3"), false).is_err());
    assert!(parse_start(Some("soon"), false).is_err());
}

#[test]
fn lines_become_keys_and_values() {
    let reader = crate::produce::LineReader {
        parse_key: true,
        key_separator: ":".into(),
    };
    let (key, value) = reader.parse("k1:v:1", 1).unwrap();
    assert_eq!(key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(&value[..], b"v:1");
    assert!(reader.parse("no separator", 7).is_err());
    let plain = crate::produce::LineReader {
        parse_key: false,
        key_separator: "\t".into(),
    };
    assert_eq!(plain.parse("a\tb", 1).unwrap().0, None);
}

#[test]
fn the_formatter_matches_the_console_consumer() {
    let pairs: Vec<(String, String)> = [
        ("print.key", "true"),
        ("print.timestamp", "true"),
        ("print.partition", "true"),
        ("print.offset", "true"),
        ("key.separator", "|"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let formatter = Formatter::from_properties(&pairs).unwrap();
    let record = ConsumerRecord {
        topic: "t".into(),
        partition: 2,
        offset: 7,
        timestamp: 1000,
        timestamp_type: TimestampType::CreateTime,
        key: None,
        value: Some(Bytes::from_static(b"hello")),
        headers: vec![],
        leader_epoch: 0,
    };
    assert_eq!(
        formatter.format(&record),
        "CreateTime:1000|Partition:2|Offset:7|null|hello"
    );
    let plain = Formatter::from_properties(&[]).unwrap();
    assert_eq!(plain.format(&record), "hello");
}

#[test]
fn topic_description_lines() {
    let topic = TopicInfo {
        name: "t".into(),
        error_code: 0,
        is_internal: false,
        partitions: vec![PartitionInfo {
            partition: 0,
            error_code: 0,
            leader: 1,
            leader_epoch: 4,
            replicas: vec![1, 2],
            isr: vec![1],
            offline_replicas: vec![],
        }],
    };
    let header = "Topic: t\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: retention.ms=1000";
    let elr = std::collections::BTreeMap::from([(
        weir::client::TopicPartition::new("t", 0),
        weir::client::topic_partitions::EligibleLeaders {
            elr: vec![2],
            last_known_elr: vec![],
        },
    )]);
    assert_eq!(
        crate::topics::describe_lines(&topic, "retention.ms=1000", Some(&elr)),
        vec![
            header,
            "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1\tElr: 2\tLastKnownElr: \t\
             LeaderEpoch: 4",
        ]
    );
    // A broker that cannot say (no DescribeTopicPartitions): N/A, as Kafka's tool prints.
    assert_eq!(
        crate::topics::describe_lines(&topic, "retention.ms=1000", None)[1],
        "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1\tElr: N/A\tLastKnownElr: N/A\t\
         LeaderEpoch: 4"
    );
}

#[test]
fn config_changes_and_lines() {
    let ops = crate::configs::alter_ops(Some("a=1,b=[x,y]"), Some("c")).unwrap();
    assert_eq!(ops.len(), 3);
    assert!(crate::configs::alter_ops(Some("novalue"), None).is_err());
    let entry = ConfigEntry {
        name: "retention.ms".into(),
        value: Some("1000".into()),
        read_only: false,
        is_sensitive: false,
        source: 1,
    };
    assert_eq!(
        crate::configs::describe_line(&entry),
        "retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}"
    );
}

#[test]
fn dump_log_prints_index_entries_until_the_zero_tail() {
    // Offset index of segment 100: (relative 33, position 1914), (50, 3828), then zeros.
    let mut index = Vec::new();
    for (relative, position) in [(33i32, 1914i32), (50, 3828), (0, 0), (0, 0)] {
        index.extend_from_slice(&relative.to_be_bytes());
        index.extend_from_slice(&position.to_be_bytes());
    }
    assert_eq!(
        crate::dump_log::dump_offset_index(&index, 100),
        vec!["offset: 133 position: 1914", "offset: 150 position: 3828"]
    );
    let mut time_index = Vec::new();
    for (timestamp, relative) in [(1_700_000_000_000i64, 33i32), (0, 0)] {
        time_index.extend_from_slice(&timestamp.to_be_bytes());
        time_index.extend_from_slice(&relative.to_be_bytes());
    }
    time_index.extend_from_slice(&[1, 2]); // a torn entry is not an entry
    assert_eq!(
        crate::dump_log::dump_time_index(&time_index, 0),
        vec!["timestamp: 1700000000000 offset: 33"]
    );
}

#[test]
fn dump_log_prints_batches_and_records() {
    let mut record = ProducerRecord::new("t", "hello");
    record.key = Some(Bytes::from_static(b"k"));
    record.headers = vec![("h".into(), None)];
    let batch = encode_batch(&[record], &[1_700_000_000_000], Compression::None).unwrap();
    let mut segment = BytesMut::from(&batch[..]);
    segment[..8].copy_from_slice(&5i64.to_be_bytes());
    segment.extend_from_slice(&[0, 0, 0]);
    let crc = u32::from_be_bytes(segment[17..21].try_into().unwrap());
    let lines = crate::dump_log::dump_segment(&segment, true, true);
    let size = batch.len();
    assert_eq!(
        lines,
        vec![
            format!(
                "baseOffset: 5 lastOffset: 5 count: 1 baseSequence: -1 lastSequence: -1 \
                 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: -1 isTransactional: \
                 false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 \
                 CreateTime: 1700000000000 size: {size} magic: 2 compresscodec: none \
                 crc: {crc} isvalid: true"
            ),
            "| offset: 5 CreateTime: 1700000000000 keySize: 1 valueSize: 5 sequence: -1 \
             headerKeys: [h] key: k payload: hello"
                .to_string(),
            "Found 3 invalid bytes at the end of the segment".to_string(),
        ]
    );
}

#[test]
fn perf_times_format_like_kafka() {
    assert_eq!(crate::common::format_time_ms(0), "1970-01-01 00:00:00:000");
    assert_eq!(
        crate::common::format_time_ms(1_700_000_000_123),
        "2023-11-14 22:13:20:123"
    );
}

#[test]
fn cluster_describe_reports_the_leader_and_each_voters_lag() {
    use kafka_protocol::messages::describe_quorum_response::{
        PartitionData, ReplicaState, TopicData,
    };
    use kafka_protocol::messages::{BrokerId, DescribeQuorumResponse};
    let voter = |id: i32, end: i64, fetched: i64| {
        ReplicaState::default()
            .with_replica_id(BrokerId(id))
            .with_log_end_offset(end)
            .with_last_fetch_timestamp(fetched)
    };
    let partition = PartitionData::default()
        .with_leader_id(BrokerId(2))
        .with_leader_epoch(7)
        .with_high_watermark(40)
        .with_current_voters(vec![
            voter(1, 35, 900),
            voter(2, 41, 1000),
            voter(3, -1, -1),
        ])
        .with_observers(vec![voter(5, 38, 950)]);
    let response = DescribeQuorumResponse::default()
        .with_topics(vec![TopicData::default().with_partitions(vec![partition])]);
    let lines = crate::cluster::describe_lines(&response).unwrap();
    assert_eq!(lines[0], "LeaderId:       2");
    assert_eq!(lines[1], "LeaderEpoch:    7");
    assert_eq!(lines[3], "CurrentVoters:  [1,2,3]");
    assert_eq!(lines[4], "CurrentObservers: [5]");
    assert_eq!(
        &lines[7..],
        [
            "1\t35\t5\t100\tFollower",
            "2\t41\t0\t0\tLeader",
            "3\tunknown\tunknown\tnever\tFollower",
            "5\t38\t2\t50\tObserver"
        ]
    );
    let refused = PartitionData::default().with_error_code(6);
    let response = DescribeQuorumResponse::default()
        .with_topics(vec![TopicData::default().with_partitions(vec![refused])]);
    assert!(crate::cluster::describe_lines(&response).is_err());
}

#[test]
fn elect_leaders_takes_one_partition_or_all_and_reports_like_kafka() {
    use crate::elect_leaders::{report, ElectionType};
    use weir::client::{ClientError, TopicPartition};
    let cli = parse(&[
        "elect-leaders",
        "--election-type",
        "PREFERRED",
        "--all-topic-partitions",
    ]);
    let Command::ElectLeaders(args) = cli.unwrap().command else {
        panic!("expected elect-leaders");
    };
    assert_eq!(args.election_type, ElectionType::Preferred);
    assert!(args.all_topic_partitions);
    let one = [
        "elect-leaders",
        "--election-type",
        "unclean",
        "--topic",
        "t",
        "--partition",
        "2",
    ];
    let Command::ElectLeaders(args) = parse(&one).unwrap().command else {
        panic!("expected elect-leaders");
    };
    assert_eq!(
        (args.topic.as_deref(), args.partition),
        (Some("t"), Some(2))
    );
    assert!(parse(&[
        "elect-leaders",
        "--election-type",
        "preferred",
        "--topic",
        "t"
    ])
    .is_err());
    assert!(parse(&[
        "elect-leaders",
        "--election-type",
        "sideways",
        "--all-topic-partitions"
    ])
    .is_err());
    let code = |code| ClientError::from_code(code, || "elect".into()).unwrap();
    let results = vec![
        (TopicPartition::new("t", 0), Ok(())),
        (TopicPartition::new("t", 1), Err(code(84))),
        (TopicPartition::new("t", 2), Err(code(83))),
    ];
    let (lines, failed) = report(ElectionType::Unclean, &results);
    assert_eq!(failed, 1);
    assert_eq!(
        lines[0],
        "Successfully completed leader election (UNCLEAN) for partitions t-0"
    );
    assert_eq!(lines[1], "Valid replica already elected for partitions t-1");
    let error = "Error completing leader election (UNCLEAN) for partition: t-2: ";
    assert!(lines[2].starts_with(error), "{}", lines[2]);
    let (lines, failed) = report(ElectionType::Preferred, &[]);
    assert_eq!((lines.len(), failed), (1, 0));
}

#[test]
fn cluster_describe_asks_a_controller_a_broker_or_both_and_lists_fenced_brokers() {
    use crate::cluster::{broker_lines, ClusterAction};
    use weir::client::{BrokerInfo, ClusterDescription};
    assert!(
        parse(&["cluster", "describe"]).is_err(),
        "one of the two is required"
    );
    let both = [
        "cluster",
        "describe",
        "--bootstrap-controller",
        "h:9093",
        "--bootstrap-server",
        "h:9092",
    ];
    let Command::Cluster(args) = parse(&both).unwrap().command else {
        panic!("expected cluster");
    };
    let ClusterAction::Describe {
        bootstrap_controller,
        bootstrap_server,
    } = args.action;
    assert_eq!(bootstrap_controller.as_deref(), Some("h:9093"));
    assert_eq!(bootstrap_server.as_deref(), Some("h:9092"));
    let broker = |node_id, port| BrokerInfo {
        node_id,
        host: "h".into(),
        port,
        rack: None,
    };
    let description = ClusterDescription {
        cluster_id: Some("abc".into()),
        controller_id: 1,
        brokers: vec![broker(1, 9092), broker(2, 9192), broker(3, 9292)],
        fenced: [2].into(),
    };
    assert_eq!(
        broker_lines(&description),
        vec![
            "ClusterId:      abc",
            "",
            "BrokerId\tEndpoint\tStatus",
            "1\th:9092\tUnfenced",
            "2\th:9192\tFenced",
            "3\th:9292\tUnfenced",
        ]
    );
}

#[test]
fn reassign_reads_kafkas_json_and_reports_like_kafka() {
    use crate::reassign::{list_lines, parse_plan, rollback_json, verify_lines};
    use std::collections::BTreeMap;
    use weir::client::{OngoingReassignment, TopicPartition};
    let execute = [
        "reassign",
        "--execute",
        "--reassignment-json-file",
        "plan.json",
    ];
    assert!(parse(&execute).is_ok());
    assert!(parse(&["reassign", "--list"]).is_ok());
    assert!(
        parse(&["reassign", "--execute"]).is_err(),
        "the file is required"
    );
    assert!(parse(&["reassign"]).is_err(), "an action is required");
    assert!(parse(&["reassign", "--list", "--verify"]).is_err());
    let text = r#"{"version":1,"partitions":[
        {"topic":"t","partition":0,"replicas":[2],"log_dirs":["any"]},
        {"topic":"t","partition":1,"replicas":[1]},
        {"topic":"t","partition":2,"replicas":[3]}]}"#;
    let plan = parse_plan(text).unwrap();
    assert_eq!(plan.partitions.len(), 3);
    assert!(parse_plan(r#"{"version":2,"partitions":[]}"#).is_err());
    assert!(parse_plan(r#"{"version":1,"partitions":[]}"#).is_err());
    let twice = r#"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]},
        {"topic":"t","partition":0,"replicas":[2]}]}"#;
    assert!(parse_plan(twice)
        .unwrap_err()
        .to_string()
        .contains("listed twice"));
    assert!(parse_plan("{").is_err());
    let tp = |p| TopicPartition::new("t", p);
    let current = BTreeMap::from([(tp(0), vec![2, 1]), (tp(1), vec![1]), (tp(2), vec![1])]);
    let ongoing = vec![OngoingReassignment {
        partition: tp(0),
        replicas: vec![2, 1],
        adding: vec![2],
        removing: vec![1],
    }];
    let (lines, pending) = verify_lines(&plan, &ongoing, &current);
    assert!(pending);
    assert_eq!(
        lines,
        vec![
            "Status of partition reassignment:",
            "Reassignment of partition t-0 is still in progress.",
            "Reassignment of partition t-1 is complete.",
            "There is no active reassignment of partition t-2, but replica set is 1 rather \
             than 3.",
        ]
    );
    assert_eq!(
        list_lines(&ongoing),
        vec![
            "Current partition reassignments:",
            "t-0: replicas: 2,1. adding: 2. removing: 1."
        ]
    );
    assert_eq!(list_lines(&[]), vec!["No partition reassignments found."]);
    let rollback = rollback_json(&plan, &current).unwrap();
    assert_eq!(
        parse_plan(&rollback).unwrap().partitions[1].replicas,
        vec![1]
    );
    assert!(rollback.starts_with(r#"{"version":1,"partitions":[{"topic":"t","partition":0,"#));
}
