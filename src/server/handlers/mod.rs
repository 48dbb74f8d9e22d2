//! One handler per Kafka API, and the table that says which APIs and versions this broker
//! serves. ApiVersions answers from the table, dispatch routes by it, and docs/PROTOCOL.md is
//! checked against it, so what is advertised is exactly what is implemented.

mod alter_partition_reassignments;
mod api_versions;
mod create_partitions;
mod create_topics;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_log_dirs;
mod describe_quorum;
mod describe_topic_partitions;
mod elect_leaders;
mod fetch;
mod forward;
mod incremental_alter_configs;
mod list_offsets;
mod list_partition_reassignments;
mod metadata;
mod offset_for_leader_epoch;
mod produce;
mod replica_fetch;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::{self, ApiKey, RequestHeader};
use kafka_protocol::protocol::Decodable;

use super::broker::Broker;
use crate::config::Listener;
use crate::protocol::guard::{self, GuardError};
use crate::protocol::legacy_produce::{
    request_as_v3, LegacyProduceResponse, FIRST_DECODED_VERSION, LEGACY_PRODUCE_MAX,
};
use crate::protocol::{encode_response, EncodeError, RequestIds, ResponseFrame};

/// An API this broker serves, with the versions it advertises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSupport {
    pub key: ApiKey,
    pub min_version: i16,
    pub max_version: i16,
}

const fn api(key: ApiKey, min_version: i16, max_version: i16) -> ApiSupport {
    ApiSupport {
        key,
        min_version,
        max_version,
    }
}

/// Every API served, in API-key order. Produce is served from v0 (librdkafka turns compression
/// off when a broker's minimum Produce version is above 0): v0–v2 go through the v3 codec
/// (`protocol/legacy_produce.rs`) and their v0/v1 message sets are up-converted on append.
pub const SUPPORTED_APIS: &[ApiSupport] = &[
    api(ApiKey::Produce, 0, 11),
    api(ApiKey::Fetch, 4, 12),
    api(ApiKey::ListOffsets, 1, 10),
    api(ApiKey::Metadata, 0, 12),
    api(ApiKey::ApiVersions, 0, 4),
    api(ApiKey::CreateTopics, 2, 7),
    api(ApiKey::DeleteTopics, 1, 6),
    api(ApiKey::OffsetForLeaderEpoch, 2, 4),
    api(ApiKey::DescribeConfigs, 1, 4),
    api(ApiKey::DescribeLogDirs, 1, 4),
    api(ApiKey::CreatePartitions, 0, 3),
    api(ApiKey::ElectLeaders, 0, 2),
    api(ApiKey::IncrementalAlterConfigs, 0, 1),
    api(ApiKey::AlterPartitionReassignments, 0, 1),
    api(ApiKey::ListPartitionReassignments, 0, 0),
    api(ApiKey::DescribeQuorum, 2, 2),
    api(ApiKey::DescribeCluster, 0, 2),
    api(ApiKey::DescribeTopicPartitions, 0, 0),
];

/// The advertised range of `key`, if served.
pub fn supported(key: ApiKey) -> Option<ApiSupport> {
    SUPPORTED_APIS.iter().copied().find(|api| api.key == key)
}

/// What a handler needs besides its request.
pub struct RequestContext {
    pub broker: Arc<Broker>,
    pub header: RequestHeader,
    /// What clients are told to dial for the listener this request arrived on.
    pub advertised: Arc<Listener>,
    /// The request came in on the CONTROLLER listener (a broker forwarded it to this node as
    /// the active controller): it is handled here, never forwarded again.
    pub forwarded: bool,
}

impl RequestContext {
    pub fn version(&self) -> i16 {
        self.header.request_api_version
    }
}

/// The outcome of one request.
pub enum Outcome {
    /// A response frame to write.
    Reply(ResponseFrame),
    /// The outcome once the request's appends are durable (a produce under a flush policy):
    /// the connection may take further requests meanwhile, and answers in request order.
    Later(Pin<Box<dyn Future<Output = Outcome> + Send>>),
    /// Nothing to send (Produce with acks=0).
    NoReply,
    /// Close the connection, for the reason given (logged by the connection).
    Close(DispatchError),
}

impl Outcome {
    /// The outcome, waiting for it if it comes later.
    pub async fn settled(self) -> Outcome {
        match self {
            Outcome::Later(outcome) => outcome.await,
            outcome => outcome,
        }
    }
}

/// Why a request closes its connection.
#[derive(Debug)]
pub enum DispatchError {
    UnsupportedVersion { ids: RequestIds },
    Malformed { ids: RequestIds },
    Refused(GuardError),
    Encode(EncodeError),
}

impl std::fmt::Display for DispatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DispatchError::UnsupportedVersion { ids } => write!(
                f,
                "API key {} version {} is not supported",
                ids.api_key, ids.api_version
            ),
            DispatchError::Malformed { ids } => write!(
                f,
                "API key {} version {} request body does not decode",
                ids.api_key, ids.api_version
            ),
            DispatchError::Refused(error) => write!(f, "request body refused: {error}"),
            DispatchError::Encode(error) => write!(f, "{error}"),
        }
    }
}

/// Decodes a body, runs its handler and encodes the response.
macro_rules! route {
    ($ctx:expr, $key:expr, $body:expr, $ids:expr, $request:ty, $handler:path) => {{
        let mut body = $body;
        match <$request>::decode(&mut body, $ids.api_version) {
            Ok(request) => reply($key, &$ids, &$handler(&$ctx, request).await),
            Err(_) => Outcome::Close(DispatchError::Malformed { ids: $ids }),
        }
    }};
}

/// Runs one request whose header has been decoded.
pub async fn dispatch(ctx: RequestContext, api_key: ApiKey, body: Bytes) -> Outcome {
    let ids = RequestIds {
        api_key: ctx.header.request_api_key,
        api_version: ctx.header.request_api_version,
        correlation_id: ctx.header.correlation_id,
    };
    let served = supported(api_key)
        .is_some_and(|api| (api.min_version..=api.max_version).contains(&ids.api_version));
    if api_key == ApiKey::ApiVersions && !served {
        // KIP-511: answer in v0 format, which every client can read, whatever it asked for.
        let v0 = RequestIds {
            api_version: 0,
            ..ids
        };
        return reply(api_key, &v0, &api_versions::unsupported_version());
    }
    if !served {
        return Outcome::Close(DispatchError::UnsupportedVersion { ids });
    }
    // Produce v0–v2 are decoded as v3 behind a null transactional id (legacy_produce.rs).
    let legacy_produce = api_key == ApiKey::Produce && ids.api_version <= LEGACY_PRODUCE_MAX;
    let (body, decode_version) = if legacy_produce {
        (request_as_v3(&body), FIRST_DECODED_VERSION)
    } else {
        (body, ids.api_version)
    };
    // kafka-protocol allocates for an array's count before reading it: a forged count aborts
    // the process. The guard walks the body first and refuses counts the bytes cannot back.
    if let Err(error) = guard::check_request(api_key, decode_version, &body) {
        return Outcome::Close(DispatchError::Refused(error));
    }
    match api_key {
        ApiKey::Produce => {
            let mut body = body;
            match messages::ProduceRequest::decode(&mut body, decode_version) {
                Ok(request) => {
                    let answer = move |response| match response {
                        Some(response) if legacy_produce => {
                            reply(api_key, &ids, &LegacyProduceResponse(response))
                        }
                        Some(response) => reply(api_key, &ids, &response),
                        None => Outcome::NoReply,
                    };
                    match produce::append_all(&ctx, request) {
                        produce::Produced::Now(response) => answer(response),
                        produce::Produced::Later(response) => {
                            Outcome::Later(Box::pin(async move { answer(response.await) }))
                        }
                    }
                }
                Err(_) => Outcome::Close(DispatchError::Malformed { ids }),
            }
        }
        ApiKey::Fetch => {
            let mut body = body;
            match messages::FetchRequest::decode(&mut body, ids.api_version) {
                Ok(request) => {
                    let response = fetch::handle(&ctx, request).await;
                    let records = fetch::record_sets(&response);
                    reply_spliced(api_key, &ids, &response, records)
                }
                Err(_) => Outcome::Close(DispatchError::Malformed { ids }),
            }
        }
        ApiKey::ListOffsets => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::ListOffsetsRequest,
            list_offsets::handle
        ),
        ApiKey::OffsetForLeaderEpoch => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::OffsetForLeaderEpochRequest,
            offset_for_leader_epoch::handle
        ),
        ApiKey::Metadata => {
            route!(
                ctx,
                api_key,
                body,
                ids,
                messages::MetadataRequest,
                metadata::handle
            )
        }
        ApiKey::ApiVersions => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::ApiVersionsRequest,
            api_versions::handle
        ),
        ApiKey::CreateTopics => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::CreateTopicsRequest,
            create_topics::handle
        ),
        ApiKey::DeleteTopics => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::DeleteTopicsRequest,
            delete_topics::handle
        ),
        ApiKey::DescribeConfigs => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::DescribeConfigsRequest,
            describe_configs::handle
        ),
        ApiKey::DescribeLogDirs => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::DescribeLogDirsRequest,
            describe_log_dirs::handle
        ),
        ApiKey::CreatePartitions => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::CreatePartitionsRequest,
            create_partitions::handle
        ),
        ApiKey::ElectLeaders => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::ElectLeadersRequest,
            elect_leaders::handle
        ),
        ApiKey::AlterPartitionReassignments => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::AlterPartitionReassignmentsRequest,
            alter_partition_reassignments::handle
        ),
        ApiKey::ListPartitionReassignments => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::ListPartitionReassignmentsRequest,
            list_partition_reassignments::handle
        ),
        ApiKey::IncrementalAlterConfigs => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::IncrementalAlterConfigsRequest,
            incremental_alter_configs::handle
        ),
        ApiKey::DescribeQuorum => describe_quorum::handle(&ctx, &ids, body).await,
        ApiKey::DescribeCluster => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::DescribeClusterRequest,
            describe_cluster::handle
        ),
        ApiKey::DescribeTopicPartitions => route!(
            ctx,
            api_key,
            body,
            ids,
            messages::DescribeTopicPartitionsRequest,
            describe_topic_partitions::handle
        ),
        _ => Outcome::Close(DispatchError::UnsupportedVersion { ids }),
    }
}

pub(crate) fn reply<R: kafka_protocol::protocol::Encodable>(
    api_key: ApiKey,
    ids: &RequestIds,
    response: &R,
) -> Outcome {
    reply_spliced(api_key, ids, response, Vec::new())
}

/// Like `reply`, sharing any of `splice` found whole in the response instead of copying it.
fn reply_spliced<R: kafka_protocol::protocol::Encodable>(
    api_key: ApiKey,
    ids: &RequestIds,
    response: &R,
    splice: Vec<Bytes>,
) -> Outcome {
    match encode_response(
        api_key,
        ids.api_version,
        ids.correlation_id,
        response,
        splice,
    ) {
        Ok(frame) => Outcome::Reply(frame),
        Err(error) => Outcome::Close(DispatchError::Encode(error)),
    }
}

/// Text helpers shared by handlers.
pub(crate) fn str_bytes(text: impl Into<String>) -> kafka_protocol::protocol::StrBytes {
    kafka_protocol::protocol::StrBytes::from_string(text.into())
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn every_advertised_range_is_one_the_codec_can_decode() {
        for api in SUPPORTED_APIS {
            let codec = api.key.valid_versions();
            // Produce's advertised v0..v2 are the documented exception (see SUPPORTED_APIS).
            let min = if api.key == ApiKey::Produce {
                3
            } else {
                api.min_version
            };
            assert!(
                min >= codec.min && api.max_version <= codec.max,
                "{:?}",
                api.key
            );
            assert!(api.min_version <= api.max_version);
        }
        let keys: Vec<i16> = SUPPORTED_APIS.iter().map(|api| api.key as i16).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "keep SUPPORTED_APIS in API-key order");
    }
}

/// The table of served APIs as the Markdown rows docs/PROTOCOL.md carries.
pub fn protocol_table_markdown() -> String {
    let mut table = String::from("| API | key | versions |\n| --- | --- | --- |\n");
    for api in SUPPORTED_APIS {
        table.push_str(&format!(
            "| {:?} | {} | {}–{} |\n",
            api.key, api.key as i16, api.min_version, api.max_version
        ));
    }
    table
}

#[cfg(test)]
mod doc_tests {
    #[test]
    fn protocol_doc_lists_exactly_the_served_apis() {
        let doc = include_str!("../../../docs/PROTOCOL.md");
        let table = super::protocol_table_markdown();
        assert!(
            doc.contains(&table),
            "docs/PROTOCOL.md is out of date; its API table must be exactly:\n{table}"
        );
    }
}
