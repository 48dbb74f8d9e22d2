//! One broker connection: framing, pipelining and version negotiation.
//!
//! A frame is an `i32` size, a request header (v1 or v2, chosen by the API and version) and the
//! body. Requests are pipelined: a writer task drains a channel of encoded frames, a reader task
//! matches each response to its waiter by correlation id. Queueing whole frames in a channel makes
//! a cancelled request harmless: a frame is either written whole or not at all. If either task
//! fails, every waiter is woken with [`ClientError::Disconnected`] and the connection refuses new
//! requests; the cluster layer then opens a fresh one.
//!
//! On connect, ApiVersions picks, per API, the highest version both this client and the broker
//! support ([`CLIENT_VERSIONS`] caps what we have tested).

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, ProduceRequest, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{
    encode_request_header_into_buffer, Decodable, Encodable, Request, StrBytes,
};

use super::error::{ClientError, Result};
use super::lock;
use crate::protocol::guard;
use crate::protocol::splice::SpliceBuf;
use crate::protocol::{split_frame, FrameError};
use crate::runtime::{self, sync, AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};

/// The largest response frame accepted; anything larger is treated as a corrupt stream.
pub const RESPONSE_FRAME_BYTES_MAX: usize = 256 * 1024 * 1024;
/// Frames queued for the writer before senders wait (backpressure on a slow socket).
const OUTBOUND_FRAMES_MAX: usize = 64;
/// ApiVersions is asked in this version first; older brokers answer with their range.
const API_VERSIONS_VERSION_PREFERRED: i16 = 3;
/// UNSUPPORTED_VERSION: the broker's ApiVersions answer to a version it does not know.
const UNSUPPORTED_VERSION: i16 = 35;

/// The APIs this client speaks: (key, lowest, highest tested version). Produce and Fetch stop
/// at 12 and Metadata at 12 because later versions address topics by id only.
pub const CLIENT_VERSIONS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 12),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 8),
    (ApiKey::Metadata, 1, 12),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::ElectLeaders, 0, 2),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::AlterPartitionReassignments, 0, 1),
    (ApiKey::ListPartitionReassignments, 0, 0),
    (ApiKey::DescribeCluster, 0, 2),
    (ApiKey::DescribeTopicPartitions, 0, 0),
];

/// How to open and use a connection.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// Sent in every request header; brokers log it.
    pub client_id: String,
    /// Bound on the TCP connect plus the ApiVersions exchange.
    pub connect_timeout: Duration,
    /// Bound on waiting for one response (fetches add their own `max_wait_ms`).
    pub request_timeout: Duration,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        Self {
            client_id: "weir-client".to_string(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// One open connection to one broker.
#[derive(Debug)]
pub struct Connection {
    addr: String,
    client_id: StrBytes,
    outbound: sync::mpsc::Sender<Frame>,
    inflight: Arc<Mutex<InFlight>>,
    next_correlation_id: AtomicI32,
    /// The negotiated version per API key.
    versions: BTreeMap<i16, i16>,
    request_timeout: Duration,
}

#[derive(Debug, Default)]
struct InFlight {
    waiting: BTreeMap<i32, Waiter>,
    closed: bool,
}

#[derive(Debug)]
struct Waiter {
    response_header_version: i16,
    reply: sync::oneshot::Sender<Result<Bytes>>,
}

impl Connection {
    /// Connects to `addr` (`host:port`) and negotiates API versions, all within
    /// `options.connect_timeout`.
    pub async fn connect(addr: &str, options: &ConnectionOptions) -> Result<Arc<Self>> {
        let timeout_ms = options.connect_timeout.as_millis() as u64;
        let timed_out = || ClientError::Timeout {
            what: "connecting",
            ms: timeout_ms,
        };
        let stream = runtime::timeout(options.connect_timeout, runtime::connect(addr))
            .await
            .map_err(|_| timed_out())??;
        let (reader, writer) = runtime::split(stream);
        let (outbound, frames) = sync::mpsc::channel(OUTBOUND_FRAMES_MAX);
        let inflight = Arc::new(Mutex::new(InFlight::default()));
        runtime::spawn(write_loop(
            writer,
            frames,
            inflight.clone(),
            addr.to_string(),
        ));
        runtime::spawn(read_loop(reader, inflight.clone(), addr.to_string()));
        let mut connection = Self {
            addr: addr.to_string(),
            client_id: StrBytes::from_string(options.client_id.clone()),
            outbound,
            inflight,
            next_correlation_id: AtomicI32::new(0),
            versions: BTreeMap::new(),
            request_timeout: options.request_timeout,
        };
        connection.versions = runtime::timeout(options.connect_timeout, connection.negotiate())
            .await
            .map_err(|_| timed_out())??;
        Ok(Arc::new(connection))
    }

    /// The address this connection was opened to.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Whether the connection has failed; a closed connection never recovers.
    pub fn is_closed(&self) -> bool {
        lock(&self.inflight).closed || self.outbound.is_closed()
    }

    /// The negotiated version of an API, or `UnsupportedVersion`.
    pub fn version(&self, api_key: ApiKey) -> Result<i16> {
        self.versions
            .get(&(api_key as i16))
            .copied()
            .ok_or(ClientError::UnsupportedVersion {
                api_key: api_key as i16,
            })
    }

    /// Sends `body` in the negotiated version and waits for the response.
    pub async fn request<R: Request + 'static>(&self, body: &R) -> Result<R::Response> {
        let version = self.version(api_key_of::<R>()?)?;
        self.request_with(body, version, self.request_timeout).await
    }

    /// Sends `body` in `version` and waits at most `timeout` for the response.
    pub async fn request_with<R: Request + 'static>(
        &self,
        body: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response> {
        let bytes = self.round_trip(body, version, timeout).await?;
        decode_response(api_key_of::<R>()?, version, "response", bytes)
    }

    /// The request timeout this connection was opened with.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Sends `body` and expects no response at all (Produce with acks=0).
    pub async fn send_without_response<R: Request + 'static>(
        &self,
        body: &R,
        version: i16,
    ) -> Result<()> {
        let frame = self.encode_frame(body, version)?;
        if lock(&self.inflight).closed {
            return Err(self.disconnected());
        }
        self.outbound
            .send(frame)
            .await
            .map_err(|_| self.disconnected())
    }

    async fn round_trip<R: Request + 'static>(
        &self,
        body: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<Bytes> {
        let api_key = api_key_of::<R>()?;
        let (frame, correlation_id) = self.encode_frame_with_id(body, version)?;
        let (reply, response) = sync::oneshot::channel();
        {
            let mut inflight = lock(&self.inflight);
            if inflight.closed {
                return Err(self.disconnected());
            }
            let waiter = Waiter {
                response_header_version: api_key.response_header_version(version),
                reply,
            };
            inflight.waiting.insert(correlation_id, waiter);
        }
        if self.outbound.send(frame).await.is_err() {
            return Err(self.disconnected());
        }
        match runtime::timeout(timeout, response).await {
            Err(_) => {
                // A late answer must not be mistaken for a stream error; leave the slot so the
                // reader can drop it, but forget the waiter's channel.
                Err(ClientError::Timeout {
                    what: "request",
                    ms: timeout.as_millis() as u64,
                })
            }
            Ok(Err(_)) => Err(self.disconnected()),
            Ok(Ok(result)) => result,
        }
    }

    fn encode_frame<R: Request + 'static>(&self, body: &R, version: i16) -> Result<Frame> {
        Ok(self.encode_frame_with_id(body, version)?.0)
    }

    fn encode_frame_with_id<R: Request + 'static>(
        &self,
        body: &R,
        version: i16,
    ) -> Result<(Frame, i32)> {
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let mut header = RequestHeader::default();
        header.request_api_key = R::KEY;
        header.request_api_version = version;
        header.correlation_id = correlation_id;
        header.client_id = Some(self.client_id.clone());
        let frame = encode_frame(&header, body)?;
        Ok((frame, correlation_id))
    }

    fn disconnected(&self) -> ClientError {
        ClientError::Disconnected {
            addr: self.addr.clone(),
        }
    }

    /// ApiVersions, falling back to the broker's own highest ApiVersions version when it does
    /// not know ours (KIP-511: it answers UNSUPPORTED_VERSION in the v0 layout).
    async fn negotiate(&self) -> Result<BTreeMap<i16, i16>> {
        let mut request = ApiVersionsRequest::default();
        request.client_software_name = StrBytes::from_static_str("weir");
        request.client_software_version = StrBytes::from_static_str(env!("CARGO_PKG_VERSION"));
        let mut version = API_VERSIONS_VERSION_PREFERRED;
        let mut bytes = self
            .round_trip(&request, version, self.request_timeout)
            .await?;
        if bytes.len() >= 2 && (&bytes[..2]).get_i16() == UNSUPPORTED_VERSION {
            let fallback: ApiVersionsResponse =
                decode_response(ApiKey::ApiVersions, 0, "ApiVersions response", bytes)?;
            version = fallback
                .api_keys
                .iter()
                .find(|api| api.api_key == ApiKey::ApiVersions as i16)
                .map_or(0, |api| api.max_version.min(API_VERSIONS_VERSION_PREFERRED));
            bytes = self
                .round_trip(&request, version, self.request_timeout)
                .await?;
        }
        let response: ApiVersionsResponse =
            decode_response(ApiKey::ApiVersions, version, "ApiVersions response", bytes)?;
        if let Some(error) = ClientError::from_code(response.error_code, || "ApiVersions".into()) {
            return Err(error);
        }
        let broker: Vec<(i16, i16, i16)> = response
            .api_keys
            .iter()
            .map(|api| (api.api_key, api.min_version, api.max_version))
            .collect();
        Ok(pick_versions(&broker))
    }
}

/// For each API both sides speak, the highest version in both ranges.
pub fn pick_versions(broker: &[(i16, i16, i16)]) -> BTreeMap<i16, i16> {
    let mut chosen = BTreeMap::new();
    for &(key, client_min, client_max) in CLIENT_VERSIONS {
        let key = key as i16;
        for &(_, broker_min, broker_max) in broker.iter().filter(|api| api.0 == key) {
            let version = client_max.min(broker_max);
            if version >= client_min.max(broker_min) {
                chosen.insert(key, version);
            }
        }
    }
    chosen
}

/// Decodes a response body once the guard has checked it: `kafka-protocol` allocates for an
/// array's count before reading it, so a broker's forged count would abort this process.
fn decode_response<M: Decodable>(
    api_key: ApiKey,
    version: i16,
    what: &'static str,
    mut bytes: Bytes,
) -> Result<M> {
    guard::check_response(api_key, version, &bytes).map_err(|e| ClientError::decode(what, e))?;
    M::decode(&mut bytes, version).map_err(|e| ClientError::decode(what, e))
}

fn api_key_of<R: Request>() -> Result<ApiKey> {
    ApiKey::try_from(R::KEY).map_err(|_| ClientError::UnsupportedVersion { api_key: R::KEY })
}

/// An encoded request: size prefix, header and body as chunks written in order (record sets
/// of a Produce request are shared, not copied; see `SpliceBuf`).
pub type Frame = Vec<Bytes>;

/// Encodes size, header and body into one frame.
pub fn encode_frame<R: Encodable + 'static>(header: &RequestHeader, body: &R) -> Result<Frame> {
    let version = header.request_api_version;
    let mut header_bytes = BytesMut::with_capacity(REQUEST_HEADER_BYTES_ESTIMATE);
    encode_request_header_into_buffer(&mut header_bytes, header)
        .map_err(|e| ClientError::encode("request header", e))?;
    let body_size = body
        .compute_size(version)
        .map_err(|e| ClientError::encode("request", e))?;
    let size = i32::try_from(header_bytes.len() + body_size).map_err(|_| ClientError::Encode {
        what: "request",
        detail: "frame larger than 2 GiB".into(),
    })?;
    let splice = record_sets(body);
    let spliced: usize = splice.iter().map(Bytes::len).sum();
    let capacity = (4 + header_bytes.len() + body_size).saturating_sub(spliced);
    let mut buf = SpliceBuf::new(splice, capacity);
    buf.put_i32(size);
    buf.put_slice(&header_bytes);
    body.encode(&mut buf, version)
        .map_err(|e| ClientError::encode("request", e))?;
    Ok(buf.into_chunks())
}

/// Room for a request header with a short client id.
const REQUEST_HEADER_BYTES_ESTIMATE: usize = 64;

/// The record sets of a Produce request, to be shared into its frame rather than copied.
fn record_sets<R: 'static>(body: &R) -> Vec<Bytes> {
    let Some(produce) = (body as &dyn Any).downcast_ref::<ProduceRequest>() else {
        return Vec::new();
    };
    produce
        .topic_data
        .iter()
        .flat_map(|topic| &topic.partition_data)
        .filter_map(|partition| partition.records.clone())
        .collect()
}

/// Marks the connection closed and wakes every waiter with `Disconnected`.
fn fail_all(inflight: &Mutex<InFlight>, addr: &str) {
    let waiting = {
        let mut inflight = lock(inflight);
        inflight.closed = true;
        std::mem::take(&mut inflight.waiting)
    };
    for (_, waiter) in waiting {
        let _ = waiter.reply.send(Err(ClientError::Disconnected {
            addr: addr.to_string(),
        }));
    }
}

async fn write_loop(
    mut writer: WriteHalf,
    mut frames: sync::mpsc::Receiver<Frame>,
    inflight: Arc<Mutex<InFlight>>,
    addr: String,
) {
    while let Some(frame) = frames.recv().await {
        if let Err(error) = runtime::write_chunks_and_flush(&mut writer, &frame).await {
            tracing::debug!(%addr, %error, "write failed; closing the connection");
            fail_all(&inflight, &addr);
            frames.close();
            break;
        }
    }
    // Every sender is gone (the connection was dropped): tell the broker we are done, which
    // also ends the reader when the broker closes its side.
    let _ = writer.shutdown().await;
}

async fn read_loop(mut reader: ReadHalf, inflight: Arc<Mutex<InFlight>>, addr: String) {
    if let Err(error) = read_frames(&mut reader, &inflight).await {
        tracing::debug!(%addr, %error, "connection closed");
    }
    fail_all(&inflight, &addr);
}

/// Bytes asked of the socket per read: small responses (produce acknowledgements) then arrive
/// several to a read, where reading each frame's size and body separately cost three reads a
/// response (the third finding the socket empty).
const READ_BUFFER_BYTES: usize = 64 * 1024;

async fn read_frames(reader: &mut ReadHalf, inflight: &Mutex<InFlight>) -> Result<()> {
    let mut buf = BytesMut::with_capacity(READ_BUFFER_BYTES);
    loop {
        // `split_frame` reserves room for the rest of a frame it has the size of, so a large
        // fetch response is read into one allocation of its own size, never zero-filled.
        while let Some(frame) =
            split_frame(&mut buf, RESPONSE_FRAME_BYTES_MAX).map_err(|error| match error {
                FrameError::TooLarge { size, max } => ClientError::FrameTooLarge { size, max },
                FrameError::NegativeSize { .. } => ClientError::FrameTooLarge {
                    size: usize::MAX,
                    max: RESPONSE_FRAME_BYTES_MAX,
                },
            })?
        {
            let large = frame.len() >= READ_BUFFER_BYTES;
            deliver(frame, inflight)?;
            if large {
                // Later small responses would otherwise be cut from the large frame's
                // allocation, and a record kept from one of them would keep it all alive.
                let mut fresh = BytesMut::with_capacity(READ_BUFFER_BYTES.max(buf.len()));
                fresh.extend_from_slice(&buf);
                buf = fresh;
            }
        }
        // With a frame's size known, `split_frame` has reserved exactly the rest of it.
        if buf.len() < 4 && buf.capacity() - buf.len() < READ_BUFFER_BYTES / 4 {
            buf.reserve(READ_BUFFER_BYTES);
        }
        if reader.read_buf(&mut buf).await? == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
    }
}

/// Hands one response frame (size prefix removed) to the request waiting for it.
fn deliver(mut frame: Bytes, inflight: &Mutex<InFlight>) -> Result<()> {
    if frame.len() < 4 {
        return Err(ClientError::Decode {
            what: "response header",
            detail: format!("a response of {} bytes has no correlation id", frame.len()),
        });
    }
    let correlation_id = (&frame[..4]).get_i32();
    let Some(waiter) = lock(inflight).waiting.remove(&correlation_id) else {
        return Err(ClientError::Decode {
            what: "response header",
            detail: format!("unexpected correlation id {correlation_id}"),
        });
    };
    match ResponseHeader::decode(&mut frame, waiter.response_header_version) {
        Ok(_) => {
            let _ = waiter.reply.send(Ok(frame));
            Ok(())
        }
        Err(error) => {
            let _ = waiter
                .reply
                .send(Err(ClientError::decode("response header", &error)));
            Err(ClientError::decode("response header", error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_highest_common_version() {
        let broker = [
            (ApiKey::Produce as i16, 0, 11),
            (ApiKey::Fetch as i16, 4, 17),
            (ApiKey::Metadata as i16, 13, 13),
        ];
        let chosen = pick_versions(&broker);
        assert_eq!(chosen.get(&(ApiKey::Produce as i16)), Some(&11));
        assert_eq!(chosen.get(&(ApiKey::Fetch as i16)), Some(&12));
        // No overlap: Metadata is unsupported rather than sent in a version the broker rejects.
        assert_eq!(chosen.get(&(ApiKey::Metadata as i16)), None);
        assert_eq!(chosen.get(&(ApiKey::ListOffsets as i16)), None);
    }

    #[test]
    fn a_forged_response_count_is_a_decode_error_not_an_abort() {
        use kafka_protocol::messages::MetadataResponse;
        // Metadata v12: throttle_time_ms, then 2^31 brokers as a compact count in five bytes.
        // Decoded unguarded, kafka-protocol would reserve room for them all and abort.
        let forged = Bytes::from_static(&[0, 0, 0, 0, 0x81, 0x80, 0x80, 0x80, 0x08, 0]);
        let result: Result<MetadataResponse> =
            decode_response(ApiKey::Metadata, 12, "response", forged);
        assert!(
            matches!(
                result,
                Err(ClientError::Decode {
                    what: "response",
                    ..
                })
            ),
            "{result:?}"
        );
        // An honest empty response decodes.
        let mut honest = BytesMut::new();
        MetadataResponse::default().encode(&mut honest, 12).unwrap();
        let result: Result<MetadataResponse> =
            decode_response(ApiKey::Metadata, 12, "response", honest.freeze());
        assert!(result.is_ok(), "{result:?}");
    }

    #[test]
    fn frames_carry_their_size() {
        let mut header = RequestHeader::default();
        header.request_api_key = ApiKey::ApiVersions as i16;
        header.request_api_version = 3;
        header.correlation_id = 7;
        let frame: Vec<u8> = encode_frame(&header, &ApiVersionsRequest::default())
            .unwrap()
            .concat();
        let size = i32::from_be_bytes(frame[..4].try_into().unwrap());
        assert_eq!(size as usize, frame.len() - 4);
        assert_eq!(&frame[4..6], &18i16.to_be_bytes());
        assert_eq!(&frame[8..12], &7i32.to_be_bytes());
    }
}
