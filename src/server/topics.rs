//! The topic registry: which topics exist, their ids, partition counts, replication factor and
//! config overrides, plus dynamic broker configs. On a single node it is a JSON document
//! replaced atomically through the `Disk` seam (`weir-metadata.json` in the first log dir); the
//! KRaft metadata log replaces it when the controller arrives. It is the source of truth: at
//! start-up, logs it does not name are removed and partitions it names are created.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::configs::DynamicConfigs;
use crate::storage::disk::{read_all, write_atomic};
use crate::storage::Disk;

/// The registry's file name inside the first log directory.
pub const REGISTRY_FILE: &str = "weir-metadata.json";

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

/// Topics and dynamic configs, persisted on every change.
#[derive(Debug)]
pub struct TopicRegistry {
    path: PathBuf,
    topics: BTreeMap<String, TopicMeta>,
    pub dynamic: DynamicConfigs,
}

impl TopicRegistry {
    /// Loads the registry at `path`; a missing file is an empty registry.
    pub fn load(disk: &dyn Disk, path: PathBuf) -> Result<Self, RegistryError> {
        let file = match read_all(disk, &path) {
            Ok(bytes) => parse(&bytes).map_err(|(line, column)| RegistryError::Corrupt {
                path: path.clone(),
                line,
                column,
            })?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => RegistryFile::default(),
            Err(error) => return Err(RegistryError::Io { path, error }),
        };
        let topics = file
            .topics
            .into_iter()
            .map(|topic| (topic.name.clone(), topic))
            .collect();
        Ok(Self {
            path,
            topics,
            dynamic: file.dynamic,
        })
    }

    /// Writes the registry durably (atomic replace).
    pub fn save(&self, disk: &dyn Disk) -> io::Result<()> {
        let file = RegistryFile {
            version: 1,
            topics: self.topics.values().cloned().collect(),
            dynamic: self.dynamic.clone(),
        };
        let crc32c = checksum(&file).map_err(io::Error::other)?;
        let envelope = Envelope {
            crc32c,
            registry: file,
        };
        let bytes = serde_json::to_vec_pretty(&envelope).map_err(io::Error::other)?;
        write_atomic(disk, &self.path, &bytes)
    }

    pub fn get(&self, name: &str) -> Option<&TopicMeta> {
        self.topics.get(name)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut TopicMeta> {
        self.topics.get_mut(name)
    }

    pub fn by_id(&self, topic_id: uuid::Uuid) -> Option<&TopicMeta> {
        self.topics.values().find(|topic| topic.uuid() == topic_id)
    }

    pub fn insert(&mut self, topic: TopicMeta) {
        self.topics.insert(topic.name.clone(), topic);
    }

    pub fn remove(&mut self, name: &str) -> Option<TopicMeta> {
        self.topics.remove(name)
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

    #[test]
    fn a_flipped_bit_is_a_start_up_error_not_a_renamed_topic() {
        let disk = MemDisk::new();
        disk.create_dir_all(Path::new("/d")).unwrap();
        let path = PathBuf::from("/d").join(REGISTRY_FILE);
        let mut registry = TopicRegistry::load(&disk, path.clone()).unwrap();
        registry.insert(topic("sim"));
        registry.save(&disk).unwrap();
        let reloaded = TopicRegistry::load(&disk, path.clone()).unwrap();
        assert!(reloaded.get("sim").is_some());
        // "sim" -> "sym": still valid JSON, caught only by the checksum.
        let text = String::from_utf8(read_all(&disk, &path).unwrap()).unwrap();
        let position = text.find("\"sim\"").unwrap() + 2;
        assert!(disk.flip_bit(&path, position, 4));
        let error = TopicRegistry::load(&disk, path).unwrap_err().to_string();
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
        assert!(TopicRegistry::load(&disk, path)
            .unwrap()
            .get("old")
            .is_some());
    }
}
