//! BrokerHeartbeat (api key 63): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`broker_heartbeat_request.rs`,
//! `broker_heartbeat_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 1,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32, // broker_id
            INT64, // broker_epoch
            INT64, // current_metadata_offset
            BOOL,  // want_fence
            BOOL,  // want_shut_down
        ],
        tagged: &[
            (0, Shape::Versions(1, LATEST, &UUID_ARRAY)), // offline_log_dirs
        ],
    },
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 1,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32, // throttle_time_ms
            INT16, // error_code
            BOOL,  // is_caught_up
            BOOL,  // is_fenced
            BOOL,  // should_shut_down
        ],
        tagged: &[],
    },
};
