//! DescribeTopicPartitions (api key 75): the request and response layouts `kafka-protocol` 0.18
//! decodes, transcribed from its generated decoders (`describe_topic_partitions_request.rs`,
//! `describe_topic_partitions_response.rs`): one static per struct, named after it, fields in wire
//! order, each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them
//! against every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 0,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            Shape::Array(&TOPIC_REQUEST),         // topics
            INT32,                                // response_partition_limit
            Shape::OptionStruct(&REQUEST_CURSOR), // cursor
        ],
        tagged: &[],
    },
};

static TOPIC_REQUEST: StructShape = StructShape {
    fields: &[
        STRING, // name
    ],
    tagged: &[],
};

static REQUEST_CURSOR: StructShape = StructShape {
    fields: &[
        STRING, // topic_name
        INT32,  // partition_index
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 0,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32,                                                   // throttle_time_ms
            Shape::Array(&DESCRIBE_TOPIC_PARTITIONS_RESPONSE_TOPIC), // topics
            Shape::OptionStruct(&RESPONSE_CURSOR),                   // next_cursor
        ],
        tagged: &[],
    },
};

static DESCRIBE_TOPIC_PARTITIONS_RESPONSE_TOPIC: StructShape = StructShape {
    fields: &[
        INT16,                                                       // error_code
        STRING,                                                      // name
        UUID,                                                        // topic_id
        BOOL,                                                        // is_internal
        Shape::Array(&DESCRIBE_TOPIC_PARTITIONS_RESPONSE_PARTITION), // partitions
        INT32,                                                       // topic_authorized_operations
    ],
    tagged: &[],
};

static DESCRIBE_TOPIC_PARTITIONS_RESPONSE_PARTITION: StructShape = StructShape {
    fields: &[
        INT16,       // error_code
        INT32,       // partition_index
        INT32,       // leader_id
        INT32,       // leader_epoch
        INT32_ARRAY, // replica_nodes
        INT32_ARRAY, // isr_nodes
        INT32_ARRAY, // eligible_leader_replicas
        INT32_ARRAY, // last_known_elr
        INT32_ARRAY, // offline_replicas
    ],
    tagged: &[],
};

static RESPONSE_CURSOR: StructShape = StructShape {
    fields: &[
        STRING, // topic_name
        INT32,  // partition_index
    ],
    tagged: &[],
};
