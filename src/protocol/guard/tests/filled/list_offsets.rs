//! ListOffsets request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::list_offsets_request::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ListOffsetsRequest {
        let mut m = ListOffsetsRequest::default();
        m.replica_id = BrokerId(3);
        if v >= 2 {
            m.isolation_level = 1;
        }
        m.topics = vec![list_offsets_topic(v), list_offsets_topic(v)];
        if v >= 10 {
            m.timeout_ms = 3;
        }
        if v >= 6 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn list_offsets_topic(v: i16) -> ListOffsetsTopic {
        let mut m = ListOffsetsTopic::default();
        m.name = TopicName(s());
        m.partitions = vec![list_offsets_partition(v), list_offsets_partition(v)];
        if v >= 6 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn list_offsets_partition(v: i16) -> ListOffsetsPartition {
        let mut m = ListOffsetsPartition::default();
        m.partition_index = 3;
        if v >= 4 {
            m.current_leader_epoch = 3;
        }
        m.timestamp = 4;
        if v >= 6 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::list_offsets_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ListOffsetsResponse {
        let mut m = ListOffsetsResponse::default();
        if v >= 2 {
            m.throttle_time_ms = 3;
        }
        m.topics = vec![
            list_offsets_topic_response(v),
            list_offsets_topic_response(v),
        ];
        if v >= 6 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn list_offsets_topic_response(v: i16) -> ListOffsetsTopicResponse {
        let mut m = ListOffsetsTopicResponse::default();
        m.name = TopicName(s());
        m.partitions = vec![
            list_offsets_partition_response(v),
            list_offsets_partition_response(v),
        ];
        if v >= 6 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn list_offsets_partition_response(v: i16) -> ListOffsetsPartitionResponse {
        let mut m = ListOffsetsPartitionResponse::default();
        m.partition_index = 3;
        m.error_code = 2;
        m.timestamp = 4;
        m.offset = 4;
        if v >= 4 {
            m.leader_epoch = 3;
        }
        if v >= 6 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
