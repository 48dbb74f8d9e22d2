//! The metadata quorum's wire codec: every message of the Raft core (`core::raft::Message`)
//! as the Kafka RPC that KRaft uses for it, so quorum traffic is ordinary Kafka requests on a
//! plain Kafka connection (request header with api key, version, correlation id and client
//! id; the response on the same connection). Pure: bytes in, bytes out.
//!
//! One version per API, the newest `kafka-protocol` 0.18 knows, which carries every field we
//! need; no other is accepted or advertised ([`QUORUM_API_VERSIONS`]):
//!
//! | API              | key | version | first version with                                    |
//! |------------------|-----|---------|-------------------------------------------------------|
//! | Fetch            | 1   | 18      | replica_state (15), topic ids (13), KRaft fields (12) |
//! | Vote             | 52  | 2       | pre_vote (2, KIP-996), voter_id (1)                   |
//! | BeginQuorumEpoch | 53  | 1       | voter_id (1)                                          |
//! | EndQuorumEpoch   | 54  | 1       | preferred_candidates (1)                              |
//! | DescribeQuorum   | 55  | 2       | nodes and their listeners (2)                         |
//! | FetchSnapshot    | 59  | 1       | (every field is in 0; 1 is the newest)                |
//!
//! Fetch shares api key 1 with consumers' and followers' Fetch on the broker listeners: the
//! quorum's requests arrive on the controller listener, and the connection layer routes by
//! listener before choosing a codec.
//!
//! Every request names `__cluster_metadata` partition 0 (Fetch by Kafka's fixed topic id), its
//! sender where Kafka puts it (`replica_id`, `leader_id`, `replica_state.replica_id`) and the
//! `cluster_id`, which the receiver checks so two clusters on one network never mix; Vote and
//! BeginQuorumEpoch also name the receiver (`voter_id`), which it checks too. Responses come
//! back on the connection, so the caller knows their sender and the request they answer
//! ([`decode_response`] takes it). A request the core does not answer still gets a response:
//! [`error_response`] (error code 0 acknowledges BeginQuorumEpoch and EndQuorumEpoch), which
//! the requester decodes as [`ResponseOutcome::Acknowledged`] or `Refused`.
//!
//! Everything decoded is checked: the body's layout before `kafka-protocol` allocates for it
//! (`shape`: it trusts array counts, and a forged one aborts the process), then ids, epochs,
//! offsets, counts and record batches, each failure a [`QuorumWireError`]. Nothing panics on
//! input.
//!
//! Layout: `codec` (entry points, versions), one file per API family (`vote`,
//! `begin_quorum_epoch`, `end_quorum_epoch`, `fetch` with `records`, `fetch_snapshot`,
//! `describe_quorum`), `error_response`, `common` (shared checks), `shape`, `error`.

mod begin_quorum_epoch;
mod codec;
mod common;
mod describe_quorum;
mod end_quorum_epoch;
mod error;
mod error_response;
mod fetch;
mod fetch_snapshot;
mod records;
mod shape;
mod vote;

#[cfg(test)]
mod tests;

use codec::check_version;
pub use codec::{
    api_key, decode_request, decode_response, encode_request, encode_response, quorum_api_version,
    EncodedRequest, ResponseOutcome, QUORUM_API_VERSIONS,
};
pub use common::{
    LocalNode, CLUSTER_METADATA_PARTITION, CLUSTER_METADATA_TOPIC, CLUSTER_METADATA_TOPIC_ID,
};
pub use describe_quorum::{check_describe_quorum_request, describe_quorum_response, VoterEndpoint};
pub use error::QuorumWireError;
pub use error_response::error_response;
pub use fetch_snapshot::SNAPSHOT_CRC32C_TAG;
pub use shape::{ShapeError, ARRAY_ELEMENTS_MAX};
