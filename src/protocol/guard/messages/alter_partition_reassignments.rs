//! AlterPartitionReassignments (api key 45): the request and response layouts `kafka-protocol` 0.18
//! decodes, transcribed from its generated decoders (`alter_partition_reassignments_request.rs`,
//! `alter_partition_reassignments_response.rs`): one static per struct, named after it, fields in
//! wire order, each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks
//! them against every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 1,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32,                             // timeout_ms
            Shape::Versions(1, LATEST, &BOOL), // allow_replication_factor_change
            Shape::Array(&REASSIGNABLE_TOPIC), // topics
        ],
        tagged: &[],
    },
};

static REASSIGNABLE_TOPIC: StructShape = StructShape {
    fields: &[
        STRING,                                // name
        Shape::Array(&REASSIGNABLE_PARTITION), // partitions
    ],
    tagged: &[],
};

static REASSIGNABLE_PARTITION: StructShape = StructShape {
    fields: &[
        INT32,       // partition_index
        INT32_ARRAY, // replicas
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 1,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32,                                      // throttle_time_ms
            Shape::Versions(1, LATEST, &BOOL),          // allow_replication_factor_change
            INT16,                                      // error_code
            STRING,                                     // error_message
            Shape::Array(&REASSIGNABLE_TOPIC_RESPONSE), // responses
        ],
        tagged: &[],
    },
};

static REASSIGNABLE_TOPIC_RESPONSE: StructShape = StructShape {
    fields: &[
        STRING,                                         // name
        Shape::Array(&REASSIGNABLE_PARTITION_RESPONSE), // partitions
    ],
    tagged: &[],
};

static REASSIGNABLE_PARTITION_RESPONSE: StructShape = StructShape {
    fields: &[
        INT32,  // partition_index
        INT16,  // error_code
        STRING, // error_message
    ],
    tagged: &[],
};
