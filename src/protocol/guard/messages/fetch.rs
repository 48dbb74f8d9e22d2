//! Fetch (api key 1): the request and response layouts `kafka-protocol` 0.18 decodes, transcribed
//! from its generated decoders (`fetch_request.rs`, `fetch_response.rs`): one static per struct,
//! named after it, fields in wire order, each present in the versions its decoder reads it.
//! `guard/tests/shapes.rs` checks them against every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 4,
    version_max: 18,
    flexible_min: Some(12),
    body: StructShape {
        fields: &[
            Shape::Versions(0, 14, &INT32),     // replica_id
            INT32,                              // max_wait_ms
            INT32,                              // min_bytes
            INT32,                              // max_bytes
            INT8,                               // isolation_level
            Shape::Versions(7, LATEST, &INT32), // session_id
            Shape::Versions(7, LATEST, &INT32), // session_epoch
            Shape::Array(&FETCH_TOPIC),         // topics
            Shape::Versions(7, LATEST, &Shape::Array(&FORGOTTEN_TOPIC)), // forgotten_topics_data
            Shape::Versions(11, LATEST, &STRING), // rack_id
        ],
        tagged: &[
            (0, STRING), // cluster_id
            (
                1,
                Shape::Versions(15, LATEST, &Shape::Struct(&REPLICA_STATE)),
            ), // replica_state
        ],
    },
};

static FETCH_TOPIC: StructShape = StructShape {
    fields: &[
        Shape::Versions(0, 12, &STRING),    // topic
        Shape::Versions(13, LATEST, &UUID), // topic_id
        Shape::Array(&FETCH_PARTITION),     // partitions
    ],
    tagged: &[],
};

static FETCH_PARTITION: StructShape = StructShape {
    fields: &[
        INT32,                               // partition
        Shape::Versions(9, LATEST, &INT32),  // current_leader_epoch
        INT64,                               // fetch_offset
        Shape::Versions(12, LATEST, &INT32), // last_fetched_epoch
        Shape::Versions(5, LATEST, &INT64),  // log_start_offset
        INT32,                               // partition_max_bytes
    ],
    tagged: &[
        (0, Shape::Versions(17, LATEST, &UUID)), // replica_directory_id
        (1, Shape::Versions(18, LATEST, &INT64)), // high_watermark
    ],
};

static FORGOTTEN_TOPIC: StructShape = StructShape {
    fields: &[
        Shape::Versions(7, 12, &STRING),          // topic
        Shape::Versions(13, LATEST, &UUID),       // topic_id
        Shape::Versions(7, LATEST, &INT32_ARRAY), // partitions
    ],
    tagged: &[],
};

static REPLICA_STATE: StructShape = StructShape {
    fields: &[
        Shape::Versions(15, LATEST, &INT32), // replica_id
        Shape::Versions(15, LATEST, &INT64), // replica_epoch
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 4,
    version_max: 18,
    flexible_min: Some(12),
    body: StructShape {
        fields: &[
            INT32,                                   // throttle_time_ms
            Shape::Versions(7, LATEST, &INT16),      // error_code
            Shape::Versions(7, LATEST, &INT32),      // session_id
            Shape::Array(&FETCHABLE_TOPIC_RESPONSE), // responses
        ],
        tagged: &[
            (
                0,
                Shape::Versions(16, LATEST, &Shape::Array(&NODE_ENDPOINT)),
            ), // node_endpoints
        ],
    },
};

static FETCHABLE_TOPIC_RESPONSE: StructShape = StructShape {
    fields: &[
        Shape::Versions(0, 12, &STRING),    // topic
        Shape::Versions(13, LATEST, &UUID), // topic_id
        Shape::Array(&PARTITION_DATA),      // partitions
    ],
    tagged: &[],
};

static PARTITION_DATA: StructShape = StructShape {
    fields: &[
        INT32,                               // partition_index
        INT16,                               // error_code
        INT64,                               // high_watermark
        INT64,                               // last_stable_offset
        Shape::Versions(5, LATEST, &INT64),  // log_start_offset
        Shape::Array(&ABORTED_TRANSACTION),  // aborted_transactions
        Shape::Versions(11, LATEST, &INT32), // preferred_read_replica
        BYTES,                               // records
    ],
    tagged: &[
        (0, Shape::Struct(&EPOCH_END_OFFSET)),    // diverging_epoch
        (1, Shape::Struct(&LEADER_ID_AND_EPOCH)), // current_leader
        (2, Shape::Struct(&SNAPSHOT_ID)),         // snapshot_id
    ],
};

static ABORTED_TRANSACTION: StructShape = StructShape {
    fields: &[
        INT64, // producer_id
        INT64, // first_offset
    ],
    tagged: &[],
};

static EPOCH_END_OFFSET: StructShape = StructShape {
    fields: &[
        Shape::Versions(12, LATEST, &INT32), // epoch
        Shape::Versions(12, LATEST, &INT64), // end_offset
    ],
    tagged: &[],
};

static LEADER_ID_AND_EPOCH: StructShape = StructShape {
    fields: &[
        Shape::Versions(12, LATEST, &INT32), // leader_id
        Shape::Versions(12, LATEST, &INT32), // leader_epoch
    ],
    tagged: &[],
};

static SNAPSHOT_ID: StructShape = StructShape {
    fields: &[
        INT64, // end_offset
        INT32, // epoch
    ],
    tagged: &[],
};

static NODE_ENDPOINT: StructShape = StructShape {
    fields: &[
        Shape::Versions(16, LATEST, &INT32),  // node_id
        Shape::Versions(16, LATEST, &STRING), // host
        Shape::Versions(16, LATEST, &INT32),  // port
        Shape::Versions(16, LATEST, &STRING), // rack
    ],
    tagged: &[],
};
