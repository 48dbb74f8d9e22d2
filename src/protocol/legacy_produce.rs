//! Produce v0–v2 on the wire. `kafka-protocol` 0.18 follows Kafka 4.0, which dropped these
//! versions (KIP-896), yet they must be served: librdkafka turns compression off for a broker
//! whose lowest Produce version is above 0, and pre-0.11 clients speak nothing newer.
//!
//! They differ from v3 so little that they go through `kafka-protocol`'s v3 codec rather than
//! a codec of our own. A v0–v2 request is a v3 request without v3's leading transactional id,
//! so the body is decoded as v3 behind a null one. A v2 response is byte for byte a v3
//! response. v0 and v1 responses lack `log_append_time_ms` per partition (added in v2) and v0
//! lacks the throttle time (added in v1); those two are written here field by field (three
//! ints per partition; `kafka-protocol` keeps its primitive encoders private). The records
//! inside are v0/v1 message sets, which the storage layer up-converts (`storage/legacy.rs`).

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::ProduceResponse;
use kafka_protocol::protocol::buf::ByteBufMut;
use kafka_protocol::protocol::Encodable;

/// The newest Produce version `kafka-protocol` does not decode, and the one it does from.
pub const LEGACY_PRODUCE_MAX: i16 = 2;
pub const FIRST_DECODED_VERSION: i16 = 3;

/// A v0–v2 request body as the v3 body `kafka-protocol` decodes: a null transactional id
/// (int16 length -1) in front.
pub fn request_as_v3(body: &[u8]) -> Bytes {
    let mut v3 = BytesMut::with_capacity(body.len() + 2);
    v3.put_i16(-1);
    v3.extend_from_slice(body);
    v3.freeze()
}

/// A Produce response encoded at v0, v1 or v2.
pub struct LegacyProduceResponse(pub ProduceResponse);

impl Encodable for LegacyProduceResponse {
    fn encode<B: ByteBufMut>(&self, buf: &mut B, version: i16) -> anyhow::Result<()> {
        if version == LEGACY_PRODUCE_MAX {
            return self.0.encode(buf, FIRST_DECODED_VERSION);
        }
        anyhow::ensure!(
            (0..2).contains(&version),
            "Produce v{version} is not legacy"
        );
        buf.put_i32(i32::try_from(self.0.responses.len())?);
        for topic in &self.0.responses {
            let name = topic.name.0.as_bytes();
            buf.put_i16(i16::try_from(name.len())?);
            buf.put_slice(name);
            buf.put_i32(i32::try_from(topic.partition_responses.len())?);
            for partition in &topic.partition_responses {
                buf.put_i32(partition.index);
                buf.put_i16(partition.error_code);
                buf.put_i64(partition.base_offset);
            }
        }
        if version == 1 {
            buf.put_i32(self.0.throttle_time_ms);
        }
        Ok(())
    }

    fn compute_size(&self, version: i16) -> anyhow::Result<usize> {
        if version == LEGACY_PRODUCE_MAX {
            return self.0.compute_size(FIRST_DECODED_VERSION);
        }
        let mut size = 4 + if version == 1 { 4 } else { 0 };
        for topic in &self.0.responses {
            size += 2 + topic.name.0.len();
            size += 4 + topic.partition_responses.len() * (4 + 2 + 8);
        }
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::produce_response::{
        PartitionProduceResponse, TopicProduceResponse,
    };
    use kafka_protocol::messages::{ProduceRequest, TopicName};
    use kafka_protocol::protocol::{Decodable, StrBytes};

    fn response() -> ProduceResponse {
        let partition = PartitionProduceResponse::default()
            .with_index(2)
            .with_error_code(0)
            .with_base_offset(41)
            .with_log_append_time_ms(-1)
            .with_log_start_offset(0);
        ProduceResponse::default()
            .with_responses(vec![TopicProduceResponse::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partition_responses(vec![partition])])
            .with_throttle_time_ms(7)
    }

    fn encoded(version: i16) -> Vec<u8> {
        let body = LegacyProduceResponse(response());
        let mut buf = Vec::new();
        body.encode(&mut buf, version).unwrap();
        assert_eq!(buf.len(), body.compute_size(version).unwrap(), "v{version}");
        buf
    }

    #[test]
    fn responses_have_each_versions_fields() {
        // topics [name "t", partitions [index 2, error 0, base offset 41]]
        let mut v0 = vec![0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0];
        v0.extend_from_slice(&41i64.to_be_bytes());
        assert_eq!(encoded(0), v0);
        let mut v1 = v0.clone();
        v1.extend_from_slice(&7i32.to_be_bytes());
        assert_eq!(encoded(1), v1);
        // v2 adds log_append_time_ms after the base offset, before the throttle time.
        let mut v2 = v0.clone();
        v2.extend_from_slice(&(-1i64).to_be_bytes());
        v2.extend_from_slice(&7i32.to_be_bytes());
        assert_eq!(encoded(2), v2);
    }

    #[test]
    fn a_v2_request_decodes_as_v3_behind_a_null_transactional_id() {
        // acks -1, timeout 1000, topics [name "t", partitions [index 0, records "xyz"]]
        let mut body = vec![0xff, 0xff, 0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0, 1, b't'];
        body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, b'x', b'y', b'z']);
        let request = ProduceRequest::decode(&mut request_as_v3(&body), 3).unwrap();
        assert_eq!(request.transactional_id, None);
        assert_eq!(request.acks, -1);
        assert_eq!(request.timeout_ms, 1000);
        let topic = &request.topic_data[0];
        assert_eq!(topic.name.0.as_str(), "t");
        assert_eq!(
            topic.partition_data[0].records.as_deref(),
            Some(&b"xyz"[..])
        );
    }
}
