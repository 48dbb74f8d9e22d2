//! One client connection: read frames, answer them in order, close on a protocol violation.
//!
//! Requests on a connection are run one at a time, in order, and answered in order: clients
//! rely on responses arriving in request order. A produce waiting for its appends to be durable
//! (a flush policy) does not stop the connection: the requests after it run meanwhile (up to
//! `Answers::MAX`), their answers held until it is answered, so one group commit covers the
//! appends of every request a producer has in flight. Responses that are ready are written in
//! one go, so a pipelining client costs one flush per burst rather than one per request; small
//! pieces are coalesced and large record sets are written from the bytes the log read, never
//! copied. A bad frame closes only this connection, with a log line naming the peer and the
//! reason. The CONTROLLER listener's connections run the same loop and answer with
//! `controller_apis`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::broker::Broker;
use super::controller_apis::dispatch_controller;
use super::handlers::{dispatch, Outcome, RequestContext};
use super::quorum::QuorumService;
use crate::config::Listener;
use crate::protocol::{decode_request_header, split_frame, ResponseFrame};
use crate::runtime::{select, split, write_chunks_and_flush, AsyncReadExt, TcpStream};

/// Read buffer size: large enough for a typical produce burst in one read.
const READ_BUFFER_BYTES: usize = 256 * 1024;
/// Response pieces smaller than this are copied together; larger ones are written as they are.
const COALESCE_BELOW_BYTES: usize = 16 * 1024;

/// Responses waiting to be written: a list of chunks, small pieces merged.
#[derive(Default)]
struct Outbox {
    chunks: Vec<Bytes>,
    small: BytesMut,
}

impl Outbox {
    fn push(&mut self, frame: ResponseFrame) {
        for chunk in frame.chunks() {
            if chunk.len() < COALESCE_BELOW_BYTES {
                self.small.extend_from_slice(chunk);
            } else {
                self.seal_small();
                self.chunks.push(chunk.clone());
            }
        }
    }

    fn seal_small(&mut self) {
        if !self.small.is_empty() {
            self.chunks.push(self.small.split().freeze());
        }
    }

    fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.small.is_empty()
    }

    /// Takes everything queued, in order.
    fn take(&mut self) -> Vec<Bytes> {
        self.seal_small();
        std::mem::take(&mut self.chunks)
    }
}

/// Serves one connection until the peer closes it or breaks the protocol.
pub async fn serve(
    broker: Arc<Broker>,
    stream: TcpStream,
    peer: SocketAddr,
    advertised: Arc<Listener>,
    controller: Option<Arc<QuorumService>>,
) {
    let (mut reader, mut writer) = split(stream);
    let max_bytes = broker.config.socket_request_max_bytes;
    let mut buf = BytesMut::with_capacity(READ_BUFFER_BYTES);
    let mut out = Outbox::default();
    let mut queue = Answers::default();
    loop {
        while !queue.is_full() {
            let frame = match split_frame(&mut buf, max_bytes) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%peer, %error, "closing connection");
                    return;
                }
            };
            if broker.health.is_failed() {
                // The disk is no longer trusted: answer nothing more (see `disk_health`).
                tracing::warn!(%peer, "closing connection: the disk failed");
                return;
            }
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
                forwarded: controller.is_some(),
            };
            let outcome = match &controller {
                Some(quorum) => dispatch_controller(ctx, quorum, api_key, frame).await,
                None => dispatch(ctx, api_key, frame).await,
            };
            queue.push(outcome);
        }
        // Answers that are ready, in request order, up to the first still waiting.
        while let Some(outcome) = queue.pop_ready() {
            match outcome {
                Outcome::Reply(response) => out.push(response),
                Outcome::NoReply | Outcome::Later(_) => {}
                Outcome::Close(error) => {
                    tracing::warn!(%peer, %error, "closing connection");
                    let _ = write_chunks_and_flush(&mut writer, &out.take()).await;
                    return;
                }
            }
        }
        if !out.is_empty()
            && write_chunks_and_flush(&mut writer, &out.take())
                .await
                .is_err()
        {
            return;
        }
        // More requests, or the oldest waiting answer, whichever comes first; with the queue
        // full, only the answer.
        let reading = !queue.is_full();
        buf.reserve(READ_BUFFER_BYTES.saturating_sub(buf.capacity() - buf.len()));
        select! {
            // Fixed order, not tokio's random one: the simulator replays a seed exactly.
            biased;
            () = queue.settle_oldest() => {}
            read = reader.read_buf(&mut buf), if reading => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
        }
    }
}

/// The outcomes of a connection's requests not yet written, in request order. A produce that
/// waits for its appends to be durable holds back the answers after it; meanwhile the
/// connection reads and runs more requests (as many as a producer keeps in flight), so one
/// group commit can cover the appends of all of them.
#[derive(Default)]
struct Answers(VecDeque<Outcome>);

impl Answers {
    /// Requests a connection may have in the queue before it stops reading more: more than
    /// the Java producer keeps in flight by default (5). A client with more in flight
    /// (librdkafka allows a million) waits in the socket buffers, as with Kafka's muted channel.
    const MAX: usize = 16;

    fn is_full(&self) -> bool {
        self.0.len() >= Self::MAX
    }

    fn push(&mut self, outcome: Outcome) {
        self.0.push_back(outcome);
    }

    /// The oldest outcome, if it is settled.
    fn pop_ready(&mut self) -> Option<Outcome> {
        match self.0.front() {
            None | Some(Outcome::Later(_)) => None,
            Some(_) => self.0.pop_front(),
        }
    }

    /// Waits until the oldest outcome is settled (never, if none waits).
    async fn settle_oldest(&mut self) {
        let Some(Outcome::Later(later)) = self.0.front_mut() else {
            return std::future::pending().await;
        };
        let settled = later.as_mut().await;
        self.0[0] = settled;
    }
}
