//! DescribeLogDirs request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::describe_log_dirs_request::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeLogDirsRequest {
        let mut m = DescribeLogDirsRequest::default();
        m.topics = Some(vec![
            describable_log_dir_topic(v),
            describable_log_dir_topic(v),
        ]);
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describable_log_dir_topic(v: i16) -> DescribableLogDirTopic {
        let mut m = DescribableLogDirTopic::default();
        m.topic = TopicName(s());
        m.partitions = vec![1, 2];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::describe_log_dirs_response::*;
    use kafka_protocol::messages::TopicName;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeLogDirsResponse {
        let mut m = DescribeLogDirsResponse::default();
        m.throttle_time_ms = 3;
        if v >= 3 {
            m.error_code = 2;
        }
        m.results = vec![describe_log_dirs_result(v), describe_log_dirs_result(v)];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describe_log_dirs_result(v: i16) -> DescribeLogDirsResult {
        let mut m = DescribeLogDirsResult::default();
        m.error_code = 2;
        m.log_dir = s();
        m.topics = vec![describe_log_dirs_topic(v), describe_log_dirs_topic(v)];
        if v >= 4 {
            m.total_bytes = 4;
        }
        if v >= 4 {
            m.usable_bytes = 4;
        }
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describe_log_dirs_topic(v: i16) -> DescribeLogDirsTopic {
        let mut m = DescribeLogDirsTopic::default();
        m.name = TopicName(s());
        m.partitions = vec![
            describe_log_dirs_partition(v),
            describe_log_dirs_partition(v),
        ];
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describe_log_dirs_partition(v: i16) -> DescribeLogDirsPartition {
        let mut m = DescribeLogDirsPartition::default();
        m.partition_index = 3;
        m.partition_size = 4;
        m.offset_lag = 4;
        m.is_future_key = true;
        if v >= 2 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
