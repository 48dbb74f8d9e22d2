//! Quorum messages on the wire: request frames out to a peer (one connection per peer, one
//! request at a time, answers paired by correlation id) and the server side of the CONTROLLER
//! listener, which decodes a peer's request, hands it to the service and writes back whatever
//! the core answered, or an empty acknowledgement or error response when it answered nothing.
//!
//! Raft tolerates lost messages, so every failure here (a refused connection, a timeout, a
//! frame that does not decode) drops the message and the connection; the core retries on its
//! own timers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};

use super::service::QuorumService;
use crate::core::raft::{Message, NodeId};
use crate::protocol::quorum::{
    decode_request, decode_response, encode_request, encode_response, error_response,
    quorum_api_version, LocalNode, ResponseOutcome,
};
use crate::protocol::{decode_request_header, split_frame};
use crate::runtime::{
    self, connect, split, timeout, write_and_flush, AsyncReadExt, ReadHalf, WriteHalf,
};

/// Largest quorum frame accepted (a snapshot chunk is at most 1 MiB, a fetch 256 entries).
const QUORUM_FRAME_BYTES_MAX: usize = 64 * 1024 * 1024;

/// An open connection to one peer.
pub struct PeerConnection {
    reader: ReadHalf,
    writer: WriteHalf,
    buf: BytesMut,
    correlation_id: i32,
}

/// Why one exchange with a peer failed; the caller drops the connection.
#[derive(Debug)]
pub enum ExchangeError {
    Io(std::io::Error),
    TimedOut,
    Closed,
    Malformed(String),
}

impl PeerConnection {
    pub async fn open(addr: &str, wait: Duration) -> Result<Self, ExchangeError> {
        let stream = timeout(wait, connect(addr))
            .await
            .map_err(|_| ExchangeError::TimedOut)?
            .map_err(ExchangeError::Io)?;
        let (reader, writer) = split(stream);
        Ok(Self {
            reader,
            writer,
            buf: BytesMut::with_capacity(64 * 1024),
            correlation_id: 0,
        })
    }

    /// Sends `message` (a request) to `to` and waits up to `wait` for what it means.
    pub async fn exchange(
        &mut self,
        message: &Message,
        local: &LocalNode<'_>,
        to: NodeId,
        wait: Duration,
    ) -> Result<ResponseOutcome, ExchangeError> {
        let request = encode_request(message, local, to)
            .map_err(|error| ExchangeError::Malformed(format!("{error:?}")))?;
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let mut header = RequestHeader::default();
        header.request_api_key = request.api_key as i16;
        header.request_api_version = request.api_version;
        header.correlation_id = self.correlation_id;
        header.client_id = Some(StrBytes::from_string(format!(
            "weir-quorum-{}",
            local.node_id
        )));
        let frame = framed(&request.body, |buf| {
            encode_request_header_into_buffer(buf, &header)
        })
        .map_err(|error| ExchangeError::Malformed(error.to_string()))?;
        write_and_flush(&mut self.writer, &frame)
            .await
            .map_err(ExchangeError::Io)?;
        let mut body = timeout(wait, self.read_frame())
            .await
            .map_err(|_| ExchangeError::TimedOut)??;
        let header_version = request.api_key.response_header_version(request.api_version);
        let header = ResponseHeader::decode(&mut body, header_version)
            .map_err(|error| ExchangeError::Malformed(error.to_string()))?;
        if header.correlation_id != self.correlation_id {
            return Err(ExchangeError::Malformed(format!(
                "correlation id {} answers {}",
                header.correlation_id, self.correlation_id
            )));
        }
        decode_response(message, request.api_version, body)
            .map_err(|error| ExchangeError::Malformed(format!("{error:?}")))
    }

    async fn read_frame(&mut self) -> Result<Bytes, ExchangeError> {
        loop {
            match split_frame(&mut self.buf, QUORUM_FRAME_BYTES_MAX) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(error) => return Err(ExchangeError::Malformed(error.to_string())),
            }
            match self.reader.read_buf(&mut self.buf).await {
                Ok(0) => return Err(ExchangeError::Closed),
                Ok(_) => {}
                Err(error) => return Err(ExchangeError::Io(error)),
            }
        }
    }
}

/// One frame: the size prefix, the header `write_header` puts down, then `body`.
fn framed<E>(
    body: &[u8],
    write_header: impl FnOnce(&mut BytesMut) -> Result<(), E>,
) -> Result<BytesMut, E> {
    let mut frame = BytesMut::new();
    frame.put_i32(0);
    write_header(&mut frame)?;
    frame.extend_from_slice(body);
    let size = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    Ok(frame)
}

/// Serves one connection on the CONTROLLER listener until the peer closes it.
pub async fn serve_peer(
    service: Arc<QuorumService>,
    stream: crate::runtime::TcpStream,
    peer: SocketAddr,
) {
    let (mut reader, mut writer) = split(stream);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let mut frame = loop {
            match split_frame(&mut buf, QUORUM_FRAME_BYTES_MAX) {
                Ok(Some(frame)) => break frame,
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%peer, %error, "closing quorum connection");
                    return;
                }
            }
            match reader.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        if service.is_stopped() {
            return;
        }
        let (api_key, header) = match decode_request_header(&mut frame) {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::warn!(%peer, %error, "closing quorum connection");
                return;
            }
        };
        let version = header.request_api_version;
        let Some(body) = answer(&service, api_key, version, frame) else {
            tracing::warn!(%peer, ?api_key, version, "closing quorum connection: unsupported API");
            return;
        };
        let response_header = ResponseHeader::default().with_correlation_id(header.correlation_id);
        let header_version = api_key.response_header_version(version);
        let Ok(response) = framed(&body, |buf| response_header.encode(buf, header_version)) else {
            return;
        };
        if write_and_flush(&mut writer, &response).await.is_err() {
            return;
        }
    }
}

/// The response body for one request, or `None` for an API the quorum does not serve.
pub(crate) fn answer(
    service: &QuorumService,
    api_key: ApiKey,
    version: i16,
    body: Bytes,
) -> Option<Bytes> {
    quorum_api_version(api_key)?;
    let local = service.local();
    let decoded = decode_request(api_key, version, body, &local);
    let (from, message) = match decoded {
        Ok(decoded) => decoded,
        Err(error) => return error_response(api_key, version, error.error_code()).ok(),
    };
    match service.handle_request(from, message) {
        Some(reply) => encode_response(&reply, api_key, version)
            .or_else(|_| error_response(api_key, version, UNKNOWN_SERVER_ERROR))
            .ok(),
        // BeginQuorumEpoch and EndQuorumEpoch are acknowledged with no error; a request the
        // core dropped (stale, malformed) gets an error the requester treats as no answer.
        None if matches!(api_key, ApiKey::BeginQuorumEpoch | ApiKey::EndQuorumEpoch) => {
            error_response(api_key, version, 0).ok()
        }
        None => error_response(api_key, version, UNKNOWN_SERVER_ERROR).ok(),
    }
}

const UNKNOWN_SERVER_ERROR: i16 = -1;

/// Accepts peers on the CONTROLLER listener until the task is stopped.
pub async fn accept_peers(service: Arc<QuorumService>, listener: crate::runtime::TcpListener) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        runtime::spawn(serve_peer(service.clone(), stream, peer));
    }
}
