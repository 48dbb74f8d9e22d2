//! DescribeTopicPartitions request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::describe_topic_partitions_request::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeTopicPartitionsRequest {
        let mut m = DescribeTopicPartitionsRequest::default();
        m.topics = vec![topic_request(v), topic_request(v)];
        m.response_partition_limit = 3;
        m.cursor = Some(cursor(v));
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn topic_request(_v: i16) -> TopicRequest {
        let mut m = TopicRequest::default();
        m.name = TopicName(s());
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn cursor(_v: i16) -> Cursor {
        let mut m = Cursor::default();
        m.topic_name = TopicName(s());
        m.partition_index = 3;
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::describe_topic_partitions_response::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeTopicPartitionsResponse {
        let mut m = DescribeTopicPartitionsResponse::default();
        m.throttle_time_ms = 3;
        m.topics = vec![
            describe_topic_partitions_response_topic(v),
            describe_topic_partitions_response_topic(v),
        ];
        m.next_cursor = Some(cursor(v));
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn describe_topic_partitions_response_topic(
        v: i16,
    ) -> DescribeTopicPartitionsResponseTopic {
        let mut m = DescribeTopicPartitionsResponseTopic::default();
        m.error_code = 2;
        m.name = Some(TopicName(s()));
        m.topic_id = uuid();
        m.is_internal = true;
        m.partitions = vec![
            describe_topic_partitions_response_partition(v),
            describe_topic_partitions_response_partition(v),
        ];
        m.topic_authorized_operations = 3;
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn describe_topic_partitions_response_partition(
        _v: i16,
    ) -> DescribeTopicPartitionsResponsePartition {
        let mut m = DescribeTopicPartitionsResponsePartition::default();
        m.error_code = 2;
        m.partition_index = 3;
        m.leader_id = BrokerId(3);
        m.leader_epoch = 3;
        m.replica_nodes = vec![BrokerId(3), BrokerId(3)];
        m.isr_nodes = vec![BrokerId(3), BrokerId(3)];
        m.eligible_leader_replicas = Some(vec![BrokerId(3), BrokerId(3)]);
        m.last_known_elr = Some(vec![BrokerId(3), BrokerId(3)]);
        m.offline_replicas = vec![BrokerId(3), BrokerId(3)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn cursor(_v: i16) -> Cursor {
        let mut m = Cursor::default();
        m.topic_name = TopicName(s());
        m.partition_index = 3;
        m.unknown_tagged_fields = tags();
        m
    }
}
