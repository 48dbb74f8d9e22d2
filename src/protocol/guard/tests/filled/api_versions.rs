//! ApiVersions request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::api_versions_request::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ApiVersionsRequest {
        let mut m = ApiVersionsRequest::default();
        if v >= 3 {
            m.client_software_name = s();
        }
        if v >= 3 {
            m.client_software_version = s();
        }
        if v >= 3 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::api_versions_response::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> ApiVersionsResponse {
        let mut m = ApiVersionsResponse::default();
        m.error_code = 2;
        m.api_keys = vec![api_version(v), api_version(v)];
        if v >= 1 {
            m.throttle_time_ms = 3;
        }
        if v >= 3 {
            m.supported_features = vec![supported_feature_key(v), supported_feature_key(v)];
        }
        if v >= 3 {
            m.finalized_features_epoch = 4;
        }
        if v >= 3 {
            m.finalized_features = vec![finalized_feature_key(v), finalized_feature_key(v)];
        }
        if v >= 3 {
            m.zk_migration_ready = true;
        }
        if v >= 3 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn api_version(v: i16) -> ApiVersion {
        let mut m = ApiVersion::default();
        m.api_key = 2;
        m.min_version = 2;
        m.max_version = 2;
        if v >= 3 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn supported_feature_key(v: i16) -> SupportedFeatureKey {
        let mut m = SupportedFeatureKey::default();
        if v >= 3 {
            m.name = s();
        }
        if v >= 3 {
            m.min_version = 2;
        }
        if v >= 3 {
            m.max_version = 2;
        }
        if v >= 3 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn finalized_feature_key(v: i16) -> FinalizedFeatureKey {
        let mut m = FinalizedFeatureKey::default();
        if v >= 3 {
            m.name = s();
        }
        if v >= 3 {
            m.max_version_level = 2;
        }
        if v >= 3 {
            m.min_version_level = 2;
        }
        if v >= 3 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
