//! Metadata request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::metadata_request::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> MetadataRequest {
        let mut m = MetadataRequest::default();
        m.topics = Some(vec![metadata_request_topic(v), metadata_request_topic(v)]);
        if v >= 4 {
            m.allow_auto_topic_creation = true;
        }
        if (8..=10).contains(&v) {
            m.include_cluster_authorized_operations = true;
        }
        if v >= 8 {
            m.include_topic_authorized_operations = true;
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn metadata_request_topic(v: i16) -> MetadataRequestTopic {
        let mut m = MetadataRequestTopic::default();
        if v >= 10 {
            m.topic_id = uuid();
        }
        m.name = Some(TopicName(s()));
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::metadata_response::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> MetadataResponse {
        let mut m = MetadataResponse::default();
        if v >= 3 {
            m.throttle_time_ms = 3;
        }
        m.brokers = vec![metadata_response_broker(v), metadata_response_broker(v)];
        if v >= 2 {
            m.cluster_id = Some(s());
        }
        if v >= 1 {
            m.controller_id = BrokerId(3);
        }
        m.topics = vec![metadata_response_topic(v), metadata_response_topic(v)];
        if (8..=10).contains(&v) {
            m.cluster_authorized_operations = 3;
        }
        if v >= 13 {
            m.error_code = 2;
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn metadata_response_broker(v: i16) -> MetadataResponseBroker {
        let mut m = MetadataResponseBroker::default();
        m.node_id = BrokerId(3);
        m.host = s();
        m.port = 3;
        if v >= 1 {
            m.rack = Some(s());
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn metadata_response_topic(v: i16) -> MetadataResponseTopic {
        let mut m = MetadataResponseTopic::default();
        m.error_code = 2;
        m.name = Some(TopicName(s()));
        if v >= 10 {
            m.topic_id = uuid();
        }
        if v >= 1 {
            m.is_internal = true;
        }
        m.partitions = vec![
            metadata_response_partition(v),
            metadata_response_partition(v),
        ];
        if v >= 8 {
            m.topic_authorized_operations = 3;
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn metadata_response_partition(v: i16) -> MetadataResponsePartition {
        let mut m = MetadataResponsePartition::default();
        m.error_code = 2;
        m.partition_index = 3;
        m.leader_id = BrokerId(3);
        if v >= 7 {
            m.leader_epoch = 3;
        }
        m.replica_nodes = vec![BrokerId(3), BrokerId(3)];
        m.isr_nodes = vec![BrokerId(3), BrokerId(3)];
        if v >= 5 {
            m.offline_replicas = vec![BrokerId(3), BrokerId(3)];
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
