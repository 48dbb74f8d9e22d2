//! CreateTopics (api key 19): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`create_topics_request.rs`,
//! `create_topics_response.rs`): one static per struct, named after it, fields in wire order, each
//! present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against every
//! version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 2,
    version_max: 7,
    flexible_min: Some(5),
    body: StructShape {
        fields: &[
            Shape::Array(&CREATABLE_TOPIC), // topics
            INT32,                          // timeout_ms
            BOOL,                           // validate_only
        ],
        tagged: &[],
    },
};

static CREATABLE_TOPIC: StructShape = StructShape {
    fields: &[
        STRING,                                      // name
        INT32,                                       // num_partitions
        INT16,                                       // replication_factor
        Shape::Array(&CREATABLE_REPLICA_ASSIGNMENT), // assignments
        Shape::Array(&CREATABLE_TOPIC_CONFIG),       // configs
    ],
    tagged: &[],
};

static CREATABLE_REPLICA_ASSIGNMENT: StructShape = StructShape {
    fields: &[
        INT32,       // partition_index
        INT32_ARRAY, // broker_ids
    ],
    tagged: &[],
};

static CREATABLE_TOPIC_CONFIG: StructShape = StructShape {
    fields: &[
        STRING, // name
        STRING, // value
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 2,
    version_max: 7,
    flexible_min: Some(5),
    body: StructShape {
        fields: &[
            INT32,                                 // throttle_time_ms
            Shape::Array(&CREATABLE_TOPIC_RESULT), // topics
        ],
        tagged: &[],
    },
};

static CREATABLE_TOPIC_RESULT: StructShape = StructShape {
    fields: &[
        STRING,                                                              // name
        Shape::Versions(7, LATEST, &UUID),                                   // topic_id
        INT16,                                                               // error_code
        STRING,                                                              // error_message
        Shape::Versions(5, LATEST, &INT32),                                  // num_partitions
        Shape::Versions(5, LATEST, &INT16),                                  // replication_factor
        Shape::Versions(5, LATEST, &Shape::Array(&CREATABLE_TOPIC_CONFIGS)), // configs
    ],
    tagged: &[
        (0, INT16), // topic_config_error_code
    ],
};

static CREATABLE_TOPIC_CONFIGS: StructShape = StructShape {
    fields: &[
        Shape::Versions(5, LATEST, &STRING), // name
        Shape::Versions(5, LATEST, &STRING), // value
        Shape::Versions(5, LATEST, &BOOL),   // read_only
        Shape::Versions(5, LATEST, &INT8),   // config_source
        Shape::Versions(5, LATEST, &BOOL),   // is_sensitive
    ],
    tagged: &[],
};
