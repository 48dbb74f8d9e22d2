//! ListPartitionReassignments (api key 46): the request and response layouts `kafka-protocol` 0.18
//! decodes, transcribed from its generated decoders (`list_partition_reassignments_request.rs`,
//! `list_partition_reassignments_response.rs`): one static per struct, named after it, fields in
//! wire order, each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks
//! them against every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 0,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32,                                              // timeout_ms
            Shape::Array(&LIST_PARTITION_REASSIGNMENTS_TOPICS), // topics
        ],
        tagged: &[],
    },
};

static LIST_PARTITION_REASSIGNMENTS_TOPICS: StructShape = StructShape {
    fields: &[
        STRING,      // name
        INT32_ARRAY, // partition_indexes
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 0,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32,                                     // throttle_time_ms
            INT16,                                     // error_code
            STRING,                                    // error_message
            Shape::Array(&ONGOING_TOPIC_REASSIGNMENT), // topics
        ],
        tagged: &[],
    },
};

static ONGOING_TOPIC_REASSIGNMENT: StructShape = StructShape {
    fields: &[
        STRING,                                        // name
        Shape::Array(&ONGOING_PARTITION_REASSIGNMENT), // partitions
    ],
    tagged: &[],
};

static ONGOING_PARTITION_REASSIGNMENT: StructShape = StructShape {
    fields: &[
        INT32,       // partition_index
        INT32_ARRAY, // replicas
        INT32_ARRAY, // adding_replicas
        INT32_ARRAY, // removing_replicas
    ],
    tagged: &[],
};
