//! Every bound in Weir as a named constant, units last in the name. Relations between them are
//! checked at compile time, so a change that makes two limits contradict fails the build.

/// Largest request frame accepted by default (`socket.request.max.bytes`, Kafka's 100 MiB).
pub const SOCKET_REQUEST_BYTES_MAX_DEFAULT: usize = 100 * 1024 * 1024;

/// Default `segment.bytes`: 1 GiB, Kafka's default.
pub const SEGMENT_BYTES_DEFAULT: u64 = 1024 * 1024 * 1024;
/// Smallest `segment.bytes` accepted (Kafka: 14 bytes, the size of an empty batch header
/// overhead; we need room for at least one batch header).
pub const SEGMENT_BYTES_MIN: u64 = 14;
/// Default `segment.ms`: 7 days.
pub const SEGMENT_MS_DEFAULT: i64 = 7 * 24 * 60 * 60 * 1000;
/// Default `log.index.interval.bytes`: one sparse index entry per 4 KiB of log.
pub const INDEX_INTERVAL_BYTES_DEFAULT: u64 = 4096;
/// Default `segment.index.bytes`: 10 MiB of index per segment (Kafka's default).
pub const SEGMENT_INDEX_BYTES_DEFAULT: u64 = 10 * 1024 * 1024;
/// Default `max.message.bytes` (Kafka: 1 MiB + 12 bytes of log overhead).
pub const MESSAGE_BYTES_MAX_DEFAULT: usize = 1024 * 1024 + 12;

/// Default `flush.messages`: never fsync because of a message count (Kafka's `Long.MAX_VALUE`);
/// durability comes from replication, as in Kafka.
pub const FLUSH_MESSAGES_DEFAULT: u64 = u64::MAX;
/// Default `flush.ms`: never fsync because of elapsed time (Kafka's `Long.MAX_VALUE`).
pub const FLUSH_MS_DEFAULT: i64 = i64::MAX;
/// Default `retention.ms`: 7 days.
pub const RETENTION_MS_DEFAULT: i64 = 7 * 24 * 60 * 60 * 1000;
/// Default `retention.bytes`: -1, no size limit.
pub const RETENTION_BYTES_DEFAULT: i64 = -1;
/// Largest offset span of one segment: index entries store offsets relative to the segment's
/// base offset as 32-bit values (Kafka rolls at `Integer.MAX_VALUE` too).
pub const SEGMENT_OFFSET_SPAN_MAX: i64 = i32::MAX as i64;
/// Largest segment file: index entries store positions as 32-bit values, and Kafka caps
/// `segment.bytes` at `Integer.MAX_VALUE`.
pub const SEGMENT_BYTES_MAX: u64 = i32::MAX as u64;

/// Largest decompressed records section the broker inflates to check a batch (compacted
/// topics' keys, timestamp lookups). Bounds snappy's claimed lengths before allocating.
pub const BATCH_DECOMPRESSED_BYTES_MAX: usize = 256 * 1024 * 1024;
/// Largest records section the broker inflates to recompress a batch to its topic's
/// `compression.type`. Recompression holds the section and its new encoding at once, under the
/// partition's lock, so it gets a lower ceiling than checking: a batch inflating past it is
/// refused (INVALID_RECORD) rather than stalling the partition and doubling the memory.
pub const RECOMPRESS_DECOMPRESSED_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Largest estimated memory a client may spend decoding one batch's records and headers.
/// Kafka has no such limit, but the Java consumer decodes lazily; ours decodes a batch at a
/// time. 1 KiB records in a full 256 MiB section decode to about 300 MiB, so this only stops
/// batches of tiny records or empty headers, which decode to 30-40 times their wire size.
pub const BATCH_DECODED_BYTES_MAX: usize = 512 * 1024 * 1024;

/// The fixed part of a magic v2 record batch: everything up to and including `recordsCount`.
pub const BATCH_HEADER_BYTES: usize = 61;
/// The prefix of a batch that carries its length: baseOffset (8) + batchLength (4).
pub const BATCH_LOG_OVERHEAD_BYTES: usize = 12;

/// Longest topic name (Kafka: 249 characters).
pub const TOPIC_NAME_LENGTH_MAX: usize = 249;
/// Most partitions one topic may have.
pub const TOPIC_PARTITIONS_MAX: i32 = 100_000;

/// Longest a fetch may wait for data (`max.wait.ms` is capped here).
pub const FETCH_WAIT_MS_MAX: i64 = 60_000;

const _: () = assert!(BATCH_LOG_OVERHEAD_BYTES < BATCH_HEADER_BYTES);
const _: () = assert!(SEGMENT_BYTES_MIN <= SEGMENT_BYTES_DEFAULT);
const _: () = assert!(SEGMENT_BYTES_DEFAULT <= SEGMENT_BYTES_MAX);
const _: () = assert!((MESSAGE_BYTES_MAX_DEFAULT as u64) < SEGMENT_BYTES_MAX);
const _: () = assert!(MESSAGE_BYTES_MAX_DEFAULT <= SOCKET_REQUEST_BYTES_MAX_DEFAULT);
const _: () = assert!(MESSAGE_BYTES_MAX_DEFAULT <= BATCH_DECOMPRESSED_BYTES_MAX);
const _: () = assert!(MESSAGE_BYTES_MAX_DEFAULT <= RECOMPRESS_DECOMPRESSED_BYTES_MAX);
const _: () = assert!(RECOMPRESS_DECOMPRESSED_BYTES_MAX <= BATCH_DECOMPRESSED_BYTES_MAX);
const _: () = assert!(INDEX_INTERVAL_BYTES_DEFAULT < SEGMENT_BYTES_DEFAULT);

/// Most elements one array of a request or response may hold. Kafka's own limit is the frame
/// size; this one keeps a single decoded array within about 100 MB (elements decode to at most
/// ~100 bytes) while leaving room for the largest real requests (a 100,000-partition topic).
pub const PROTOCOL_ARRAY_ELEMENTS_MAX: usize = 1_000_000;
const _: () = assert!(PROTOCOL_ARRAY_ELEMENTS_MAX > TOPIC_PARTITIONS_MAX as usize);
