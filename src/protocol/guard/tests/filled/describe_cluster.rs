//! DescribeCluster request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::describe_cluster_request::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeClusterRequest {
        let mut m = DescribeClusterRequest::default();
        m.include_cluster_authorized_operations = true;
        if v >= 1 {
            m.endpoint_type = 1;
        }
        if v >= 2 {
            m.include_fenced_brokers = true;
        }
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::describe_cluster_response::*;
    use kafka_protocol::messages::BrokerId;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeClusterResponse {
        let mut m = DescribeClusterResponse::default();
        m.throttle_time_ms = 3;
        m.error_code = 2;
        m.error_message = Some(s());
        if v >= 1 {
            m.endpoint_type = 1;
        }
        m.cluster_id = s();
        m.controller_id = BrokerId(3);
        m.brokers = vec![describe_cluster_broker(v), describe_cluster_broker(v)];
        m.cluster_authorized_operations = 3;
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn describe_cluster_broker(v: i16) -> DescribeClusterBroker {
        let mut m = DescribeClusterBroker::default();
        m.broker_id = BrokerId(3);
        m.host = s();
        m.port = 3;
        m.rack = Some(s());
        if v >= 2 {
            m.is_fenced = true;
        }
        m.unknown_tagged_fields = tags();
        m
    }
}
