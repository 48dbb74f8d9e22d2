//! Protocol abuse: a real `weir broker` process, fed malformed and hostile requests over raw TCP.
//!
//! Each case checks what the broker does to the offending connection (close it, or answer with
//! the right Kafka error code) and then that the broker is still healthy: a bystander connection
//! opened before the abuse and a fresh connection opened after both get valid ApiVersions
//! responses. Every socket read is bounded by a timeout, and the broker is killed when the test's
//! guard drops, pass or fail.
#![cfg(not(madsim))]

use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, CreateTopicsRequest, MetadataRequest,
    ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);
const BROKER_READY_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_BYTES_MAX: usize = 1024 * 1024;

const ERROR_NONE: i16 = 0;
const ERROR_CORRUPT_MESSAGE: i16 = 2;
const ERROR_UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const ERROR_UNSUPPORTED_VERSION: i16 = 35;

/// A `weir broker` child process with its own port and log dir; killed and cleaned up on drop.
struct Broker {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Broker {
    fn start() -> Broker {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "weir-protocol-abuse-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        let log = fs::File::create(dir.join("broker.log")).expect("create broker log");
        // Port 0: the broker binds a free port itself and logs it. Picking a "free" port here
        // and handing it over races with every other test doing the same.
        let settings = [
            "node.id=1".to_string(),
            "listeners=PLAINTEXT://127.0.0.1:0".to_string(),
            format!("log.dirs={}", dir.join("data").display()),
            format!("socket.request.max.bytes={REQUEST_BYTES_MAX}"),
            // At least two runtime workers, whatever the machine: requests run in parallel.
            "num.io.threads=2".to_string(),
        ];
        let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
        command.arg("broker");
        for setting in &settings {
            command.arg("--override").arg(setting);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn the weir binary");
        let mut broker = Broker {
            child,
            port: 0,
            dir,
        };
        broker.wait_ready();
        broker
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("broker.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + BROKER_READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("broker exited early with {status}:\n{}", self.log());
            }
            if self.port == 0 {
                self.port = bound_port(&self.log()).unwrap_or(0);
            }
            if self.port != 0 && TcpStream::connect(self.addr()).is_ok() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "broker not accepting after 20s (port {}):\n{}",
            self.port,
            self.log()
        );
    }

    /// Panics (with the broker's log) if the process has died.
    fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("broker died with {status}:\n{}", self.log());
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("----- broker log -----\n{}", self.log());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The port the broker logged it listens on (`advertised=PLAINTEXT://127.0.0.1:PORT`).
fn bound_port(log: &str) -> Option<u16> {
    let line = log.lines().find(|line| line.contains("listening"))?;
    let (_, rest) = line.split_once("advertised=PLAINTEXT://127.0.0.1:")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn connect(broker: &Broker) -> TcpStream {
    let stream = TcpStream::connect(broker.addr()).expect("connect to the broker");
    stream.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// A size-prefixed frame.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as i32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn header(api_key: i16, version: i16, correlation_id: i32) -> RequestHeader {
    RequestHeader::default()
        .with_request_api_key(api_key)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("weir-protocol-abuse")))
}

fn encode_request<R: Request>(request: &R, version: i16, correlation_id: i32) -> Vec<u8> {
    let mut body = BytesMut::new();
    header(R::KEY, version, correlation_id)
        .encode(&mut body, R::header_version(version))
        .expect("encode header");
    request.encode(&mut body, version).expect("encode request");
    frame(&body)
}

/// Reads one response frame; `Ok(None)` when the broker closed the connection.
fn read_frame(stream: &mut TcpStream) -> io::Result<Option<Bytes>> {
    let mut size = [0u8; 4];
    match stream.read_exact(&mut size) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) if is_reset(&e) => return Ok(None),
        Err(e) => return Err(e),
    }
    let size = i32::from_be_bytes(size);
    assert!(size >= 4, "response frame size {size} is too small");
    let mut body = vec![0u8; size as usize];
    stream.read_exact(&mut body)?;
    Ok(Some(Bytes::from(body)))
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn decode_response<R: Request>(mut body: Bytes, version: i16, correlation_id: i32) -> R::Response {
    let header_version = <R::Response as HeaderVersion>::header_version(version);
    let header = ResponseHeader::decode(&mut body, header_version).expect("response header");
    assert_eq!(header.correlation_id, correlation_id, "correlation id");
    let response = R::Response::decode(&mut body, version).expect("decode response body");
    assert!(
        body.is_empty(),
        "{} bytes left after the response body",
        body.len()
    );
    response
}

fn round_trip<R: Request>(
    stream: &mut TcpStream,
    request: &R,
    version: i16,
    correlation_id: i32,
) -> R::Response {
    stream
        .write_all(&encode_request(request, version, correlation_id))
        .expect("send request");
    let body = match read_frame(stream) {
        Ok(Some(body)) => body,
        Ok(None) => panic!(
            "broker closed the connection instead of answering api {}",
            R::KEY
        ),
        Err(e) => panic!("no answer to api {} v{version}: {e}", R::KEY),
    };
    decode_response::<R>(body, version, correlation_id)
}

fn api_versions_request() -> ApiVersionsRequest {
    ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("weir-protocol-abuse"))
        .with_client_software_version(StrBytes::from_static_str("0.1.0"))
}

/// The broker answers ApiVersions v3 on `stream` with no error and a sane table.
fn assert_api_versions_ok(stream: &mut TcpStream) {
    let response = round_trip(stream, &api_versions_request(), 3, 7);
    assert_eq!(response.error_code, ERROR_NONE);
    assert_api_table_sane(&response);
}

fn assert_api_table_sane(response: &ApiVersionsResponse) {
    let api_versions = response
        .api_keys
        .iter()
        .find(|api| api.api_key == ApiKey::ApiVersions as i16)
        .expect("ApiVersions itself is in the table");
    assert!(api_versions.min_version == 0 && api_versions.max_version >= 3);
    for api in &response.api_keys {
        assert!(
            api.min_version <= api.max_version,
            "bad range for api {}",
            api.api_key
        );
    }
}

/// After abuse: the broker lives, and old and new connections are served.
fn assert_healthy(broker: &mut Broker, bystander: &mut TcpStream) {
    broker.assert_alive();
    assert_api_versions_ok(bystander);
    assert_api_versions_ok(&mut connect(broker));
}

/// The broker closes `stream` (EOF or reset) within the socket timeout, sending nothing.
fn assert_closed(stream: &mut TcpStream, what: &str) {
    match read_frame(stream) {
        Ok(None) => {}
        Ok(Some(body)) => panic!(
            "{what}: broker answered ({} bytes) instead of closing",
            body.len()
        ),
        Err(e) if is_timeout(&e) => {
            panic!("{what}: connection still open after {SOCKET_TIMEOUT:?}")
        }
        Err(e) if is_reset(&e) => {}
        Err(e) => panic!("{what}: unexpected error {e}"),
    }
}

/// The broker closes `stream` or answers `correlation_id` (with an error, we do not decode it).
fn assert_closed_or_answered(stream: &mut TcpStream, correlation_id: i32, what: &str) {
    match read_frame(stream) {
        Ok(None) => {}
        Ok(Some(body)) => {
            let id = i32::from_be_bytes(body[..4].try_into().unwrap());
            assert_eq!(id, correlation_id, "{what}: answer to another request");
        }
        Err(e) if is_timeout(&e) => {
            panic!("{what}: neither closed nor answered after {SOCKET_TIMEOUT:?}")
        }
        Err(e) if is_reset(&e) => {}
        Err(e) => panic!("{what}: unexpected error {e}"),
    }
}

fn create_topic(stream: &mut TcpStream, name: &'static str, partitions: i32) {
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_static_str(name)))
            .with_num_partitions(partitions)
            .with_replication_factor(1)]);
    let response = round_trip(stream, &request, 4, 11);
    assert_eq!(response.topics.len(), 1);
    assert_eq!(
        response.topics[0].error_code, ERROR_NONE,
        "create topic {name}"
    );
    wait_for_leaders(stream, name, partitions);
}

/// Polls Metadata v4 until every partition of `name` has a leader (bounded).
fn wait_for_leaders(stream: &mut TcpStream, name: &'static str, partitions: i32) {
    let request = MetadataRequest::default()
        .with_allow_auto_topic_creation(false)
        .with_topics(Some(vec![MetadataRequestTopic::default()
            .with_name(Some(TopicName(StrBytes::from_static_str(name))))]));
    let deadline = Instant::now() + SOCKET_TIMEOUT;
    loop {
        let response = round_trip(stream, &request, 4, 13);
        let ready = response.topics.iter().any(|topic| {
            topic.error_code == ERROR_NONE
                && topic.partitions.len() == partitions as usize
                && topic.partitions.iter().all(|p| p.leader_id.0 >= 0)
        });
        if ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} has no leaders: {response:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

fn record_batch(count: i64) -> Vec<u8> {
    let records: Vec<Record> = (0..count)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i,
            sequence: -1,
            timestamp: 1_700_000_000_000 + i,
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(format!("value-{i}"))),
            headers: IndexMap::new(),
        })
        .collect();
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options).expect("encode batch");
    buf.to_vec()
}

fn produce_request(topic: &'static str, partition: i32, batch: Vec<u8>) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str(topic)))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(Bytes::from(batch)))])])
}

/// Produces one batch with Produce v7 (what librdkafka sends); returns (error code, base offset).
fn produce(stream: &mut TcpStream, request: &ProduceRequest) -> (i16, i64) {
    let response: ProduceResponse = round_trip(stream, request, 7, 21);
    assert_eq!(response.responses.len(), 1);
    let partitions = &response.responses[0].partition_responses;
    assert_eq!(partitions.len(), 1);
    (partitions[0].error_code, partitions[0].base_offset)
}

#[test]
fn oversized_frame_closes_only_that_connection() {
    let mut broker = Broker::start();
    let mut bystander = connect(&broker);
    let mut stream = connect(&broker);
    let size = (REQUEST_BYTES_MAX + 1) as i32;
    stream.write_all(&size.to_be_bytes()).unwrap();
    let _ = stream.write_all(&[0u8; 1024]);
    assert_closed(&mut stream, "frame over socket.request.max.bytes");
    assert_healthy(&mut broker, &mut bystander);

    let mut stream = connect(&broker);
    stream.write_all(&(-1i32).to_be_bytes()).unwrap();
    assert_closed(&mut stream, "negative frame size");
    assert_healthy(&mut broker, &mut bystander);
}

#[test]
fn garbage_closes_the_connection() {
    let mut broker = Broker::start();
    let mut bystander = connect(&broker);

    // An HTTP request: its first four bytes read as a ~1.2 GB frame size.
    let mut stream = connect(&broker);
    let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: weir\r\n\r\n");
    assert_closed(&mut stream, "HTTP request");
    assert_healthy(&mut broker, &mut bystander);

    // A well-sized frame whose Produce v7 header and body are noise.
    let mut stream = connect(&broker);
    let mut body = vec![0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x2a];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    body.extend((0..200).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    }));
    let _ = stream.write_all(&frame(&body));
    assert_closed_or_answered(&mut stream, 0x2a, "noise after a Produce header");
    assert_healthy(&mut broker, &mut bystander);

    // A frame too short to hold a request header.
    let mut stream = connect(&broker);
    let _ = stream.write_all(&frame(&[0x00, 0x12]));
    assert_closed(&mut stream, "two-byte frame");
    assert_healthy(&mut broker, &mut bystander);
}

#[test]
fn unknown_api_key_is_refused_without_harm() {
    let mut broker = Broker::start();
    let mut bystander = connect(&broker);
    let mut stream = connect(&broker);
    let mut body = BytesMut::new();
    header(9999, 0, 99)
        .encode(&mut body, 1)
        .expect("encode header");
    let _ = stream.write_all(&frame(&body));
    assert_closed_or_answered(&mut stream, 99, "api key 9999");
    assert_healthy(&mut broker, &mut bystander);
}

#[test]
fn api_versions_from_the_future_gets_v0_unsupported_version_with_the_table() {
    let mut broker = Broker::start();
    let mut stream = connect(&broker);
    // A v99 request as a newer client would send it: flexible header (v2), v3-style body.
    let mut body = BytesMut::new();
    header(ApiKey::ApiVersions as i16, 99, 5)
        .encode(&mut body, 2)
        .expect("encode header");
    api_versions_request()
        .encode(&mut body, 3)
        .expect("encode body");
    stream.write_all(&frame(&body)).unwrap();

    let reply = read_frame(&mut stream)
        .expect("an answer to ApiVersions v99")
        .expect("the connection to stay open");
    // KIP-511: answered in v0 format (header v0, body v0) so any client can read it.
    let response = decode_response::<ApiVersionsRequest>(reply, 0, 5);
    assert_eq!(response.error_code, ERROR_UNSUPPORTED_VERSION);
    assert!(
        !response.api_keys.is_empty(),
        "the supported range must be filled in"
    );
    assert_api_table_sane(&response);

    // The client then retries lower on the same connection, as librdkafka does.
    assert_api_versions_ok(&mut stream);
    broker.assert_alive();
}

#[test]
fn produce_to_a_missing_partition_is_unknown_topic_or_partition() {
    let mut broker = Broker::start();
    let mut stream = connect(&broker);
    create_topic(&mut stream, "abuse-partitions", 1);

    let (code, _) = produce(
        &mut stream,
        &produce_request("abuse-partitions", 99, record_batch(3)),
    );
    assert_eq!(
        code, ERROR_UNKNOWN_TOPIC_OR_PARTITION,
        "partition 99 of a 1-partition topic"
    );

    let (code, base_offset) = produce(
        &mut stream,
        &produce_request("abuse-partitions", 0, record_batch(3)),
    );
    assert_eq!(
        (code, base_offset),
        (ERROR_NONE, 0),
        "partition 0 still takes writes"
    );
    assert_healthy(&mut broker, &mut stream.try_clone().unwrap());
}

#[test]
fn batch_with_a_bad_crc_is_corrupt_message_and_not_appended() {
    let mut broker = Broker::start();
    let mut stream = connect(&broker);
    create_topic(&mut stream, "abuse-crc", 1);

    let mut batch = record_batch(5);
    // The CRC-32C covers attributes (byte 21) to the end: flip a bit inside the last value, so
    // the batch still parses and only the checksum tells.
    let at = batch
        .windows(7)
        .position(|window| window == b"value-4")
        .expect("the last value is in the batch");
    batch[at + 6] ^= 0x01;
    let (code, _) = produce(&mut stream, &produce_request("abuse-crc", 0, batch));
    assert_eq!(
        code, ERROR_CORRUPT_MESSAGE,
        "a flipped bit must fail the CRC check"
    );

    let (code, base_offset) = produce(
        &mut stream,
        &produce_request("abuse-crc", 0, record_batch(5)),
    );
    assert_eq!(
        (code, base_offset),
        (ERROR_NONE, 0),
        "the corrupt batch took no offsets"
    );
    assert_healthy(&mut broker, &mut stream.try_clone().unwrap());
}

/// `kafka-protocol` reserves room for an array's count before reading one element: a Metadata
/// request claiming 2^31 topics in a few bytes would make the allocator fail, which aborts the
/// whole broker. The guard refuses such a body before decoding; only its connection closes.
#[test]
fn a_forged_metadata_topic_count_closes_only_that_connection() {
    let mut broker = Broker::start();
    let mut bystander = connect(&broker);
    // v12 (flexible): a compact count of 2^31 topics (varint 2^31 + 1), then
    // allow_auto_topic_creation, include_topic_authorized_operations and no tagged fields.
    // v4: an int32 count of 2^31 - 1, then allow_auto_topic_creation.
    let forged: [(i16, i16, &[u8]); 2] = [
        (12, 2, &[0x81, 0x80, 0x80, 0x80, 0x08, 1, 0, 0]),
        (4, 1, &[0x7f, 0xff, 0xff, 0xff, 1]),
    ];
    for (version, header_version, tail) in forged {
        let mut stream = connect(&broker);
        let mut body = BytesMut::new();
        header(ApiKey::Metadata as i16, version, 31)
            .encode(&mut body, header_version)
            .expect("encode header");
        body.extend_from_slice(tail);
        stream.write_all(&frame(&body)).unwrap();
        assert_closed(&mut stream, "Metadata claiming two billion topics");
        assert_healthy(&mut broker, &mut bystander);
    }
    let log = broker.log();
    assert!(
        log.contains("array of 2147483648 elements") && log.contains("array of 2147483647"),
        "the refusals are logged with their reason:\n{log}"
    );
}

/// One v1 message (magic 1, uncompressed), as a pre-0.11 producer writes it.
fn v1_message(value: &[u8]) -> Vec<u8> {
    let mut body = vec![1u8, 0];
    body.extend_from_slice(&1_700_000_000_000i64.to_be_bytes());
    body.extend_from_slice(&(-1i32).to_be_bytes());
    body.extend_from_slice(&(value.len() as i32).to_be_bytes());
    body.extend_from_slice(value);
    let mut out = 0i64.to_be_bytes().to_vec();
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Produce v2 (what a 0.10 client sends: no transactional id, magic 1 messages); returns
/// (error code, base offset) read off the v2 response layout.
fn produce_v2(stream: &mut TcpStream, topic: &'static str, set: Vec<u8>) -> (i16, i64) {
    let mut body = BytesMut::new();
    header(0, 2, 31)
        .encode(&mut body, 1)
        .expect("encode header");
    let mut v3 = BytesMut::new();
    produce_request(topic, 0, set)
        .encode(&mut v3, 3)
        .expect("encode request");
    body.extend_from_slice(&v3[2..]); // v2 is v3 without the (null) transactional id
    stream.write_all(&frame(&body)).expect("send request");
    let response = read_frame(stream)
        .expect("read")
        .expect("an answer, not a close");
    // correlation id, then [topic "<name>" [partition, error, base offset, append time]], throttle
    let name_end = 4 + 4 + 2 + topic.len();
    assert_eq!(response.len(), name_end + 4 + 4 + 2 + 8 + 8 + 4);
    assert_eq!(&response[..4], &31i32.to_be_bytes());
    let at = name_end + 4 + 4;
    let code = i16::from_be_bytes([response[at], response[at + 1]]);
    let base_offset = i64::from_be_bytes(response[at + 2..at + 10].try_into().unwrap());
    (code, base_offset)
}

#[test]
fn a_v0_v1_message_with_a_bad_crc_is_corrupt_message_and_good_ones_are_converted() {
    let mut broker = Broker::start();
    let mut stream = connect(&broker);
    create_topic(&mut stream, "abuse-legacy", 1);
    wait_for_leaders(&mut stream, "abuse-legacy", 1);

    let mut bad = v1_message(b"legacy value");
    *bad.last_mut().unwrap() ^= 0x01;
    assert_eq!(
        produce_v2(&mut stream, "abuse-legacy", bad),
        (ERROR_CORRUPT_MESSAGE, -1)
    );
    let mut good = v1_message(b"first");
    good.extend(v1_message(b"second"));
    assert_eq!(
        produce_v2(&mut stream, "abuse-legacy", good),
        (ERROR_NONE, 0)
    );
    // Stored as a v2 batch: a v7 produce after it continues at offset 2.
    let (code, base_offset) = produce(
        &mut stream,
        &produce_request("abuse-legacy", 0, record_batch(1)),
    );
    assert_eq!((code, base_offset), (ERROR_NONE, 2));
    assert_healthy(&mut broker, &mut stream.try_clone().unwrap());
}
