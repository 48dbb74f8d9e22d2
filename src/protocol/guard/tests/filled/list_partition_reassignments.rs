//! ListPartitionReassignments request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::list_partition_reassignments_request::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ListPartitionReassignmentsRequest {
        let mut m = ListPartitionReassignmentsRequest::default();
        m.timeout_ms = 3;
        m.topics = Some(vec![
            list_partition_reassignments_topics(v),
            list_partition_reassignments_topics(v),
        ]);
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn list_partition_reassignments_topics(_v: i16) -> ListPartitionReassignmentsTopics {
        let mut m = ListPartitionReassignmentsTopics::default();
        m.name = TopicName(s());
        m.partition_indexes = vec![1, 2];
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::list_partition_reassignments_response::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ListPartitionReassignmentsResponse {
        let mut m = ListPartitionReassignmentsResponse::default();
        m.throttle_time_ms = 3;
        m.error_code = 2;
        m.error_message = Some(s());
        m.topics = vec![ongoing_topic_reassignment(v), ongoing_topic_reassignment(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn ongoing_topic_reassignment(v: i16) -> OngoingTopicReassignment {
        let mut m = OngoingTopicReassignment::default();
        m.name = TopicName(s());
        m.partitions = vec![
            ongoing_partition_reassignment(v),
            ongoing_partition_reassignment(v),
        ];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn ongoing_partition_reassignment(_v: i16) -> OngoingPartitionReassignment {
        let mut m = OngoingPartitionReassignment::default();
        m.partition_index = 3;
        m.replicas = vec![BrokerId(3), BrokerId(3)];
        m.adding_replicas = vec![BrokerId(3), BrokerId(3)];
        m.removing_replicas = vec![BrokerId(3), BrokerId(3)];
        m.unknown_tagged_fields = tags();
        m
    }
}
