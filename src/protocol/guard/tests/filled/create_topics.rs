//! CreateTopics request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::create_topics_request::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> CreateTopicsRequest {
        let mut m = CreateTopicsRequest::default();
        m.topics = vec![creatable_topic(v), creatable_topic(v)];
        m.timeout_ms = 3;
        m.validate_only = true;
        if v >= 5 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn creatable_topic(v: i16) -> CreatableTopic {
        let mut m = CreatableTopic::default();
        m.name = TopicName(s());
        m.num_partitions = 3;
        m.replication_factor = 2;
        m.assignments = vec![
            creatable_replica_assignment(v),
            creatable_replica_assignment(v),
        ];
        m.configs = vec![creatable_topic_config(v), creatable_topic_config(v)];
        if v >= 5 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn creatable_replica_assignment(v: i16) -> CreatableReplicaAssignment {
        let mut m = CreatableReplicaAssignment::default();
        m.partition_index = 3;
        m.broker_ids = vec![BrokerId(3), BrokerId(3)];
        if v >= 5 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn creatable_topic_config(v: i16) -> CreatableTopicConfig {
        let mut m = CreatableTopicConfig::default();
        m.name = s();
        m.value = Some(s());
        if v >= 5 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::create_topics_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> CreateTopicsResponse {
        let mut m = CreateTopicsResponse::default();
        m.throttle_time_ms = 3;
        m.topics = vec![creatable_topic_result(v), creatable_topic_result(v)];
        if v >= 5 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn creatable_topic_result(v: i16) -> CreatableTopicResult {
        let mut m = CreatableTopicResult::default();
        m.name = TopicName(s());
        if v >= 7 {
            m.topic_id = uuid();
        }
        m.error_code = 2;
        m.error_message = Some(s());
        if v >= 5 {
            m.num_partitions = 3;
        }
        if v >= 5 {
            m.replication_factor = 2;
        }
        if v >= 5 {
            m.configs = Some(vec![creatable_topic_configs(v), creatable_topic_configs(v)]);
        }
        if v >= 5 {
            m.topic_config_error_code = 2;
        }
        if v >= 5 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn creatable_topic_configs(v: i16) -> CreatableTopicConfigs {
        let mut m = CreatableTopicConfigs::default();
        if v >= 5 {
            m.name = s();
        }
        if v >= 5 {
            m.value = Some(s());
        }
        if v >= 5 {
            m.read_only = true;
        }
        if v >= 5 {
            m.config_source = 1;
        }
        if v >= 5 {
            m.is_sensitive = true;
        }
        if v >= 5 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
