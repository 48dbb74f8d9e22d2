//! What the CONTROLLER listener serves (Kafka's `ControllerApis`): the quorum's own RPCs, the
//! brokers' BrokerRegistration, BrokerHeartbeat and AlterPartition (`alter_partition_api`), the
//! admin requests brokers forward to
//! the active controller (CreateTopics, DeleteTopics, CreatePartitions, ElectLeaders,
//! IncrementalAlterConfigs, AlterPartitionReassignments, ListPartitionReassignments), which
//! run through the ordinary handlers on this node without being forwarded again, and what an
//! admin client given `--bootstrap-controller` asks first: ApiVersions and DescribeCluster
//! (`controller_describe`). Nothing else is served there.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::{
    AlterPartitionRequest, ApiKey, BrokerHeartbeatRequest, BrokerHeartbeatResponse,
    BrokerRegistrationRequest, BrokerRegistrationResponse, DescribeClusterRequest,
};
use kafka_protocol::protocol::Decodable;
use kafka_protocol::ResponseError;

use super::alter_partition_api::{self, ALTER_PARTITION_VERSIONS};
use super::controller_describe::{self, FORWARDED_APIS};
use super::errors;
use super::handlers::{dispatch, reply, supported, DispatchError, Outcome, RequestContext};
use super::quorum::{transport, QuorumService, SubmitError};
use crate::core::controller::{Endpoint, HeartbeatRequest, RegisterBrokerRequest};
use crate::protocol::quorum::{
    check_describe_quorum_request, describe_quorum_response, error_response, quorum_api_version,
    VoterEndpoint,
};
use crate::protocol::{frame_encoded_body, guard, RequestIds};

/// The registration versions controllers accept; brokers send the newest, which carries the
/// broker epoch of the previous clean shutdown (v3, KIP-966).
pub const BROKER_REGISTRATION_VERSIONS: std::ops::RangeInclusive<i16> = 0..=3;
/// The heartbeat version brokers send and controllers accept.
pub const BROKER_HEARTBEAT_VERSION: i16 = 0;

/// How long a registration or heartbeat may wait for its records to commit. Shorter than the
/// broker's own wait, so a stuck commit is answered rather than abandoned.
const LIFECYCLE_COMMIT_WAIT: Duration = Duration::from_secs(4);

/// Serves one request that arrived on the CONTROLLER listener.
pub async fn dispatch_controller(
    ctx: RequestContext,
    quorum: &Arc<QuorumService>,
    api_key: ApiKey,
    body: Bytes,
) -> Outcome {
    let ids = RequestIds {
        api_key: ctx.header.request_api_key,
        api_version: ctx.header.request_api_version,
        correlation_id: ctx.header.correlation_id,
    };
    if api_key == ApiKey::DescribeQuorum {
        return answer_describe_quorum(&ctx, quorum, &ids, body);
    }
    if quorum_api_version(api_key).is_some() {
        return match transport::answer(quorum, api_key, ids.api_version, body) {
            Some(answer) => {
                match frame_encoded_body(api_key, ids.api_version, ids.correlation_id, answer) {
                    Ok(frame) => Outcome::Reply(frame),
                    Err(error) => Outcome::Close(DispatchError::Encode(error)),
                }
            }
            None => Outcome::Close(DispatchError::UnsupportedVersion { ids }),
        };
    }
    match api_key {
        _ if FORWARDED_APIS.contains(&api_key) => dispatch(ctx, api_key, body).await,
        ApiKey::ApiVersions => {
            let known = supported(api_key)
                .is_some_and(|api| (api.min_version..=api.max_version).contains(&ids.api_version));
            // KIP-511: an unknown version is answered in v0, which every client reads.
            let ids = if known {
                ids
            } else {
                RequestIds {
                    api_version: 0,
                    ..ids
                }
            };
            reply(api_key, &ids, &controller_describe::api_versions(known))
        }
        ApiKey::DescribeCluster if ids.api_version >= 1 => {
            if let Err(error) = guard::check_request(api_key, ids.api_version, &body) {
                return Outcome::Close(DispatchError::Refused(error));
            }
            let mut body = body;
            match DescribeClusterRequest::decode(&mut body, ids.api_version) {
                Ok(request) => {
                    let response = controller_describe::describe_cluster(&ctx, quorum, &request);
                    reply(api_key, &ids, &response)
                }
                Err(_) => Outcome::Close(DispatchError::Malformed { ids }),
            }
        }
        ApiKey::BrokerRegistration if BROKER_REGISTRATION_VERSIONS.contains(&ids.api_version) => {
            if let Err(error) = guard::check_request(api_key, ids.api_version, &body) {
                return Outcome::Close(DispatchError::Refused(error));
            }
            let mut body = body;
            match BrokerRegistrationRequest::decode(&mut body, ids.api_version) {
                Ok(request) => {
                    let response = register(quorum, &ctx, request).await;
                    reply(api_key, &ids, &response)
                }
                Err(_) => Outcome::Close(DispatchError::Malformed { ids }),
            }
        }
        ApiKey::BrokerHeartbeat if ids.api_version == BROKER_HEARTBEAT_VERSION => {
            if let Err(error) = guard::check_request(api_key, ids.api_version, &body) {
                return Outcome::Close(DispatchError::Refused(error));
            }
            let mut body = body;
            match BrokerHeartbeatRequest::decode(&mut body, ids.api_version) {
                Ok(request) => {
                    let response = heartbeat(quorum, request).await;
                    reply(api_key, &ids, &response)
                }
                Err(_) => Outcome::Close(DispatchError::Malformed { ids }),
            }
        }
        ApiKey::AlterPartition if ALTER_PARTITION_VERSIONS.contains(&ids.api_version) => {
            if let Err(error) = guard::check_request(api_key, ids.api_version, &body) {
                return Outcome::Close(DispatchError::Refused(error));
            }
            let mut body = body;
            match AlterPartitionRequest::decode(&mut body, ids.api_version) {
                Ok(request) => {
                    let response = alter_partition_api::answer(quorum, request).await;
                    reply(api_key, &ids, &response)
                }
                Err(_) => Outcome::Close(DispatchError::Malformed { ids }),
            }
        }
        _ => Outcome::Close(DispatchError::UnsupportedVersion { ids }),
    }
}

/// Answers a DescribeQuorum from this node's own quorum state: on the CONTROLLER listener, and
/// on a broker listener when this node leads the quorum (`handlers/describe_quorum.rs`).
pub(crate) fn answer_describe_quorum(
    ctx: &RequestContext,
    quorum: &QuorumService,
    ids: &RequestIds,
    body: Bytes,
) -> Outcome {
    let body = match check_describe_quorum_request(ids.api_version, body) {
        Ok(()) => describe_quorum(ctx, quorum, ids.api_version),
        Err(error) => error_response(ApiKey::DescribeQuorum, ids.api_version, error.error_code()),
    };
    framed_describe_quorum(ids, body)
}

/// A DescribeQuorum answer `error_code` for the whole request (on a broker listener, when no
/// controller could be asked).
pub(crate) fn describe_quorum_error(ids: &RequestIds, error_code: i16) -> Outcome {
    let body = error_response(ApiKey::DescribeQuorum, ids.api_version, error_code);
    framed_describe_quorum(ids, body)
}

fn framed_describe_quorum(
    ids: &RequestIds,
    body: Result<Bytes, crate::protocol::quorum::QuorumWireError>,
) -> Outcome {
    let api_key = ApiKey::DescribeQuorum;
    match body.map(|body| frame_encoded_body(api_key, ids.api_version, ids.correlation_id, body)) {
        Ok(Ok(frame)) => Outcome::Reply(frame),
        _ => Outcome::Close(DispatchError::UnsupportedVersion { ids: *ids }),
    }
}

/// DescribeQuorum (what `weir cluster describe` and `kafka-metadata-quorum` read): the leader's
/// view of the voters, and each voter's CONTROLLER endpoint so a caller can find the leader.
fn describe_quorum(
    ctx: &RequestContext,
    quorum: &QuorumService,
    version: i16,
) -> Result<Bytes, crate::protocol::quorum::QuorumWireError> {
    let kraft = &ctx.broker.config.kraft;
    let listener_name = kraft
        .controller_listener_names
        .first()
        .cloned()
        .unwrap_or_else(|| "CONTROLLER".to_string());
    let endpoints: Vec<VoterEndpoint> = kraft
        .voters
        .iter()
        .map(|(&node_id, address)| VoterEndpoint {
            node_id,
            listener_name: listener_name.clone(),
            host: address.host.clone(),
            port: address.port,
        })
        .collect();
    let response = describe_quorum_response(quorum.describe().as_ref(), &endpoints);
    let mut buf = bytes::BytesMut::new();
    kafka_protocol::protocol::Encodable::encode(&response, &mut buf, version).map_err(|_| {
        crate::protocol::quorum::QuorumWireError::UnsupportedApi {
            api_key: ApiKey::DescribeQuorum,
        }
    })?;
    Ok(buf.freeze())
}

/// The wire code for an operation that did not go through.
fn submit_code(error: &SubmitError) -> ResponseError {
    match error {
        SubmitError::Refused(error) => errors::controller_error(error),
        SubmitError::NotController { .. } => ResponseError::NotController,
        SubmitError::TooLarge { .. } => ResponseError::PolicyViolation,
        SubmitError::Timeout => ResponseError::RequestTimedOut,
        SubmitError::Replica(_) | SubmitError::Failed(_) => ResponseError::UnknownServerError,
    }
}

async fn register(
    quorum: &QuorumService,
    ctx: &RequestContext,
    request: BrokerRegistrationRequest,
) -> BrokerRegistrationResponse {
    let failed = |error: ResponseError| {
        BrokerRegistrationResponse::default()
            .with_error_code(error.code())
            .with_broker_epoch(-1)
    };
    if request.cluster_id.as_str() != ctx.broker.cluster_id {
        return failed(ResponseError::InconsistentClusterId);
    }
    let registration = RegisterBrokerRequest {
        broker_id: request.broker_id.0,
        incarnation_id: request.incarnation_id.as_u128(),
        endpoints: request
            .listeners
            .iter()
            .map(|listener| Endpoint {
                listener: listener.name.to_string(),
                host: listener.host.to_string(),
                port: listener.port,
            })
            .collect(),
        rack: request.rack.as_ref().map(|rack| rack.to_string()),
        previous_broker_epoch: request.previous_broker_epoch,
    };
    let now = quorum.now_ms();
    let submitted = quorum
        .submit(
            move |controller, at| controller.register_broker(registration, now, at),
            LIFECYCLE_COMMIT_WAIT,
        )
        .await;
    match submitted {
        Ok(epoch) => BrokerRegistrationResponse::default().with_broker_epoch(epoch),
        Err(error) => failed(submit_code(&error)),
    }
}

async fn heartbeat(
    quorum: &QuorumService,
    request: BrokerHeartbeatRequest,
) -> BrokerHeartbeatResponse {
    let beat = HeartbeatRequest {
        broker_id: request.broker_id.0,
        broker_epoch: request.broker_epoch,
        current_metadata_offset: request.current_metadata_offset,
        want_fence: request.want_fence,
        want_shutdown: request.want_shut_down,
    };
    let now = quorum.now_ms();
    let submitted = quorum
        .submit(
            move |controller, at| controller.heartbeat(beat, now, at),
            LIFECYCLE_COMMIT_WAIT,
        )
        .await;
    match submitted {
        Ok(reply) => BrokerHeartbeatResponse::default()
            .with_is_caught_up(reply.is_caught_up)
            .with_is_fenced(reply.is_fenced)
            .with_should_shut_down(reply.should_shutdown),
        Err(error) => BrokerHeartbeatResponse::default()
            .with_error_code(submit_code(&error).code())
            .with_is_fenced(true),
    }
}
