//! AlterPartitionReassignments request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::alter_partition_reassignments_request::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> AlterPartitionReassignmentsRequest {
        let mut m = AlterPartitionReassignmentsRequest::default();
        m.timeout_ms = 3;
        if v >= 1 {
            m.allow_replication_factor_change = true;
        }
        m.topics = vec![reassignable_topic(v), reassignable_topic(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn reassignable_topic(v: i16) -> ReassignableTopic {
        let mut m = ReassignableTopic::default();
        m.name = TopicName(s());
        m.partitions = vec![reassignable_partition(v), reassignable_partition(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn reassignable_partition(_v: i16) -> ReassignablePartition {
        let mut m = ReassignablePartition::default();
        m.partition_index = 3;
        m.replicas = Some(vec![BrokerId(3), BrokerId(3)]);
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::alter_partition_reassignments_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> AlterPartitionReassignmentsResponse {
        let mut m = AlterPartitionReassignmentsResponse::default();
        m.throttle_time_ms = 3;
        if v >= 1 {
            m.allow_replication_factor_change = true;
        }
        m.error_code = 2;
        m.error_message = Some(s());
        m.responses = vec![
            reassignable_topic_response(v),
            reassignable_topic_response(v),
        ];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn reassignable_topic_response(v: i16) -> ReassignableTopicResponse {
        let mut m = ReassignableTopicResponse::default();
        m.name = TopicName(s());
        m.partitions = vec![
            reassignable_partition_response(v),
            reassignable_partition_response(v),
        ];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn reassignable_partition_response(_v: i16) -> ReassignablePartitionResponse {
        let mut m = ReassignablePartitionResponse::default();
        m.partition_index = 3;
        m.error_code = 2;
        m.error_message = Some(s());
        m.unknown_tagged_fields = tags();
        m
    }
}
