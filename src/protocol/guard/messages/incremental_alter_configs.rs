//! IncrementalAlterConfigs (api key 44): the request and response layouts `kafka-protocol` 0.18
//! decodes, transcribed from its generated decoders (`incremental_alter_configs_request.rs`,
//! `incremental_alter_configs_response.rs`): one static per struct, named after it, fields in wire
//! order, each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them
//! against every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 1,
    flexible_min: Some(1),
    body: StructShape {
        fields: &[
            Shape::Array(&ALTER_CONFIGS_RESOURCE), // resources
            BOOL,                                  // validate_only
        ],
        tagged: &[],
    },
};

static ALTER_CONFIGS_RESOURCE: StructShape = StructShape {
    fields: &[
        INT8,                            // resource_type
        STRING,                          // resource_name
        Shape::Array(&ALTERABLE_CONFIG), // configs
    ],
    tagged: &[],
};

static ALTERABLE_CONFIG: StructShape = StructShape {
    fields: &[
        STRING, // name
        INT8,   // config_operation
        STRING, // value
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 1,
    flexible_min: Some(1),
    body: StructShape {
        fields: &[
            INT32,                                          // throttle_time_ms
            Shape::Array(&ALTER_CONFIGS_RESOURCE_RESPONSE), // responses
        ],
        tagged: &[],
    },
};

static ALTER_CONFIGS_RESOURCE_RESPONSE: StructShape = StructShape {
    fields: &[
        INT16,  // error_code
        STRING, // error_message
        INT8,   // resource_type
        STRING, // resource_name
    ],
    tagged: &[],
};
