//! The cluster as Metadata describes it: brokers (with their advertised addresses), topics,
//! partitions, leaders, replicas and ISRs.
//!
//! Plain data with `BTreeMap`s, so that listing topics or brokers is always in the same order.

use std::collections::BTreeMap;

use kafka_protocol::messages::MetadataResponse;

/// A broker as advertised in Metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// `host:port` to connect to; IPv6 literals get brackets.
    pub fn addr(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: i32,
    pub error_code: i16,
    /// -1 when there is no leader.
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// One topic and its partitions, sorted by partition index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub error_code: i16,
    pub is_internal: bool,
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// The partition with index `partition`, if the topic has it.
    pub fn partition(&self, partition: i32) -> Option<&PartitionInfo> {
        self.partitions.iter().find(|p| p.partition == partition)
    }
}

/// What the client knows about the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterMetadata {
    pub cluster_id: Option<String>,
    pub controller_id: i32,
    pub brokers: BTreeMap<i32, BrokerInfo>,
    pub topics: BTreeMap<String, TopicInfo>,
}

impl ClusterMetadata {
    /// Builds the picture from one Metadata response.
    pub fn from_response(response: &MetadataResponse) -> Self {
        let brokers = response
            .brokers
            .iter()
            .map(|broker| {
                let info = BrokerInfo {
                    node_id: broker.node_id.0,
                    host: broker.host.to_string(),
                    port: broker.port,
                    rack: broker.rack.as_ref().map(|rack| rack.to_string()),
                };
                (info.node_id, info)
            })
            .collect();
        let topics = response
            .topics
            .iter()
            .filter_map(|topic| {
                let name = topic.name.as_ref()?.0.to_string();
                let mut partitions: Vec<PartitionInfo> = topic
                    .partitions
                    .iter()
                    .map(|p| PartitionInfo {
                        partition: p.partition_index,
                        error_code: p.error_code,
                        leader: p.leader_id.0,
                        leader_epoch: p.leader_epoch,
                        replicas: p.replica_nodes.iter().map(|id| id.0).collect(),
                        isr: p.isr_nodes.iter().map(|id| id.0).collect(),
                        offline_replicas: p.offline_replicas.iter().map(|id| id.0).collect(),
                    })
                    .collect();
                partitions.sort_by_key(|p| p.partition);
                let info = TopicInfo {
                    name: name.clone(),
                    error_code: topic.error_code,
                    is_internal: topic.is_internal,
                    partitions,
                };
                Some((name, info))
            })
            .collect();
        Self {
            cluster_id: response.cluster_id.as_ref().map(|id| id.to_string()),
            controller_id: response.controller_id.0,
            brokers,
            topics,
        }
    }

    /// Folds a newer response in: brokers are replaced, listed topics are replaced (or
    /// removed when the broker no longer knows them), other topics are kept. With
    /// `all_topics`, topics missing from `newer` are dropped.
    pub fn merge(&mut self, newer: ClusterMetadata, all_topics: bool) {
        self.cluster_id = newer.cluster_id;
        self.controller_id = newer.controller_id;
        if !newer.brokers.is_empty() {
            self.brokers = newer.brokers;
        }
        if all_topics {
            self.topics.clear();
        }
        for (name, topic) in newer.topics {
            if topic.error_code == 0 {
                self.topics.insert(name, topic);
            } else {
                self.topics.remove(&name);
            }
        }
    }

    /// The leader of a partition, if known and present.
    pub fn leader(&self, topic: &str, partition: i32) -> Option<i32> {
        let leader = self.topics.get(topic)?.partition(partition)?.leader;
        (leader >= 0).then_some(leader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_hosts_get_brackets() {
        let broker = BrokerInfo {
            node_id: 1,
            host: "::1".into(),
            port: 9092,
            rack: None,
        };
        assert_eq!(broker.addr(), "[::1]:9092");
        let broker = BrokerInfo {
            host: "localhost".into(),
            ..broker
        };
        assert_eq!(broker.addr(), "localhost:9092");
    }
}
