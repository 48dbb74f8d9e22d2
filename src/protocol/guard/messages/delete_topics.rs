//! DeleteTopics (api key 20): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`delete_topics_request.rs`,
//! `delete_topics_response.rs`): one static per struct, named after it, fields in wire order, each
//! present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against every
//! version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 1,
    version_max: 6,
    flexible_min: Some(4),
    body: StructShape {
        fields: &[
            Shape::Versions(6, LATEST, &Shape::Array(&DELETE_TOPIC_STATE)), // topics
            Shape::Versions(0, 5, &STRING_ARRAY),                           // topic_names
            INT32,                                                          // timeout_ms
        ],
        tagged: &[],
    },
};

static DELETE_TOPIC_STATE: StructShape = StructShape {
    fields: &[
        Shape::Versions(6, LATEST, &STRING), // name
        Shape::Versions(6, LATEST, &UUID),   // topic_id
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 1,
    version_max: 6,
    flexible_min: Some(4),
    body: StructShape {
        fields: &[
            INT32,                                 // throttle_time_ms
            Shape::Array(&DELETABLE_TOPIC_RESULT), // responses
        ],
        tagged: &[],
    },
};

static DELETABLE_TOPIC_RESULT: StructShape = StructShape {
    fields: &[
        STRING,                              // name
        Shape::Versions(6, LATEST, &UUID),   // topic_id
        INT16,                               // error_code
        Shape::Versions(5, LATEST, &STRING), // error_message
    ],
    tagged: &[],
};
