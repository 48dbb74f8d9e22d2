//! AlterPartition (api key 56): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`alter_partition_request.rs`,
//! `alter_partition_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 2,
    version_max: 3,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            INT32,                             // broker_id
            INT64,                             // broker_epoch
            Shape::Array(&REQUEST_TOPIC_DATA), // topics
        ],
        tagged: &[],
    },
};

static REQUEST_TOPIC_DATA: StructShape = StructShape {
    fields: &[
        UUID,                                  // topic_id
        Shape::Array(&REQUEST_PARTITION_DATA), // partitions
    ],
    tagged: &[],
};

static REQUEST_PARTITION_DATA: StructShape = StructShape {
    fields: &[
        INT32,                                                    // partition_index
        INT32,                                                    // leader_epoch
        Shape::Versions(0, 2, &INT32_ARRAY),                      // new_isr
        Shape::Versions(3, LATEST, &Shape::Array(&BROKER_STATE)), // new_isr_with_epochs
        INT8,                                                     // leader_recovery_state
        INT32,                                                    // partition_epoch
    ],
    tagged: &[],
};

static BROKER_STATE: StructShape = StructShape {
    fields: &[
        Shape::Versions(3, LATEST, &INT32), // broker_id
        Shape::Versions(3, LATEST, &INT64), // broker_epoch
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 2,
    version_max: 3,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            INT32,                              // throttle_time_ms
            INT16,                              // error_code
            Shape::Array(&RESPONSE_TOPIC_DATA), // topics
        ],
        tagged: &[],
    },
};

static RESPONSE_TOPIC_DATA: StructShape = StructShape {
    fields: &[
        UUID,                                   // topic_id
        Shape::Array(&RESPONSE_PARTITION_DATA), // partitions
    ],
    tagged: &[],
};

static RESPONSE_PARTITION_DATA: StructShape = StructShape {
    fields: &[
        INT32,       // partition_index
        INT16,       // error_code
        INT32,       // leader_id
        INT32,       // leader_epoch
        INT32_ARRAY, // isr
        INT8,        // leader_recovery_state
        INT32,       // partition_epoch
    ],
    tagged: &[],
};
