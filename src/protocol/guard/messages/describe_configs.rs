//! DescribeConfigs (api key 32): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`describe_configs_request.rs`,
//! `describe_configs_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 1,
    version_max: 4,
    flexible_min: Some(4),
    body: StructShape {
        fields: &[
            Shape::Array(&DESCRIBE_CONFIGS_RESOURCE), // resources
            BOOL,                                     // include_synonyms
            Shape::Versions(3, LATEST, &BOOL),        // include_documentation
        ],
        tagged: &[],
    },
};

static DESCRIBE_CONFIGS_RESOURCE: StructShape = StructShape {
    fields: &[
        INT8,         // resource_type
        STRING,       // resource_name
        STRING_ARRAY, // configuration_keys
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 1,
    version_max: 4,
    flexible_min: Some(4),
    body: StructShape {
        fields: &[
            INT32,                                  // throttle_time_ms
            Shape::Array(&DESCRIBE_CONFIGS_RESULT), // results
        ],
        tagged: &[],
    },
};

static DESCRIBE_CONFIGS_RESULT: StructShape = StructShape {
    fields: &[
        INT16,                                           // error_code
        STRING,                                          // error_message
        INT8,                                            // resource_type
        STRING,                                          // resource_name
        Shape::Array(&DESCRIBE_CONFIGS_RESOURCE_RESULT), // configs
    ],
    tagged: &[],
};

static DESCRIBE_CONFIGS_RESOURCE_RESULT: StructShape = StructShape {
    fields: &[
        STRING,                                  // name
        STRING,                                  // value
        BOOL,                                    // read_only
        INT8,                                    // config_source
        BOOL,                                    // is_sensitive
        Shape::Array(&DESCRIBE_CONFIGS_SYNONYM), // synonyms
        Shape::Versions(3, LATEST, &INT8),       // config_type
        Shape::Versions(3, LATEST, &STRING),     // documentation
    ],
    tagged: &[],
};

static DESCRIBE_CONFIGS_SYNONYM: StructShape = StructShape {
    fields: &[
        STRING, // name
        STRING, // value
        INT8,   // source
    ],
    tagged: &[],
};
