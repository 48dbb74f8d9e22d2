//! Metadata changes a broker asks of the controller: create, grow and delete topics, change
//! configs. The broker checks what it can alone (names, config keys and values, whether
//! deletion is enabled), the controller decides the rest and commits it to the metadata log,
//! and the broker answers only once it has applied the committed change, so a client that
//! creates a topic and then produces to this broker finds it.

use std::time::Duration;

use super::broker::{Broker, TopicError};
use super::quorum::SubmitError;
use super::topic_name::{self, validate_topic_name};
use super::topics::TopicMeta;
use crate::core::controller::{
    ConfigResource, Controller, ControllerError, CreateTopicRequest, ElectionKind, Outcome,
    MIN_INSYNC_REPLICAS,
};
use crate::core::raft::Offset;

/// How long a change may take to commit before the caller is told its outcome is unknown
/// (Kafka's default `request.timeout.ms`).
pub const CONTROLLER_WAIT: Duration = Duration::from_secs(30);

impl Broker {
    /// Runs `operation` on the active controller and applies the committed image here.
    pub async fn submit<R>(
        &self,
        operation: impl FnOnce(&mut Controller, Offset) -> Result<Outcome<R>, ControllerError>,
    ) -> Result<R, TopicError> {
        let quorum = self
            .quorum()
            .ok_or_else(|| TopicError::Unavailable("the metadata quorum is not running".into()))?;
        match quorum.submit(operation, CONTROLLER_WAIT).await {
            Ok(reply) => {
                self.apply_image(quorum.published_image());
                Ok(reply)
            }
            Err(SubmitError::Refused(error)) => Err(TopicError::Controller(error)),
            Err(SubmitError::NotController { leader }) => Err(TopicError::NotController { leader }),
            Err(SubmitError::TooLarge { bytes, bytes_max }) => {
                Err(TopicError::Controller(ControllerError::TooManyRecords {
                    records: bytes,
                    records_max: bytes_max,
                }))
            }
            Err(SubmitError::Timeout) => Err(TopicError::Unavailable(format!(
                "the change did not commit within {} s (no controller quorum?); it may or may \
                 not take effect",
                CONTROLLER_WAIT.as_secs()
            ))),
            Err(SubmitError::Replica(error)) => Err(TopicError::Unavailable(error.to_string())),
            Err(SubmitError::Failed(reason)) => Err(TopicError::Unavailable(reason)),
        }
    }

    /// Creates a topic (or, with `validate_only`, runs every check and creates nothing).
    pub async fn create_topic(
        &self,
        request: CreateTopicRequest,
        validate_only: bool,
    ) -> Result<TopicMeta, TopicError> {
        validate_topic_name(&request.name).map_err(TopicError::InvalidName)?;
        Self::validate_topic_configs(&request.configs)?;
        let name = request.name.clone();
        let configs = request.configs.clone();
        let created = self
            .submit(move |controller, at| controller.create_topic(request, validate_only, at))
            .await?;
        if validate_only {
            return Ok(TopicMeta {
                name,
                topic_id: uuid::Uuid::from_u128(created.topic_id).to_string(),
                partitions: created.num_partitions,
                replication_factor: created.replication_factor,
                configs,
            });
        }
        if topic_name::collides_in_metrics(&name) {
            tracing::warn!(
                topic = name,
                "topic names mixing '.' and '_' collide in metrics"
            );
        }
        tracing::info!(
            topic = name,
            partitions = created.num_partitions,
            "created topic"
        );
        self.state()
            .registry
            .get(&name)
            .cloned()
            .ok_or(TopicError::UnknownTopic)
    }

    /// Deletes a topic; its logs go when the deletion is applied.
    pub async fn delete_topic(&self, name: &str) -> Result<TopicMeta, TopicError> {
        if !self.config.delete_topic_enable {
            return Err(TopicError::DeletionDisabled);
        }
        let meta = self.state().registry.get(name).cloned();
        let owned = name.to_string();
        self.submit(move |controller, at| controller.delete_topic(&owned, at))
            .await?;
        tracing::info!(topic = name, "deleted topic");
        meta.ok_or(TopicError::UnknownTopic)
    }

    /// Grows a topic to `total` partitions, on the given replicas if `assignments` names them.
    pub async fn add_partitions(
        &self,
        name: &str,
        total: i32,
        assignments: Option<Vec<Vec<i32>>>,
        validate_only: bool,
    ) -> Result<(), TopicError> {
        let owned = name.to_string();
        self.submit(move |controller, at| {
            controller.create_partitions(&owned, total, assignments, validate_only, at)
        })
        .await
    }

    /// Runs one leader election (ElectLeaders) on `topic`/`partition`.
    pub async fn elect_leader(
        &self,
        kind: ElectionKind,
        topic: &str,
        partition: i32,
    ) -> Result<(), TopicError> {
        let owned = topic.to_string();
        self.submit(move |controller, at| controller.elect_leader(kind, &owned, partition, at))
            .await
    }

    /// Starts (`Some(target)`) or cancels (`None`) the reassignment of one partition.
    pub async fn alter_reassignment(
        &self,
        topic: &str,
        partition: i32,
        target: Option<Vec<i32>>,
    ) -> Result<(), TopicError> {
        let owned = topic.to_string();
        self.submit(move |controller, at| {
            controller.alter_reassignment(&owned, partition, target, at)
        })
        .await
    }

    /// Sets (`Some`) or removes (`None`) configs of one resource.
    pub async fn alter_configs(
        &self,
        resource: ConfigResource,
        changes: Vec<(String, Option<String>)>,
    ) -> Result<(), TopicError> {
        self.submit(move |controller, at| controller.alter_configs(resource, changes, at))
            .await
    }

    /// Imports the topics and dynamic configs of a pre-quorum `weir-metadata.json`, keeping
    /// their ids, onto this broker. Topics the metadata already names are left alone.
    pub async fn import_legacy(
        &self,
        legacy: super::topics::LegacyRegistry,
    ) -> Result<usize, TopicError> {
        let node_id = self.config.node_id;
        let mut imported = 0;
        for topic in legacy.topics {
            if self.state().registry.get(&topic.name).is_some() {
                continue;
            }
            let topic_id = topic.uuid().as_u128();
            let request = CreateTopicRequest {
                name: topic.name.clone(),
                num_partitions: -1,
                replication_factor: -1,
                assignments: (0..topic.partitions).map(|p| (p, vec![node_id])).collect(),
                configs: topic.configs.clone(),
            };
            self.submit(move |controller, at| controller.import_topic(request, topic_id, at))
                .await?;
            imported += 1;
        }
        let mut dynamic = legacy.dynamic;
        // A broker's own min.insync.replicas is refused while eligible leader replicas are on:
        // it moves to the cluster-wide default unless one is set, as Kafka moves it when ELR
        // is enabled.
        if let Some(min_isr) = dynamic.broker.remove(MIN_INSYNC_REPLICAS) {
            (dynamic.cluster_default)
                .entry(MIN_INSYNC_REPLICAS.to_string())
                .or_insert(min_isr);
        }
        let resources = [
            (String::new(), dynamic.cluster_default),
            (node_id.to_string(), dynamic.broker),
        ];
        for (name, values) in resources {
            let changes: Vec<(String, Option<String>)> =
                values.into_iter().map(|(k, v)| (k, Some(v))).collect();
            if !changes.is_empty() {
                self.alter_configs(ConfigResource::Broker(name), changes)
                    .await?;
            }
        }
        Ok(imported)
    }
}
