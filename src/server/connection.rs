//! One client connection: read frames, answer them in order, close on a protocol violation.
//!
//! Requests on a connection are handled one at a time, in order, as Kafka does: clients rely on
//! responses arriving in request order. Responses that are ready are written in one go, so a
//! pipelining client costs one write per burst rather than one per request. A bad frame closes
//! only this connection, with a log line naming the peer and the reason.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;

use super::broker::Broker;
use super::handlers::{dispatch, Outcome, RequestContext};
use crate::config::Listener;
use crate::protocol::{decode_request_header, split_frame};
use crate::runtime::{split, write_and_flush, AsyncReadExt, TcpStream};

/// Read buffer size: large enough for a typical produce burst in one read.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Serves one connection until the peer closes it or breaks the protocol.
pub async fn serve(
    broker: Arc<Broker>,
    stream: TcpStream,
    peer: SocketAddr,
    advertised: Arc<Listener>,
) {
    let (mut reader, mut writer) = split(stream);
    let max_bytes = broker.config.socket_request_max_bytes;
    let mut buf = BytesMut::with_capacity(READ_BUFFER_BYTES);
    let mut out = BytesMut::new();
    loop {
        loop {
            let frame = match split_frame(&mut buf, max_bytes) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%peer, %error, "closing connection");
                    return;
                }
            };
            let mut frame = frame;
            let (api_key, header) = match decode_request_header(&mut frame) {
                Ok(decoded) => decoded,
                Err(error) => {
                    tracing::warn!(%peer, %error, "closing connection");
                    return;
                }
            };
            let ctx = RequestContext {
                broker: broker.clone(),
                header,
                advertised: advertised.clone(),
            };
            match dispatch(ctx, api_key, frame).await {
                Outcome::Reply(response) => out.extend_from_slice(&response),
                Outcome::NoReply => {}
                Outcome::Close(error) => {
                    tracing::warn!(%peer, %error, "closing connection");
                    let _ = write_and_flush(&mut writer, &out).await;
                    return;
                }
            }
        }
        if !out.is_empty() {
            if write_and_flush(&mut writer, &out).await.is_err() {
                return;
            }
            out.clear();
        }
        buf.reserve(READ_BUFFER_BYTES.saturating_sub(buf.capacity() - buf.len()));
        match reader.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}
