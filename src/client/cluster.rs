//! The cluster: bootstrap, Metadata, and one connection per broker.
//!
//! The client bootstraps from any of the configured `host:port`s, asks Metadata for the brokers'
//! advertised addresses, and from then on talks to brokers by node id. Requests for a partition
//! go to its leader; callers refresh the metadata when a broker says it is not the leader or
//! does not know the topic. Broken connections are replaced on next use, but an address whose
//! connection attempt failed is not dialled again before its reconnect backoff passes, and the
//! refreshes that follow failures go out at most once per retry backoff (as in Kafka's clients).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::connection::{Connection, ConnectionOptions};
use super::error::{ClientError, Result};
use super::lock;
use super::metadata::{ClusterMetadata, TopicInfo};
use crate::backoff::Backoff;
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
    /// After a failed connection attempt to an address, how long before the next one
    /// (`reconnect.backoff.ms`), doubling with each failure up to `reconnect_backoff_max`
    /// (`reconnect.backoff.max.ms`), as Kafka's clients do.
    pub reconnect_backoff: Duration,
    pub reconnect_backoff_max: Duration,
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
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(1000),
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
    /// When the last Metadata request was sent and what it asked about, for paced refreshes.
    last_refresh: Mutex<Option<LastRefresh>>,
    /// Addresses whose last connection attempt failed: when the next may be made, and their
    /// backoff.
    unreachable: Mutex<BTreeMap<String, (runtime::Instant, Backoff)>>,
}

/// A Metadata request sent (answered or not): when, and which topics (`None`: all).
#[derive(Debug, Clone)]
struct LastRefresh {
    sent_at: runtime::Instant,
    topics: Option<BTreeSet<String>>,
}

impl LastRefresh {
    fn covers(&self, topics: Option<&[String]>) -> bool {
        match (&self.topics, topics) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(asked), Some(wanted)) => wanted.iter().all(|topic| asked.contains(topic)),
        }
    }
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
            last_refresh: Mutex::new(None),
            unreachable: Mutex::new(BTreeMap::new()),
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
        lock(&self.metadata).clone()
    }

    /// Refreshes as [`refresh_metadata`](Self::refresh_metadata) does, unless a request about
    /// these topics went out less than `retry.backoff.ms` ago: then the metadata as it stands.
    /// For the loops that refresh after each failure (a producer's retries, a consumer
    /// polling a partition with no leader): as in Kafka's clients, a failure asks for an
    /// update, and updates go out at most once per backoff, so a dozen failing batches or a
    /// leaderless partition polled in a loop cost one Metadata request, not one each.
    pub async fn refresh_metadata_paced(
        &self,
        topics: Option<&[String]>,
    ) -> Result<Arc<ClusterMetadata>> {
        let recent = lock(&self.last_refresh).as_ref().is_some_and(|last| {
            last.covers(topics)
                && runtime::now().saturating_duration_since(last.sent_at)
                    < self.options.retry_backoff
        });
        if recent {
            return Ok(self.metadata());
        }
        self.refresh_metadata(topics).await
    }

    /// Asks Metadata about `topics` (`None`: every topic) and folds the answer in.
    pub async fn refresh_metadata(
        &self,
        topics: Option<&[String]>,
    ) -> Result<Arc<ClusterMetadata>> {
        *lock(&self.last_refresh) = Some(LastRefresh {
            sent_at: runtime::now(),
            topics: topics.map(|topics| topics.iter().cloned().collect()),
        });
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
        let mut metadata = lock(&self.metadata);
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
        Self::topic_in(&metadata, name)
    }

    /// [`refresh_topic`](Self::refresh_topic), paced as
    /// [`refresh_metadata_paced`](Self::refresh_metadata_paced) is.
    pub async fn refresh_topic_paced(&self, name: &str) -> Result<TopicInfo> {
        let metadata = (self.refresh_metadata_paced(Some(&[name.to_string()]))).await?;
        Self::topic_in(&metadata, name)
    }

    fn topic_in(metadata: &ClusterMetadata, name: &str) -> Result<TopicInfo> {
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
        let connection = self.open(&addr).await?;
        connections.insert(node_id, connection.clone());
        Ok(connection)
    }

    /// Connects to `addr`, unless an attempt failed too recently: then it fails at once, as a
    /// failed connection would, without trying. A broker that is down or cut off would
    /// otherwise take a connection attempt from every retry of every request meant for it.
    async fn open(&self, addr: &str) -> Result<Arc<Connection>> {
        let now = runtime::now();
        if let Some(&(retry_at, _)) = lock(&self.unreachable)
            .get(addr)
            .filter(|(at, _)| now < *at)
        {
            let wait_ms = retry_at.saturating_duration_since(now).as_millis();
            return Err(ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                format!("{addr}: the last connection attempt failed; next one in {wait_ms} ms"),
            )));
        }
        match Connection::connect(addr, &self.options.connection).await {
            Ok(connection) => {
                lock(&self.unreachable).remove(addr);
                Ok(connection)
            }
            Err(error) => {
                let (first, max) = (
                    self.options.reconnect_backoff,
                    self.options.reconnect_backoff_max,
                );
                let mut unreachable = lock(&self.unreachable);
                let (retry_at, backoff) = (unreachable.entry(addr.to_string()))
                    .or_insert_with(|| (now, Backoff::new(first, max)));
                *retry_at = runtime::now() + backoff.next_wait();
                Err(error)
            }
        }
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
            match self.open(addr).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::mock_broker::MockBroker;

    /// An address nothing listens on: a port bound and released again.
    async fn refusing_address() -> String {
        let listener = runtime::listen("127.0.0.1:0").await.unwrap();
        let port = runtime::local_addr(&listener).unwrap().port();
        format!("127.0.0.1:{port}")
    }

    #[test]
    fn a_refusing_address_is_tried_again_only_after_a_doubling_backoff() {
        runtime::block_on(async {
            let broker = MockBroker::start().await;
            let dead = refusing_address().await;
            let mut options = ClusterOptions::new(&broker.addr);
            options.reconnect_backoff = Duration::from_millis(100);
            options.reconnect_backoff_max = Duration::from_millis(300);
            let cluster = Cluster::connect(options).await.unwrap();
            let backoff = |cluster: &Cluster| cluster.unreachable.lock().unwrap()[&dead].1.last();
            let tried = cluster.open(&dead).await.unwrap_err().to_string();
            assert!(!tried.contains("next one in"), "{tried}");
            assert_eq!(backoff(&cluster), Some(Duration::from_millis(100)));
            let waited = cluster.open(&dead).await.unwrap_err().to_string();
            assert!(waited.contains("next one in"), "{waited}");
            for expected_ms in [200, 300, 300] {
                // The backoff is over: the next call tries, fails, and waits longer.
                cluster
                    .unreachable
                    .lock()
                    .unwrap()
                    .get_mut(&dead)
                    .unwrap()
                    .0 = runtime::now();
                let tried = cluster.open(&dead).await.unwrap_err().to_string();
                assert!(!tried.contains("next one in"), "{tried}");
                assert_eq!(backoff(&cluster), Some(Duration::from_millis(expected_ms)));
            }
            cluster.open(&broker.addr).await.unwrap();
            assert!(!cluster
                .unreachable
                .lock()
                .unwrap()
                .contains_key(&broker.addr));
        })
        .unwrap();
    }
}
