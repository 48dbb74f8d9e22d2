//! Metadata (api key 3): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`metadata_request.rs`, `metadata_response.rs`): one
//! static per struct, named after it, fields in wire order, each present in the versions its
//! decoder reads it. `guard/tests/shapes.rs` checks them against every version `kafka-protocol`
//! encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 13,
    flexible_min: Some(9),
    body: StructShape {
        fields: &[
            Shape::Array(&METADATA_REQUEST_TOPIC), // topics
            Shape::Versions(4, LATEST, &BOOL),     // allow_auto_topic_creation
            Shape::Versions(8, 10, &BOOL),         // include_cluster_authorized_operations
            Shape::Versions(8, LATEST, &BOOL),     // include_topic_authorized_operations
        ],
        tagged: &[],
    },
};

static METADATA_REQUEST_TOPIC: StructShape = StructShape {
    fields: &[
        Shape::Versions(10, LATEST, &UUID), // topic_id
        STRING,                             // name
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 13,
    flexible_min: Some(9),
    body: StructShape {
        fields: &[
            Shape::Versions(3, LATEST, &INT32),      // throttle_time_ms
            Shape::Array(&METADATA_RESPONSE_BROKER), // brokers
            Shape::Versions(2, LATEST, &STRING),     // cluster_id
            Shape::Versions(1, LATEST, &INT32),      // controller_id
            Shape::Array(&METADATA_RESPONSE_TOPIC),  // topics
            Shape::Versions(8, 10, &INT32),          // cluster_authorized_operations
            Shape::Versions(13, LATEST, &INT16),     // error_code
        ],
        tagged: &[],
    },
};

static METADATA_RESPONSE_BROKER: StructShape = StructShape {
    fields: &[
        INT32,                               // node_id
        STRING,                              // host
        INT32,                               // port
        Shape::Versions(1, LATEST, &STRING), // rack
    ],
    tagged: &[],
};

static METADATA_RESPONSE_TOPIC: StructShape = StructShape {
    fields: &[
        INT16,                                      // error_code
        STRING,                                     // name
        Shape::Versions(10, LATEST, &UUID),         // topic_id
        Shape::Versions(1, LATEST, &BOOL),          // is_internal
        Shape::Array(&METADATA_RESPONSE_PARTITION), // partitions
        Shape::Versions(8, LATEST, &INT32),         // topic_authorized_operations
    ],
    tagged: &[],
};

static METADATA_RESPONSE_PARTITION: StructShape = StructShape {
    fields: &[
        INT16,                                    // error_code
        INT32,                                    // partition_index
        INT32,                                    // leader_id
        Shape::Versions(7, LATEST, &INT32),       // leader_epoch
        INT32_ARRAY,                              // replica_nodes
        INT32_ARRAY,                              // isr_nodes
        Shape::Versions(5, LATEST, &INT32_ARRAY), // offline_replicas
    ],
    tagged: &[],
};
