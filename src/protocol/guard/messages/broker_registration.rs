//! BrokerRegistration (api key 62): the request and response layouts `kafka-protocol` 0.18 decodes,
//! transcribed from its generated decoders (`broker_registration_request.rs`,
//! `broker_registration_response.rs`): one static per struct, named after it, fields in wire order,
//! each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks them against
//! every version `kafka-protocol` encodes.

use crate::protocol::guard::shape::*;

pub static REQUEST: MessageShape = MessageShape {
    version_min: 0,
    version_max: 4,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32,                                   // broker_id
            STRING,                                  // cluster_id
            UUID,                                    // incarnation_id
            Shape::Array(&LISTENER),                 // listeners
            Shape::Array(&FEATURE),                  // features
            STRING,                                  // rack
            Shape::Versions(1, LATEST, &BOOL),       // is_migrating_zk_broker
            Shape::Versions(2, LATEST, &UUID_ARRAY), // log_dirs
            Shape::Versions(3, LATEST, &INT64),      // previous_broker_epoch
        ],
        tagged: &[],
    },
};

static LISTENER: StructShape = StructShape {
    fields: &[
        STRING, // name
        STRING, // host
        UINT16, // port
        INT16,  // security_protocol
    ],
    tagged: &[],
};

static FEATURE: StructShape = StructShape {
    fields: &[
        STRING, // name
        INT16,  // min_supported_version
        INT16,  // max_supported_version
    ],
    tagged: &[],
};

pub static RESPONSE: MessageShape = MessageShape {
    version_min: 0,
    version_max: 4,
    flexible_min: Some(0),
    body: StructShape {
        fields: &[
            INT32, // throttle_time_ms
            INT16, // error_code
            INT64, // broker_epoch
        ],
        tagged: &[],
    },
};
