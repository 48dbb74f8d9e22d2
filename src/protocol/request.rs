//! Request headers. The API key, version and correlation id sit at fixed positions in every
//! header version, so they are read before anything else: even a request whose key or version
//! we do not know can be answered (ApiVersions, KIP-511) or logged precisely before closing.

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::Decodable;

/// The fixed-position identifiers of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestIds {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
}

/// Why a request cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Shorter than the 8 bytes every header starts with.
    TooShort { len: usize },
    /// An API key this protocol version does not define.
    UnknownApiKey { ids: RequestIds },
    /// The header or body does not decode at this version.
    Malformed { ids: RequestIds },
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::TooShort { len } => write!(f, "request of {len} bytes has no header"),
            RequestError::UnknownApiKey { ids } => {
                write!(
                    f,
                    "unknown API key {} (version {})",
                    ids.api_key, ids.api_version
                )
            }
            RequestError::Malformed { ids } => write!(
                f,
                "request with API key {} version {} does not decode",
                ids.api_key, ids.api_version
            ),
        }
    }
}

/// Reads the API key, version and correlation id without decoding the rest.
pub fn peek_request_ids(frame: &[u8]) -> Result<RequestIds, RequestError> {
    if frame.len() < 8 {
        return Err(RequestError::TooShort { len: frame.len() });
    }
    Ok(RequestIds {
        api_key: i16::from_be_bytes([frame[0], frame[1]]),
        api_version: i16::from_be_bytes([frame[2], frame[3]]),
        correlation_id: i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]),
    })
}

/// Decodes the header off the front of `frame`, leaving the body.
pub fn decode_request_header(frame: &mut Bytes) -> Result<(ApiKey, RequestHeader), RequestError> {
    let ids = peek_request_ids(frame)?;
    let api_key = ApiKey::try_from(ids.api_key).map_err(|_| RequestError::UnknownApiKey { ids })?;
    let header_version = api_key.request_header_version(ids.api_version);
    let header = RequestHeader::decode(frame, header_version)
        .map_err(|_| RequestError::Malformed { ids })?;
    Ok((api_key, header))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::protocol::{encode_request_header_into_buffer, StrBytes};

    #[test]
    fn decodes_a_header_and_leaves_the_body() {
        let mut header = RequestHeader::default();
        header.request_api_key = ApiKey::Metadata as i16;
        header.request_api_version = 12;
        header.correlation_id = 42;
        header.client_id = Some(StrBytes::from_static_str("test"));
        let mut buf = BytesMut::new();
        encode_request_header_into_buffer(&mut buf, &header).unwrap();
        buf.extend_from_slice(b"body");
        let mut frame = buf.freeze();
        let (api_key, decoded) = decode_request_header(&mut frame).unwrap();
        assert_eq!(api_key, ApiKey::Metadata);
        assert_eq!(decoded.correlation_id, 42);
        assert_eq!(&frame[..], b"body");
    }

    #[test]
    fn unknown_keys_and_short_frames_are_errors_not_panics() {
        let mut frame = Bytes::from_static(&[0x27, 0x0f, 0, 1, 0, 0, 0, 9, 0xff]);
        let error = decode_request_header(&mut frame).unwrap_err();
        assert!(matches!(error, RequestError::UnknownApiKey { ids } if ids.correlation_id == 9));
        let mut short = Bytes::from_static(&[0, 1, 0]);
        assert_eq!(
            decode_request_header(&mut short).unwrap_err(),
            RequestError::TooShort { len: 3 }
        );
        // A Metadata v12 header whose client id length runs past the end.
        let mut truncated = Bytes::from_static(&[0, 3, 0, 12, 0, 0, 0, 1, 0, 50, b'a']);
        assert!(matches!(
            decode_request_header(&mut truncated),
            Err(RequestError::Malformed { .. })
        ));
    }
}
