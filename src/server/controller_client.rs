//! A broker's requests to the active controller on another node: one Kafka request over the
//! CONTROLLER listener of the voter that leads the metadata quorum, as Kafka brokers send
//! BrokerRegistration, BrokerHeartbeat and forwarded admin requests. Heartbeats, steady and
//! sequential, keep a [`ControllerChannel`] open to the leader; the rare others (registration,
//! forwarded admin changes) take a connection per request, always aimed at the current leader.
//!
//! Responses pass the guard before `kafka-protocol` decodes them, like every other response.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};

use super::broker::Broker;
use crate::protocol::{guard, split_frame};
use crate::runtime::{connect, split, timeout, write_and_flush, AsyncReadExt, ReadHalf, WriteHalf};

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

/// Sends `request` to the active controller and decodes its answer, on a connection of its
/// own.
pub async fn call<Req: Encodable, Resp: Decodable>(
    broker: &Broker,
    api_key: ApiKey,
    version: i16,
    request: &Req,
    wait: Duration,
) -> Result<Resp, CallError> {
    let mut once = ControllerChannel::for_broker(broker);
    once.call(broker, api_key, version, request, wait).await
}

/// Sends `request` to the CONTROLLER listener at `address` (node `node`, for messages) and
/// decodes its answer, on a connection of its own. Tools use it too (`weir cluster describe
/// --bootstrap-controller`).
pub async fn call_address<Req: Encodable, Resp: Decodable>(
    address: &str,
    node: i32,
    client_id: &str,
    api_key: ApiKey,
    version: i16,
    request: &Req,
    wait: Duration,
) -> Result<Resp, CallError> {
    let mut once = ControllerChannel::new(client_id.to_string());
    once.call_at(node, address, api_key, version, request, wait)
        .await
}

/// A connection to the active controller kept across requests, as Kafka's broker lifecycle
/// manager keeps its channel: heartbeats go out every `broker.heartbeat.interval.ms`, and a
/// connection each would cost a connect, an accept and a connection task on the controller
/// every time. One request at a time (its owner's loop is sequential). Any failure, and a
/// new quorum leader, drops the connection; the next request dials the current leader.
pub struct ControllerChannel {
    client_id: String,
    open: Option<OpenChannel>,
}

struct OpenChannel {
    node: i32,
    address: String,
    reader: ReadHalf,
    writer: WriteHalf,
    buf: BytesMut,
    next_correlation_id: i32,
}

impl ControllerChannel {
    pub fn new(client_id: String) -> Self {
        Self {
            client_id,
            open: None,
        }
    }

    /// A channel for `broker`'s requests, under its client id.
    pub fn for_broker(broker: &Broker) -> Self {
        Self::new(format!("weir-broker-{}", broker.config.node_id))
    }

    /// Sends `request` to the active controller and decodes its answer.
    pub async fn call<Req: Encodable, Resp: Decodable>(
        &mut self,
        broker: &Broker,
        api_key: ApiKey,
        version: i16,
        request: &Req,
        wait: Duration,
    ) -> Result<Resp, CallError> {
        let (node, address) = remote_controller(broker).ok_or(CallError::NoController)?;
        self.call_at(node, &address, api_key, version, request, wait)
            .await
    }

    /// [`ControllerChannel::call`] to node `node` at `address`, the leader as last known.
    async fn call_at<Req: Encodable, Resp: Decodable>(
        &mut self,
        node: i32,
        address: &str,
        api_key: ApiKey,
        version: i16,
        request: &Req,
        wait: Duration,
    ) -> Result<Resp, CallError> {
        if (self.open.as_ref()).is_some_and(|open| open.node != node || open.address != address) {
            self.open = None;
        }
        let result = timeout(
            wait,
            self.exchange(node, address, api_key, version, request),
        )
        .await
        .unwrap_or_else(|_| Err(Peer::new(address, node).no_answer(wait)));
        if result.is_err() {
            // The stream may hold half a request or an unread answer: never reuse it.
            self.open = None;
        }
        result
    }

    async fn exchange<Req: Encodable, Resp: Decodable>(
        &mut self,
        node: i32,
        address: &str,
        api_key: ApiKey,
        version: i16,
        request: &Req,
    ) -> Result<Resp, CallError> {
        let peer = Peer::new(address, node);
        let open = match self.open.take() {
            Some(open) => self.open.insert(open),
            None => {
                let stream = connect(address)
                    .await
                    .map_err(|e| peer.unreachable(e.to_string()))?;
                let (reader, writer) = split(stream);
                self.open.insert(OpenChannel {
                    node,
                    address: address.to_string(),
                    reader,
                    writer,
                    buf: BytesMut::with_capacity(4096),
                    next_correlation_id: 0,
                })
            }
        };
        let correlation_id = open.next_correlation_id;
        open.next_correlation_id = correlation_id.wrapping_add(1);
        let frame = encode(
            &peer,
            &self.client_id,
            correlation_id,
            api_key,
            version,
            request,
        )?;
        write_and_flush(&mut open.writer, &frame)
            .await
            .map_err(|e| peer.unreachable(e.to_string()))?;
        let body = read_frame(&peer, &mut open.reader, &mut open.buf).await?;
        decode(&peer, correlation_id, api_key, version, body)
    }
}

/// The controller a request goes to, for errors that name it.
struct Peer(String);

impl Peer {
    fn new(address: &str, node: i32) -> Self {
        Peer(if node >= 0 {
            format!("controller {node} at {address}")
        } else {
            format!("the controller at {address}")
        })
    }

    fn unreachable(&self, reason: String) -> CallError {
        CallError::Unreachable {
            controller: self.0.clone(),
            reason,
        }
    }

    fn no_answer(&self, wait: Duration) -> CallError {
        self.unreachable(format!("no answer within {} ms", wait.as_millis()))
    }

    fn malformed(&self, reason: String) -> CallError {
        CallError::Malformed {
            controller: self.0.clone(),
            reason,
        }
    }
}

/// The request's frame: size, header, body.
fn encode<Req: Encodable>(
    peer: &Peer,
    client_id: &str,
    correlation_id: i32,
    api_key: ApiKey,
    version: i16,
    request: &Req,
) -> Result<BytesMut, CallError> {
    let mut header = RequestHeader::default();
    header.request_api_key = api_key as i16;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = Some(StrBytes::from_string(client_id.to_string()));
    let mut frame = BytesMut::new();
    frame.put_i32(0);
    encode_request_header_into_buffer(&mut frame, &header)
        .map_err(|error| peer.malformed(error.to_string()))?;
    request
        .encode(&mut frame, version)
        .map_err(|error| peer.malformed(error.to_string()))?;
    let size = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    Ok(frame)
}

/// The next response frame from `reader`, reading into `buf` (which keeps any bytes past it).
async fn read_frame(
    peer: &Peer,
    reader: &mut ReadHalf,
    buf: &mut BytesMut,
) -> Result<Bytes, CallError> {
    loop {
        match split_frame(buf, RESPONSE_BYTES_MAX) {
            Ok(Some(frame)) => return Ok(frame),
            Ok(None) => {}
            Err(error) => return Err(peer.malformed(error.to_string())),
        }
        match reader.read_buf(buf).await {
            Ok(0) => return Err(peer.unreachable("connection closed".into())),
            Ok(_) => {}
            Err(error) => return Err(peer.unreachable(error.to_string())),
        }
    }
}

/// Checks the response header and the guard, then decodes the body.
fn decode<Resp: Decodable>(
    peer: &Peer,
    correlation_id: i32,
    api_key: ApiKey,
    version: i16,
    mut body: Bytes,
) -> Result<Resp, CallError> {
    let header_version = api_key.response_header_version(version);
    let header = ResponseHeader::decode(&mut body, header_version)
        .map_err(|error| peer.malformed(error.to_string()))?;
    if header.correlation_id != correlation_id {
        return Err(peer.malformed(format!(
            "correlation id {} answers {correlation_id}",
            header.correlation_id
        )));
    }
    guard::check_response(api_key, version, &body)
        .map_err(|error| peer.malformed(error.to_string()))?;
    Resp::decode(&mut body, version).map_err(|error| peer.malformed(error.to_string()))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use kafka_protocol::messages::{BrokerHeartbeatRequest, BrokerHeartbeatResponse, BrokerId};
    use kafka_protocol::protocol::decode_request_header_from_buffer;

    use super::*;
    use crate::client::mock_broker::{read_request, write_response};
    use crate::runtime::{self, TcpStream};

    const VERSION: i16 = 1;

    /// A controller that answers every BrokerHeartbeat (caught up if the broker id is even),
    /// `hang_up_after` answers per connection, and counts the connections it accepted.
    async fn fake_controller(accepted: Arc<AtomicUsize>, hang_up_after: usize) -> String {
        let listener = runtime::listen("127.0.0.1:0").await.unwrap();
        let address = runtime::local_addr(&listener).unwrap().to_string();
        runtime::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::Relaxed);
                runtime::spawn(answer(stream, hang_up_after));
            }
        });
        address
    }

    async fn answer(mut stream: TcpStream, hang_up_after: usize) {
        for _ in 0..hang_up_after {
            let Some(mut frame) = read_request(&mut stream).await else {
                return;
            };
            let header = decode_request_header_from_buffer(&mut frame).unwrap();
            let request = BrokerHeartbeatRequest::decode(&mut frame, VERSION).unwrap();
            let mut body = BytesMut::new();
            BrokerHeartbeatResponse::default()
                .with_is_caught_up(request.broker_id.0 % 2 == 0)
                .encode(&mut body, VERSION)
                .unwrap();
            let key = ApiKey::BrokerHeartbeat;
            if !write_response(&mut stream, key, VERSION, header.correlation_id, &body).await {
                return;
            }
        }
    }

    async fn beat(
        channel: &mut ControllerChannel,
        address: &str,
        broker: i32,
    ) -> Result<BrokerHeartbeatResponse, CallError> {
        let request = BrokerHeartbeatRequest::default().with_broker_id(BrokerId(broker));
        let wait = Duration::from_secs(5);
        let key = ApiKey::BrokerHeartbeat;
        channel
            .call_at(3000, address, key, VERSION, &request, wait)
            .await
    }

    #[test]
    fn heartbeats_share_one_connection_and_a_dropped_one_is_dialled_again() {
        runtime::block_on(async {
            let accepted = Arc::new(AtomicUsize::new(0));
            let address = fake_controller(accepted.clone(), 3).await;
            let mut channel = ControllerChannel::new("test".into());
            for broker in [2, 5, 4] {
                let reply = beat(&mut channel, &address, broker).await.unwrap();
                assert_eq!(reply.is_caught_up, broker % 2 == 0, "answers stay in order");
            }
            assert_eq!(accepted.load(Ordering::Relaxed), 1);
            // The controller hung up after three answers: the fourth call fails, and the one
            // after it dials again.
            let error = beat(&mut channel, &address, 2).await.unwrap_err();
            assert!(matches!(error, CallError::Unreachable { .. }), "{error}");
            assert!(beat(&mut channel, &address, 2).await.unwrap().is_caught_up);
            assert_eq!(accepted.load(Ordering::Relaxed), 2);
            // Another leader: another connection.
            let other = fake_controller(accepted.clone(), 3).await;
            assert!(beat(&mut channel, &other, 2).await.is_ok());
            assert_eq!(accepted.load(Ordering::Relaxed), 3);
        })
        .unwrap();
    }
}
