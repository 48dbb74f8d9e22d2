//! The topic view handlers answer from: which topics exist, their ids, partition counts,
//! replication factor and config overrides, plus this broker's dynamic configs, derived from the
//! committed metadata image ([`TopicRegistry::from_image`]).
//!
//! Before the metadata quorum, a single node kept the same facts in a JSON document
//! (`weir-metadata.json` in the first log dir). [`load_legacy`] still reads it, once, so that
//! the node can import those topics into the metadata log on its first start with a quorum.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::configs::DynamicConfigs;
use crate::core::controller::{ConfigResource, MetadataImage};
use crate::storage::disk::read_all;
use crate::storage::Disk;

/// The legacy registry's file name inside the first log directory.
pub const REGISTRY_FILE: &str = "weir-metadata.json";
/// What the legacy registry is renamed to once its topics are in the metadata log.
pub const REGISTRY_FILE_MIGRATED: &str = "weir-metadata.json.migrated";

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicMeta {
    pub name: String,
    /// The topic id (KIP-516) as a hyphenated UUID.
    pub topic_id: String,
    pub partitions: i32,
    pub replication_factor: i16,
    pub configs: BTreeMap<String, String>,
}

impl TopicMeta {
    pub fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::parse_str(&self.topic_id).unwrap_or_default()
    }
}

/// The file: the registry and a CRC-32C of its compact JSON, so that a flipped bit is a clear
/// start-up error rather than, say, a silently renamed topic. Files written before the checksum
/// existed (no `crc32c`) are still read.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    crc32c: u32,
    registry: RegistryFile,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RegistryFile {
    version: u32,
    topics: Vec<TopicMeta>,
    #[serde(default)]
    dynamic: DynamicConfigs,
}

fn checksum(file: &RegistryFile) -> serde_json::Result<u32> {
    Ok(crc32c::crc32c(&serde_json::to_vec(file)?))
}

/// Parses the file, checking its checksum; the error is the (line, column) to report, (0, 0)
/// for a checksum mismatch.
fn parse(bytes: &[u8]) -> Result<RegistryFile, (usize, usize)> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| (error.line(), error.column()))?;
    if value.get("crc32c").is_none() {
        // Written before checksums: the registry itself.
        return serde_json::from_value(value).map_err(|error| (error.line(), error.column()));
    }
    let envelope: Envelope =
        serde_json::from_value(value).map_err(|error| (error.line(), error.column()))?;
    match checksum(&envelope.registry) {
        Ok(crc) if crc == envelope.crc32c => Ok(envelope.registry),
        _ => Err((0, 0)),
    }
}

/// A registry file that exists but cannot be read.
#[derive(Debug)]
pub enum RegistryError {
    Io {
        path: PathBuf,
        error: io::Error,
    },
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
    },
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::Io { path, error } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
            RegistryError::Corrupt {
                path,
                line: 0,
                column: 0,
            } => write!(
                f,
                "{} is corrupt (its checksum does not match); restore it from a backup or \
                 remove it to forget every topic",
                path.display()
            ),
            RegistryError::Corrupt { path, line, column } => write!(
                f,
                "{} is corrupt at line {line} column {column}; restore it from a backup or \
                 remove it to forget every topic",
                path.display()
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// The topics and dynamic configs in the legacy file, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyRegistry {
    pub topics: Vec<TopicMeta>,
    pub dynamic: DynamicConfigs,
}

/// Reads the legacy registry at `path`; `None` when there is no file.
pub fn load_legacy(
    disk: &dyn Disk,
    path: &std::path::Path,
) -> Result<Option<LegacyRegistry>, RegistryError> {
    let bytes = match read_all(disk, path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            let path = path.to_path_buf();
            return Err(RegistryError::Io { path, error });
        }
    };
    let file = parse(&bytes).map_err(|(line, column)| RegistryError::Corrupt {
        path: path.to_path_buf(),
        line,
        column,
    })?;
    Ok(Some(LegacyRegistry {
        topics: file.topics,
        dynamic: file.dynamic,
    }))
}

/// Writes a legacy registry file as the pre-quorum single node did, for migration tests.
#[cfg(test)]
pub fn write_legacy(disk: &dyn Disk, path: &std::path::Path, legacy: &LegacyRegistry) {
    let registry = RegistryFile {
        version: 1,
        topics: legacy.topics.clone(),
        dynamic: legacy.dynamic.clone(),
    };
    let envelope = Envelope {
        crc32c: checksum(&registry).unwrap(),
        registry,
    };
    let bytes = serde_json::to_vec_pretty(&envelope).unwrap();
    crate::storage::disk::write_atomic(disk, path, &bytes).unwrap();
}

/// Topics and dynamic configs as of one metadata image.
#[derive(Debug, Default)]
pub struct TopicRegistry {
    topics: BTreeMap<String, TopicMeta>,
    pub dynamic: DynamicConfigs,
}

impl TopicRegistry {
    /// The view of `image` for broker `node_id`.
    pub fn from_image(image: &MetadataImage, node_id: i32) -> Self {
        let configs_of =
            |resource: ConfigResource| image.configs.get(&resource).cloned().unwrap_or_default();
        let topics = image
            .topics
            .values()
            .map(|topic| {
                let meta = TopicMeta {
                    name: topic.name.clone(),
                    topic_id: uuid::Uuid::from_u128(topic.topic_id).to_string(),
                    partitions: topic.partitions.len() as i32,
                    replication_factor: topic
                        .partitions
                        .values()
                        .next()
                        .map_or(0, |p| p.replicas.len() as i16),
                    configs: configs_of(ConfigResource::Topic(topic.name.clone())),
                };
                (topic.name.clone(), meta)
            })
            .collect();
        let dynamic = DynamicConfigs {
            broker: configs_of(ConfigResource::Broker(node_id.to_string())),
            cluster_default: configs_of(ConfigResource::Broker(String::new())),
        };
        Self { topics, dynamic }
    }

    pub fn get(&self, name: &str) -> Option<&TopicMeta> {
        self.topics.get(name)
    }

    pub fn by_id(&self, topic_id: uuid::Uuid) -> Option<&TopicMeta> {
        self.topics.values().find(|topic| topic.uuid() == topic_id)
    }

    /// Every topic, in name order.
    pub fn topics(&self) -> impl Iterator<Item = &TopicMeta> {
        self.topics.values()
    }

    pub fn len(&self) -> usize {
        self.topics.len()
    }

    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use crate::storage::disk::write_atomic;
    use crate::storage::MemDisk;

    fn topic(name: &str) -> TopicMeta {
        TopicMeta {
            name: name.into(),
            topic_id: uuid::Uuid::nil().to_string(),
            partitions: 3,
            replication_factor: 1,
            configs: BTreeMap::new(),
        }
    }

    fn write_legacy_topics(disk: &MemDisk, path: &Path, topics: Vec<TopicMeta>) {
        let legacy = LegacyRegistry {
            topics,
            dynamic: DynamicConfigs::default(),
        };
        write_legacy(disk, path, &legacy);
    }

    #[test]
    fn a_flipped_bit_is_a_start_up_error_not_a_renamed_topic() {
        let disk = MemDisk::new();
        disk.create_dir_all(Path::new("/d")).unwrap();
        let path = PathBuf::from("/d").join(REGISTRY_FILE);
        assert_eq!(load_legacy(&disk, &path).unwrap(), None);
        write_legacy_topics(&disk, &path, vec![topic("sim")]);
        let loaded = load_legacy(&disk, &path).unwrap().unwrap();
        assert_eq!(loaded.topics, vec![topic("sim")]);
        // "sim" -> "sym": still valid JSON, caught only by the checksum.
        let text = String::from_utf8(read_all(&disk, &path).unwrap()).unwrap();
        let position = text.find("\"sim\"").unwrap() + 2;
        assert!(disk.flip_bit(&path, position, 4));
        let error = load_legacy(&disk, &path).unwrap_err().to_string();
        assert!(error.contains("checksum"), "{error}");
    }

    #[test]
    fn a_registry_written_before_checksums_still_loads() {
        let disk = MemDisk::new();
        disk.create_dir_all(Path::new("/d")).unwrap();
        let path = PathBuf::from("/d").join(REGISTRY_FILE);
        let legacy = RegistryFile {
            version: 1,
            topics: vec![topic("old")],
            dynamic: DynamicConfigs::default(),
        };
        write_atomic(&disk, &path, &serde_json::to_vec_pretty(&legacy).unwrap()).unwrap();
        let loaded = load_legacy(&disk, &path).unwrap().unwrap();
        assert_eq!(loaded.topics[0].name, "old");
    }

    #[test]
    fn the_view_of_an_image_has_its_topics_and_this_brokers_configs() {
        use crate::core::controller::MetadataRecord;
        let mut image = MetadataImage::default();
        let records = vec![
            MetadataRecord::Topic {
                name: "t".into(),
                topic_id: 7,
            },
            MetadataRecord::Config {
                resource: ConfigResource::Topic("t".into()),
                name: "retention.ms".into(),
                value: Some("1000".into()),
            },
            MetadataRecord::Config {
                resource: ConfigResource::Broker("2".into()),
                name: "log.retention.ms".into(),
                value: Some("5".into()),
            },
            MetadataRecord::Config {
                resource: ConfigResource::Broker(String::new()),
                name: "log.retention.ms".into(),
                value: Some("6".into()),
            },
        ];
        image.replay_batch(0, &records).unwrap();
        let view = TopicRegistry::from_image(&image, 1);
        let t = view.get("t").unwrap();
        assert_eq!(t.uuid(), uuid::Uuid::from_u128(7));
        assert_eq!(t.configs["retention.ms"], "1000");
        assert!(
            view.dynamic.broker.is_empty(),
            "broker 2's configs are not ours"
        );
        assert_eq!(view.dynamic.cluster_default["log.retention.ms"], "6");
        assert_eq!(
            TopicRegistry::from_image(&image, 2).dynamic.broker["log.retention.ms"],
            "5"
        );
    }
}
