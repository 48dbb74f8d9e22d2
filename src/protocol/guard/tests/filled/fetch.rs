//! Fetch request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::fetch_request::*;
    use kafka_protocol::messages::{BrokerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> FetchRequest {
        let mut m = FetchRequest::default();
        if v <= 14 {
            m.replica_id = BrokerId(3);
        }
        m.max_wait_ms = 3;
        m.min_bytes = 3;
        m.max_bytes = 3;
        m.isolation_level = 1;
        if v >= 7 {
            m.session_id = 3;
        }
        if v >= 7 {
            m.session_epoch = 3;
        }
        m.topics = vec![fetch_topic(v), fetch_topic(v)];
        if v >= 7 {
            m.forgotten_topics_data = vec![forgotten_topic(v), forgotten_topic(v)];
        }
        if v >= 11 {
            m.rack_id = s();
        }
        if v >= 12 {
            m.cluster_id = Some(s());
        }
        if v >= 15 {
            m.replica_state = replica_state(v);
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn fetch_topic(v: i16) -> FetchTopic {
        let mut m = FetchTopic::default();
        if v <= 12 {
            m.topic = TopicName(s());
        }
        if v >= 13 {
            m.topic_id = uuid();
        }
        m.partitions = vec![fetch_partition(v), fetch_partition(v)];
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn fetch_partition(v: i16) -> FetchPartition {
        let mut m = FetchPartition::default();
        m.partition = 3;
        if v >= 9 {
            m.current_leader_epoch = 3;
        }
        m.fetch_offset = 4;
        if v >= 12 {
            m.last_fetched_epoch = 3;
        }
        if v >= 5 {
            m.log_start_offset = 4;
        }
        m.partition_max_bytes = 3;
        if v >= 17 {
            m.replica_directory_id = uuid();
        }
        if v >= 18 {
            m.high_watermark = 4;
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn forgotten_topic(v: i16) -> ForgottenTopic {
        let mut m = ForgottenTopic::default();
        if (7..=12).contains(&v) {
            m.topic = TopicName(s());
        }
        if v >= 13 {
            m.topic_id = uuid();
        }
        if v >= 7 {
            m.partitions = vec![1, 2];
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn replica_state(v: i16) -> ReplicaState {
        let mut m = ReplicaState::default();
        if v >= 15 {
            m.replica_id = BrokerId(3);
        }
        if v >= 15 {
            m.replica_epoch = 4;
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::fetch_response::*;
    use kafka_protocol::messages::{BrokerId, ProducerId, TopicName};

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> FetchResponse {
        let mut m = FetchResponse::default();
        m.throttle_time_ms = 3;
        if v >= 7 {
            m.error_code = 2;
        }
        if v >= 7 {
            m.session_id = 3;
        }
        m.responses = vec![fetchable_topic_response(v), fetchable_topic_response(v)];
        if v >= 16 {
            m.node_endpoints = vec![node_endpoint(v), node_endpoint(v)];
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn fetchable_topic_response(v: i16) -> FetchableTopicResponse {
        let mut m = FetchableTopicResponse::default();
        if v <= 12 {
            m.topic = TopicName(s());
        }
        if v >= 13 {
            m.topic_id = uuid();
        }
        m.partitions = vec![partition_data(v), partition_data(v)];
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn partition_data(v: i16) -> PartitionData {
        let mut m = PartitionData::default();
        m.partition_index = 3;
        m.error_code = 2;
        m.high_watermark = 4;
        m.last_stable_offset = 4;
        if v >= 5 {
            m.log_start_offset = 4;
        }
        m.aborted_transactions = Some(vec![aborted_transaction(v), aborted_transaction(v)]);
        if v >= 11 {
            m.preferred_read_replica = BrokerId(3);
        }
        m.records = Some(b());
        if v >= 12 {
            m.diverging_epoch = epoch_end_offset(v);
        }
        if v >= 12 {
            m.current_leader = leader_id_and_epoch(v);
        }
        if v >= 12 {
            m.snapshot_id = snapshot_id(v);
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn aborted_transaction(v: i16) -> AbortedTransaction {
        let mut m = AbortedTransaction::default();
        m.producer_id = ProducerId(4);
        m.first_offset = 4;
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn epoch_end_offset(v: i16) -> EpochEndOffset {
        let mut m = EpochEndOffset::default();
        if v >= 12 {
            m.epoch = 3;
        }
        if v >= 12 {
            m.end_offset = 4;
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn leader_id_and_epoch(v: i16) -> LeaderIdAndEpoch {
        let mut m = LeaderIdAndEpoch::default();
        if v >= 12 {
            m.leader_id = BrokerId(3);
        }
        if v >= 12 {
            m.leader_epoch = 3;
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn snapshot_id(v: i16) -> SnapshotId {
        let mut m = SnapshotId::default();
        m.end_offset = 4;
        m.epoch = 3;
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn node_endpoint(v: i16) -> NodeEndpoint {
        let mut m = NodeEndpoint::default();
        if v >= 16 {
            m.node_id = BrokerId(3);
        }
        if v >= 16 {
            m.host = s();
        }
        if v >= 16 {
            m.port = 3;
        }
        if v >= 16 {
            m.rack = Some(s());
        }
        if v >= 12 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
