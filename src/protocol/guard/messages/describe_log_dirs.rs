//! DescribeLogDirs (api key 35): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`describe_log_dirs_request.rs`,
//! `describe_log_dirs_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 1,
    version_max: 4,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            Shape::Array(&DESCRIBABLE_LOG_DIR_TOPIC), // topics
        ],
        tagged: &[],
    },
};

static DESCRIBABLE_LOG_DIR_TOPIC: StructShape = StructShape {
    fields: &[
        STRING,      // topic
        INT32_ARRAY, // partitions
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 1,
    version_max: 4,
    flexible_min: Some(2),
    body: StructShape {
        fields: &[
            INT32,                                   // throttle_time_ms
            Shape::Versions(3, LATEST, &INT16),      // error_code
            Shape::Array(&DESCRIBE_LOG_DIRS_RESULT), // results
        ],
        tagged: &[],
    },
};

static DESCRIBE_LOG_DIRS_RESULT: StructShape = StructShape {
    fields: &[
        INT16,                                  // error_code
        STRING,                                 // log_dir
        Shape::Array(&DESCRIBE_LOG_DIRS_TOPIC), // topics
        Shape::Versions(4, LATEST, &INT64),     // total_bytes
        Shape::Versions(4, LATEST, &INT64),     // usable_bytes
    ],
    tagged: &[],
};

static DESCRIBE_LOG_DIRS_TOPIC: StructShape = StructShape {
    fields: &[
        STRING,                                     // name
        Shape::Array(&DESCRIBE_LOG_DIRS_PARTITION), // partitions
    ],
    tagged: &[],
};

static DESCRIBE_LOG_DIRS_PARTITION: StructShape = StructShape {
    fields: &[
        INT32, // partition_index
        INT64, // partition_size
        INT64, // offset_lag
        BOOL,  // is_future_key
    ],
    tagged: &[],
};
