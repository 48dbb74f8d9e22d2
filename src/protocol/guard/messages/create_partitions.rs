//! CreatePartitions (api key 37): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`create_partitions_request.rs`,
//! `create_partitions_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 3,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            Shape::Array(&CREATE_PARTITIONS_TOPIC), // topics
            INT32,                                  // timeout_ms
            BOOL,                                   // validate_only
        ],
        tagged: &[],
    },
};

static CREATE_PARTITIONS_TOPIC: StructShape = StructShape {
    fields: &[
        STRING,                                      // name
        INT32,                                       // count
        Shape::Array(&CREATE_PARTITIONS_ASSIGNMENT), // assignments
    ],
    tagged: &[],
};

static CREATE_PARTITIONS_ASSIGNMENT: StructShape = StructShape {
    fields: &[
        INT32_ARRAY, // broker_ids
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 3,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            INT32,                                         // throttle_time_ms
            Shape::Array(&CREATE_PARTITIONS_TOPIC_RESULT), // results
        ],
        tagged: &[],
    },
};

static CREATE_PARTITIONS_TOPIC_RESULT: StructShape = StructShape {
    fields: &[
        STRING, // name
        INT16,  // error_code
        STRING, // error_message
    ],
    tagged: &[],
};
