//! A forged count, wherever it sits, is refused before `kafka-protocol` sees it: every array
//! count in every filled message of every API and version is replaced by a huge one, and the
//! guard must refuse the body at exactly that count. None of these bodies is ever handed to
//! `kafka-protocol`: it would try to allocate for the count and abort the test process.

use super::*;

/// A compact (flexible) count of `elements`: unsigned varint of `elements + 1`.
fn compact_count(elements: u64) -> Vec<u8> {
    let mut value = elements + 1;
    let mut out = Vec::new();
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
    out
}

fn forge(body: &[u8], at: usize, width: usize, count: &[u8]) -> Vec<u8> {
    let mut forged = body[..at].to_vec();
    forged.extend_from_slice(count);
    forged.extend_from_slice(&body[at + width..]);
    forged
}

#[test]
fn every_array_count_forged_huge_is_refused_at_that_count() {
    let mut forged_total = 0;
    for api in apis() {
        for (direction, version, encoding) in api.versions() {
            let body = (api.codec(direction).filled)(version);
            let shape = api.shape(direction);
            let seen = shape::seen(&shape.body, encoding, &body).unwrap();
            for &(at, width) in &seen.counts {
                let (count, elements) = if encoding.flexible {
                    (compact_count(1 << 31), 1usize << 31)
                } else {
                    (i32::MAX.to_be_bytes().to_vec(), i32::MAX as usize)
                };
                let forged = forge(&body, at, width, &count);
                let bytes_left = forged.len() - at - count.len();
                let expected = GuardError::Shape {
                    api_key: api.key,
                    api_version: version,
                    error: ShapeError::ArrayPastEnd {
                        elements,
                        bytes_left,
                    },
                };
                let context = format!("{:?} {direction:?} v{version} at {at}", api.key);
                assert_eq!(
                    api.guard(direction, version, &forged),
                    Err(expected),
                    "{context}"
                );
                if !encoding.flexible {
                    // Below -1, the null marker: kafka-protocol refuses it too, but it is not
                    // a count either.
                    let negative = forge(&body, at, width, &i32::MIN.to_be_bytes());
                    assert!(matches!(
                        api.guard(direction, version, &negative),
                        Err(GuardError::Shape {
                            error: ShapeError::NegativeLength { length: i32::MIN },
                            ..
                        })
                    ));
                }
                forged_total += 1;
            }
        }
    }
    assert!(forged_total > 500, "{forged_total} counts forged");
}

/// The few-byte request of the bug report: Metadata claiming 2^31 topics, in a non-flexible
/// version (int32 count) and a flexible one (compact count). `kafka-protocol` would ask for
/// 2^31 × size_of::<MetadataRequestTopic>() bytes up front.
#[test]
fn a_tiny_metadata_request_claiming_two_billion_topics_is_refused() {
    let v4 = [0x7f, 0xff, 0xff, 0xff, 1];
    assert_eq!(
        check_request(ApiKey::Metadata, 4, &v4),
        Err(GuardError::Shape {
            api_key: ApiKey::Metadata,
            api_version: 4,
            error: ShapeError::ArrayPastEnd {
                elements: i32::MAX as usize,
                bytes_left: 1
            }
        })
    );
    let mut v12 = compact_count(1 << 31);
    v12.extend_from_slice(&[1, 0, 0]);
    assert_eq!(
        check_request(ApiKey::Metadata, 12, &v12),
        Err(GuardError::Shape {
            api_key: ApiKey::Metadata,
            api_version: 12,
            error: ShapeError::ArrayPastEnd {
                elements: 1 << 31,
                bytes_left: 3
            }
        })
    );
    // The same count over a body that has them: 3 topics in a flexible body are fine.
    let topic = [0u8; 16].iter().copied().chain([3, b'a', b'b', 0]);
    let mut honest = compact_count(3);
    for _ in 0..3 {
        honest.extend(topic.clone());
    }
    honest.extend_from_slice(&[1, 0, 0]);
    assert_eq!(check_request(ApiKey::Metadata, 12, &honest), Ok(()));
}

#[test]
fn an_honest_but_enormous_array_is_refused_by_count() {
    // Metadata v4: 1,000,001 topics of two bytes each (empty names), every one present.
    let count = crate::limits::PROTOCOL_ARRAY_ELEMENTS_MAX + 1;
    let mut body = (count as i32).to_be_bytes().to_vec();
    body.extend(std::iter::repeat_n([0u8, 0], count).flatten());
    body.push(1);
    assert_eq!(
        check_request(ApiKey::Metadata, 4, &body),
        Err(GuardError::Shape {
            api_key: ApiKey::Metadata,
            api_version: 4,
            error: ShapeError::ArrayTooLong {
                elements: count,
                elements_max: crate::limits::PROTOCOL_ARRAY_ELEMENTS_MAX,
            }
        })
    );
}

#[test]
fn bytes_after_a_request_body_are_ignored_as_kafka_ignores_them() {
    // Metadata v12 with no topics (null array), auto-create on, no authorized operations, no
    // tags: then three stray bytes, as confluent-kafka sends them.
    let body = [0, 1, 0, 0, 0xde, 0xad, 0xbf];
    assert_eq!(check_request(ApiKey::Metadata, 12, &body), Ok(()));
    assert_eq!(check_request(ApiKey::Metadata, 12, &body[..4]), Ok(()));
}
