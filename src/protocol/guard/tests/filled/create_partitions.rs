//! CreatePartitions request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::create_partitions_request::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> CreatePartitionsRequest {
        let mut m = CreatePartitionsRequest::default();
        m.topics = vec![create_partitions_topic(v), create_partitions_topic(v)];
        m.timeout_ms = 3;
        m.validate_only = true;
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn create_partitions_topic(v: i16) -> CreatePartitionsTopic {
        let mut m = CreatePartitionsTopic::default();
        m.name = TopicName(s());
        m.count = 3;
        m.assignments = Some(vec![
            create_partitions_assignment(v),
            create_partitions_assignment(v),
        ]);
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn create_partitions_assignment(v: i16) -> CreatePartitionsAssignment {
        let mut m = CreatePartitionsAssignment::default();
        m.broker_ids = vec![BrokerId(3), BrokerId(3)];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::create_partitions_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> CreatePartitionsResponse {
        let mut m = CreatePartitionsResponse::default();
        m.throttle_time_ms = 3;
        m.results = vec![
            create_partitions_topic_result(v),
            create_partitions_topic_result(v),
        ];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn create_partitions_topic_result(v: i16) -> CreatePartitionsTopicResult {
        let mut m = CreatePartitionsTopicResult::default();
        m.name = TopicName(s());
        m.error_code = 2;
        m.error_message = Some(s());
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
