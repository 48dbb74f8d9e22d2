//! OffsetForLeaderEpoch request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::offset_for_leader_epoch_request::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> OffsetForLeaderEpochRequest {
        let mut m = OffsetForLeaderEpochRequest::default();
        if v >= 3 {
            m.replica_id = BrokerId(3);
        }
        m.topics = vec![offset_for_leader_topic(v), offset_for_leader_topic(v)];
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn offset_for_leader_topic(v: i16) -> OffsetForLeaderTopic {
        let mut m = OffsetForLeaderTopic::default();
        m.topic = TopicName(s());
        m.partitions = vec![
            offset_for_leader_partition(v),
            offset_for_leader_partition(v),
        ];
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn offset_for_leader_partition(v: i16) -> OffsetForLeaderPartition {
        let mut m = OffsetForLeaderPartition::default();
        m.partition = 3;
        m.current_leader_epoch = 3;
        m.leader_epoch = 3;
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::offset_for_leader_epoch_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> OffsetForLeaderEpochResponse {
        let mut m = OffsetForLeaderEpochResponse::default();
        m.throttle_time_ms = 3;
        m.topics = vec![
            offset_for_leader_topic_result(v),
            offset_for_leader_topic_result(v),
        ];
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn offset_for_leader_topic_result(v: i16) -> OffsetForLeaderTopicResult {
        let mut m = OffsetForLeaderTopicResult::default();
        m.topic = TopicName(s());
        m.partitions = vec![epoch_end_offset(v), epoch_end_offset(v)];
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn epoch_end_offset(v: i16) -> EpochEndOffset {
        let mut m = EpochEndOffset::default();
        m.error_code = 2;
        m.partition = 3;
        m.leader_epoch = 3;
        m.end_offset = 4;
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
