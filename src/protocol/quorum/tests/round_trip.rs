//! Every message survives encode → bytes → decode unchanged, with its sender; the bytes are
//! real Kafka: a whole request frame goes through the broker's header decoder, and a fetch
//! response's records through `kafka-protocol`'s own record batch decoder.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, FetchResponse as KafkaFetchResponse, RequestHeader};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, StrBytes};
use kafka_protocol::records::RecordBatchDecoder;

use super::*;
use crate::protocol::decode_request_header;
use crate::protocol::quorum::{
    api_key, decode_request, decode_response, encode_request, encode_response, quorum_api_version,
    ResponseOutcome, CLUSTER_METADATA_TOPIC_ID,
};

#[test]
fn every_request_round_trips_with_its_sender() {
    for message in requests() {
        let encoded = encode_request(&message, &node(1), 2).unwrap();
        assert_eq!(encoded.api_key, api_key(&message));
        assert_eq!(
            Some(encoded.api_version),
            quorum_api_version(encoded.api_key)
        );
        let decoded = decode_request(encoded.api_key, encoded.api_version, encoded.body, &node(2));
        assert_eq!(decoded, Ok((1, message.clone())), "{message:?}");
    }
}

#[test]
fn every_response_round_trips_against_its_request() {
    for (request, response) in responses() {
        let api_key = api_key(&request);
        let version = quorum_api_version(api_key).unwrap();
        let body = encode_response(&response, api_key, version).unwrap();
        let decoded = decode_response(&request, version, body);
        assert_eq!(
            decoded,
            Ok(ResponseOutcome::Answer(response.clone())),
            "{response:?}"
        );
    }
}

#[test]
fn requests_survive_a_whole_kafka_frame() {
    for message in requests() {
        let encoded = encode_request(&message, &node(3), 1).unwrap();
        let mut header = RequestHeader::default();
        header.request_api_key = encoded.api_key as i16;
        header.request_api_version = encoded.api_version;
        header.correlation_id = 77;
        header.client_id = Some(StrBytes::from_static_str("weir-quorum-3"));
        let mut frame = BytesMut::new();
        encode_request_header_into_buffer(&mut frame, &header).unwrap();
        frame.extend_from_slice(&encoded.body);
        let mut frame = frame.freeze();
        let (api_key, decoded_header) = decode_request_header(&mut frame).unwrap();
        assert_eq!(decoded_header.correlation_id, 77);
        let decoded = decode_request(api_key, decoded_header.request_api_version, frame, &node(1));
        assert_eq!(decoded, Ok((3, message)));
    }
}

#[test]
fn fetch_records_decode_with_kafka_protocols_own_batch_decoder() {
    let entries = vec![
        entry(5, 100, EntryKind::LeaderChange, b"lc"),
        entry(5, 101, EntryKind::Data, b"one"),
        entry(6, 102, EntryKind::Data, b""),
    ];
    let response = fetch_response(
        Some(1),
        FetchResult::Records {
            entries: entries.clone(),
            high_watermark: 101,
        },
    );
    let mut body = encode_response(&response, ApiKey::Fetch, 18).unwrap();
    let decoded = KafkaFetchResponse::decode(&mut body, 18).unwrap();
    let topic = &decoded.responses[0];
    assert_eq!(topic.topic_id, CLUSTER_METADATA_TOPIC_ID);
    let partition = &topic.partitions[0];
    assert_eq!(partition.high_watermark, 101);
    assert_eq!(partition.current_leader.leader_id.0, 1);
    assert_eq!(partition.current_leader.leader_epoch, 5);
    let mut records: Bytes = partition.records.clone().unwrap();
    for entry in &entries {
        let batch = RecordBatchDecoder::decode(&mut records).unwrap();
        let [record] = &batch.records[..] else {
            panic!("one record per batch: {batch:?}");
        };
        assert_eq!(record.offset, entry.offset);
        assert_eq!(record.partition_leader_epoch, entry.epoch);
        assert_eq!(record.control, entry.kind == EntryKind::LeaderChange);
        assert_eq!(record.value.as_deref(), Some(&entry.data[..]));
    }
    assert!(records.is_empty());
}

#[test]
fn diverging_epoch_and_snapshot_id_use_kafkas_fields() {
    let diverging = OffsetAndEpoch {
        epoch: 3,
        offset: 80,
    };
    let response = fetch_response(None, FetchResult::DivergingEpoch(diverging));
    let mut body = encode_response(&response, ApiKey::Fetch, 18).unwrap();
    let partition =
        KafkaFetchResponse::decode(&mut body, 18).unwrap().responses[0].partitions[0].clone();
    assert_eq!(
        (
            partition.diverging_epoch.epoch,
            partition.diverging_epoch.end_offset
        ),
        (3, 80)
    );
    assert_eq!(partition.snapshot_id.end_offset, -1);
    assert_eq!(partition.current_leader.leader_id.0, -1);
    let snapshot = fetch_response(Some(2), FetchResult::SnapshotId(diverging));
    let mut body = encode_response(&snapshot, ApiKey::Fetch, 18).unwrap();
    let partition =
        KafkaFetchResponse::decode(&mut body, 18).unwrap().responses[0].partitions[0].clone();
    assert_eq!(
        (
            partition.snapshot_id.epoch,
            partition.snapshot_id.end_offset
        ),
        (3, 80)
    );
    assert_eq!(partition.diverging_epoch.epoch, -1);
}
