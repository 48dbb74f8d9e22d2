//! Response encoding: size prefix, response header (v0 or v1 as the API and version demand;
//! ApiVersions always v0, per KIP-511), body.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ResponseHeader};
use kafka_protocol::protocol::Encodable;

use super::splice::SpliceBuf;

/// A response that `kafka-protocol` refused to encode: a bug in a handler (a field that does
/// not exist at that version holding a value), reported rather than panicking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    pub api_key: ApiKey,
    pub api_version: i16,
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot encode a {:?} v{} response",
            self.api_key, self.api_version
        )
    }
}

/// An encoded response frame (size prefix included) as chunks to be written in order: copied
/// bytes interleaved with record sets shared by reference (see [`SpliceBuf`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFrame(Vec<Bytes>);

impl ResponseFrame {
    pub fn chunks(&self) -> &[Bytes] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(Bytes::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frame as one contiguous buffer (tests, and callers that need one).
    pub fn to_bytes(&self) -> Bytes {
        match self.0.as_slice() {
            [one] => one.clone(),
            chunks => {
                let mut flat = BytesMut::with_capacity(self.len());
                for chunk in chunks {
                    flat.extend_from_slice(chunk);
                }
                flat.freeze()
            }
        }
    }
}

/// Encodes a whole response frame. Any of `splice` that the body contains whole (Fetch's record
/// sets) is shared into the frame rather than copied.
pub fn encode_response<R: Encodable>(
    api_key: ApiKey,
    api_version: i16,
    correlation_id: i32,
    body: &R,
    splice: Vec<Bytes>,
) -> Result<ResponseFrame, EncodeError> {
    let error = || EncodeError {
        api_key,
        api_version,
    };
    let header_version = api_key.response_header_version(api_version);
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let header_size = header.compute_size(header_version).map_err(|_| error())?;
    let body_size = body.compute_size(api_version).map_err(|_| error())?;
    let size = header_size + body_size;
    let spliced: usize = splice.iter().map(Bytes::len).sum();
    let mut buf = SpliceBuf::new(splice, (4 + size).saturating_sub(spliced));
    buf.put_i32(i32::try_from(size).map_err(|_| error())?);
    header
        .encode(&mut buf, header_version)
        .map_err(|_| error())?;
    body.encode(&mut buf, api_version).map_err(|_| error())?;
    Ok(ResponseFrame(buf.into_chunks()))
}

/// Frames a body some other codec already encoded (the quorum RPCs) behind the response
/// header its API and version call for.
pub fn frame_encoded_body(
    api_key: ApiKey,
    api_version: i16,
    correlation_id: i32,
    body: Bytes,
) -> Result<ResponseFrame, EncodeError> {
    let error = || EncodeError {
        api_key,
        api_version,
    };
    let header_version = api_key.response_header_version(api_version);
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let mut head = BytesMut::new();
    head.put_i32(0);
    header
        .encode(&mut head, header_version)
        .map_err(|_| error())?;
    let size = i32::try_from(head.len() - 4 + body.len()).map_err(|_| error())?;
    head[..4].copy_from_slice(&size.to_be_bytes());
    Ok(ResponseFrame(vec![head.freeze(), body]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::ApiVersionsResponse;

    #[test]
    fn api_versions_uses_header_v0_even_when_flexible() {
        let body = ApiVersionsResponse::default().with_error_code(35);
        let frame = encode_response(ApiKey::ApiVersions, 3, 7, &body, Vec::new())
            .unwrap()
            .to_bytes();
        let size = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        assert_eq!(size, frame.len() - 4);
        // Correlation id, then straight into the body: no tagged-field byte of header v1.
        assert_eq!(&frame[4..8], &7i32.to_be_bytes());
        assert_eq!(&frame[8..10], &35i16.to_be_bytes());
    }

    #[test]
    fn spliced_fetch_response_is_byte_identical_and_shares_the_records() {
        use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
        use kafka_protocol::messages::FetchResponse;
        let records = Bytes::from((0..20_000u32).map(|i| i as u8).collect::<Vec<u8>>());
        let partition = |index| {
            PartitionData::default()
                .with_partition_index(index)
                .with_records(Some(records.slice(..(10_000 + index as usize))))
        };
        let body =
            FetchResponse::default()
                .with_responses(vec![FetchableTopicResponse::default()
                    .with_partitions(vec![partition(0), partition(1)])]);
        let splice: Vec<Bytes> = body.responses[0]
            .partitions
            .iter()
            .filter_map(|p| p.records.clone())
            .collect();
        for version in [4, 11, 12] {
            let plain = encode_response(ApiKey::Fetch, version, 9, &body, Vec::new()).unwrap();
            let spliced =
                encode_response(ApiKey::Fetch, version, 9, &body, splice.clone()).unwrap();
            assert_eq!(plain.chunks().len(), 1);
            assert_eq!(spliced.to_bytes(), plain.to_bytes(), "v{version}");
            let shared = spliced
                .chunks()
                .iter()
                .filter(|c| c.as_ptr() == records.as_ptr())
                .count();
            assert_eq!(
                shared, 2,
                "v{version}: both record sets are shared, not copied"
            );
        }
    }
}
