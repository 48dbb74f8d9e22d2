//! A slow disk delays only what waits for it. On a disk whose fsyncs and background reads are
//! held until the test lets them go: a produce to a `flush.messages=1` topic waits, while the
//! requests pipelined after it on the same connection still run (their appends land) and the
//! answers come back in request order once the fsync completes; and a fetch of an older
//! segment waits for its read without holding the partition, which goes on taking produces
//! and serving fetches of its active segment; and the broker's periodic `flush.ms` flushes and
//! checkpoints, held on the disk, hold up no request.

use std::io;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, BrokerId, FetchRequest, FetchResponse, ProduceRequest, ProduceResponse, RequestHeader,
    ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};
use kafka_protocol::records::Compression;

use crate::client::records::{encode_batch, ProducerRecord};
use crate::config::BrokerConfig;
use crate::node::Node;
use crate::runtime::{self, sync::Semaphore, AsyncReadExt, AsyncWriteExt};
use crate::storage::{DirEntry, Disk, DiskFile, MemDisk, OpenMode, ReadFuture, SyncFuture};
use crate::types::TopicPartition;

/// `MemDisk`, except that a file's `sync_later` (`read_later`) and the disk's `sync_dir_later`
/// complete only once the sync (read) gate has a permit for each (handed back at once): while a
/// gate is open, at once; a test closes it by taking every permit.
/// Synchronous fsyncs (`sync`, `sync_dir`) block the calling thread while the stall is held.
#[derive(Clone)]
struct GatedDisk {
    inner: MemDisk,
    gate: Arc<Semaphore>,
    reads: Arc<Semaphore>,
    stall: Arc<Stall>,
}

struct GatedFile {
    inner: Box<dyn DiskFile>,
    gate: Arc<Semaphore>,
    reads: Arc<Semaphore>,
    stall: Arc<Stall>,
}

/// Holds threads that fsync synchronously, as a disk that takes its time does, for at most
/// [`STALL_MAX`] (a worker thread stuck here may hold the very task that would notice), and
/// names every runtime worker that fsynced while held: that fsync stalled the tasks there.
#[derive(Default)]
struct Stall {
    held: Mutex<bool>,
    released: Condvar,
    on_workers: Mutex<Vec<String>>,
}

const STALL_MAX: Duration = Duration::from_secs(2);

impl Stall {
    fn wait(&self) {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let thread = std::thread::current();
        let name = thread.name().unwrap_or_default();
        if *held && name.starts_with("weir-worker") {
            let mut on_workers = self.on_workers.lock().unwrap_or_else(|p| p.into_inner());
            on_workers.push(name.to_string());
        }
        let waited = self
            .released
            .wait_timeout_while(held, STALL_MAX, |held| *held);
        drop(waited);
    }

    /// Holds until the returned guard is dropped (so a failing test never leaves a thread
    /// stuck on it).
    fn hold(self: &Arc<Self>) -> impl Drop {
        struct Release(Arc<Stall>);
        impl Drop for Release {
            fn drop(&mut self) {
                *self.0.held.lock().unwrap_or_else(|p| p.into_inner()) = false;
                self.0.released.notify_all();
            }
        }
        *self.held.lock().unwrap() = true;
        Release(self.clone())
    }
}

impl Disk for GatedDisk {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>> {
        let inner = self.inner.open(path, mode)?;
        let (gate, reads, stall) = (self.gate.clone(), self.reads.clone(), self.stall.clone());
        Ok(Box::new(GatedFile {
            inner,
            gate,
            reads,
            stall,
        }))
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
        self.stall.wait();
        self.inner.sync_dir(path)
    }
    fn sync_dir_later(&self, path: &Path) -> SyncFuture {
        gated(&self.gate, self.inner.sync_dir(path))
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
        self.stall.wait();
        self.inner.sync()
    }
    fn sync_later(&self) -> SyncFuture {
        gated(&self.gate, self.inner.sync())
    }
    fn read_later(&self, mut buf: Vec<u8>, offset: u64) -> ReadFuture {
        let (reads, read) = (
            self.reads.clone(),
            self.inner.read_exact_at(&mut buf, offset),
        );
        Box::pin(async move {
            match reads.acquire().await {
                Ok(permit) => drop(permit),
                Err(error) => return (buf, Err(io::Error::other(error))),
            }
            (buf, read)
        })
    }
}

/// An fsync that completes (with `synced`) once `gate` has a permit for it.
fn gated(gate: &Arc<Semaphore>, synced: io::Result<()>) -> SyncFuture {
    let gate = gate.clone();
    Box::pin(async move {
        drop(gate.acquire().await.map_err(io::Error::other)?);
        synced
    })
}

/// The gate's permits while it is open: more than any test here syncs.
const OPEN: usize = 1 << 20;

/// A request frame: size, header, body.
fn frame<R: Encodable>(key: ApiKey, version: i16, correlation_id: i32, request: &R) -> Bytes {
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("slow-disk-test")));
    let mut body = BytesMut::new();
    encode_request_header_into_buffer(&mut body, &header).unwrap();
    request.encode(&mut body, version).unwrap();
    let mut frame = BytesMut::new();
    frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
    frame.extend_from_slice(&body);
    frame.freeze()
}

fn produce(correlation_id: i32, topic: &str, value: &'static [u8]) -> Bytes {
    let record = ProducerRecord::new(topic, Bytes::from_static(value));
    let records = encode_batch(&[record], &[1_700_000_000_000], Compression::None).unwrap();
    let request = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic_name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(records))])]);
    frame(ApiKey::Produce, 9, correlation_id, &request)
}

fn fetch(correlation_id: i32, topic: &str, offset: i64) -> Bytes {
    let request = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(0)
        .with_min_bytes(0)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(topic))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_fetch_offset(offset)
                .with_current_leader_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(1 << 20)])]);
    frame(ApiKey::Fetch, 12, correlation_id, &request)
}

fn topic_name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

/// Reads one response frame: its correlation id and body.
async fn response_frame(
    stream: &mut runtime::TcpStream,
    key: ApiKey,
    version: i16,
) -> (i32, Bytes) {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await.unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
    stream.read_exact(&mut body).await.unwrap();
    let mut body = Bytes::from(body);
    let header = ResponseHeader::decode(&mut body, key.response_header_version(version)).unwrap();
    (header.correlation_id, body)
}

/// Reads one produce response: its correlation id and its one partition's error code.
async fn response(stream: &mut runtime::TcpStream) -> (i32, i16) {
    let (correlation_id, mut body) = response_frame(stream, ApiKey::Produce, 9).await;
    let produced = ProduceResponse::decode(&mut body, 9).unwrap();
    assert!(!body.has_remaining());
    let error = produced.responses[0].partition_responses[0].error_code;
    (correlation_id, error)
}

/// Reads one fetch response: its correlation id, and the base offset of the first batch of
/// its one partition (`None`: no records), failing on an error code.
async fn fetched(stream: &mut runtime::TcpStream) -> (i32, Option<i64>) {
    let (correlation_id, mut body) = response_frame(stream, ApiKey::Fetch, 12).await;
    let response = FetchResponse::decode(&mut body, 12).unwrap();
    let partition = &response.responses[0].partitions[0];
    assert_eq!(partition.error_code, 0);
    let records = partition.records.clone().unwrap_or_default();
    let first = (records.len() >= 8).then(|| i64::from_be_bytes(records[..8].try_into().unwrap()));
    (correlation_id, first)
}

fn log_end(node: &Node, topic: &str) -> i64 {
    let log = node.broker.log(&TopicPartition::new(topic, 0)).unwrap();
    let end = crate::storage::lock_log(&log).log_end_offset();
    end
}

/// A node on a gated disk (both gates open), with one-partition topics of the given configs.
async fn gated_node(topics: &[(&str, &[(&str, &str)])]) -> (Node, GatedDisk) {
    gated_node_with(&[], topics).await
}

/// [`gated_node`] with broker settings besides the log dir and listener.
async fn gated_node_with(
    settings: &[&str],
    topics: &[(&str, &[(&str, &str)])],
) -> (Node, GatedDisk) {
    let disk = GatedDisk {
        inner: MemDisk::new(),
        gate: Arc::new(Semaphore::new(OPEN)),
        reads: Arc::new(Semaphore::new(OPEN)),
        stall: Arc::default(),
    };
    let base = ["log.dirs=/data", "listeners=PLAINTEXT://127.0.0.1:0"];
    let settings: Vec<String> = (base.iter().chain(settings))
        .map(|s| s.to_string())
        .collect();
    let config = BrokerConfig::load(None, &settings).unwrap();
    let node = Node::start(config, Arc::new(disk.clone())).await.unwrap();
    for (name, configs) in topics {
        let request = crate::core::controller::CreateTopicRequest {
            name: name.to_string(),
            num_partitions: 1,
            replication_factor: 1,
            assignments: Default::default(),
            configs: (configs.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        node.broker.create_topic(request, false).await.unwrap();
    }
    (node, disk)
}

/// Waits (up to 5 s) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = runtime::now() + Duration::from_secs(5);
    while !done() {
        assert!(runtime::now() < deadline, "{what}");
        runtime::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn requests_after_a_produce_waiting_for_its_fsync_run_and_are_answered_in_order() {
    runtime::block_on_workers(2, async {
        let topics: [(&str, &[(&str, &str)]); 2] =
            [("flushed", &[("flush.messages", "1")]), ("plain", &[])];
        let (node, disk) = gated_node(&topics).await;
        let mut stream = runtime::connect(&node.bound[0].to_string()).await.unwrap();
        // Warm up: topic creation and the first appends settle with the gate open.
        stream.write_all(&produce(1, "plain", b"w")).await.unwrap();
        assert_eq!(response(&mut stream).await, (1, 0));

        // Close the gate: fsyncs from now on wait.
        let held = disk.gate.acquire_many(OPEN as u32).await.unwrap();
        let mut burst = BytesMut::new();
        burst.extend_from_slice(&produce(2, "flushed", b"a"));
        burst.extend_from_slice(&produce(3, "plain", b"b"));
        burst.extend_from_slice(&produce(4, "flushed", b"c"));
        stream.write_all(&burst).await.unwrap();
        // Every append lands while the first produce still waits for its fsync.
        eventually("the pipelined requests never ran", || {
            log_end(&node, "flushed") >= 2 && log_end(&node, "plain") >= 2
        })
        .await;
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

#[test]
fn a_fetch_waiting_for_a_cold_read_leaves_its_partition_serving() {
    runtime::block_on_workers(2, async {
        // A segment per batch: every batch but the last is in an older segment.
        let topics: [(&str, &[(&str, &str)]); 1] = [("t", &[("segment.bytes", "100")])];
        let (node, disk) = gated_node(&topics).await;
        let addr = node.bound[0].to_string();
        let (mut reader, mut writer) = (
            runtime::connect(&addr).await.unwrap(),
            runtime::connect(&addr).await.unwrap(),
        );
        for (id, value) in [(1, b"a"), (2, b"b"), (3, b"c")] {
            writer.write_all(&produce(id, "t", value)).await.unwrap();
            assert_eq!(response(&mut writer).await, (id, 0));
        }
        let log = node.broker.log(&TopicPartition::new("t", 0)).unwrap();
        assert!(crate::storage::lock_log(&log).segment_count() >= 3);

        // Hold background reads: a fetch of offset 0 (an older segment) waits for its read.
        let held = disk.reads.acquire_many(OPEN as u32).await.unwrap();
        reader.write_all(&fetch(10, "t", 0)).await.unwrap();
        let early = runtime::timeout(Duration::from_millis(200), fetched(&mut reader)).await;
        assert!(early.is_err(), "the cold read did not wait: {early:?}");
        // Meanwhile the partition takes a produce and serves its active segment.
        writer.write_all(&produce(4, "t", b"d")).await.unwrap();
        assert_eq!(response(&mut writer).await, (4, 0));
        writer.write_all(&fetch(5, "t", 3)).await.unwrap();
        assert_eq!(fetched(&mut writer).await, (5, Some(3)));

        drop(held);
        assert_eq!(fetched(&mut reader).await, (10, Some(0)));
        node.shutdown().await.unwrap();
    })
    .unwrap();
}

#[test]
fn periodic_flushes_and_checkpoints_held_on_the_disk_hold_up_no_request() {
    runtime::block_on_workers(2, async {
        let settings = [
            "log.flush.scheduler.interval.ms=20",
            "log.flush.offset.checkpoint.interval.ms=20",
        ];
        let topics: [(&str, &[(&str, &str)]); 2] =
            [("timed", &[("flush.ms", "50")]), ("plain", &[])];
        let (node, disk) = gated_node_with(&settings, &topics).await;
        let mut stream = runtime::connect(&node.bound[0].to_string()).await.unwrap();
        // Warm up: each partition's first append writes its leader epoch checkpoint, an fsync
        // on the request path still (once per partition and leader epoch).
        for (id, topic) in [(1, "timed"), (2, "plain")] {
            stream.write_all(&produce(id, topic, b"w")).await.unwrap();
            assert_eq!(response(&mut stream).await, (id, 0));
        }
        let timed = node.broker.log(&TopicPartition::new("timed", 0)).unwrap();
        let durable = || {
            let log = crate::storage::lock_log(&timed);
            log.recovery_point() >= log.log_end_offset()
        };
        eventually("flush.ms never flushed", durable).await;

        // From now on every fsync waits: the background ones and the synchronous ones.
        let held = disk.gate.acquire_many(OPEN as u32).await.unwrap();
        let stalled = disk.stall.hold();
        stream.write_all(&produce(3, "timed", b"a")).await.unwrap();
        assert_eq!(response(&mut stream).await, (3, 0));
        // Several flush and checkpoint periods pass; both are stuck on the disk by now.
        runtime::sleep(Duration::from_millis(300)).await;
        for (id, topic) in [(4, "plain"), (5, "timed"), (6, "plain")] {
            // Timed by hand: a worker blocked on the disk could also hold up a timeout.
            let start = runtime::now();
            stream.write_all(&produce(id, topic, b"b")).await.unwrap();
            assert_eq!(response(&mut stream).await, (id, 0));
            let took = runtime::now() - start;
            assert!(
                took < STALL_MAX / 2,
                "a produce to {topic} waited {took:?} for the disk"
            );
        }
        assert!(!durable(), "the flush did not wait for the disk");
        let on_workers = disk.stall.on_workers.lock().unwrap().clone();
        assert!(
            on_workers.is_empty(),
            "fsyncs on runtime workers: {on_workers:?}"
        );

        drop((held, stalled));
        eventually("the held flush never finished", durable).await;
        node.shutdown().await.unwrap();
    })
    .unwrap();
}

/// Today's behaviour, listed in docs/ARCHITECTURE.md as still synchronous (#14): a partition's
/// first append in a leader epoch writes its `leader-epoch-checkpoint` and fsyncs it there and
/// then, on a runtime worker and under the log's lock. The day that moves off the append path,
/// this fails and the line there goes.
#[test]
fn a_partitions_first_append_in_an_epoch_still_fsyncs_on_a_worker() {
    runtime::block_on_workers(2, async {
        let topics: [(&str, &[(&str, &str)]); 1] = [("t", &[])];
        let (node, disk) = gated_node(&topics).await;
        let mut stream = runtime::connect(&node.bound[0].to_string()).await.unwrap();
        let stalled = disk.stall.hold();
        stream.write_all(&produce(1, "t", b"a")).await.unwrap();
        assert_eq!(response(&mut stream).await, (1, 0));
        stream.write_all(&produce(2, "t", b"b")).await.unwrap();
        assert_eq!(response(&mut stream).await, (2, 0));
        drop(stalled);
        let on_workers = disk.stall.on_workers.lock().unwrap().clone();
        // The checkpoint file's fsync and its directory's, for the first append only.
        assert_eq!(on_workers.len(), 2, "{on_workers:?}");
        node.shutdown().await.unwrap();
    })
    .unwrap();
}
