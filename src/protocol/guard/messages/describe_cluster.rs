//! DescribeCluster (api key 60): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`describe_cluster_request.rs`,
//! `describe_cluster_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 2,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            BOOL,                              // include_cluster_authorized_operations
            Shape::Versions(1, LATEST, &INT8), // endpoint_type
            Shape::Versions(2, LATEST, &BOOL), // include_fenced_brokers
        ],
        tagged: &[],
    },
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 2,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32,                                  // throttle_time_ms
            INT16,                                  // error_code
            STRING,                                 // error_message
            Shape::Versions(1, LATEST, &INT8),      // endpoint_type
            STRING,                                 // cluster_id
            INT32,                                  // controller_id
            Shape::Array(&DESCRIBE_CLUSTER_BROKER), // brokers
            INT32,                                  // cluster_authorized_operations
        ],
        tagged: &[],
    },
};

static DESCRIBE_CLUSTER_BROKER: StructShape = StructShape {
    fields: &[
        INT32,                             // broker_id
        STRING,                            // host
        INT32,                             // port
        STRING,                            // rack
        Shape::Versions(2, LATEST, &BOOL), // is_fenced
    ],
    tagged: &[],
};
