//! Filler values for the filled messages (`filled/`): short but non-empty, so every string,
//! byte string and nullable field takes its longest form.

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::protocol::StrBytes;

/// A tag no version of these messages defines.
pub const UNKNOWN_TAG: i32 = 77;

pub fn s() -> StrBytes {
    StrBytes::from_static_str("ab")
}

pub fn b() -> Bytes {
    Bytes::from_static(b"records")
}

pub fn uuid() -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(1, 2)
}

pub fn tags() -> BTreeMap<i32, Bytes> {
    BTreeMap::from([(UNKNOWN_TAG, Bytes::from_static(b"unknown"))])
}
