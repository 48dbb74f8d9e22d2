//! BrokerHeartbeat request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::broker_heartbeat_request::*;
    use kafka_protocol::messages::BrokerId;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> BrokerHeartbeatRequest {
        let mut m = BrokerHeartbeatRequest::default();
        m.broker_id = BrokerId(3);
        m.broker_epoch = 4;
        m.current_metadata_offset = 4;
        m.want_fence = true;
        m.want_shut_down = true;
        if v >= 1 {
            m.offline_log_dirs = vec![uuid(), uuid()];
        }
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::broker_heartbeat_response::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(_v: i16) -> BrokerHeartbeatResponse {
        let mut m = BrokerHeartbeatResponse::default();
        m.throttle_time_ms = 3;
        m.error_code = 2;
        m.is_caught_up = true;
        m.is_fenced = true;
        m.should_shut_down = true;
        m.unknown_tagged_fields = tags();
        m
    }
}
