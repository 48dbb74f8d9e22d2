//! The cluster: bootstrap, Metadata, and one connection per broker.
//!
//! The client bootstraps from any of the configured `host:port`s, asks Metadata for the brokers'
//! advertised addresses, and from then on talks to brokers by node id. Requests for a partition
//! go to its leader; callers refresh the metadata when a broker says it is not the leader or
//! does not know the topic. Broken connections are replaced on next use.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::connection::{Connection, ConnectionOptions};
use super::error::{ClientError, Result};
use super::metadata::{ClusterMetadata, TopicInfo};
use crate::runtime::{self, sync};

/// How to reach and talk to the cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// `host:port` addresses to bootstrap from (comma-separated lists are split).
    pub bootstrap_servers: Vec<String>,
    pub connection: ConnectionOptions,
    /// Ask brokers to create unknown topics named in Metadata (Kafka's auto creation).
    pub allow_auto_topic_creation: bool,
    /// Pause before retrying after a retriable error (`retry.backoff.ms`).
    pub retry_backoff: Duration,
}

impl ClusterOptions {
    /// Options for `bootstrap` (`host:port[,host:port...]`) with defaults elsewhere.
    pub fn new(bootstrap: &str) -> Self {
        Self {
            bootstrap_servers: bootstrap
                .split(',')
                .map(|addr| addr.trim().to_string())
                .filter(|addr| !addr.is_empty())
                .collect(),
            connection: ConnectionOptions::default(),
            allow_auto_topic_creation: false,
            retry_backoff: Duration::from_millis(100),
        }
    }
}

/// A handle on the cluster shared by admin, producer and consumer.
#[derive(Debug)]
pub struct Cluster {
    options: ClusterOptions,
    /// Connections by broker node id; `sync::Mutex` because connecting awaits.
    connections: sync::Mutex<BTreeMap<i32, Arc<Connection>>>,
    bootstrap: sync::Mutex<Option<Arc<Connection>>>,
    metadata: Mutex<Arc<ClusterMetadata>>,
}

impl Cluster {
    /// Connects to a bootstrap server and learns the brokers.
    pub async fn connect(options: ClusterOptions) -> Result<Arc<Self>> {
        if options.bootstrap_servers.is_empty() {
            return Err(ClientError::InvalidAddress {
                addr: String::new(),
            });
        }
        let cluster = Arc::new(Self {
            options,
            connections: sync::Mutex::new(BTreeMap::new()),
            bootstrap: sync::Mutex::new(None),
            metadata: Mutex::new(Arc::new(ClusterMetadata::default())),
        });
        cluster.refresh_metadata(Some(&[])).await?;
        Ok(cluster)
    }

    /// The options this cluster was opened with.
    pub fn options(&self) -> &ClusterOptions {
        &self.options
    }

    /// The latest metadata.
    pub fn metadata(&self) -> Arc<ClusterMetadata> {
        self.metadata
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Asks Metadata about `topics` (`None`: every topic) and folds the answer in.
    pub async fn refresh_metadata(
        &self,
        topics: Option<&[String]>,
    ) -> Result<Arc<ClusterMetadata>> {
        let mut request = MetadataRequest::default();
        request.topics = topics.map(|topics| {
            topics
                .iter()
                .map(|name| {
                    let mut topic = MetadataRequestTopic::default();
                    topic.name = Some(TopicName(StrBytes::from_string(name.clone())));
                    topic
                })
                .collect()
        });
        request.allow_auto_topic_creation = self.options.allow_auto_topic_creation;
        let connection = self.any_connection().await?;
        let response = match connection.request(&request).await {
            Ok(response) => response,
            Err(error) => {
                self.forget(&connection).await;
                return Err(error);
            }
        };
        if let Some(error) = ClientError::from_code(response.error_code, || "Metadata".into()) {
            return Err(error);
        }
        let newer = ClusterMetadata::from_response(&response);
        let mut metadata = self
            .metadata
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut merged = ClusterMetadata::clone(&metadata);
        merged.merge(newer, topics.is_none());
        *metadata = Arc::new(merged);
        Ok(metadata.clone())
    }

    /// The topic's metadata, asking the cluster if it is not known yet.
    pub async fn topic(&self, name: &str) -> Result<TopicInfo> {
        if let Some(topic) = self.metadata().topics.get(name) {
            return Ok(topic.clone());
        }
        self.refresh_topic(name).await
    }

    /// Asks the cluster about one topic, even if it is known.
    pub async fn refresh_topic(&self, name: &str) -> Result<TopicInfo> {
        let metadata = self.refresh_metadata(Some(&[name.to_string()])).await?;
        metadata
            .topics
            .get(name)
            .cloned()
            .ok_or_else(|| ClientError::UnknownTopicOrPartition {
                topic: name.to_string(),
                partition: None,
            })
    }

    /// The connection to the leader of a partition (from current metadata).
    pub async fn leader_connection(&self, topic: &str, partition: i32) -> Result<Arc<Connection>> {
        let leader = self.topic(topic).await?;
        let partition_info =
            leader
                .partition(partition)
                .ok_or_else(|| ClientError::UnknownTopicOrPartition {
                    topic: topic.to_string(),
                    partition: Some(partition),
                })?;
        if partition_info.leader < 0 {
            return Err(ClientError::NoLeader {
                topic: topic.to_string(),
                partition,
            });
        }
        self.broker_connection(partition_info.leader).await
    }

    /// The connection to broker `node_id`, opened on first use or after a failure.
    pub async fn broker_connection(&self, node_id: i32) -> Result<Arc<Connection>> {
        let mut connections = self.connections.lock().await;
        if let Some(connection) = connections.get(&node_id) {
            if !connection.is_closed() {
                return Ok(connection.clone());
            }
        }
        let addr = self
            .metadata()
            .brokers
            .get(&node_id)
            .map(|broker| broker.addr())
            .ok_or(ClientError::NoLeader {
                topic: format!("<broker {node_id}>"),
                partition: -1,
            })?;
        let connection = Connection::connect(&addr, &self.options.connection).await?;
        connections.insert(node_id, connection.clone());
        Ok(connection)
    }

    /// A connection to any broker: an open broker connection, the bootstrap connection, or a
    /// new one to the first bootstrap server that answers.
    pub async fn any_connection(&self) -> Result<Arc<Connection>> {
        if let Some(connection) = self
            .connections
            .lock()
            .await
            .values()
            .find(|connection| !connection.is_closed())
        {
            return Ok(connection.clone());
        }
        let mut bootstrap = self.bootstrap.lock().await;
        if let Some(connection) = bootstrap.as_ref().filter(|c| !c.is_closed()) {
            return Ok(connection.clone());
        }
        let known: Vec<String> = self.metadata().brokers.values().map(|b| b.addr()).collect();
        let mut last_error = None;
        for addr in self.options.bootstrap_servers.iter().chain(known.iter()) {
            match Connection::connect(addr, &self.options.connection).await {
                Ok(connection) => {
                    *bootstrap = Some(connection.clone());
                    return Ok(connection);
                }
                Err(error) => {
                    tracing::debug!(%addr, %error, "bootstrap server unreachable");
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or(ClientError::InvalidAddress {
            addr: String::new(),
        }))
    }

    /// The controller (for admin requests Kafka routes there), or any broker.
    pub async fn controller_connection(&self) -> Result<Arc<Connection>> {
        let controller = self.metadata().controller_id;
        if controller >= 0 {
            if let Ok(connection) = self.broker_connection(controller).await {
                return Ok(connection);
            }
        }
        self.any_connection().await
    }

    /// Drops a connection that failed so the next use reconnects.
    pub async fn forget(&self, failed: &Arc<Connection>) {
        self.connections
            .lock()
            .await
            .retain(|_, connection| !Arc::ptr_eq(connection, failed));
        let mut bootstrap = self.bootstrap.lock().await;
        if bootstrap.as_ref().is_some_and(|c| Arc::ptr_eq(c, failed)) {
            *bootstrap = None;
        }
    }

    /// Sleeps for the retry backoff.
    pub async fn backoff(&self) {
        runtime::sleep(self.options.retry_backoff).await;
    }
}
