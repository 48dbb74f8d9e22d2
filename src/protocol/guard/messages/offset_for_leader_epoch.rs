//! OffsetForLeaderEpoch (api key 23): the request and response layouts `kafka-protocol` 0.18
//! decodes, transcribed from its generated decoders (`offset_for_leader_epoch_request.rs`,
//! `offset_for_leader_epoch_response.rs`): one static per struct, named after it, fields in wire
//! order, each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them
//! against every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 2,
    version_max: 4,
    flexible_min: Some(4),
    body: StructShape {
        fields: &[
            Shape::Versions(3, LATEST, &INT32),     // replica_id
            Shape::Array(&OFFSET_FOR_LEADER_TOPIC), // topics
        ],
        tagged: &[],
    },
};

static OFFSET_FOR_LEADER_TOPIC: StructShape = StructShape {
    fields: &[
        STRING,                                     // topic
        Shape::Array(&OFFSET_FOR_LEADER_PARTITION), // partitions
    ],
    tagged: &[],
};

static OFFSET_FOR_LEADER_PARTITION: StructShape = StructShape {
    fields: &[
        INT32, // partition
        INT32, // current_leader_epoch
        INT32, // leader_epoch
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 2,
    version_max: 4,
    flexible_min: Some(4),
    body: StructShape {
        fields: &[
            INT32,                                         // throttle_time_ms
            Shape::Array(&OFFSET_FOR_LEADER_TOPIC_RESULT), // topics
        ],
        tagged: &[],
    },
};

static OFFSET_FOR_LEADER_TOPIC_RESULT: StructShape = StructShape {
    fields: &[
        STRING,                          // topic
        Shape::Array(&EPOCH_END_OFFSET), // partitions
    ],
    tagged: &[],
};

static EPOCH_END_OFFSET: StructShape = StructShape {
    fields: &[
        INT16, // error_code
        INT32, // partition
        INT32, // leader_epoch
        INT64, // end_offset
    ],
    tagged: &[],
};
