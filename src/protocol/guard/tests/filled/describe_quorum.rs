//! DescribeQuorum request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::describe_quorum_request::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeQuorumRequest {
        let mut m = DescribeQuorumRequest::default();
        m.topics = vec![topic_data(v), topic_data(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn topic_data(v: i16) -> TopicData {
        let mut m = TopicData::default();
        m.topic_name = TopicName(s());
        m.partitions = vec![partition_data(v), partition_data(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn partition_data(_v: i16) -> PartitionData {
        let mut m = PartitionData::default();
        m.partition_index = 3;
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::describe_quorum_response::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeQuorumResponse {
        let mut m = DescribeQuorumResponse::default();
        m.error_code = 2;
        if v >= 2 {
            m.error_message = Some(s());
        }
        m.topics = vec![topic_data(v), topic_data(v)];
        if v >= 2 {
            m.nodes = vec![node(v), node(v)];
        }
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn topic_data(v: i16) -> TopicData {
        let mut m = TopicData::default();
        m.topic_name = TopicName(s());
        m.partitions = vec![partition_data(v), partition_data(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn partition_data(v: i16) -> PartitionData {
        let mut m = PartitionData::default();
        m.partition_index = 3;
        m.error_code = 2;
        if v >= 2 {
            m.error_message = Some(s());
        }
        m.leader_id = BrokerId(3);
        m.leader_epoch = 3;
        m.high_watermark = 4;
        m.current_voters = vec![replica_state(v), replica_state(v)];
        m.observers = vec![replica_state(v), replica_state(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn replica_state(v: i16) -> ReplicaState {
        let mut m = ReplicaState::default();
        m.replica_id = BrokerId(3);
        if v >= 2 {
            m.replica_directory_id = uuid();
        }
        m.log_end_offset = 4;
        if v >= 1 {
            m.last_fetch_timestamp = 4;
        }
        if v >= 1 {
            m.last_caught_up_timestamp = 4;
        }
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn node(v: i16) -> Node {
        let mut m = Node::default();
        if v >= 2 {
            m.node_id = BrokerId(3);
        }
        if v >= 2 {
            m.listeners = vec![listener(v), listener(v)];
        }
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn listener(v: i16) -> Listener {
        let mut m = Listener::default();
        if v >= 2 {
            m.name = s();
        }
        if v >= 2 {
            m.host = s();
        }
        if v >= 2 {
            m.port = 5;
        }
        m.unknown_tagged_fields = tags();
        m
    }
}
