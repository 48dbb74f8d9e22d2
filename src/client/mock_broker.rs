//! A tiny in-memory single-node "broker" for the client's own tests: just enough ApiVersions,
//! Metadata, CreateTopics, Produce, Fetch and ListOffsets to drive the producer and consumer end
//! to end over real (loopback) sockets, before and independently of the real server.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{decode_request_header_from_buffer, Decodable, Encodable, Request};

use super::connection::CLIENT_VERSIONS;
use crate::runtime::{self, AsyncReadExt, TcpStream};

/// Partition logs: (base offset, batch bytes) per partition, by topic.
type Logs = BTreeMap<String, Vec<Vec<(i64, Bytes)>>>;

/// A running mock broker.
pub struct MockBroker {
    pub addr: String,
    logs: Arc<Mutex<Logs>>,
    metadata_requests: Arc<AtomicU64>,
}

impl MockBroker {
    /// Listens on a free loopback port and serves connections until the runtime ends.
    pub async fn start() -> Self {
        let listener = runtime::listen("127.0.0.1:0").await.unwrap();
        let port_number = runtime::local_addr(&listener).unwrap().port();
        let addr = format!("127.0.0.1:{port_number}");
        let logs = Arc::new(Mutex::new(Logs::new()));
        let metadata_requests = Arc::new(AtomicU64::new(0));
        let counter = metadata_requests.clone();
        let (served, port) = (
            logs.clone(),
            addr.rsplit_once(':').unwrap().1.parse().unwrap(),
        );
        runtime::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                runtime::spawn(serve(stream, served.clone(), counter.clone(), port));
            }
        });
        Self {
            addr,
            logs,
            metadata_requests,
        }
    }

    /// How many Metadata requests it has served.
    pub fn metadata_requests(&self) -> u64 {
        self.metadata_requests.load(Ordering::SeqCst)
    }

    /// Creates a topic directly.
    pub fn create_topic(&self, name: &str, partitions: usize) {
        self.logs
            .lock()
            .unwrap()
            .insert(name.to_string(), vec![Vec::new(); partitions]);
    }
}

/// The next request frame on `stream` (its size prefix removed); `None` once it closes.
pub(crate) async fn read_request(stream: &mut TcpStream) -> Option<Bytes> {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await.ok()?;
    let mut frame = vec![0; i32::from_be_bytes(size) as usize];
    stream.read_exact(&mut frame).await.ok()?;
    Some(Bytes::from(frame))
}

/// Writes one response frame: size, the header for `key` at `version`, `body`. False once the
/// stream is gone.
pub(crate) async fn write_response(
    stream: &mut TcpStream,
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &[u8],
) -> bool {
    let mut out = BytesMut::new();
    out.extend_from_slice(&[0; 4]);
    let mut response_header = ResponseHeader::default();
    response_header.correlation_id = correlation_id;
    response_header
        .encode(&mut out, key.response_header_version(version))
        .unwrap();
    out.extend_from_slice(body);
    let size = (out.len() - 4) as i32;
    out[..4].copy_from_slice(&size.to_be_bytes());
    runtime::write_and_flush(stream, &out).await.is_ok()
}

async fn serve(
    mut stream: TcpStream,
    logs: Arc<Mutex<Logs>>,
    metadata_requests: Arc<AtomicU64>,
    port: i32,
) {
    loop {
        let Some(mut frame) = read_request(&mut stream).await else {
            return;
        };
        let header = decode_request_header_from_buffer(&mut frame).unwrap();
        let key = ApiKey::try_from(header.request_api_key).unwrap();
        let version = header.request_api_version;
        let body = match key {
            ApiKey::ApiVersions => reply::<ApiVersionsRequest>(frame, version, |_| api_versions()),
            ApiKey::Metadata => {
                metadata_requests.fetch_add(1, Ordering::SeqCst);
                reply::<MetadataRequest>(frame, version, |r| metadata(&logs, r, port))
            }
            ApiKey::CreateTopics => {
                reply::<CreateTopicsRequest>(frame, version, |r| create(&logs, r))
            }
            ApiKey::Produce => {
                let request = ProduceRequest::decode(&mut frame, version).unwrap();
                let response = produce(&logs, &request);
                if request.acks == 0 {
                    continue;
                }
                encode(&response, version)
            }
            ApiKey::Fetch => {
                let request = FetchRequest::decode(&mut frame, version).unwrap();
                let mut response = fetch(&logs, &request);
                if response
                    .responses
                    .iter()
                    .all(|t| t.partitions.iter().all(|p| p.records.is_none()))
                {
                    runtime::sleep(Duration::from_millis(
                        request.max_wait_ms.clamp(0, 20) as u64
                    ))
                    .await;
                    response = fetch(&logs, &request);
                }
                encode(&response, version)
            }
            ApiKey::ListOffsets => reply::<ListOffsetsRequest>(frame, version, |r| list(&logs, r)),
            other => panic!("mock broker does not serve {other:?}"),
        };
        if !write_response(&mut stream, key, version, header.correlation_id, &body).await {
            return;
        }
    }
}

fn reply<R: Request>(mut frame: Bytes, version: i16, f: impl FnOnce(R) -> R::Response) -> Bytes {
    let request = R::decode(&mut frame, version).unwrap();
    encode(&f(request), version)
}

fn encode<E: Encodable>(body: &E, version: i16) -> Bytes {
    let mut buf = BytesMut::new();
    body.encode(&mut buf, version).unwrap();
    buf.freeze()
}

fn api_versions() -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.api_keys = CLIENT_VERSIONS
        .iter()
        .map(|&(key, min, max)| {
            let mut api = ApiVersion::default();
            api.api_key = key as i16;
            api.min_version = min;
            api.max_version = max;
            api
        })
        .collect();
    response
}

fn metadata(logs: &Mutex<Logs>, request: MetadataRequest, port: i32) -> MetadataResponse {
    let logs = logs.lock().unwrap();
    let mut response = MetadataResponse::default();
    let mut broker = MetadataResponseBroker::default();
    broker.node_id = BrokerId(1);
    broker.host = "127.0.0.1".into();
    broker.port = port;
    response.brokers = vec![broker];
    response.controller_id = BrokerId(1);
    let names: Vec<String> = match &request.topics {
        None => logs.keys().cloned().collect(),
        Some(topics) => topics
            .iter()
            .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
            .collect(),
    };
    for name in names {
        let mut topic = MetadataResponseTopic::default();
        topic.name = Some(TopicName(name.clone().into()));
        match logs.get(&name) {
            None => topic.error_code = 3,
            Some(partitions) => {
                topic.partitions = (0..partitions.len() as i32)
                    .map(|index| {
                        let mut p = MetadataResponsePartition::default();
                        p.partition_index = index;
                        p.leader_id = BrokerId(1);
                        p.replica_nodes = vec![BrokerId(1)];
                        p.isr_nodes = vec![BrokerId(1)];
                        p
                    })
                    .collect()
            }
        }
        response.topics.push(topic);
    }
    response
}

fn create(logs: &Mutex<Logs>, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let mut logs = logs.lock().unwrap();
    let mut response = CreateTopicsResponse::default();
    for topic in request.topics {
        let mut result = CreatableTopicResult::default();
        result.name = topic.name.clone();
        if logs.contains_key(topic.name.0.as_str()) {
            result.error_code = 36;
        } else {
            let partitions = if topic.num_partitions < 0 {
                1
            } else {
                topic.num_partitions
            };
            logs.insert(
                topic.name.0.to_string(),
                vec![Vec::new(); partitions as usize],
            );
        }
        response.topics.push(result);
    }
    response
}

fn log_end(log: &[(i64, Bytes)]) -> i64 {
    log.last().map_or(0, |(base, batch)| {
        let last_delta = (&batch[23..27]).get_i32();
        base + i64::from(last_delta) + 1
    })
}

fn produce(logs: &Mutex<Logs>, request: &ProduceRequest) -> ProduceResponse {
    let mut logs = logs.lock().unwrap();
    let mut response = ProduceResponse::default();
    for topic in &request.topic_data {
        let mut topic_response = TopicProduceResponse::default();
        topic_response.name = topic.name.clone();
        for data in &topic.partition_data {
            let mut p = PartitionProduceResponse::default();
            p.index = data.index;
            p.log_append_time_ms = -1;
            match logs
                .get_mut(topic.name.0.as_str())
                .and_then(|t| t.get_mut(data.index as usize))
            {
                None => p.error_code = 3,
                Some(log) => {
                    let base = log_end(log);
                    let mut batch = BytesMut::from(&data.records.as_ref().unwrap()[..]);
                    batch[..8].copy_from_slice(&base.to_be_bytes());
                    log.push((base, batch.freeze()));
                    p.base_offset = base;
                }
            }
            topic_response.partition_responses.push(p);
        }
        response.responses.push(topic_response);
    }
    response
}

fn fetch(logs: &Mutex<Logs>, request: &FetchRequest) -> FetchResponse {
    let logs = logs.lock().unwrap();
    let mut response = FetchResponse::default();
    for topic in &request.topics {
        let mut topic_response = FetchableTopicResponse::default();
        topic_response.topic = topic.topic.clone();
        for partition in &topic.partitions {
            let mut p = PartitionData::default();
            p.partition_index = partition.partition;
            match logs
                .get(topic.topic.0.as_str())
                .and_then(|t| t.get(partition.partition as usize))
            {
                None => p.error_code = 3,
                Some(log) => {
                    let end = log_end(log);
                    p.high_watermark = end;
                    if partition.fetch_offset > end {
                        p.error_code = 1;
                    } else {
                        let mut bytes = BytesMut::new();
                        for (base, batch) in log {
                            let last = base + i64::from((&batch[23..27]).get_i32());
                            if last >= partition.fetch_offset {
                                bytes.extend_from_slice(batch);
                            }
                        }
                        p.records = (!bytes.is_empty()).then(|| bytes.freeze());
                    }
                }
            }
            topic_response.partitions.push(p);
        }
        response.responses.push(topic_response);
    }
    response
}

fn list(logs: &Mutex<Logs>, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let logs = logs.lock().unwrap();
    let mut response = ListOffsetsResponse::default();
    for topic in request.topics {
        let mut topic_response = ListOffsetsTopicResponse::default();
        topic_response.name = topic.name.clone();
        for partition in topic.partitions {
            let mut p = ListOffsetsPartitionResponse::default();
            p.partition_index = partition.partition_index;
            p.timestamp = -1;
            match logs
                .get(topic.name.0.as_str())
                .and_then(|t| t.get(partition.partition_index as usize))
            {
                None => p.error_code = 3,
                Some(log) => {
                    p.offset = if partition.timestamp == -2 {
                        0
                    } else {
                        log_end(log)
                    }
                }
            }
            topic_response.partitions.push(p);
        }
        response.topics.push(topic_response);
    }
    response
}
