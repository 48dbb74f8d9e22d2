//! DescribeConfigs request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::describe_configs_request::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeConfigsRequest {
        let mut m = DescribeConfigsRequest::default();
        m.resources = vec![describe_configs_resource(v), describe_configs_resource(v)];
        m.include_synonyms = true;
        if v >= 3 {
            m.include_documentation = true;
        }
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describe_configs_resource(v: i16) -> DescribeConfigsResource {
        let mut m = DescribeConfigsResource::default();
        m.resource_type = 1;
        m.resource_name = s();
        m.configuration_keys = Some(vec![s(), s()]);
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::describe_configs_response::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> DescribeConfigsResponse {
        let mut m = DescribeConfigsResponse::default();
        m.throttle_time_ms = 3;
        m.results = vec![describe_configs_result(v), describe_configs_result(v)];
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describe_configs_result(v: i16) -> DescribeConfigsResult {
        let mut m = DescribeConfigsResult::default();
        m.error_code = 2;
        m.error_message = Some(s());
        m.resource_type = 1;
        m.resource_name = s();
        m.configs = vec![
            describe_configs_resource_result(v),
            describe_configs_resource_result(v),
        ];
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describe_configs_resource_result(v: i16) -> DescribeConfigsResourceResult {
        let mut m = DescribeConfigsResourceResult::default();
        m.name = s();
        m.value = Some(s());
        m.read_only = true;
        m.config_source = 1;
        m.is_sensitive = true;
        m.synonyms = vec![describe_configs_synonym(v), describe_configs_synonym(v)];
        if v >= 3 {
            m.config_type = 1;
        }
        if v >= 3 {
            m.documentation = Some(s());
        }
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn describe_configs_synonym(v: i16) -> DescribeConfigsSynonym {
        let mut m = DescribeConfigsSynonym::default();
        m.name = s();
        m.value = Some(s());
        m.source = 1;
        if v >= 4 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
