//! Forwarding admin requests to the active controller when it runs on another node (Kafka's
//! `ForwardingManager`, without the envelope: the request goes as it came, at its version, to
//! the controller's CONTROLLER listener, and its answer comes back as it was given). A request
//! already forwarded to this node, or one arriving while no other node is known to lead, is
//! handled here; the controller code then answers NOT_CONTROLLER and the client retries.

use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::{Decodable, Encodable};

use super::RequestContext;
use crate::server::controller_client::{call, remote_controller};

/// How long a forwarded request may take, commit included (Kafka's `request.timeout.ms`).
const FORWARD_WAIT: Duration = Duration::from_secs(30);

/// The controller's answer to `request`, when it should go to another node and got there.
pub async fn to_controller<Req: Encodable, Resp: Decodable>(
    ctx: &RequestContext,
    api_key: ApiKey,
    request: &Req,
) -> Option<Resp> {
    to_controller_at(ctx, api_key, ctx.version(), request).await
}

/// Like [`to_controller`], for a request this broker makes up itself at `version` (Metadata's
/// auto-creation sends a CreateTopics).
pub async fn to_controller_at<Req: Encodable, Resp: Decodable>(
    ctx: &RequestContext,
    api_key: ApiKey,
    version: i16,
    request: &Req,
) -> Option<Resp> {
    if ctx.forwarded {
        return None;
    }
    let quorum = ctx.broker.quorum()?;
    if quorum.is_active() {
        return None;
    }
    remote_controller(&ctx.broker)?;
    match call(&ctx.broker, api_key, version, request, FORWARD_WAIT).await {
        Ok(response) => Some(response),
        Err(error) => {
            tracing::debug!(%error, ?api_key, "forwarding to the controller failed");
            None
        }
    }
}
