//! Metadata (key 3): brokers, topics, partitions and their leaders, from the metadata image
//! this broker last applied. Brokers are the unfenced ones, each at its endpoint for the
//! listener the request came in on. Unknown topics are created on request when
//! `auto.create.topics.enable` is on and the client allows it (v4+), as client test suites
//! expect.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::ResponseError;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::{ApiKey, CreateTopicsRequest, CreateTopicsResponse};

use super::{forward, str_bytes, RequestContext};
use crate::core::controller::{
    ControllerError, CreateTopicRequest, MetadataImage, PartitionRegistration, TopicImage,
    NO_LEADER,
};
use crate::server::broker::TopicError;
use crate::server::errors;

/// The CreateTopics version auto-creation forwards at (served by every controller).
const AUTO_CREATE_VERSION: i16 = 4;
/// How long an auto-created topic may take to show in this broker's image before the client
/// is told to retry.
const AUTO_CREATE_VISIBLE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn handle(ctx: &RequestContext, request: MetadataRequest) -> MetadataResponse {
    let topics = match request.topics {
        None => all_topics(&ctx.broker.image()),
        // v0 cannot send null: there, an empty list is the request for every topic.
        Some(requested) if requested.is_empty() && ctx.version() == 0 => {
            all_topics(&ctx.broker.image())
        }
        Some(requested) => {
            // v0 has no auto-creation flag: the broker setting alone decides, as in Kafka.
            let allow = ctx.version() < 4 || request.allow_auto_topic_creation;
            let mut topics = Vec::with_capacity(requested.len());
            for topic in requested {
                // A non-zero id wins over the name, as in Kafka: the Java AdminClient's
                // describeTopics(TopicCollection.ofTopicIds(..)) sends an empty name beside it.
                topics.push(match topic.name {
                    Some(name) if topic.topic_id.is_nil() => {
                        by_name(ctx, name.0.as_str(), allow).await
                    }
                    _ => by_id(&ctx.broker.image(), topic.topic_id),
                });
            }
            topics
        }
    };
    let image = ctx.broker.image();
    let brokers = live_brokers(ctx, &image)
        .into_iter()
        .map(|b| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(b.id))
                .with_host(str_bytes(b.host))
                .with_port(i32::from(b.port))
                .with_rack(b.rack.map(str_bytes))
        })
        .collect();
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(str_bytes(ctx.broker.cluster_id.clone())))
        .with_controller_id(BrokerId(controller_id(ctx, &image)))
        .with_topics(topics)
}

/// One broker as clients should dial it.
pub(super) struct LiveBroker {
    pub id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
    /// The controller has fenced it (listed only when asked for, see [`brokers`]).
    pub fenced: bool,
}

/// The unfenced brokers, each at its endpoint for the listener this request arrived on. This
/// broker is always listed (at the address it advertises), even in the moment before its own
/// registration shows in the image, so a client never sees an empty cluster from it.
pub(super) fn live_brokers(ctx: &RequestContext, image: &MetadataImage) -> Vec<LiveBroker> {
    brokers(ctx, image, false)
}

/// [`live_brokers`], plus (`include_fenced`) the registered brokers the controller has fenced,
/// marked so (DescribeCluster v2). This broker is marked fenced if the image says it is.
pub(super) fn brokers(
    ctx: &RequestContext,
    image: &MetadataImage,
    include_fenced: bool,
) -> Vec<LiveBroker> {
    let node_id = ctx.broker.config.node_id;
    let listener = &ctx.advertised.name;
    let mut brokers: Vec<LiveBroker> = image
        .brokers
        .values()
        .filter(|b| (include_fenced || !b.fenced) && b.broker_id != node_id)
        .filter_map(|b| {
            let endpoint = b.endpoints.iter().find(|e| &e.listener == listener)?;
            Some(LiveBroker {
                id: b.broker_id,
                host: endpoint.host.clone(),
                port: endpoint.port,
                rack: b.rack.clone(),
                fenced: b.fenced,
            })
        })
        .collect();
    let own = image.brokers.get(&node_id);
    brokers.push(LiveBroker {
        id: node_id,
        host: ctx.advertised.host.clone(),
        port: ctx.advertised.port,
        rack: own.and_then(|b| b.rack.clone()),
        fenced: include_fenced && own.is_some_and(|b| b.fenced),
    });
    brokers.sort_by_key(|b| b.id);
    brokers
}

/// The controller id clients are told. Clients cannot reach KRaft controllers, so, as Kafka
/// does, they are given a live broker, which forwards what they send: the active controller
/// itself when it is also a live broker, else the lowest live broker.
pub(super) fn controller_id(ctx: &RequestContext, image: &MetadataImage) -> i32 {
    let node_id = ctx.broker.config.node_id;
    let leader = ctx.broker.quorum().and_then(|quorum| quorum.leadership().0);
    let live = |id: i32| id == node_id || image.brokers.get(&id).is_some_and(|b| !b.fenced);
    match leader {
        Some(leader) if live(leader) => leader,
        _ => live_brokers(ctx, image).first().map_or(node_id, |b| b.id),
    }
}

fn all_topics(image: &MetadataImage) -> Vec<MetadataResponseTopic> {
    image
        .topics
        .values()
        .map(|topic| described(image, topic))
        .collect()
}

async fn by_name(
    ctx: &RequestContext,
    name: &str,
    allow_auto_create: bool,
) -> MetadataResponseTopic {
    let image = ctx.broker.image();
    if let Some(topic) = image.topic_by_name(name) {
        return described(&image, topic);
    }
    if !(allow_auto_create && ctx.broker.config.auto_create_topics_enable) {
        return failed(name, ResponseError::UnknownTopicOrPartition);
    }
    let request = CreateTopicRequest {
        name: name.to_string(),
        num_partitions: -1,
        replication_factor: -1,
        assignments: Default::default(),
        configs: Default::default(),
    };
    match ctx.broker.create_topic(request, false).await {
        Ok(_) | Err(TopicError::Controller(ControllerError::TopicExists { .. })) => {}
        Err(TopicError::NotController { .. }) => {
            // Kafka's AutoTopicCreationManager: the controller is elsewhere, ask it there.
            let create = CreateTopicsRequest::default()
                .with_topics(vec![CreatableTopic::default()
                    .with_name(TopicName(str_bytes(name)))
                    .with_num_partitions(-1)
                    .with_replication_factor(-1)])
                .with_timeout_ms(30_000);
            let key = ApiKey::CreateTopics;
            let forwarded: Option<CreateTopicsResponse> =
                forward::to_controller_at(ctx, key, AUTO_CREATE_VERSION, &create).await;
            let code = (forwarded.as_ref())
                .and_then(|r| r.topics.first())
                .map_or(ResponseError::LeaderNotAvailable.code(), |t| t.error_code);
            let created = code == 0 || code == ResponseError::TopicAlreadyExists.code();
            if !created {
                let error = ResponseError::try_from_code(code);
                return failed(name, error.unwrap_or(ResponseError::LeaderNotAvailable));
            }
            let visible = |image: &MetadataImage| image.topic_ids.contains_key(name);
            ctx.broker
                .wait_image(visible, AUTO_CREATE_VISIBLE_WAIT)
                .await;
        }
        Err(error) => return failed(name, errors::topic_error(&error)),
    }
    // Created here, at the controller, or by another connection a moment ago: answer from
    // the image (a client retries LEADER_NOT_AVAILABLE until this broker has caught up).
    let image = ctx.broker.image();
    match image.topic_by_name(name) {
        Some(topic) => described(&image, topic),
        None => failed(name, ResponseError::LeaderNotAvailable),
    }
}

fn by_id(image: &MetadataImage, topic_id: uuid::Uuid) -> MetadataResponseTopic {
    match image.topics.get(&topic_id.as_u128()) {
        Some(topic) => described(image, topic),
        None => MetadataResponseTopic::default()
            .with_topic_id(topic_id)
            .with_error_code(ResponseError::UnknownTopicId.code()),
    }
}

/// One partition as clients are told about it, for Metadata and DescribeTopicPartitions.
pub(super) struct PartitionView<'a> {
    pub index: i32,
    /// LEADER_NOT_AVAILABLE while the partition has no leader, else 0.
    pub error_code: i16,
    pub partition: &'a PartitionRegistration,
    /// Replicas on brokers that are fenced or not registered.
    pub offline: Vec<BrokerId>,
}

pub(super) fn partition_views<'a>(
    image: &'a MetadataImage,
    topic: &'a TopicImage,
) -> impl Iterator<Item = PartitionView<'a>> {
    let live = |r: i32| image.brokers.get(&r).is_some_and(|b| !b.fenced);
    topic
        .partitions
        .iter()
        .map(move |(&index, partition)| PartitionView {
            index,
            error_code: if partition.leader == NO_LEADER {
                ResponseError::LeaderNotAvailable.code()
            } else {
                0
            },
            partition,
            offline: broker_ids(partition.replicas.iter().copied().filter(|&r| !live(r))),
        })
}

pub(super) fn broker_ids(ids: impl IntoIterator<Item = i32>) -> Vec<BrokerId> {
    ids.into_iter().map(BrokerId).collect()
}

fn described(image: &MetadataImage, topic: &TopicImage) -> MetadataResponseTopic {
    let partitions = partition_views(image, topic)
        .map(|view| {
            MetadataResponsePartition::default()
                .with_error_code(view.error_code)
                .with_partition_index(view.index)
                .with_leader_id(BrokerId(view.partition.leader))
                .with_leader_epoch(view.partition.leader_epoch)
                .with_replica_nodes(broker_ids(view.partition.replicas.iter().copied()))
                .with_isr_nodes(broker_ids(view.partition.isr.iter().copied()))
                .with_offline_replicas(view.offline)
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(topic.name.clone()))))
        .with_topic_id(uuid::Uuid::from_u128(topic.topic_id))
        .with_partitions(partitions)
}

fn failed(name: &str, error: ResponseError) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(name))))
        .with_error_code(error.code())
}
