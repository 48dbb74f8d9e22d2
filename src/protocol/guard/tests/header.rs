//! Why request and response headers need no walk: they hold no array, and `kafka-protocol`
//! takes their strings and tagged fields by bounds-checked slicing, never allocating from a
//! length first. These forged headers would abort the test process if it did.

use kafka_protocol::messages::{RequestHeader, ResponseHeader};

use super::*;

fn request_header(bytes: &'static [u8], version: i16) -> bool {
    RequestHeader::decode(&mut Bytes::from_static(bytes), version).is_ok()
}

#[test]
fn forged_header_lengths_and_counts_are_refused_without_allocating() {
    // Metadata v12 (header v2): client id claiming 32,767 bytes with 2 present.
    assert!(!request_header(
        &[0, 3, 0, 12, 0, 0, 0, 1, 0x7f, 0xff, b'a', b'b'],
        2
    ));
    // Null client id, then 2^32 - 1 tagged fields in five bytes.
    let many_tags = &[
        0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
    ];
    assert!(!request_header(many_tags, 2));
    // One tagged field claiming 2^32 - 1 bytes.
    let huge_tag = &[
        0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0,
    ];
    assert!(!request_header(huge_tag, 2));
    // A response header (v1) with the same tag.
    let response = &[0, 0, 0, 1, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert!(ResponseHeader::decode(&mut Bytes::from_static(response), 1).is_err());
    // And the honest forms decode.
    assert!(request_header(
        &[0, 3, 0, 12, 0, 0, 0, 1, 0, 2, b'a', b'b', 0],
        2
    ));
    assert!(ResponseHeader::decode(&mut Bytes::from_static(&[0, 0, 0, 1, 0]), 1).is_ok());
}
