//! ListOffsets (api key 2): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`list_offsets_request.rs`, `list_offsets_response.rs`):
//! one static per struct, named after it, fields in wire order, each present in the versions its
//! decoder reads it. `guard/tests/shapes.rs` checks them against every version `kafka-protocol`
//! encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 1,
    version_max: 10,
    flexible_min: Some(6),
    body: StructShape {
        fields: &[
            INT32,                               // replica_id
            Shape::Versions(2, LATEST, &INT8),   // isolation_level
            Shape::Array(&LIST_OFFSETS_TOPIC),   // topics
            Shape::Versions(10, LATEST, &INT32), // timeout_ms
        ],
        tagged: &[],
    },
};

static LIST_OFFSETS_TOPIC: StructShape = StructShape {
    fields: &[
        STRING,                                // name
        Shape::Array(&LIST_OFFSETS_PARTITION), // partitions
    ],
    tagged: &[],
};

static LIST_OFFSETS_PARTITION: StructShape = StructShape {
    fields: &[
        INT32,                              // partition_index
        Shape::Versions(4, LATEST, &INT32), // current_leader_epoch
        INT64,                              // timestamp
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 1,
    version_max: 10,
    flexible_min: Some(6),
    body: StructShape {
        fields: &[
            Shape::Versions(2, LATEST, &INT32),         // throttle_time_ms
            Shape::Array(&LIST_OFFSETS_TOPIC_RESPONSE), // topics
        ],
        tagged: &[],
    },
};

static LIST_OFFSETS_TOPIC_RESPONSE: StructShape = StructShape {
    fields: &[
        STRING,                                         // name
        Shape::Array(&LIST_OFFSETS_PARTITION_RESPONSE), // partitions
    ],
    tagged: &[],
};

static LIST_OFFSETS_PARTITION_RESPONSE: StructShape = StructShape {
    fields: &[
        INT32,                              // partition_index
        INT16,                              // error_code
        INT64,                              // timestamp
        INT64,                              // offset
        Shape::Versions(4, LATEST, &INT32), // leader_epoch
    ],
    tagged: &[],
};
