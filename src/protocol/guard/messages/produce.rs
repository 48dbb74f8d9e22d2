//! Produce (api key 0): the request and response layouts `kafka-protocol` 0.18 decodes, transcribed
//! from its generated decoders (`produce_request.rs`, `produce_response.rs`): one static per
//! struct, named after it, fields in wire order, each present in the versions its decoder reads it.
//! `guard/tests/shapes.rs` checks them against every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 3,
    version_max: 13,
    flexible_min: Some(9),
    body: StructShape {
        fields: &[
            STRING,                            // transactional_id
            INT16,                             // acks
            INT32,                             // timeout_ms
            Shape::Array(&TOPIC_PRODUCE_DATA), // topic_data
        ],
        tagged: &[],
    },
};

static TOPIC_PRODUCE_DATA: StructShape = StructShape {
    fields: &[
        Shape::Versions(0, 12, &STRING),       // name
        Shape::Versions(13, LATEST, &UUID),    // topic_id
        Shape::Array(&PARTITION_PRODUCE_DATA), // partition_data
    ],
    tagged: &[],
};

static PARTITION_PRODUCE_DATA: StructShape = StructShape {
    fields: &[
        INT32, // index
        BYTES, // records
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 3,
    version_max: 13,
    flexible_min: Some(9),
    body: StructShape {
        fields: &[
            Shape::Array(&TOPIC_PRODUCE_RESPONSE), // responses
            INT32,                                 // throttle_time_ms
        ],
        tagged: &[
            (
                0,
                Shape::Versions(10, LATEST, &Shape::Array(&NODE_ENDPOINT)),
            ), // node_endpoints
        ],
    },
};

static TOPIC_PRODUCE_RESPONSE: StructShape = StructShape {
    fields: &[
        Shape::Versions(0, 12, &STRING),           // name
        Shape::Versions(13, LATEST, &UUID),        // topic_id
        Shape::Array(&PARTITION_PRODUCE_RESPONSE), // partition_responses
    ],
    tagged: &[],
};

static PARTITION_PRODUCE_RESPONSE: StructShape = StructShape {
    fields: &[
        INT32,                                                                     // index
        INT16,                                                                     // error_code
        INT64,                                                                     // base_offset
        INT64,                              // log_append_time_ms
        Shape::Versions(5, LATEST, &INT64), // log_start_offset
        Shape::Versions(8, LATEST, &Shape::Array(&BATCH_INDEX_AND_ERROR_MESSAGE)), // record_errors
        Shape::Versions(8, LATEST, &STRING), // error_message
    ],
    tagged: &[
        (
            0,
            Shape::Versions(10, LATEST, &Shape::Struct(&LEADER_ID_AND_EPOCH)),
        ), // current_leader
    ],
};

static BATCH_INDEX_AND_ERROR_MESSAGE: StructShape = StructShape {
    fields: &[
        Shape::Versions(8, LATEST, &INT32),  // batch_index
        Shape::Versions(8, LATEST, &STRING), // batch_index_error_message
    ],
    tagged: &[],
};

static LEADER_ID_AND_EPOCH: StructShape = StructShape {
    fields: &[
        Shape::Versions(10, LATEST, &INT32), // leader_id
        Shape::Versions(10, LATEST, &INT32), // leader_epoch
    ],
    tagged: &[],
};

static NODE_ENDPOINT: StructShape = StructShape {
    fields: &[
        Shape::Versions(10, LATEST, &INT32),  // node_id
        Shape::Versions(10, LATEST, &STRING), // host
        Shape::Versions(10, LATEST, &INT32),  // port
        Shape::Versions(10, LATEST, &STRING), // rack
    ],
    tagged: &[],
};
