//! DescribeQuorum (key 55) on a broker listener, as Kafka's brokers serve it since KIP-919:
//! `kafka-metadata-quorum --bootstrap-server` and the AdminClient's `describeMetadataQuorum`
//! ask any broker. Only the quorum leader tracks the voters, so a node that leads answers from
//! its own state (the same code as on the CONTROLLER listener) and any other node forwards the
//! request to the active controller, as it forwards admin requests.

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, DescribeQuorumRequest, DescribeQuorumResponse};
use kafka_protocol::protocol::Decodable;
use kafka_protocol::ResponseError;

use super::{forward, reply, DispatchError, Outcome, RequestContext};
use crate::protocol::RequestIds;
use crate::server::controller_apis::{answer_describe_quorum, describe_quorum_error};

pub async fn handle(ctx: &RequestContext, ids: &RequestIds, body: Bytes) -> Outcome {
    if let Some(quorum) = ctx.broker.quorum().filter(|quorum| quorum.is_active()) {
        return answer_describe_quorum(ctx, quorum, ids, body);
    }
    let mut raw = body;
    let Ok(request) = DescribeQuorumRequest::decode(&mut raw, ids.api_version) else {
        return Outcome::Close(DispatchError::Malformed { ids: *ids });
    };
    let forwarded: Option<DescribeQuorumResponse> =
        forward::to_controller(ctx, ApiKey::DescribeQuorum, &request).await;
    match forwarded {
        Some(response) => reply(ApiKey::DescribeQuorum, ids, &response),
        // No controller answered: a retriable error, so the client asks again until its own
        // timeout, as it would while Kafka's controller fails over.
        None => describe_quorum_error(ids, ResponseError::NotLeaderOrFollower.code()),
    }
}
