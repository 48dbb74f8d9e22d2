//! The entry points: a core [`Message`] to the body of the Kafka RPC KRaft uses for it and
//! back, checking the version first and dispatching to the API's file.

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;

use super::common::LocalNode;
use super::error::QuorumWireError;
use super::{begin_quorum_epoch, describe_quorum, end_quorum_epoch, fetch, fetch_snapshot, vote};
use crate::core::raft::messages::Message;
use crate::core::raft::types::NodeId;

/// The one version of each quorum API this codec speaks, and so the only one to advertise.
pub const QUORUM_API_VERSIONS: [(ApiKey, i16); 6] = [
    (ApiKey::Fetch, fetch::VERSION),
    (ApiKey::Vote, vote::VERSION),
    (ApiKey::BeginQuorumEpoch, begin_quorum_epoch::VERSION),
    (ApiKey::EndQuorumEpoch, end_quorum_epoch::VERSION),
    (ApiKey::DescribeQuorum, describe_quorum::VERSION),
    (ApiKey::FetchSnapshot, fetch_snapshot::VERSION),
];

/// The version we speak for `api_key`, if it is a quorum API.
pub fn quorum_api_version(api_key: ApiKey) -> Option<i16> {
    (QUORUM_API_VERSIONS.iter())
        .find(|(key, _)| *key == api_key)
        .map(|&(_, version)| version)
}

pub(super) fn check_version(api_key: ApiKey, api_version: i16) -> Result<(), QuorumWireError> {
    let supported =
        quorum_api_version(api_key).ok_or(QuorumWireError::UnsupportedApi { api_key })?;
    if api_version != supported {
        return Err(QuorumWireError::UnsupportedVersion {
            api_key,
            api_version,
            supported,
        });
    }
    Ok(())
}

/// The Kafka API that carries `message` (a request and its response share one).
pub fn api_key(message: &Message) -> ApiKey {
    match message {
        Message::VoteRequest(_) | Message::VoteResponse(_) => ApiKey::Vote,
        Message::BeginQuorumEpoch(_) => ApiKey::BeginQuorumEpoch,
        Message::EndQuorumEpoch(_) => ApiKey::EndQuorumEpoch,
        Message::FetchRequest(_) | Message::FetchResponse(_) => ApiKey::Fetch,
        Message::FetchSnapshotRequest(_) | Message::FetchSnapshotResponse(_) => {
            ApiKey::FetchSnapshot
        }
    }
}

/// A request body ready for a request header with this key and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRequest {
    pub api_key: ApiKey,
    pub api_version: i16,
    pub body: Bytes,
}

/// What a response means to the requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseOutcome {
    /// The peer's core answered: deliver it as received from the peer.
    Answer(Message),
    /// BeginQuorumEpoch or EndQuorumEpoch was received; there is nothing to deliver.
    Acknowledged,
    /// The peer answered with a Kafka error code and no message (it refused the request, or
    /// the error is not one the core models). Nothing to deliver: the core retries on its
    /// request timeout.
    Refused { error_code: i16 },
}

/// Encodes a request-type `message` from `local` to node `to`.
pub fn encode_request(
    message: &Message,
    local: &LocalNode,
    to: NodeId,
) -> Result<EncodedRequest, QuorumWireError> {
    let api_key = api_key(message);
    let body = match message {
        Message::VoteRequest(m) => vote::encode_request(m, local, to)?,
        Message::BeginQuorumEpoch(m) => begin_quorum_epoch::encode_request(m, local, to)?,
        Message::EndQuorumEpoch(m) => end_quorum_epoch::encode_request(m, local)?,
        Message::FetchRequest(m) => fetch::encode_request(m, local)?,
        Message::FetchSnapshotRequest(m) => fetch_snapshot::encode_request(m, local)?,
        Message::VoteResponse(_)
        | Message::FetchResponse(_)
        | Message::FetchSnapshotResponse(_) => {
            return Err(QuorumWireError::WrongDirection { api_key })
        }
    };
    let api_version =
        quorum_api_version(api_key).ok_or(QuorumWireError::UnsupportedApi { api_key })?;
    Ok(EncodedRequest {
        api_key,
        api_version,
        body,
    })
}

/// Decodes a request body received by `local`: the sender (from the request itself) and the
/// message for the core. Refused requests are answered with
/// [`error_response`](super::error_response) and [`QuorumWireError::error_code`].
pub fn decode_request(
    api_key: ApiKey,
    api_version: i16,
    body: Bytes,
    local: &LocalNode,
) -> Result<(NodeId, Message), QuorumWireError> {
    check_version(api_key, api_version)?;
    match api_key {
        ApiKey::Vote => vote::decode_request(body, local),
        ApiKey::BeginQuorumEpoch => begin_quorum_epoch::decode_request(body, local),
        ApiKey::EndQuorumEpoch => end_quorum_epoch::decode_request(body, local),
        ApiKey::Fetch => fetch::decode_request(body, local),
        ApiKey::FetchSnapshot => fetch_snapshot::decode_request(body, local),
        _ => Err(QuorumWireError::UnsupportedApi { api_key }),
    }
}

/// Encodes a response-type `message` answering a `request_api_key` request at `api_version`.
pub fn encode_response(
    message: &Message,
    request_api_key: ApiKey,
    api_version: i16,
) -> Result<Bytes, QuorumWireError> {
    let response_api_key = api_key(message);
    if response_api_key != request_api_key {
        return Err(QuorumWireError::ResponseMismatch {
            request_api_key,
            response_api_key,
        });
    }
    check_version(request_api_key, api_version)?;
    match message {
        Message::VoteResponse(m) => vote::encode_response(m),
        Message::FetchResponse(m) => fetch::encode_response(m),
        Message::FetchSnapshotResponse(m) => fetch_snapshot::encode_response(m),
        Message::VoteRequest(_)
        | Message::BeginQuorumEpoch(_)
        | Message::EndQuorumEpoch(_)
        | Message::FetchRequest(_)
        | Message::FetchSnapshotRequest(_) => Err(QuorumWireError::WrongDirection {
            api_key: response_api_key,
        }),
    }
}

/// Decodes the response to `request` (the message this node sent on the connection, paired
/// by correlation id): Kafka's responses leave out what the requester already knows (Vote's
/// `pre_vote`, Fetch's `fetch_offset`), so the core's message is rebuilt from both.
pub fn decode_response(
    request: &Message,
    api_version: i16,
    body: Bytes,
) -> Result<ResponseOutcome, QuorumWireError> {
    let api_key = api_key(request);
    check_version(api_key, api_version)?;
    match request {
        Message::VoteRequest(m) => vote::decode_response(m, body),
        Message::BeginQuorumEpoch(_) | Message::EndQuorumEpoch(_) => {
            begin_quorum_epoch::decode_acknowledgement(api_key, api_version, body)
        }
        Message::FetchRequest(m) => fetch::decode_response(m, body),
        Message::FetchSnapshotRequest(_) => fetch_snapshot::decode_response(body),
        Message::VoteResponse(_)
        | Message::FetchResponse(_)
        | Message::FetchSnapshotResponse(_) => Err(QuorumWireError::WrongDirection { api_key }),
    }
}
