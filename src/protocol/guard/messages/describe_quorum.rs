//! DescribeQuorum (api key 55): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`describe_quorum_request.rs`,
//! `describe_quorum_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 2,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            Shape::Array(&REQUEST_TOPIC_DATA), // topics
        ],
        tagged: &[],
    },
};

static REQUEST_TOPIC_DATA: StructShape = StructShape {
    fields: &[
        STRING,                                // topic_name
        Shape::Array(&REQUEST_PARTITION_DATA), // partitions
    ],
    tagged: &[],
};

static REQUEST_PARTITION_DATA: StructShape = StructShape {
    fields: &[
        INT32, // partition_index
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 2,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT16,                                            // error_code
            Shape::Versions(2, LATEST, &STRING),              // error_message
            Shape::Array(&RESPONSE_TOPIC_DATA),               // topics
            Shape::Versions(2, LATEST, &Shape::Array(&NODE)), // nodes
        ],
        tagged: &[],
    },
};

static RESPONSE_TOPIC_DATA: StructShape = StructShape {
    fields: &[
        STRING,                                 // topic_name
        Shape::Array(&RESPONSE_PARTITION_DATA), // partitions
    ],
    tagged: &[],
};

static RESPONSE_PARTITION_DATA: StructShape = StructShape {
    fields: &[
        INT32,                               // partition_index
        INT16,                               // error_code
        Shape::Versions(2, LATEST, &STRING), // error_message
        INT32,                               // leader_id
        INT32,                               // leader_epoch
        INT64,                               // high_watermark
        Shape::Array(&REPLICA_STATE),        // current_voters
        Shape::Array(&REPLICA_STATE),        // observers
    ],
    tagged: &[],
};

static REPLICA_STATE: StructShape = StructShape {
    fields: &[
        INT32,                              // replica_id
        Shape::Versions(2, LATEST, &UUID),  // replica_directory_id
        INT64,                              // log_end_offset
        Shape::Versions(1, LATEST, &INT64), // last_fetch_timestamp
        Shape::Versions(1, LATEST, &INT64), // last_caught_up_timestamp
    ],
    tagged: &[],
};

static NODE: StructShape = StructShape {
    fields: &[
        Shape::Versions(2, LATEST, &INT32),                   // node_id
        Shape::Versions(2, LATEST, &Shape::Array(&LISTENER)), // listeners
    ],
    tagged: &[],
};

static LISTENER: StructShape = StructShape {
    fields: &[
        Shape::Versions(2, LATEST, &STRING), // name
        Shape::Versions(2, LATEST, &STRING), // host
        Shape::Versions(2, LATEST, &UINT16), // port
    ],
    tagged: &[],
};
