//! DeleteTopics request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::delete_topics_request::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DeleteTopicsRequest {
        let mut m = DeleteTopicsRequest::default();
        if v >= 6 {
            m.topics = vec![delete_topic_state(v), delete_topic_state(v)];
        }
        if v <= 5 {
            m.topic_names = vec![TopicName(s()), TopicName(s())];
        }
        m.timeout_ms = 3;
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn delete_topic_state(v: i16) -> DeleteTopicState {
        let mut m = DeleteTopicState::default();
        if v >= 6 {
            m.name = Some(TopicName(s()));
        }
        if v >= 6 {
            m.topic_id = uuid();
        }
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::delete_topics_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DeleteTopicsResponse {
        let mut m = DeleteTopicsResponse::default();
        m.throttle_time_ms = 3;
        m.responses = vec![deletable_topic_result(v), deletable_topic_result(v)];
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn deletable_topic_result(v: i16) -> DeletableTopicResult {
        let mut m = DeletableTopicResult::default();
        m.name = Some(TopicName(s()));
        if v >= 6 {
            m.topic_id = uuid();
        }
        m.error_code = 2;
        if v >= 5 {
            m.error_message = Some(s());
        }
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
