//! ElectLeaders request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::elect_leaders_request::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ElectLeadersRequest {
        let mut m = ElectLeadersRequest::default();
        if v >= 1 {
            m.election_type = 1;
        }
        m.topic_partitions = Some(vec![topic_partitions(v), topic_partitions(v)]);
        m.timeout_ms = 3;
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn topic_partitions(v: i16) -> TopicPartitions {
        let mut m = TopicPartitions::default();
        m.topic = TopicName(s());
        m.partitions = vec![1, 2];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::elect_leaders_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ElectLeadersResponse {
        let mut m = ElectLeadersResponse::default();
        m.throttle_time_ms = 3;
        if v >= 1 {
            m.error_code = 2;
        }
        m.replica_election_results = vec![replica_election_result(v), replica_election_result(v)];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn replica_election_result(v: i16) -> ReplicaElectionResult {
        let mut m = ReplicaElectionResult::default();
        m.topic = TopicName(s());
        m.partition_result = vec![partition_result(v), partition_result(v)];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn partition_result(v: i16) -> PartitionResult {
        let mut m = PartitionResult::default();
        m.partition_id = 3;
        m.error_code = 2;
        m.error_message = Some(s());
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
