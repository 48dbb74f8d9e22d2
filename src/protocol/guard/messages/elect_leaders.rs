//! ElectLeaders (api key 43): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`elect_leaders_request.rs`,
//! `elect_leaders_response.rs`): one static per struct, named after it, fields in wire order, each
//! present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against every
//! version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 2,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            Shape::Versions(1, LATEST, &INT8), // election_type
            Shape::Array(&TOPIC_PARTITIONS),   // topic_partitions
            INT32,                             // timeout_ms
        ],
        tagged: &[],
    },
};

static TOPIC_PARTITIONS: StructShape = StructShape {
    fields: &[
        STRING,      // topic
        INT32_ARRAY, // partitions
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 2,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            INT32,                                  // throttle_time_ms
            Shape::Versions(1, LATEST, &INT16),     // error_code
            Shape::Array(&REPLICA_ELECTION_RESULT), // replica_election_results
        ],
        tagged: &[],
    },
};

static REPLICA_ELECTION_RESULT: StructShape = StructShape {
    fields: &[
        STRING,                          // topic
        Shape::Array(&PARTITION_RESULT), // partition_result
    ],
    tagged: &[],
};

static PARTITION_RESULT: StructShape = StructShape {
    fields: &[
        INT32,  // partition_id
        INT16,  // error_code
        STRING, // error_message
    ],
    tagged: &[],
};
