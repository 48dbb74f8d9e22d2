//! BrokerRegistration request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::broker_registration_request::*;
    use kafka_protocol::messages::BrokerId;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> BrokerRegistrationRequest {
        let mut m = BrokerRegistrationRequest::default();
        m.broker_id = BrokerId(3);
        m.cluster_id = s();
        m.incarnation_id = uuid();
        m.listeners = vec![listener(v), listener(v)];
        m.features = vec![feature(v), feature(v)];
        m.rack = Some(s());
        if v >= 1 {
            m.is_migrating_zk_broker = true;
        }
        if v >= 2 {
            m.log_dirs = vec![uuid(), uuid()];
        }
        if v >= 3 {
            m.previous_broker_epoch = 4;
        }
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn listener(_v: i16) -> Listener {
        let mut m = Listener::default();
        m.name = s();
        m.host = s();
        m.port = 5;
        m.security_protocol = 2;
        m.unknown_tagged_fields = tags();
        m
    }

    pub fn feature(_v: i16) -> Feature {
        let mut m = Feature::default();
        m.name = s();
        m.min_supported_version = 2;
        m.max_supported_version = 2;
        m.unknown_tagged_fields = tags();
        m
    }
}

pub mod response {
    use kafka_protocol::messages::broker_registration_response::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(_v: i16) -> BrokerRegistrationResponse {
        let mut m = BrokerRegistrationResponse::default();
        m.throttle_time_ms = 3;
        m.error_code = 2;
        m.broker_epoch = 4;
        m.unknown_tagged_fields = tags();
        m
    }
}
