//! Produce request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::produce_request::*;
    use kafka_protocol::messages::{TopicName, TransactionalId};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ProduceRequest {
        let mut m = ProduceRequest::default();
        m.transactional_id = Some(TransactionalId(s()));
        m.acks = 2;
        m.timeout_ms = 3;
        m.topic_data = vec![topic_produce_data(v), topic_produce_data(v)];
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn topic_produce_data(v: i16) -> TopicProduceData {
        let mut m = TopicProduceData::default();
        if v <= 12 {
            m.name = TopicName(s());
        }
        if v >= 13 {
            m.topic_id = uuid();
        }
        m.partition_data = vec![partition_produce_data(v), partition_produce_data(v)];
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn partition_produce_data(v: i16) -> PartitionProduceData {
        let mut m = PartitionProduceData::default();
        m.index = 3;
        m.records = Some(b());
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::produce_response::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ProduceResponse {
        let mut m = ProduceResponse::default();
        m.responses = vec![topic_produce_response(v), topic_produce_response(v)];
        m.throttle_time_ms = 3;
        if v >= 10 {
            m.node_endpoints = vec![node_endpoint(v), node_endpoint(v)];
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn topic_produce_response(v: i16) -> TopicProduceResponse {
        let mut m = TopicProduceResponse::default();
        if v <= 12 {
            m.name = TopicName(s());
        }
        if v >= 13 {
            m.topic_id = uuid();
        }
        m.partition_responses = vec![partition_produce_response(v), partition_produce_response(v)];
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn partition_produce_response(v: i16) -> PartitionProduceResponse {
        let mut m = PartitionProduceResponse::default();
        m.index = 3;
        m.error_code = 2;
        m.base_offset = 4;
        m.log_append_time_ms = 4;
        if v >= 5 {
            m.log_start_offset = 4;
        }
        if v >= 8 {
            m.record_errors = vec![
                batch_index_and_error_message(v),
                batch_index_and_error_message(v),
            ];
        }
        if v >= 8 {
            m.error_message = Some(s());
        }
        if v >= 10 {
            m.current_leader = leader_id_and_epoch(v);
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn batch_index_and_error_message(v: i16) -> BatchIndexAndErrorMessage {
        let mut m = BatchIndexAndErrorMessage::default();
        if v >= 8 {
            m.batch_index = 3;
        }
        if v >= 8 {
            m.batch_index_error_message = Some(s());
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn leader_id_and_epoch(v: i16) -> LeaderIdAndEpoch {
        let mut m = LeaderIdAndEpoch::default();
        if v >= 10 {
            m.leader_id = BrokerId(3);
        }
        if v >= 10 {
            m.leader_epoch = 3;
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn node_endpoint(v: i16) -> NodeEndpoint {
        let mut m = NodeEndpoint::default();
        if v >= 10 {
            m.node_id = BrokerId(3);
        }
        if v >= 10 {
            m.host = s();
        }
        if v >= 10 {
            m.port = 3;
        }
        if v >= 10 {
            m.rack = Some(s());
        }
        if v >= 9 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
