//! Response encoding: size prefix, response header (v0 or v1 as the API and version demand;
//! ApiVersions always v0, per KIP-511), body.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ResponseHeader};
use kafka_protocol::protocol::Encodable;

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

/// Encodes a whole response frame.
pub fn encode_response<R: Encodable>(
    api_key: ApiKey,
    api_version: i16,
    correlation_id: i32,
    body: &R,
) -> Result<Bytes, EncodeError> {
    let error = || EncodeError {
        api_key,
        api_version,
    };
    let header_version = api_key.response_header_version(api_version);
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let header_size = header.compute_size(header_version).map_err(|_| error())?;
    let body_size = body.compute_size(api_version).map_err(|_| error())?;
    let size = header_size + body_size;
    let mut buf = BytesMut::with_capacity(4 + size);
    buf.put_i32(i32::try_from(size).map_err(|_| error())?);
    header
        .encode(&mut buf, header_version)
        .map_err(|_| error())?;
    body.encode(&mut buf, api_version).map_err(|_| error())?;
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::ApiVersionsResponse;

    #[test]
    fn api_versions_uses_header_v0_even_when_flexible() {
        let body = ApiVersionsResponse::default().with_error_code(35);
        let frame = encode_response(ApiKey::ApiVersions, 3, 7, &body).unwrap();
        let size = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        assert_eq!(size, frame.len() - 4);
        // Correlation id, then straight into the body: no tagged-field byte of header v1.
        assert_eq!(&frame[4..8], &7i32.to_be_bytes());
        assert_eq!(&frame[8..10], &35i16.to_be_bytes());
    }
}
