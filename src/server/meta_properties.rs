//! `meta.properties`: the file Kafka keeps in every log directory naming the cluster and the
//! node that own it. It stops a directory from being mounted under the wrong node id, and gives
//! the cluster a stable id across restarts (DescribeCluster, Metadata v2+).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use crate::config::properties;
use crate::runtime::RngStream;
use crate::storage::disk::{create_dir_durable, read_all, write_atomic};
use crate::storage::Disk;

pub const META_PROPERTIES_FILE: &str = "meta.properties";

/// A log directory that belongs to another node, or whose meta.properties is unreadable.
#[derive(Debug)]
pub enum MetaError {
    Io {
        dir: String,
        error: io::Error,
    },
    Corrupt {
        dir: String,
    },
    WrongNode {
        dir: String,
        found: i32,
        configured: i32,
    },
    MixedClusters {
        first: String,
        second: String,
    },
}

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetaError::Io { dir, error } => write!(f, "{dir}/{META_PROPERTIES_FILE}: {error}"),
            MetaError::Corrupt { dir } => write!(
                f,
                "{dir}/{META_PROPERTIES_FILE} has no valid cluster.id and node.id"
            ),
            MetaError::WrongNode {
                dir,
                found,
                configured,
            } => write!(
                f,
                "log dir {dir} belongs to node.id={found} but this broker is node.id={configured}"
            ),
            MetaError::MixedClusters { first, second } => write!(
                f,
                "log dirs belong to different clusters ({first} and {second})"
            ),
        }
    }
}

impl std::error::Error for MetaError {}

/// Reads or creates `meta.properties` in every log dir and returns the cluster id.
pub fn ensure(
    disk: &dyn Disk,
    log_dirs: &[std::path::PathBuf],
    node_id: i32,
    rng: &mut RngStream,
    agreed_by: Option<&str>,
) -> Result<String, MetaError> {
    let mut cluster_id: Option<String> = None;
    for dir in log_dirs {
        if let Some((found_cluster, found_node)) = read(disk, dir)? {
            if found_node != node_id {
                return Err(MetaError::WrongNode {
                    dir: dir.display().to_string(),
                    found: found_node,
                    configured: node_id,
                });
            }
            match &cluster_id {
                Some(first) if *first != found_cluster => {
                    return Err(MetaError::MixedClusters {
                        first: first.clone(),
                        second: found_cluster,
                    })
                }
                _ => cluster_id = Some(found_cluster),
            }
        }
    }
    let cluster_id = cluster_id.unwrap_or_else(|| match agreed_by {
        Some(text) => agreed_cluster_id(text),
        None => new_cluster_id(rng),
    });
    for dir in log_dirs {
        let text = format!("version=1\ncluster.id={cluster_id}\nnode.id={node_id}\n");
        let io_error = |error| MetaError::Io {
            dir: dir.display().to_string(),
            error,
        };
        create_dir_durable(disk, dir).map_err(io_error)?;
        if read(disk, dir)?.is_none() {
            write_atomic(disk, &dir.join(META_PROPERTIES_FILE), text.as_bytes())
                .map_err(io_error)?;
        }
    }
    Ok(cluster_id)
}

fn read(disk: &dyn Disk, dir: &Path) -> Result<Option<(String, i32)>, MetaError> {
    let name = dir.display().to_string();
    let bytes = match read_all(disk, &dir.join(META_PROPERTIES_FILE)) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(MetaError::Io { dir: name, error }),
    };
    let corrupt = || MetaError::Corrupt { dir: name.clone() };
    let text = String::from_utf8(bytes).map_err(|_| corrupt())?;
    let pairs: BTreeMap<String, String> = properties::parse(&text).map_err(|_| corrupt())?;
    let cluster = pairs.get("cluster.id").cloned().ok_or_else(corrupt)?;
    let node = pairs
        .get("node.id")
        .or_else(|| pairs.get("broker.id"))
        .and_then(|id| id.parse().ok())
        .ok_or_else(corrupt)?;
    Ok(Some((cluster, node)))
}

/// The cluster id every node of a multi-node quorum picks on its first start without any
/// formatting step: derived from the text they all share (`controller.quorum.voters`, in a
/// canonical form), where Kafka needs `kafka-storage format --cluster-id` run on each node.
pub fn agreed_cluster_id(shared: &str) -> String {
    // The stream's salt hashing turns the shared text into the seed.
    new_cluster_id(&mut RngStream::new(0, shared))
}

/// A Kafka-style cluster id: 16 random bytes in URL-safe base64 without padding (22 chars).
pub fn new_cluster_id(rng: &mut RngStream) -> String {
    let bits = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    (0..22)
        .map(|index| {
            crate::storage::partition_metadata::ALPHABET[((bits >> (index * 6)) & 63) as usize]
                as char
        })
        .collect()
}
