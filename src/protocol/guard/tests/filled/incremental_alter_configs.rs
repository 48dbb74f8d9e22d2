//! IncrementalAlterConfigs request and response with every field the version has filled in: two
//! elements in every array, every nullable field set, every known tagged field and one
//! unknown tag in every flexible struct.

pub mod request {
    use kafka_protocol::messages::incremental_alter_configs_request::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> IncrementalAlterConfigsRequest {
        let mut m = IncrementalAlterConfigsRequest::default();
        m.resources = vec![alter_configs_resource(v), alter_configs_resource(v)];
        m.validate_only = true;
        if v >= 1 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn alter_configs_resource(v: i16) -> AlterConfigsResource {
        let mut m = AlterConfigsResource::default();
        m.resource_type = 1;
        m.resource_name = s();
        m.configs = vec![alterable_config(v), alterable_config(v)];
        if v >= 1 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn alterable_config(v: i16) -> AlterableConfig {
        let mut m = AlterableConfig::default();
        m.name = s();
        m.config_operation = 1;
        m.value = Some(s());
        if v >= 1 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}

pub mod response {
    use kafka_protocol::messages::incremental_alter_configs_response::*;

    use crate::protocol::guard::tests::fill::*;

    pub fn message(v: i16) -> IncrementalAlterConfigsResponse {
        let mut m = IncrementalAlterConfigsResponse::default();
        m.throttle_time_ms = 3;
        m.responses = vec![
            alter_configs_resource_response(v),
            alter_configs_resource_response(v),
        ];
        if v >= 1 {
            m.unknown_tagged_fields = tags();
        }
        m
    }

    pub fn alter_configs_resource_response(v: i16) -> AlterConfigsResourceResponse {
        let mut m = AlterConfigsResourceResponse::default();
        m.error_code = 2;
        m.error_message = Some(s());
        m.resource_type = 1;
        m.resource_name = s();
        if v >= 1 {
            m.unknown_tagged_fields = tags();
        }
        m
    }
}
