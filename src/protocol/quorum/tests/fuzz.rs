//! Random bytes, truncations and damage never panic (or abort) the decoders: each gives a
//! message or a typed error. The generator is fixed-seed, so a failure replays.

use super::*;
use crate::protocol::quorum::{
    api_key, check_describe_quorum_request, decode_request, decode_response, encode_request,
    encode_response, quorum_api_version, ShapeError, QUORUM_API_VERSIONS,
};
use kafka_protocol::messages::ApiKey;

/// The project's seeded generator, so a failure replays; `below` in `usize`, 0 for an empty
/// range.
struct Fuzz(crate::runtime::RngStream);

impl Fuzz {
    fn new(seed: u64) -> Self {
        Self(crate::runtime::RngStream::new(seed, "quorum.fuzz"))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.below(n.max(1) as u64) as usize
    }
}

/// Feeds `body` to every decoder that could receive it. Only panics (and aborts) fail.
fn decode_everywhere(api_key: ApiKey, api_version: i16, body: &Bytes) {
    let _ = decode_request(api_key, api_version, body.clone(), &node(2));
    for request in requests() {
        if super::super::api_key(&request) == api_key {
            let _ = decode_response(&request, api_version, body.clone());
        }
    }
    if api_key == ApiKey::DescribeQuorum {
        let _ = check_describe_quorum_request(api_version, body.clone());
    }
}

/// Bodies of every request and response, valid, to damage.
fn valid_bodies() -> Vec<(ApiKey, i16, Bytes)> {
    let mut bodies = Vec::new();
    for message in requests() {
        let encoded = encode_request(&message, &node(1), 2).unwrap();
        bodies.push((encoded.api_key, encoded.api_version, encoded.body));
    }
    for (request, response) in responses() {
        let key = api_key(&request);
        let version = quorum_api_version(key).unwrap();
        let body = encode_response(&response, key, version).unwrap();
        bodies.push((key, version, body));
    }
    bodies
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Fuzz::new(0x5eed);
    for _ in 0..20_000 {
        let len = rng.below(160);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let bytes = Bytes::from(bytes);
        for (api_key, version) in QUORUM_API_VERSIONS {
            decode_everywhere(api_key, version, &bytes);
        }
    }
}

#[test]
fn every_truncation_of_a_valid_body_is_refused() {
    for message in requests() {
        let encoded = encode_request(&message, &node(1), 2).unwrap();
        let (key, version, body) = (encoded.api_key, encoded.api_version, encoded.body);
        for len in 0..body.len() {
            let cut = body.slice(..len);
            let decoded = decode_request(key, version, cut, &node(2));
            assert!(decoded.is_err(), "{message:?} cut to {len}");
        }
    }
    for (request, response) in responses() {
        let key = api_key(&request);
        let version = quorum_api_version(key).unwrap();
        let body = encode_response(&response, key, version).unwrap();
        for len in 0..body.len() {
            let decoded = decode_response(&request, version, body.slice(..len));
            assert!(decoded.is_err(), "{response:?} cut to {len}");
        }
    }
}

#[test]
fn damaged_valid_bodies_never_panic() {
    let mut rng = Fuzz::new(0xda3a6e);
    for (api_key, version, body) in valid_bodies() {
        for _ in 0..3_000 {
            let mut damaged = body.to_vec();
            for _ in 0..=rng.below(3) {
                let position = rng.below(damaged.len());
                damaged[position] = rng.next() as u8;
            }
            decode_everywhere(api_key, version, &Bytes::from(damaged));
        }
    }
}

#[test]
fn a_forged_array_count_is_refused_before_allocation() {
    // A VoteRequest v2: null cluster id, voter id, then 2^32 - 2 topics in five bytes.
    // Handed straight to kafka-protocol, this asks for ~340 GB and aborts the process.
    let body = Bytes::from_static(&[0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    let error = refused(decode_request(ApiKey::Vote, 2, body, &node(2)));
    assert!(matches!(
        error,
        QuorumWireError::Shape {
            api_key: ApiKey::Vote,
            error: ShapeError::ArrayPastEnd { .. }
        }
    ));
}
