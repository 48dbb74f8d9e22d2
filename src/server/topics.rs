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

#[derive(Debug, Default, Serialize, Deserialize)]
struct RegistryFile {
    version: u32,
    topics: Vec<TopicMeta>,
    #[serde(default)]
    dynamic: DynamicConfigs,
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
            Ok(bytes) => serde_json::from_slice::<RegistryFile>(&bytes).map_err(|error| {
                RegistryError::Corrupt {
                    path: path.clone(),
                    line: error.line(),
                    column: error.column(),
                }
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
        let bytes = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
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
