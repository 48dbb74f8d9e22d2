//! The metadata records the controller writes to the metadata log, modelled on KRaft's
//! (`RegisterBrokerRecord`, `BrokerRegistrationChangeRecord`, `TopicRecord`, `PartitionRecord`,
//! `PartitionChangeRecord`, `ConfigRecord`, `RemoveTopicRecord`, `NoOpRecord`).
//!
//! One Raft entry carries one batch of records that is applied atomically, as KRaft's atomic
//! batches are: a topic and all its partitions appear together or not at all. Batches are
//! encoded as versioned JSON: the metadata log is small, and a readable encoding makes
//! `dump-log` on the metadata log self-explanatory. Decoding is strict (unknown fields and
//! versions are errors), because a record a node does not understand must stop it rather than
//! be skipped: skipping would make its image diverge from everyone else's.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The encoding version written by this code; decoding refuses anything else.
pub const BATCH_VERSION: u32 = 1;
/// Largest number of records one batch may carry; a topic creation with more partitions than
/// this is refused by the controller long before (see `PARTITIONS_PER_REQUEST_MAX`).
pub const RECORDS_PER_BATCH_MAX: usize = 1 << 20;

/// A broker's network endpoint, as registered (KRaft's `BrokerEndpoint`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub listener: String,
    pub host: String,
    pub port: u16,
}

/// What a config record applies to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ConfigResource {
    Topic(String),
    /// A broker's own configs (`"1"`) or the cluster-wide default (`""`), as in Kafka.
    Broker(String),
}

/// One metadata record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum MetadataRecord {
    /// A broker (re)registered. `broker_epoch` is the offset of the entry that carries this
    /// record, so every registration of an id has a larger epoch than the one before, across
    /// controller failovers. A new registration starts fenced.
    RegisterBroker {
        broker_id: i32,
        /// Random per process start (Kafka's `incarnationId`): tells a restart from a duplicate.
        #[serde(with = "uuid_text")]
        incarnation_id: u128,
        broker_epoch: i64,
        endpoints: Vec<Endpoint>,
        rack: Option<String>,
        fenced: bool,
    },
    /// A broker's state changed (KRaft's `BrokerRegistrationChangeRecord`).
    BrokerRegistrationChange {
        broker_id: i32,
        broker_epoch: i64,
        fenced: Option<bool>,
        in_controlled_shutdown: Option<bool>,
    },
    Topic {
        name: String,
        #[serde(with = "uuid_text")]
        topic_id: u128,
    },
    /// A partition's full state, written when it is created and in snapshots.
    Partition {
        #[serde(with = "uuid_text")]
        topic_id: u128,
        partition: i32,
        replicas: Vec<i32>,
        isr: Vec<i32>,
        adding_replicas: Vec<i32>,
        removing_replicas: Vec<i32>,
        leader: i32,
        leader_epoch: i32,
        partition_epoch: i32,
        unclean: bool,
        /// Eligible leader replicas and the last known leader (KIP-966); absent when empty,
        /// so logs written before ELR read the same.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        elr: Vec<i32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        last_known_elr: Vec<i32>,
    },
    /// A change to a partition: only the fields that change are present. A present `leader`
    /// bumps the leader epoch when replayed (even if it names the same broker, which fences
    /// removed replicas); every change bumps the partition epoch.
    PartitionChange {
        #[serde(with = "uuid_text")]
        topic_id: u128,
        partition: i32,
        leader: Option<i32>,
        isr: Option<Vec<i32>>,
        replicas: Option<Vec<i32>>,
        adding_replicas: Option<Vec<i32>>,
        removing_replicas: Option<Vec<i32>>,
        /// The new leader was chosen from outside the ISR (KIP-704's leader recovery state).
        unclean: bool,
        /// The leader reports it has recovered from an unclean election.
        recovered: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elr: Option<Vec<i32>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_known_elr: Option<Vec<i32>>,
    },
    /// Empties the eligible leader replicas and last known leader of every partition of
    /// `topic` (every topic when `None`), as Kafka's `ClearElrRecord` does when
    /// `min.insync.replicas` changes: who was eligible under the old value says nothing about
    /// the new one. Each partition that had any bumps its partition epoch.
    ClearElr { topic: Option<String> },
    /// Sets (`Some`) or removes (`None`) one config of a resource.
    Config {
        resource: ConfigResource,
        name: String,
        value: Option<String>,
    },
    RemoveTopic {
        #[serde(with = "uuid_text")]
        topic_id: u128,
    },
    /// Written when the log has been idle, so brokers can tell a quiet controller from a dead one.
    NoOp,
}

/// Ids travel as hyphenated UUIDs, as Kafka prints them, so a dumped metadata log reads like
/// `kafka-topics --describe` output.
mod uuid_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&uuid::Uuid::from_u128(*id).hyphenated())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u128, D::Error> {
        let text = <&str>::deserialize(deserializer)?;
        uuid::Uuid::parse_str(text)
            .map(|id| id.as_u128())
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Serialize)]
struct BatchOut<'a> {
    version: u32,
    records: &'a [MetadataRecord],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchIn {
    version: u32,
    records: Vec<MetadataRecord>,
}

/// Why a batch could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a batch this code can read; `line` and `column` locate the problem in the JSON.
    Malformed {
        line: usize,
        column: usize,
    },
    UnsupportedVersion {
        version: u32,
    },
    TooManyRecords {
        records: usize,
    },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Malformed { line, column } => {
                write!(f, "malformed metadata batch at line {line} column {column}")
            }
            DecodeError::UnsupportedVersion { version } => write!(
                f,
                "metadata batch version {version} is not {BATCH_VERSION}; upgrade this node"
            ),
            DecodeError::TooManyRecords { records } => write!(
                f,
                "metadata batch has {records} records, more than {RECORDS_PER_BATCH_MAX}"
            ),
        }
    }
}

/// Encodes one atomic batch.
pub fn encode_batch(records: &[MetadataRecord]) -> Bytes {
    let batch = BatchOut {
        version: BATCH_VERSION,
        records,
    };
    // Serializing plain data with string keys cannot fail.
    Bytes::from(serde_json::to_vec(&batch).unwrap_or_default())
}

/// Decodes one batch, refusing versions and shapes this code does not know.
pub fn decode_batch(bytes: &[u8]) -> Result<Vec<MetadataRecord>, DecodeError> {
    let batch: BatchIn = serde_json::from_slice(bytes).map_err(|error| DecodeError::Malformed {
        line: error.line(),
        column: error.column(),
    })?;
    if batch.version != BATCH_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            version: batch.version,
        });
    }
    if batch.records.len() > RECORDS_PER_BATCH_MAX {
        return Err(DecodeError::TooManyRecords {
            records: batch.records.len(),
        });
    }
    Ok(batch.records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<MetadataRecord> {
        vec![
            MetadataRecord::RegisterBroker {
                broker_id: 2,
                incarnation_id: u128::MAX - 7,
                broker_epoch: 41,
                endpoints: vec![Endpoint {
                    listener: "PLAINTEXT".into(),
                    host: "127.0.0.1".into(),
                    port: 9192,
                }],
                rack: None,
                fenced: true,
            },
            MetadataRecord::BrokerRegistrationChange {
                broker_id: 2,
                broker_epoch: 41,
                fenced: Some(false),
                in_controlled_shutdown: None,
            },
            MetadataRecord::Topic {
                name: "orders".into(),
                topic_id: 5,
            },
            MetadataRecord::Partition {
                topic_id: 5,
                partition: 0,
                replicas: vec![2],
                isr: vec![2],
                adding_replicas: vec![],
                removing_replicas: vec![],
                leader: 2,
                leader_epoch: 0,
                partition_epoch: 0,
                unclean: false,
                elr: vec![],
                last_known_elr: vec![],
            },
            MetadataRecord::Partition {
                topic_id: 5,
                partition: 1,
                replicas: vec![2, 3],
                isr: vec![],
                adding_replicas: vec![],
                removing_replicas: vec![],
                leader: -1,
                leader_epoch: 4,
                partition_epoch: 9,
                unclean: false,
                elr: vec![2, 3],
                last_known_elr: vec![3],
            },
            MetadataRecord::PartitionChange {
                topic_id: 5,
                partition: 0,
                leader: Some(-1),
                isr: None,
                replicas: None,
                adding_replicas: None,
                removing_replicas: None,
                unclean: false,
                recovered: false,
                elr: None,
                last_known_elr: None,
            },
            MetadataRecord::PartitionChange {
                topic_id: 5,
                partition: 1,
                leader: None,
                isr: Some(vec![]),
                replicas: None,
                adding_replicas: None,
                removing_replicas: None,
                unclean: false,
                recovered: false,
                elr: Some(vec![2]),
                last_known_elr: Some(vec![]),
            },
            MetadataRecord::ClearElr { topic: None },
            MetadataRecord::ClearElr {
                topic: Some("orders".into()),
            },
            MetadataRecord::Config {
                resource: ConfigResource::Topic("orders".into()),
                name: "retention.ms".into(),
                value: Some("1000".into()),
            },
            MetadataRecord::Config {
                resource: ConfigResource::Broker(String::new()),
                name: "log.retention.ms".into(),
                value: None,
            },
            MetadataRecord::RemoveTopic { topic_id: 5 },
            MetadataRecord::NoOp,
        ]
    }

    #[test]
    fn every_record_kind_round_trips() {
        let records = every_kind();
        let bytes = encode_batch(&records);
        assert_eq!(decode_batch(&bytes), Ok(records));
    }

    /// Metadata logs written before eligible leader replicas existed carry no ELR fields: they
    /// read as empty, and an empty ELR is not written, so such logs stay byte-identical.
    #[test]
    fn records_without_elr_fields_read_as_empty() {
        let change = concat!(
            r#"{"version":1,"records":[{"PartitionChange":{"#,
            r#""topic_id":"00000000-0000-0000-0000-000000000005","partition":0,"leader":3,"#,
            r#""isr":null,"replicas":null,"adding_replicas":null,"removing_replicas":null,"#,
            r#""unclean":false,"recovered":false}}]}"#
        );
        let records = decode_batch(change.as_bytes()).unwrap();
        assert!(matches!(
            &records[0],
            MetadataRecord::PartitionChange {
                elr: None,
                last_known_elr: None,
                ..
            }
        ));
        assert_eq!(encode_batch(&records), change.as_bytes());
        let created = &every_kind()[3];
        let text = String::from_utf8(encode_batch(std::slice::from_ref(created)).to_vec());
        assert!(!text.unwrap().contains("elr"), "an empty ELR is left out");
    }

    #[test]
    fn unknown_versions_fields_and_garbage_are_errors() {
        let future = br#"{"version":2,"records":[]}"#;
        assert_eq!(
            decode_batch(future),
            Err(DecodeError::UnsupportedVersion { version: 2 })
        );
        let unknown_field = concat!(
            r#"{"version":1,"records":[{"RemoveTopic":"#,
            r#"{"topic_id":"00000000-0000-0000-0000-000000000005","extra":1}}]}"#
        )
        .as_bytes();
        assert!(matches!(
            decode_batch(unknown_field),
            Err(DecodeError::Malformed { .. })
        ));
        let unknown_record = br#"{"version":1,"records":[{"Mystery":{}}]}"#;
        assert!(decode_batch(unknown_record).is_err());
        assert!(decode_batch(b"\xff\x00garbage").is_err());
        assert!(decode_batch(b"").is_err());
        let message = decode_batch(future).unwrap_err().to_string();
        assert!(message.contains("version 2"), "{message}");
    }
}
