//! ApiVersions (api key 18): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`api_versions_request.rs`, `api_versions_response.rs`):
//! one static per struct, named after it, fields in wire order, each present in the versions its
//! decoder reads it. `guard/tests/shapes.rs` checks them against every version `kafka-protocol`
//! encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 4,
    flexible_min: Some(3),
    body: StructShape {
        fields: &[
            Shape::Versions(3, LATEST, &STRING), // client_software_name
            Shape::Versions(3, LATEST, &STRING), // client_software_version
        ],
        tagged: &[],
    },
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 4,
    flexible_min: Some(3),
    body: StructShape {
        fields: &[
            INT16,                              // error_code
            Shape::Array(&API_VERSION),         // api_keys
            Shape::Versions(1, LATEST, &INT32), // throttle_time_ms
        ],
        tagged: &[
            (0, Shape::Array(&SUPPORTED_FEATURE_KEY)), // supported_features
            (1, INT64),                                // finalized_features_epoch
            (2, Shape::Array(&FINALIZED_FEATURE_KEY)), // finalized_features
            (3, BOOL),                                 // zk_migration_ready
        ],
    },
};

static API_VERSION: StructShape = StructShape {
    fields: &[
        INT16, // api_key
        INT16, // min_version
        INT16, // max_version
    ],
    tagged: &[],
};

static SUPPORTED_FEATURE_KEY: StructShape = StructShape {
    fields: &[
        Shape::Versions(3, LATEST, &STRING), // name
        Shape::Versions(3, LATEST, &INT16),  // min_version
        Shape::Versions(3, LATEST, &INT16),  // max_version
    ],
    tagged: &[],
};

static FINALIZED_FEATURE_KEY: StructShape = StructShape {
    fields: &[
        Shape::Versions(3, LATEST, &STRING), // name
        Shape::Versions(3, LATEST, &INT16),  // max_version_level
        Shape::Versions(3, LATEST, &INT16),  // min_version_level
    ],
    tagged: &[],
};
