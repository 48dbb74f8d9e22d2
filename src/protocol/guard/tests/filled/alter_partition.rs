//! AlterPartition request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::alter_partition_request::*;
    use kafka_protocol::messages::BrokerId;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> AlterPartitionRequest {
        let mut m = AlterPartitionRequest::default();
        m.broker_id = BrokerId(3);
        m.broker_epoch = 4;
        m.topics = vec![topic_data(v), topic_data(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn topic_data(v: i16) -> TopicData {
        let mut m = TopicData::default();
        m.topic_id = uuid();
        m.partitions = vec![partition_data(v), partition_data(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn partition_data(v: i16) -> PartitionData {
        let mut m = PartitionData::default();
        m.partition_index = 3;
        m.leader_epoch = 3;
        if v <= 2 {
            m.new_isr = vec![BrokerId(3), BrokerId(3)];
        }
        if v >= 3 {
            m.new_isr_with_epochs = vec![broker_state(v), broker_state(v)];
        }
        m.leader_recovery_state = 1;
        m.partition_epoch = 3;
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn broker_state(v: i16) -> BrokerState {
        let mut m = BrokerState::default();
        if v >= 3 {
            m.broker_id = BrokerId(3);
        }
        if v >= 3 {
            m.broker_epoch = 4;
        }
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::alter_partition_response::*;
    use kafka_protocol::messages::BrokerId;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> AlterPartitionResponse {
        let mut m = AlterPartitionResponse::default();
        m.throttle_time_ms = 3;
        m.error_code = 2;
        m.topics = vec![topic_data(v), topic_data(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn topic_data(v: i16) -> TopicData {
        let mut m = TopicData::default();
        m.topic_id = uuid();
        m.partitions = vec![partition_data(v), partition_data(v)];
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn partition_data(_v: i16) -> PartitionData {
        let mut m = PartitionData::default();
        m.partition_index = 3;
        m.error_code = 2;
        m.leader_id = BrokerId(3);
        m.leader_epoch = 3;
        m.isr = vec![BrokerId(3), BrokerId(3)];
        m.leader_recovery_state = 1;
        m.partition_epoch = 3;
        m.unknown_tagged_fields = tags();
        m
    }
}
