//! Answers that carry no message for the core. Every request gets a response on its
//! connection, including the ones the receiving core does not answer (BeginQuorumEpoch and
//! EndQuorumEpoch, which are acknowledged with error code 0) and the ones the receiver refused
//! to decode (answered with [`QuorumWireError::error_code`]). The response is the API's body
//! with only the top-level `error_code` set; the requester decodes it as
//! [`ResponseOutcome::Acknowledged`](super::ResponseOutcome) or `Refused`.

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, BeginQuorumEpochResponse, DescribeQuorumResponse, EndQuorumEpochResponse,
    FetchResponse, FetchSnapshotResponse, VoteResponse,
};

use super::common;
use super::error::QuorumWireError;

/// A minimal `api_key` response at `api_version` (which must be the one we speak) with
/// `error_code` at the top level and nothing else. Code 0 is an acknowledgement only for
/// BeginQuorumEpoch and EndQuorumEpoch; a Vote, Fetch or FetchSnapshot response without an
/// error needs its partition, and decoding one without is an error (`TopicCount`).
pub fn error_response(
    api_key: ApiKey,
    api_version: i16,
    error_code: i16,
) -> Result<Bytes, QuorumWireError> {
    super::check_version(api_key, api_version)?;
    match api_key {
        ApiKey::Vote => {
            let body = VoteResponse::default().with_error_code(error_code);
            common::encode_body(api_key, api_version, &body)
        }
        ApiKey::BeginQuorumEpoch => {
            let body = BeginQuorumEpochResponse::default().with_error_code(error_code);
            common::encode_body(api_key, api_version, &body)
        }
        ApiKey::EndQuorumEpoch => {
            let body = EndQuorumEpochResponse::default().with_error_code(error_code);
            common::encode_body(api_key, api_version, &body)
        }
        ApiKey::Fetch => {
            let body = FetchResponse::default().with_error_code(error_code);
            common::encode_body(api_key, api_version, &body)
        }
        ApiKey::FetchSnapshot => {
            let body = FetchSnapshotResponse::default().with_error_code(error_code);
            common::encode_body(api_key, api_version, &body)
        }
        ApiKey::DescribeQuorum => {
            let body = DescribeQuorumResponse::default()
                .with_error_code(error_code)
                .with_error_message(None);
            common::encode_body(api_key, api_version, &body)
        }
        _ => Err(QuorumWireError::UnsupportedApi { api_key }),
    }
}
