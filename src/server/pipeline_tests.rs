//! A connection keeps serving while a produce waits for its group commit: on a disk whose
//! fsyncs are held until the test lets them go, a produce to a `flush.messages=1` topic waits,
//! the requests pipelined after it on the same connection still run (their appends land), and
//! the answers come back in request order once the fsync completes.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};
use kafka_protocol::records::Compression;

use crate::client::records::{encode_batch, ProducerRecord};
use crate::config::BrokerConfig;
use crate::node::Node;
use crate::runtime::{self, sync::Semaphore, AsyncReadExt, AsyncWriteExt};
use crate::storage::{DirEntry, Disk, DiskFile, MemDisk, OpenMode, SyncFuture};
use crate::types::TopicPartition;

/// `MemDisk`, except that a file's `sync_later` completes only once the gate has a permit for
/// it (while the gate is open, at once).
#[derive(Clone)]
struct GatedDisk {
    inner: MemDisk,
    gate: Arc<Semaphore>,
}

struct GatedFile {
    inner: Box<dyn DiskFile>,
    gate: Arc<Semaphore>,
}

impl Disk for GatedDisk {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>> {
        let inner = self.inner.open(path, mode)?;
        let gate = self.gate.clone();
        Ok(Box::new(GatedFile { inner, gate }))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.read_dir(path)
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.exists(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
}

impl DiskFile for GatedFile {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_at(buf, offset)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync(&self) -> io::Result<()> {
        self.inner.sync()
    }
    fn sync_later(&self) -> SyncFuture {
        let (gate, synced) = (self.gate.clone(), self.inner.sync());
        Box::pin(async move {
            gate.acquire().await.map_err(io::Error::other)?.forget();
            synced
        })
    }
}

/// The gate's permits while it is open: more than any test here syncs.
const OPEN: usize = 1 << 20;

fn produce(correlation_id: i32, topic: &str, value: &'static [u8]) -> Bytes {
    let record = ProducerRecord::new(topic, Bytes::from_static(value));
    let records = encode_batch(&[record], &[1_700_000_000_000], Compression::None).unwrap();
    let request = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(records))])]);
    let header = RequestHeader::default()
        .with_request_api_key(ApiKey::Produce as i16)
        .with_request_api_version(9)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("pipeline-test")));
    let mut body = BytesMut::new();
    encode_request_header_into_buffer(&mut body, &header).unwrap();
    request.encode(&mut body, 9).unwrap();
    let mut frame = BytesMut::new();
    frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
    frame.extend_from_slice(&body);
    frame.freeze()
}

/// Reads one response: its correlation id and error code of its one partition.
async fn response(stream: &mut runtime::TcpStream) -> (i32, i16) {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await.unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
    stream.read_exact(&mut body).await.unwrap();
    let mut body = Bytes::from(body);
    let header_version = ApiKey::Produce.response_header_version(9);
    let header = ResponseHeader::decode(&mut body, header_version).unwrap();
    let produced = ProduceResponse::decode(&mut body, 9).unwrap();
    assert!(!body.has_remaining());
    let error = produced.responses[0].partition_responses[0].error_code;
    (header.correlation_id, error)
}

fn log_end(node: &Node, topic: &str) -> i64 {
    let log = node.broker.log(&TopicPartition::new(topic, 0)).unwrap();
    let end = crate::storage::lock_log(&log).log_end_offset();
    end
}

#[cfg(not(madsim))]
#[test]
fn requests_after_a_produce_waiting_for_its_fsync_run_and_are_answered_in_order() {
    runtime::block_on_workers(2, async {
        let gate = Arc::new(Semaphore::new(OPEN));
        let disk = GatedDisk {
            inner: MemDisk::new(),
            gate: gate.clone(),
        };
        let settings = ["log.dirs=/data", "listeners=PLAINTEXT://127.0.0.1:0"];
        let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
        let node = Node::start(BrokerConfig::load(None, &settings).unwrap(), Arc::new(disk))
            .await
            .unwrap();
        for (name, configs) in [
            ("flushed", vec![("flush.messages", "1")]),
            ("plain", vec![]),
        ] {
            let request = crate::core::controller::CreateTopicRequest {
                name: name.into(),
                num_partitions: 1,
                replication_factor: 1,
                assignments: Default::default(),
                configs: (configs.into_iter())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            };
            node.broker.create_topic(request, false).await.unwrap();
        }
        let mut stream = runtime::connect(&node.bound[0].to_string()).await.unwrap();
        // Warm up: topic creation and the first appends settle with the gate open.
        stream.write_all(&produce(1, "plain", b"w")).await.unwrap();
        assert_eq!(response(&mut stream).await, (1, 0));

        // Close the gate: fsyncs from now on wait.
        let held = gate.acquire_many(OPEN as u32).await.unwrap();
        let mut burst = BytesMut::new();
        burst.extend_from_slice(&produce(2, "flushed", b"a"));
        burst.extend_from_slice(&produce(3, "plain", b"b"));
        burst.extend_from_slice(&produce(4, "flushed", b"c"));
        stream.write_all(&burst).await.unwrap();
        // Every append lands while the first produce still waits for its fsync.
        let deadline = runtime::now() + Duration::from_secs(5);
        while log_end(&node, "flushed") < 2 || log_end(&node, "plain") < 2 {
            assert!(
                runtime::now() < deadline,
                "the pipelined requests never ran"
            );
            runtime::sleep(Duration::from_millis(5)).await;
        }
        // Nothing is answered before the fsync: not even the produce that needs none.
        let early = runtime::timeout(Duration::from_millis(200), response(&mut stream)).await;
        assert!(early.is_err(), "answered before the fsync: {early:?}");

        drop(held);
        for expected in [2, 3, 4] {
            assert_eq!(response(&mut stream).await, (expected, 0));
        }
        node.shutdown().await.unwrap();
    })
    .unwrap();
}
