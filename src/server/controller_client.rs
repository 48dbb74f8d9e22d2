//! A broker's requests to the active controller on another node: one Kafka request over the
//! CONTROLLER listener of the voter that leads the metadata quorum, as Kafka brokers send
//! BrokerRegistration, BrokerHeartbeat and forwarded admin requests. A connection per request
//! keeps it simple and always aimed at the current leader; these requests are rare (a heartbeat
//! every `broker.heartbeat.interval.ms`, admin changes).
//!
//! Responses pass the guard before `kafka-protocol` decodes them, like every other response.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};

use super::broker::Broker;
use crate::protocol::{guard, split_frame};
use crate::runtime::{connect, split, timeout, write_and_flush, AsyncReadExt};

/// Largest response frame accepted from a controller.
const RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Why a request to the controller got no usable answer; the caller retries or answers
/// NOT_CONTROLLER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No other node is known to lead the quorum (an election is under way).
    NoController,
    /// The controller could not be reached or did not answer in time.
    Unreachable { controller: String, reason: String },
    /// The answer did not decode.
    Malformed { controller: String, reason: String },
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::NoController => write!(f, "no active controller is known yet"),
            CallError::Unreachable { controller, reason } => {
                write!(f, "{controller} did not answer: {reason}")
            }
            CallError::Malformed { controller, reason } => {
                write!(
                    f,
                    "{controller} sent an answer that does not decode: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for CallError {}

/// The quorum leader, when it is another node, with its CONTROLLER address.
pub fn remote_controller(broker: &Broker) -> Option<(i32, String)> {
    let quorum = broker.quorum()?;
    let (leader, _, _) = quorum.leadership();
    let leader = leader.filter(|&id| id != broker.config.node_id)?;
    let address = broker.config.kraft.voters.get(&leader)?.addr();
    Some((leader, address))
}

/// Sends `request` to the active controller and decodes its answer.
pub async fn call<Req: Encodable, Resp: Decodable>(
    broker: &Broker,
    api_key: ApiKey,
    version: i16,
    request: &Req,
    wait: Duration,
) -> Result<Resp, CallError> {
    let (node, address) = remote_controller(broker).ok_or(CallError::NoController)?;
    let client_id = format!("weir-broker-{}", broker.config.node_id);
    call_address(&address, node, &client_id, api_key, version, request, wait).await
}

/// Sends `request` to the CONTROLLER listener at `address` (node `node`, for messages) and
/// decodes its answer. Tools use it too (`weir cluster describe --bootstrap-controller`).
pub async fn call_address<Req: Encodable, Resp: Decodable>(
    address: &str,
    node: i32,
    client_id: &str,
    api_key: ApiKey,
    version: i16,
    request: &Req,
    wait: Duration,
) -> Result<Resp, CallError> {
    let controller = if node >= 0 {
        format!("controller {node} at {address}")
    } else {
        format!("the controller at {address}")
    };
    let unreachable = |reason: String| CallError::Unreachable {
        controller: controller.clone(),
        reason,
    };
    let malformed = |reason: String| CallError::Malformed {
        controller: controller.clone(),
        reason,
    };
    let mut header = RequestHeader::default();
    header.request_api_key = api_key as i16;
    header.request_api_version = version;
    header.correlation_id = 1;
    header.client_id = Some(StrBytes::from_string(client_id.to_string()));
    let mut frame = BytesMut::new();
    frame.put_i32(0);
    encode_request_header_into_buffer(&mut frame, &header)
        .map_err(|error| malformed(error.to_string()))?;
    request
        .encode(&mut frame, version)
        .map_err(|error| malformed(error.to_string()))?;
    let size = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    let exchange = async {
        let stream = connect(address)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let (mut reader, mut writer) = split(stream);
        write_and_flush(&mut writer, &frame)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let mut buf = BytesMut::with_capacity(4096);
        loop {
            match split_frame(&mut buf, RESPONSE_BYTES_MAX) {
                Ok(Some(frame)) => return Ok::<Bytes, CallError>(frame),
                Ok(None) => {}
                Err(error) => return Err(malformed(error.to_string())),
            }
            match reader.read_buf(&mut buf).await {
                Ok(0) => return Err(unreachable("connection closed".into())),
                Ok(_) => {}
                Err(error) => return Err(unreachable(error.to_string())),
            }
        }
    };
    let mut body = timeout(wait, exchange)
        .await
        .map_err(|_| unreachable(format!("no answer within {} ms", wait.as_millis())))??;
    let header_version = api_key.response_header_version(version);
    let header = ResponseHeader::decode(&mut body, header_version)
        .map_err(|error| malformed(error.to_string()))?;
    if header.correlation_id != 1 {
        return Err(malformed(format!(
            "correlation id {} answers 1",
            header.correlation_id
        )));
    }
    guard::check_response(api_key, version, &body).map_err(|error| malformed(error.to_string()))?;
    Resp::decode(&mut body, version).map_err(|error| malformed(error.to_string()))
}
