//! Admin operations: topics, partitions, configs, offsets and the cluster description.
//!
//! Topic creation, deletion and partition growth go to the controller (older brokers require it;
//! KRaft brokers forward anyway). Broker configs go to the broker they describe.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::elect_leaders_request::TopicPartitions as ElectTopicPartitions;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{
    ApiKey, CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeClusterRequest, DescribeConfigsRequest, ElectLeadersRequest,
    IncrementalAlterConfigsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::cluster::{Cluster, ClusterOptions};
use super::connection::Connection;
use super::error::{ClientError, Result};
use super::metadata::{BrokerInfo, TopicInfo};
use super::offsets::{self, ListedOffset, OffsetSpec};
use crate::types::{by_topic, TopicPartition};

/// How long the broker may take over a topic operation.
pub(super) const ADMIN_TIMEOUT_MS: i32 = 30_000;

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    /// -1: the broker's `num.partitions`.
    pub partitions: i32,
    /// -1: the broker's `default.replication.factor`.
    pub replication_factor: i16,
    pub configs: BTreeMap<String, String>,
}

/// Which leader election ElectLeaders runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Election {
    /// Move leadership to the first listed replica, if it is alive and in the ISR.
    Preferred,
    /// Give a partition with no live leader one from outside the ISR (may lose data).
    Unclean,
}

/// What a config resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Topic,
    Broker,
}

impl ResourceType {
    fn wire(self) -> i8 {
        match self {
            Self::Topic => 2,
            Self::Broker => 4,
        }
    }
}

/// A topic or a broker whose configs are described or altered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigResource {
    pub resource_type: ResourceType,
    /// The topic name, or the broker id as a string (empty: the cluster-wide default).
    pub name: String,
}

/// One config as DescribeConfigs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub read_only: bool,
    pub is_sensitive: bool,
    /// Kafka's ConfigSource: 1 dynamic topic, 2 dynamic broker, 4 static broker, 5 default...
    pub source: i8,
}

impl ConfigEntry {
    /// Whether the value is the built-in default rather than something set by an operator.
    pub fn is_default(&self) -> bool {
        self.source == 5
    }
}

/// One change of IncrementalAlterConfigs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterConfigOp {
    Set { name: String, value: String },
    Delete { name: String },
}

/// What DescribeCluster (or, on older brokers, Metadata) says about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    pub cluster_id: Option<String>,
    pub controller_id: i32,
    /// Every broker listed, in id order (fenced ones too, from DescribeCluster v2).
    pub brokers: Vec<BrokerInfo>,
    /// The ids of the listed brokers the controller has fenced (empty before v2).
    pub fenced: BTreeSet<i32>,
}

/// The admin client.
#[derive(Debug, Clone)]
pub struct Admin {
    pub(super) cluster: Arc<Cluster>,
}

impl Admin {
    /// Connects to the cluster.
    pub async fn connect(options: ClusterOptions) -> Result<Self> {
        Ok(Self::new(Cluster::connect(options).await?))
    }

    /// An admin client over an existing cluster handle.
    pub fn new(cluster: Arc<Cluster>) -> Self {
        Self { cluster }
    }

    /// The cluster handle.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// Creates topics; one result per topic, in the order given.
    pub async fn create_topics(
        &self,
        topics: &[NewTopic],
        validate_only: bool,
    ) -> Result<Vec<(String, Result<()>)>> {
        let mut request = CreateTopicsRequest::default();
        request.timeout_ms = ADMIN_TIMEOUT_MS;
        request.validate_only = validate_only;
        request.topics = topics.iter().map(creatable_topic).collect();
        let connection = self.cluster.controller_connection().await?;
        let response = self.call(&connection, &request).await?;
        let mut results = Vec::new();
        for topic in topics {
            let result = match response.topics.iter().find(|t| t.name.0 == *topic.name) {
                None => Err(missing("CreateTopics", &topic.name)),
                Some(t) => match ClientError::from_code(t.error_code, || {
                    with_message(format!("create topic {}", topic.name), &t.error_message)
                }) {
                    Some(error) => Err(error),
                    None => Ok(()),
                },
            };
            results.push((topic.name.clone(), result));
        }
        Ok(results)
    }

    /// Deletes topics by name; one result per topic, in the order given.
    pub async fn delete_topics(&self, names: &[String]) -> Result<Vec<(String, Result<()>)>> {
        let connection = self.cluster.controller_connection().await?;
        let version = connection.version(ApiKey::DeleteTopics)?;
        let mut request = DeleteTopicsRequest::default();
        request.timeout_ms = ADMIN_TIMEOUT_MS;
        if version >= 6 {
            request.topics = names
                .iter()
                .map(|name| {
                    let mut state = DeleteTopicState::default();
                    state.name = Some(topic_name(name));
                    state
                })
                .collect();
        } else {
            request.topic_names = names.iter().map(|name| topic_name(name)).collect();
        }
        let response = self.call(&connection, &request).await?;
        let mut results = Vec::new();
        for name in names {
            let found = response
                .responses
                .iter()
                .find(|r| r.name.as_ref().is_some_and(|n| n.0 == **name));
            let result = match found {
                None => Err(missing("DeleteTopics", name)),
                Some(r) => match ClientError::from_code(r.error_code, || {
                    with_message(format!("delete topic {name}"), &r.error_message)
                }) {
                    Some(error) => Err(error),
                    None => Ok(()),
                },
            };
            results.push((name.clone(), result));
        }
        Ok(results)
    }

    /// Grows a topic to `total_count` partitions.
    pub async fn create_partitions(
        &self,
        topic: &str,
        total_count: i32,
        validate_only: bool,
    ) -> Result<()> {
        let mut entry = CreatePartitionsTopic::default();
        entry.name = topic_name(topic);
        entry.count = total_count;
        entry.assignments = None;
        let mut request = CreatePartitionsRequest::default();
        request.topics = vec![entry];
        request.timeout_ms = ADMIN_TIMEOUT_MS;
        request.validate_only = validate_only;
        let connection = self.cluster.controller_connection().await?;
        let response = self.call(&connection, &request).await?;
        let result = response
            .results
            .iter()
            .find(|r| r.name.0 == *topic)
            .ok_or_else(|| missing("CreatePartitions", topic))?;
        match ClientError::from_code(result.error_code, || {
            with_message(
                format!("create partitions for {topic}"),
                &result.error_message,
            )
        }) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Runs `kind` elections on `partitions` (`None`: every partition; the answer then names
    /// only those where an election ran or failed). Each partition gets its own result.
    pub async fn elect_leaders(
        &self,
        kind: Election,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<Vec<(TopicPartition, Result<()>)>> {
        let topics = partitions.map(|partitions| {
            (by_topic(partitions.iter().map(|tp| (tp, tp.partition))).into_iter())
                .map(|(topic, partitions)| {
                    let mut entry = ElectTopicPartitions::default();
                    entry.topic = topic_name(topic);
                    entry.partitions = partitions;
                    entry
                })
                .collect()
        });
        let mut request = ElectLeadersRequest::default();
        request.election_type = match kind {
            Election::Preferred => 0,
            Election::Unclean => 1,
        };
        request.topic_partitions = topics;
        request.timeout_ms = ADMIN_TIMEOUT_MS;
        let connection = self.cluster.controller_connection().await?;
        let response = self.call(&connection, &request).await?;
        if let Some(error) = ClientError::from_code(response.error_code, || "elect leaders".into())
        {
            return Err(error);
        }
        let mut results = Vec::new();
        for topic in &response.replica_election_results {
            for partition in &topic.partition_result {
                let tp = TopicPartition::new(topic.topic.0.as_str(), partition.partition_id);
                let result = match ClientError::from_code(partition.error_code, || {
                    with_message(format!("elect a leader for {tp}"), &partition.error_message)
                }) {
                    Some(error) => Err(error),
                    None => Ok(()),
                };
                results.push((tp, result));
            }
        }
        Ok(results)
    }

    /// Describes every config of a topic or broker, sorted by name.
    pub async fn describe_configs(&self, resource: &ConfigResource) -> Result<Vec<ConfigEntry>> {
        let mut entry = DescribeConfigsResource::default();
        entry.resource_type = resource.resource_type.wire();
        entry.resource_name = StrBytes::from_string(resource.name.clone());
        entry.configuration_keys = None;
        let mut request = DescribeConfigsRequest::default();
        request.resources = vec![entry];
        let connection = self.resource_connection(resource).await?;
        let response = self.call(&connection, &request).await?;
        let result = response
            .results
            .first()
            .ok_or_else(|| missing("DescribeConfigs", &resource.name))?;
        if let Some(error) = ClientError::from_code(result.error_code, || {
            with_message(
                format!("describe configs of {}", resource.name),
                &result.error_message,
            )
        }) {
            return Err(error);
        }
        let mut entries: Vec<ConfigEntry> = result
            .configs
            .iter()
            .map(|config| ConfigEntry {
                name: config.name.to_string(),
                value: config.value.as_ref().map(|v| v.to_string()),
                read_only: config.read_only,
                is_sensitive: config.is_sensitive,
                source: config.config_source,
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Sets or deletes configs of a topic or broker.
    pub async fn incremental_alter_configs(
        &self,
        resource: &ConfigResource,
        ops: &[AlterConfigOp],
        validate_only: bool,
    ) -> Result<()> {
        let mut entry = AlterConfigsResource::default();
        entry.resource_type = resource.resource_type.wire();
        entry.resource_name = StrBytes::from_string(resource.name.clone());
        entry.configs = ops.iter().map(alterable_config).collect();
        let mut request = IncrementalAlterConfigsRequest::default();
        request.resources = vec![entry];
        request.validate_only = validate_only;
        let connection = self.resource_connection(resource).await?;
        let response = self.call(&connection, &request).await?;
        let result = response
            .responses
            .first()
            .ok_or_else(|| missing("IncrementalAlterConfigs", &resource.name))?;
        match ClientError::from_code(result.error_code, || {
            with_message(
                format!("alter configs of {}", resource.name),
                &result.error_message,
            )
        }) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Topic names, sorted; internal topics only with `include_internal`.
    pub async fn list_topics(&self, include_internal: bool) -> Result<Vec<String>> {
        let metadata = self.cluster.refresh_metadata(None).await?;
        Ok(metadata
            .topics
            .values()
            .filter(|topic| include_internal || !topic.is_internal)
            .map(|topic| topic.name.clone())
            .collect())
    }

    /// Describes `topics` (`None`: all), sorted by name. Unknown topics are an error.
    pub async fn describe_topics(&self, topics: Option<&[String]>) -> Result<Vec<TopicInfo>> {
        let metadata = self.cluster.refresh_metadata(topics).await?;
        match topics {
            None => Ok(metadata.topics.values().cloned().collect()),
            Some(names) => {
                let mut sorted: Vec<&String> = names.iter().collect();
                sorted.sort();
                sorted.dedup();
                sorted
                    .into_iter()
                    .map(|name| {
                        metadata.topics.get(name).cloned().ok_or_else(|| {
                            ClientError::UnknownTopicOrPartition {
                                topic: name.clone(),
                                partition: None,
                            }
                        })
                    })
                    .collect()
            }
        }
    }

    /// Looks up offsets (earliest, latest, max timestamp, or by timestamp).
    pub async fn list_offsets(
        &self,
        specs: &BTreeMap<TopicPartition, OffsetSpec>,
    ) -> Result<BTreeMap<TopicPartition, ListedOffset>> {
        offsets::list_offsets(&self.cluster, specs).await
    }

    /// The cluster id, controller and brokers (DescribeCluster, or Metadata on old brokers).
    pub async fn describe_cluster(&self) -> Result<ClusterDescription> {
        let connection = self.cluster.any_connection().await?;
        if connection.version(ApiKey::DescribeCluster).is_err() {
            let metadata = self.cluster.refresh_metadata(Some(&[])).await?;
            return Ok(ClusterDescription {
                cluster_id: metadata.cluster_id.clone(),
                controller_id: metadata.controller_id,
                brokers: metadata.brokers.values().cloned().collect(),
                fenced: BTreeSet::new(),
            });
        }
        let mut request = DescribeClusterRequest::default();
        request.include_fenced_brokers = connection.version(ApiKey::DescribeCluster)? >= 2;
        let response = self.call(&connection, &request).await?;
        if let Some(error) = ClientError::from_code(response.error_code, || {
            with_message("describe cluster".into(), &response.error_message)
        }) {
            return Err(error);
        }
        let mut brokers: Vec<BrokerInfo> = (response.brokers.iter())
            .map(|b| BrokerInfo {
                node_id: b.broker_id.0,
                host: b.host.to_string(),
                port: b.port,
                rack: b.rack.as_ref().map(|r| r.to_string()),
            })
            .collect();
        brokers.sort_by_key(|b| b.node_id);
        let fenced = (response.brokers.iter())
            .filter(|b| b.is_fenced)
            .map(|b| b.broker_id.0)
            .collect();
        Ok(ClusterDescription {
            cluster_id: Some(response.cluster_id.to_string()),
            controller_id: response.controller_id.0,
            brokers,
            fenced,
        })
    }

    async fn resource_connection(&self, resource: &ConfigResource) -> Result<Arc<Connection>> {
        match (resource.resource_type, resource.name.parse::<i32>()) {
            (ResourceType::Broker, Ok(node_id)) => self.cluster.broker_connection(node_id).await,
            _ => self.cluster.any_connection().await,
        }
    }

    pub(super) async fn call<R: kafka_protocol::protocol::Request + 'static>(
        &self,
        connection: &Arc<Connection>,
        request: &R,
    ) -> Result<R::Response> {
        let result = connection.request(request).await;
        if result.is_err() && connection.is_closed() {
            self.cluster.forget(connection).await;
        }
        result
    }
}

pub(super) fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

fn creatable_topic(topic: &NewTopic) -> CreatableTopic {
    let mut creatable = CreatableTopic::default();
    creatable.name = topic_name(&topic.name);
    creatable.num_partitions = topic.partitions;
    creatable.replication_factor = topic.replication_factor;
    creatable.configs = topic
        .configs
        .iter()
        .map(|(name, value)| {
            let mut config = CreatableTopicConfig::default();
            config.name = StrBytes::from_string(name.clone());
            config.value = Some(StrBytes::from_string(value.clone()));
            config
        })
        .collect();
    creatable
}

fn alterable_config(op: &AlterConfigOp) -> AlterableConfig {
    let mut config = AlterableConfig::default();
    match op {
        AlterConfigOp::Set { name, value } => {
            config.name = StrBytes::from_string(name.clone());
            config.config_operation = 0;
            config.value = Some(StrBytes::from_string(value.clone()));
        }
        AlterConfigOp::Delete { name } => {
            config.name = StrBytes::from_string(name.clone());
            config.config_operation = 1;
            config.value = None;
        }
    }
    config
}

pub(super) fn with_message(context: String, message: &Option<StrBytes>) -> String {
    match message {
        Some(message) if !message.is_empty() => format!("{context} ({message})"),
        _ => context,
    }
}

fn missing(api: &'static str, name: &str) -> ClientError {
    ClientError::Decode {
        what: api,
        detail: format!("no result for {name}"),
    }
}
