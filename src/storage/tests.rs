//! Log-level tests against [`MemDisk`] (plus one [`FileDisk`] smoke test): appends, reads,
//! rolls, indexes, recovery from torn and corrupt data, checkpoints and clean shutdown.
//! Test batches come from `kafka-protocol`'s encoder, as a producer would build them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
    TimestampType as WireTimestampType,
};

use super::batch::{BatchHeader, BatchSplitter};
use super::*;
use crate::types::TopicPartition;

fn record(i: usize, timestamp: i64, key: bool) -> Record {
    Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: WireTimestampType::Creation,
        offset: i as i64,
        sequence: i as i32,
        timestamp,
        key: key.then(|| Bytes::from(format!("key-{i}"))),
        value: Some(Bytes::from(vec![b'v'; 40])),
        headers: Default::default(),
    }
}

/// One batch of `timestamps.len()` records with those timestamps.
fn batch_with(timestamps: &[i64], key: bool, compression: Compression) -> Vec<u8> {
    let records: Vec<Record> = timestamps
        .iter()
        .enumerate()
        .map(|(i, ts)| record(i, *ts, key))
        .collect();
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression,
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options).unwrap();
    buf.to_vec()
}

fn batch(count: usize) -> Vec<u8> {
    let timestamps: Vec<i64> = (0..count as i64).map(|i| 1_000 + i).collect();
    batch_with(&timestamps, true, Compression::None)
}

fn dir() -> PathBuf {
    PathBuf::from("/data/topic-0")
}

fn seg_path(base: i64, suffix: &str) -> PathBuf {
    dir().join(format!("{base:020}.{suffix}"))
}

fn create(disk: &MemDisk, config: LogConfig) -> Log {
    Log::create(Arc::new(disk.clone()), dir(), config, 0).unwrap()
}

fn reopen(disk: &MemDisk, config: LogConfig, recovery_point: i64) -> Log {
    Log::open(Arc::new(disk.clone()), dir(), config, recovery_point, 0, 0).unwrap()
}

/// (base offset, records count) of every batch in a record set.
fn offsets(records: &[u8]) -> Vec<(i64, i32)> {
    BatchSplitter::new(records)
        .map(|b| b.unwrap().header)
        .map(|h| (h.base_offset, h.records_count))
        .collect()
}

fn header(records: &[u8]) -> BatchHeader {
    BatchHeader::parse(records).unwrap()
}

#[test]
fn append_and_read_round_trip_with_dense_offsets() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    let first = batch(3);
    let info = log.append_as_leader(&first, 5, 100).unwrap();
    assert_eq!(
        (info.base_offset, info.last_offset, info.record_count),
        (0, 2, 3)
    );
    assert_eq!((info.log_append_time_ms, info.log_start_offset), (-1, 0));
    let info = log.append_as_leader(&batch(2), 5, 100).unwrap();
    assert_eq!((info.base_offset, info.last_offset), (3, 4));
    assert_eq!(log.log_end_offset(), 5);

    let read = log.read(0, 1 << 20, i64::MAX, false).unwrap();
    assert_eq!(offsets(&read), vec![(0, 3), (3, 2)]);
    // Stored as produced, except for the stamped base offset and leader epoch.
    assert_eq!(&read[12..16], &5i32.to_be_bytes());
    assert_eq!(&read[16..first.len()], &first[16..]);
    let decoded = RecordBatchDecoder::decode_all(&mut read.clone()).unwrap();
    let record_offsets: Vec<i64> = decoded
        .iter()
        .flat_map(|set| set.records.iter().map(|r| r.offset))
        .collect();
    assert_eq!(record_offsets, vec![0, 1, 2, 3, 4]);
    assert_eq!(decoded[1].records[0].partition_leader_epoch, 5);
}

#[test]
fn a_fetch_inside_a_batch_returns_the_whole_batch() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    log.append_as_leader(&batch(3), 0, 0).unwrap();
    log.append_as_leader(&batch(3), 0, 0).unwrap();
    assert_eq!(
        offsets(&log.read(1, 1 << 20, i64::MAX, false).unwrap()),
        vec![(0, 3), (3, 3)]
    );
    assert_eq!(
        offsets(&log.read(5, 1 << 20, i64::MAX, false).unwrap()),
        vec![(3, 3)]
    );
}

#[test]
fn reads_honour_max_bytes_min_one_batch_max_offset_and_range() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    let size = batch(2).len();
    for _ in 0..3 {
        log.append_as_leader(&batch(2), 0, 0).unwrap();
    }
    assert!(log.read(0, size - 1, i64::MAX, false).unwrap().is_empty());
    assert_eq!(
        offsets(&log.read(0, size - 1, i64::MAX, true).unwrap()),
        vec![(0, 2)]
    );
    assert_eq!(
        offsets(&log.read(0, 2 * size - 1, i64::MAX, true).unwrap()),
        vec![(0, 2)]
    );
    assert_eq!(
        offsets(&log.read(0, 2 * size, i64::MAX, false).unwrap()).len(),
        2
    );
    // max_offset (the high watermark) is exclusive, by base offset.
    assert_eq!(
        offsets(&log.read(0, 1 << 20, 2, false).unwrap()),
        vec![(0, 2)]
    );
    assert_eq!(offsets(&log.read(0, 1 << 20, 3, false).unwrap()).len(), 2);
    assert!(log.read(0, 1 << 20, 0, true).unwrap().is_empty());
    assert!(log.read(6, 1 << 20, i64::MAX, true).unwrap().is_empty());
    for bad in [-1, 7] {
        match log.read(bad, 100, i64::MAX, true) {
            Err(ReadError::OffsetOutOfRange {
                log_start_offset: 0,
                log_end_offset: 6,
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn segments_roll_on_size_and_on_age() {
    let disk = MemDisk::new();
    let size = batch(1).len() as u64;
    let config = LogConfig {
        segment_bytes: 2 * size,
        segment_ms: 1_000,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config);
    for _ in 0..5 {
        log.append_as_leader(&batch(1), 0, 0).unwrap();
    }
    assert_eq!(log.segment_count(), 3);
    for base in [0, 2, 4] {
        assert!(disk.file_bytes(&seg_path(base, "log")).is_some());
        assert!(disk.file_bytes(&seg_path(base, "index")).is_some());
        assert!(disk.file_bytes(&seg_path(base, "timeindex")).is_some());
    }
    // Age: the segment at 4 got its first batch at 0 ms.
    log.append_as_leader(&batch(1), 0, 1_000).unwrap();
    assert_eq!(log.segment_count(), 3);
    log.append_as_leader(&batch(1), 0, 1_001).unwrap();
    assert_eq!(log.segment_count(), 4);
    assert_eq!(
        disk.file_bytes(&seg_path(6, "log")).unwrap().len() as u64,
        size
    );
    // A batch bigger than segment.bytes still goes into an empty segment.
    log.append_as_leader(&batch(10), 0, 1_001).unwrap();
    assert_eq!(log.segment_count(), 5);
    assert_eq!(
        offsets(&log.read(5, 1 << 20, i64::MAX, false).unwrap()),
        vec![(5, 1)]
    );
    assert_eq!(
        offsets(&log.read(9, 1 << 20, i64::MAX, false).unwrap()),
        vec![(7, 10)]
    );
}

#[test]
fn offset_index_finds_every_batch_among_many() {
    let disk = MemDisk::new();
    let config = LogConfig {
        index_interval_bytes: 300,
        segment_bytes: 40_000,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config.clone());
    for i in 0..300 {
        log.append_as_leader(&batch(1 + i % 3), 0, 0).unwrap();
    }
    assert!(log.segment_count() > 1);
    let entries: usize = log.segments.values().map(|s| s.offset_index_len()).sum();
    assert!(entries > 50, "{entries}");
    let end = log.log_end_offset();
    let check = |log: &Log| {
        for offset in 0..end {
            let read = log.read(offset, 1, i64::MAX, true).unwrap();
            let h = header(&read);
            assert!(
                h.base_offset <= offset && offset <= h.last_offset(),
                "{offset}"
            );
        }
    };
    check(&log);
    // The same lookups after a trusted reload of the indexes.
    check(&reopen(&disk, config, end));
}

#[test]
fn offset_for_timestamp_finds_the_first_record_at_or_after() {
    let disk = MemDisk::new();
    let config = LogConfig {
        index_interval_bytes: 1,
        segment_bytes: 600,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config.clone());
    // Offsets 0-2: 100, 300, 200; 3-4: 250, 260; 5: 500 (gzip); 6-7: 400, 600.
    log.append_as_leader(&batch_with(&[100, 300, 200], true, Compression::None), 0, 0)
        .unwrap();
    log.append_as_leader(&batch_with(&[250, 260], true, Compression::None), 0, 0)
        .unwrap();
    log.append_as_leader(&batch_with(&[500], true, Compression::Gzip), 0, 0)
        .unwrap();
    log.append_as_leader(&batch_with(&[400, 600], true, Compression::None), 0, 0)
        .unwrap();
    assert!(log.segment_count() > 1);
    let expect = [
        (0, 0, 100),
        (100, 0, 100),
        (101, 1, 300),
        (300, 1, 300),
        (301, 5, 500),
    ];
    let more = [(450, 5, 500), (501, 7, 600), (600, 7, 600)];
    for log in [&log, &reopen(&disk, config, 8)] {
        for (target, offset, ts) in expect.iter().chain(&more) {
            assert_eq!(
                log.offset_for_timestamp(*target).unwrap(),
                Some((*offset, *ts)),
                "{target}"
            );
        }
        assert_eq!(log.offset_for_timestamp(601).unwrap(), None);
        assert_eq!(log.max_timestamp_entry().unwrap(), Some((7, 600)));
    }
}

#[test]
fn log_append_time_stamps_every_record() {
    let disk = MemDisk::new();
    let config = LogConfig {
        message_timestamp_type: TimestampType::LogAppendTime,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config);
    let info = log
        .append_as_leader(&batch_with(&[5, 9], true, Compression::Lz4), 0, 7_000)
        .unwrap();
    assert_eq!(info.log_append_time_ms, 7_000);
    log.append_as_leader(&batch_with(&[1], true, Compression::None), 0, 8_000)
        .unwrap();
    let read = log.read(0, 1 << 20, i64::MAX, false).unwrap();
    let h = header(&read);
    assert!(h.is_log_append_time() && super::batch::verify_crc(&read[..h.total_size()]));
    assert_eq!(h.max_timestamp, 7_000);
    assert_eq!(log.offset_for_timestamp(10).unwrap(), Some((0, 7_000)));
    assert_eq!(log.offset_for_timestamp(7_001).unwrap(), Some((2, 8_000)));
    assert_eq!(log.max_timestamp_entry().unwrap(), Some((2, 8_000)));
    let decoded = RecordBatchDecoder::decode_all(&mut read.clone()).unwrap();
    assert_eq!(
        decoded.len(),
        2,
        "the stamped batch still decodes (CRC valid)"
    );
}

#[test]
fn every_codec_is_accepted_and_served_back_byte_identical() {
    let disk = MemDisk::new();
    let config = LogConfig {
        compacted: true,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config);
    let codecs = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    let mut sent = Vec::new();
    for codec in codecs {
        let b = batch_with(&[1, 2, 3], true, codec);
        log.append_as_leader(&b, 0, 0).unwrap();
        sent.push(b);
    }
    let read = log.read(0, 1 << 20, i64::MAX, false).unwrap();
    let mut at = 0;
    for (i, b) in sent.iter().enumerate() {
        assert_eq!(header(&read[at..]).compression(), i as u8);
        assert_eq!(&read[at + 16..at + b.len()], &b[16..]);
        at += b.len();
    }
}

fn assert_untouched(disk: &MemDisk, log: &Log, before: &[u8]) {
    assert_eq!(log.log_end_offset(), 2);
    assert_eq!(disk.file_bytes(&seg_path(0, "log")).unwrap(), before);
}

#[test]
fn bad_appends_are_rejected_and_nothing_is_written() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    log.append_as_leader(&batch(2), 0, 0).unwrap();
    let before = disk.file_bytes(&seg_path(0, "log")).unwrap();
    let good = batch(2);

    let mut bad_crc = good.clone();
    *bad_crc.last_mut().unwrap() ^= 1;
    let set = [good.clone(), bad_crc].concat();
    let err = log.append_as_leader(&set, 0, 0).unwrap_err();
    assert!(matches!(
        err,
        AppendError::CorruptMessage {
            batch_index: 1,
            error: BatchError::CrcMismatch { .. }
        }
    ));
    assert_untouched(&disk, &log, &before);

    let mut v1 = good.clone();
    v1[16] = 1;
    let err = log.append_as_leader(&v1, 0, 0).unwrap_err();
    assert!(matches!(
        err,
        AppendError::UnsupportedMagic {
            batch_index: 0,
            magic: 1
        }
    ));

    let torn = &good[..good.len() - 1];
    let err = log.append_as_leader(torn, 0, 0).unwrap_err();
    assert!(matches!(err, AppendError::CorruptMessage { .. }), "{err}");

    let err = log.append_as_leader(&[], 0, 0).unwrap_err();
    assert!(matches!(err, AppendError::InvalidRecord { .. }));

    log.set_config(LogConfig {
        max_message_bytes: good.len() - 1,
        ..LogConfig::default()
    });
    let err = log.append_as_leader(&good, 0, 0).unwrap_err();
    let size = good.len();
    assert!(
        matches!(err, AppendError::MessageTooLarge { size: s, max } if s == size && max == size - 1)
    );
    assert_untouched(&disk, &log, &before);

    log.set_config(LogConfig {
        compacted: true,
        ..LogConfig::default()
    });
    let keyless = batch_with(&[1, 2], false, Compression::Zstd);
    let err = log
        .append_as_leader(&[good.clone(), keyless].concat(), 0, 0)
        .unwrap_err();
    assert!(matches!(
        err,
        AppendError::InvalidRecord {
            batch_index: 1,
            reason: InvalidRecordReason::MissingKey { offset_delta: 0 }
        }
    ));
    assert_untouched(&disk, &log, &before);
    assert_eq!(log.segment_count(), 1);
}

#[test]
fn a_failed_write_leaves_the_log_as_it_was() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    log.append_as_leader(&batch(2), 0, 0).unwrap();
    let before = disk.file_bytes(&seg_path(0, "log")).unwrap();
    disk.set_fail_writes(true);
    let err = log.append_as_leader(&batch(2), 0, 0).unwrap_err();
    assert!(matches!(err, AppendError::Storage(_)));
    disk.set_fail_writes(false);
    assert_untouched(&disk, &log, &before);

    // flush.messages = 1: a failing fsync takes the records back too.
    log.set_config(LogConfig {
        flush_messages: 1,
        ..LogConfig::default()
    });
    log.append_as_leader(&batch(1), 0, 0).unwrap();
    assert_eq!(log.recovery_point(), 3);
    let before = disk.file_bytes(&seg_path(0, "log")).unwrap();
    let synced = disk.sync_count();
    disk.set_fail_writes(true);
    assert!(log.append_as_leader(&batch(1), 0, 0).is_err());
    disk.set_fail_writes(false);
    assert_eq!(log.log_end_offset(), 3);
    assert_eq!(disk.file_bytes(&seg_path(0, "log")).unwrap(), before);
    assert_eq!(disk.sync_count(), synced);
    assert_eq!(
        log.append_as_leader(&batch(1), 0, 0).unwrap().base_offset,
        3
    );
}

#[test]
fn a_torn_tail_is_truncated_on_recovery() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    for _ in 0..3 {
        log.append_as_leader(&batch(2), 0, 0).unwrap();
    }
    drop(log);
    let path = seg_path(0, "log");
    let mut bytes = disk.file_bytes(&path).unwrap();
    let keep = 2 * batch(2).len();
    bytes.truncate(bytes.len() - 10);
    disk.set_file_bytes(&path, bytes);
    let log = reopen(&disk, LogConfig::default(), 0);
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(disk.file_bytes(&path).unwrap().len(), keep);
    assert_eq!(log.recovery_scanned_batches(), 2);
}

#[test]
fn a_flipped_bit_truncates_from_that_batch_and_drops_later_segments() {
    let disk = MemDisk::new();
    let size = batch(1).len();
    let config = LogConfig {
        segment_bytes: 5 * size as u64,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config.clone());
    for _ in 0..8 {
        log.append_as_leader(&batch(1), 0, 0).unwrap();
    }
    assert_eq!(log.segment_count(), 2);
    drop(log);
    // Flip a bit inside the value of the batch at offset 2.
    assert!(disk.flip_bit(&seg_path(0, "log"), 2 * size + 70, 3));
    let mut log = reopen(&disk, config, 1);
    assert_eq!(log.log_end_offset(), 2);
    assert_eq!(log.segment_count(), 1);
    assert!(disk.file_bytes(&seg_path(5, "log")).is_none());
    assert!(disk.file_bytes(&seg_path(5, "index")).is_none());
    assert_eq!(
        offsets(&log.read(0, 1 << 20, i64::MAX, false).unwrap()),
        vec![(0, 1), (1, 1)]
    );
    assert_eq!(
        log.append_as_leader(&batch(1), 0, 0).unwrap().base_offset,
        2
    );
}

#[test]
fn corruption_below_the_recovery_point_is_not_rescanned() {
    let disk = MemDisk::new();
    let size = batch(1).len();
    let config = LogConfig {
        segment_bytes: 2 * size as u64,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config.clone());
    for _ in 0..4 {
        log.append_as_leader(&batch(1), 0, 0).unwrap();
    }
    drop(log);
    assert!(disk.flip_bit(&seg_path(0, "log"), 70, 0));
    let log = reopen(&disk, config, 2);
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(
        log.recovery_scanned_batches(),
        2,
        "only the segment at 2 is verified"
    );
}

#[test]
fn missing_or_torn_indexes_are_rebuilt() {
    let disk = MemDisk::new();
    let config = LogConfig {
        index_interval_bytes: 1,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config.clone());
    for _ in 0..10 {
        log.append_as_leader(&batch(2), 0, 0).unwrap();
    }
    drop(log);
    let index = disk.file_bytes(&seg_path(0, "index")).unwrap();
    let time_index = disk.file_bytes(&seg_path(0, "timeindex")).unwrap();
    assert_eq!(index.len(), 9 * 8);
    disk.remove_file(&seg_path(0, "index")).unwrap();
    let log = reopen(&disk, config.clone(), 20);
    assert_eq!(log.log_end_offset(), 20);
    assert_eq!(disk.file_bytes(&seg_path(0, "index")).unwrap(), index);
    assert_eq!(
        disk.file_bytes(&seg_path(0, "timeindex")).unwrap(),
        time_index
    );
    drop(log);

    let mut torn = index.clone();
    torn.truncate(index.len() - 3);
    disk.set_file_bytes(&seg_path(0, "index"), torn);
    let log = reopen(&disk, config.clone(), 20);
    assert_eq!(disk.file_bytes(&seg_path(0, "index")).unwrap(), index);
    drop(log);

    // An entry pointing past the end of the log fails the sanity check.
    let mut lying = index.clone();
    lying[index.len() - 4..].copy_from_slice(&u32::MAX.to_be_bytes());
    disk.set_file_bytes(&seg_path(0, "index"), lying);
    let log = reopen(&disk, config, 20);
    assert_eq!(disk.file_bytes(&seg_path(0, "index")).unwrap(), index);
    assert_eq!(
        offsets(&log.read(13, 1, i64::MAX, true).unwrap()),
        vec![(12, 2)]
    );
}

/// A log of three one-record batches in two segments (offsets 0-1, then 2), closed; returns
/// its config and the size of one batch.
fn three_batches_in_two_segments(disk: &MemDisk) -> (LogConfig, u64) {
    let size = batch(1).len() as u64;
    let config = LogConfig {
        segment_bytes: 2 * size,
        ..LogConfig::default()
    };
    let mut log = create(disk, config.clone());
    for _ in 0..3 {
        log.append_as_leader(&batch(1), 0, 0).unwrap();
    }
    assert_eq!(log.segment_count(), 2);
    (config, size)
}

#[test]
fn a_crash_between_roll_and_index_creation_recovers() {
    let disk = MemDisk::new();
    let (config, _) = three_batches_in_two_segments(&disk);
    disk.remove_file(&seg_path(2, "index")).unwrap();
    disk.remove_file(&seg_path(2, "timeindex")).unwrap();
    // And an orphan index for a segment whose .log never made it.
    disk.set_file_bytes(&seg_path(9, "index"), vec![]);
    let mut log = reopen(&disk, config, 3);
    assert_eq!(log.log_end_offset(), 3);
    assert!(disk.file_bytes(&seg_path(2, "index")).is_some());
    assert!(disk.file_bytes(&seg_path(2, "timeindex")).is_some());
    assert!(disk.file_bytes(&seg_path(9, "index")).is_none());
    assert_eq!(
        log.append_as_leader(&batch(1), 0, 0).unwrap().base_offset,
        3
    );
}

#[test]
fn leader_epochs_are_recorded_checkpointed_and_truncated() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    assert_eq!(log.latest_epoch(), None);
    log.append_as_leader(&batch(2), 1, 0).unwrap();
    log.append_as_leader(&batch(2), 1, 0).unwrap();
    log.append_as_leader(&batch(3), 4, 0).unwrap();
    assert_eq!(log.latest_epoch(), Some(4));
    assert_eq!(log.end_offset_for_epoch(1), Some((1, 4)));
    assert_eq!(log.end_offset_for_epoch(3), Some((1, 4)));
    assert_eq!(log.end_offset_for_epoch(4), Some((4, 7)));
    assert_eq!(log.end_offset_for_epoch(5), None);
    let checkpoint = dir().join("leader-epoch-checkpoint");
    assert_eq!(disk.file_bytes(&checkpoint).unwrap(), b"0\n2\n1 0\n4 4\n");
    drop(log);

    // A corrupt checkpoint is rebuilt from the batches' partition leader epochs.
    disk.set_file_bytes(&checkpoint, b"garbage".to_vec());
    let mut log = reopen(&disk, LogConfig::default(), 0);
    assert_eq!(log.end_offset_for_epoch(1), Some((1, 4)));
    assert_eq!(disk.file_bytes(&checkpoint).unwrap(), b"0\n2\n1 0\n4 4\n");

    // Truncating inside a batch removes the whole batch, and the epochs after it.
    log.set_high_watermark(7);
    log.truncate_to(5).unwrap();
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.high_watermark(), 4);
    assert_eq!(log.latest_epoch(), Some(1));
    assert_eq!(
        log.append_as_leader(&batch(1), 6, 0).unwrap().base_offset,
        4
    );
    assert_eq!(log.end_offset_for_epoch(1), Some((1, 4)));
}

#[test]
fn truncation_across_segments_and_below_the_start() {
    let disk = MemDisk::new();
    let size = batch(1).len() as u64;
    let config = LogConfig {
        segment_bytes: 2 * size,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config.clone());
    for _ in 0..6 {
        log.append_as_leader(&batch(1), 0, 0).unwrap();
    }
    log.truncate_to(3).unwrap();
    assert_eq!((log.log_end_offset(), log.segment_count()), (3, 2));
    assert!(disk.file_bytes(&seg_path(4, "log")).is_none());
    assert_eq!(
        log.append_as_leader(&batch(1), 0, 0).unwrap().base_offset,
        3
    );
    log.truncate_to(0).unwrap();
    assert_eq!((log.log_end_offset(), log.segment_count()), (0, 1));
    assert!(log.read(0, 100, i64::MAX, true).unwrap().is_empty());
}

/// A replica that took the lead and lost it before appending leaves an epoch starting at its
/// log end. Its next leader never had that epoch and answers for the one before, ending at
/// (or past) this log's end: truncating there cuts no record but must drop the empty epoch,
/// or the follower sends it as its last fetched epoch again and again (found by
/// `replicated-elr`, seed 1, where the follower never rejoined the ISR).
#[test]
fn truncating_at_the_log_end_drops_an_epoch_without_records() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    for _ in 0..3 {
        log.append_as_leader(&batch(1), 0, 0).unwrap();
    }
    log.begin_leader_epoch(1).unwrap();
    assert_eq!(log.end_offset_for_epoch(1), Some((1, 3)));
    log.truncate_to(3).unwrap();
    assert_eq!(log.log_end_offset(), 3, "no record cut");
    assert_eq!(log.end_offset_for_epoch(1), None, "epoch 1 is gone");
    assert_eq!(log.end_offset_for_epoch(0), Some((0, 3)));
    // Past the end, the same; an epoch with records is never touched.
    log.begin_leader_epoch(2).unwrap();
    log.truncate_to(9).unwrap();
    assert_eq!(log.end_offset_for_epoch(2), None);
    log.truncate_to(3).unwrap();
    assert_eq!(log.end_offset_for_epoch(0), Some((0, 3)));
}

#[test]
fn truncate_fully_and_start_at_restarts_an_empty_log_past_its_end() {
    let disk = MemDisk::new();
    let (config, _) = three_batches_in_two_segments(&disk);
    let mut log = reopen(&disk, config.clone(), 0);
    log.truncate_fully_and_start_at(40).unwrap();
    let state = |log: &Log| {
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.segment_count(),
        )
    };
    assert_eq!(state(&log), (40, 40, 1));
    assert_eq!(log.latest_epoch(), None);
    assert!(disk.file_bytes(&seg_path(0, "log")).is_none());
    assert!(disk.file_bytes(&seg_path(2, "log")).is_none());
    assert_eq!(
        log.append_as_leader(&batch(1), 7, 0).unwrap().base_offset,
        40
    );
    drop(log);
    let log = reopen(&disk, config, 0);
    assert_eq!(state(&log), (40, 41, 1));
    assert_eq!(log.end_offset_for_epoch(7), Some((7, 41)));
}

#[test]
fn high_watermark_is_clamped_to_the_log() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    log.append_as_leader(&batch(3), 0, 0).unwrap();
    log.set_high_watermark(10);
    assert_eq!(log.high_watermark(), 3);
    log.set_high_watermark(-5);
    assert_eq!(log.high_watermark(), 0);
}

#[test]
fn flush_policies_move_the_recovery_point() {
    let disk = MemDisk::new();
    let config = LogConfig {
        flush_messages: 3,
        flush_ms: 1_000,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config);
    log.append_as_leader(&batch(2), 0, 0).unwrap();
    assert_eq!(log.recovery_point(), 0);
    log.append_as_leader(&batch(1), 0, 0).unwrap();
    assert_eq!(log.recovery_point(), 3);
    log.append_as_leader(&batch(1), 0, 0).unwrap();
    assert_eq!(log.take_due_flush(999), None);
    assert_eq!(
        log.take_due_flush(1_000),
        Some(4),
        "flush.ms passed: all of it"
    );
    assert_eq!(
        log.take_due_flush(1_999),
        None,
        "the next period starts at the flush"
    );
    let log = Arc::new(Mutex::new(log));
    crate::runtime::block_on(wait_durable(&log, 4))
        .unwrap()
        .unwrap();
    assert_eq!(log.lock().unwrap().recovery_point(), 4);
}

fn manager(disk: &MemDisk, dirs: &[&str]) -> LogManager {
    let dirs = dirs.iter().map(PathBuf::from).collect();
    let configs = BTreeMap::new();
    LogManager::open(
        Arc::new(disk.clone()),
        dirs,
        &configs,
        &LogConfig::default(),
        0,
    )
    .unwrap()
}

#[test]
fn manager_places_partitions_and_checkpoints_round_trip() {
    let disk = MemDisk::new();
    let mut manager = manager(&disk, &["/a", "/b"]);
    let tps: Vec<_> = (0..3).map(|p| TopicPartition::new("t", p)).collect();
    for tp in &tps {
        let log = manager
            .create_log(tp, LogConfig::default(), 0, None)
            .unwrap();
        log.lock()
            .unwrap()
            .append_as_leader(&batch(2), 0, 0)
            .unwrap();
        log.lock().unwrap().flush().unwrap();
    }
    assert!(disk.exists(Path::new("/a/t-0")).unwrap());
    assert!(disk.exists(Path::new("/b/t-1")).unwrap());
    assert!(disk.exists(Path::new("/a/t-2")).unwrap());
    disk.create_dir_all(Path::new("/a/not a partition"))
        .unwrap();
    disk.set_file_bytes(Path::new("/a/meta.properties"), b"x".to_vec());
    manager.checkpoint().unwrap();
    let text = disk
        .file_bytes(Path::new("/a/recovery-point-offset-checkpoint"))
        .unwrap();
    assert_eq!(text, b"0\n2\nt 0 2\nt 2 2\n");
    manager.delete_log(&tps[2]).unwrap();
    assert!(!disk.exists(Path::new("/a/t-2")).unwrap());
    let text = disk
        .file_bytes(Path::new("/a/log-start-offset-checkpoint"))
        .unwrap();
    assert_eq!(text, b"0\n1\nt 0 0\n");

    let reopened = self::manager(&disk, &["/a", "/b"]);
    assert_eq!(reopened.partitions(), tps[..2].to_vec());
    let log = reopened.get(&tps[1]).unwrap();
    assert_eq!(log.lock().unwrap().log_end_offset(), 2);
    assert_eq!(log.lock().unwrap().recovery_point(), 2);
}

/// Partition t-0 in log dir /a with three one-record batches, shut down cleanly; the path of
/// its segment.
fn three_batches_shut_down_cleanly(disk: &MemDisk) -> PathBuf {
    let tp = TopicPartition::new("t", 0);
    let mut first = manager(disk, &["/a"]);
    let log = first
        .create_log(&tp, LogConfig::default(), 0, None)
        .unwrap();
    for _ in 0..3 {
        log.lock()
            .unwrap()
            .append_as_leader(&batch(1), 0, 0)
            .unwrap();
    }
    first.shutdown(42).unwrap();
    assert!(disk.exists(Path::new("/a/.kafka_cleanshutdown")).unwrap());
    PathBuf::from("/a/t-0").join(format!("{:020}.log", 0))
}

#[test]
fn clean_shutdown_skips_the_rescan_and_unclean_does_not() {
    let disk = MemDisk::new();
    let tp = TopicPartition::new("t", 0);
    let segment = three_batches_shut_down_cleanly(&disk);
    // Corrupt the middle batch behind the broker's back.
    let size = disk.file_bytes(&segment).unwrap().len() / 3;
    assert!(disk.flip_bit(&segment, 2 * size - 3, 0));

    let second = manager(&disk, &["/a"]);
    assert!(!disk.exists(Path::new("/a/.kafka_cleanshutdown")).unwrap());
    assert_eq!(
        second.previous_broker_epoch(),
        42,
        "the epoch the marker names"
    );
    let log = second.get(&tp).unwrap();
    assert_eq!(log.lock().unwrap().recovery_scanned_batches(), 0);
    assert_eq!(
        log.lock().unwrap().log_end_offset(),
        3,
        "not rescanned, so not detected"
    );
    drop((log, second)); // a crash: no shutdown, no marker

    let third = manager(&disk, &["/a"]);
    assert_eq!(
        third.previous_broker_epoch(),
        -1,
        "a crash is an unclean shutdown"
    );
    let log = third.get(&tp).unwrap();
    assert_eq!(log.lock().unwrap().recovery_scanned_batches(), 1);
    assert_eq!(
        log.lock().unwrap().log_end_offset(),
        1,
        "rescanned and truncated"
    );
}

/// The previous broker epoch is reported only when every log dir's marker names the same one:
/// a dir without a marker (a crash while it was unmounted, say), an empty marker from an
/// older Weir, or markers that disagree all make the shutdown unclean.
#[test]
fn every_log_dir_must_agree_on_the_clean_shutdown_epoch() {
    let disk = MemDisk::new();
    manager(&disk, &["/a", "/b"]).shutdown(9).unwrap();
    assert_eq!(manager(&disk, &["/a", "/b"]).previous_broker_epoch(), 9);
    manager(&disk, &["/a", "/b"]).shutdown(9).unwrap();
    disk.remove_file(Path::new("/b/.kafka_cleanshutdown"))
        .unwrap();
    assert_eq!(manager(&disk, &["/a", "/b"]).previous_broker_epoch(), -1);
    let marker = disk
        .open(Path::new("/a/.kafka_cleanshutdown"), OpenMode::Truncate)
        .unwrap();
    marker.sync().unwrap();
    assert_eq!(
        manager(&disk, &["/a"]).previous_broker_epoch(),
        -1,
        "an empty marker"
    );
    manager(&disk, &["/a"]).shutdown(3).unwrap();
    manager(&disk, &["/b"]).shutdown(4).unwrap();
    assert_eq!(manager(&disk, &["/a", "/b"]).previous_broker_epoch(), -1);
}

/// Even after a clean shutdown, the last batch of a segment is verified: nothing after it
/// says where it ends, and its end is the log end offset.
#[test]
fn clean_shutdown_still_verifies_the_last_batch() {
    let disk = MemDisk::new();
    let tp = TopicPartition::new("t", 0);
    let segment = three_batches_shut_down_cleanly(&disk);
    let len = disk.file_bytes(&segment).unwrap().len();
    assert!(disk.flip_bit(&segment, len - 3, 0));
    let second = manager(&disk, &["/a"]);
    let log = second.get(&tp).unwrap();
    assert_eq!(log.lock().unwrap().log_end_offset(), 2, "verified and cut");
}

#[test]
fn a_corrupt_dir_checkpoint_falls_back_to_a_full_scan() {
    let disk = MemDisk::new();
    let tp = TopicPartition::new("t", 0);
    let mut first = manager(&disk, &["/a"]);
    let log = first
        .create_log(&tp, LogConfig::default(), 0, None)
        .unwrap();
    log.lock()
        .unwrap()
        .append_as_leader(&batch(4), 0, 0)
        .unwrap();
    first.shutdown(1).unwrap();
    disk.set_file_bytes(
        Path::new("/a/recovery-point-offset-checkpoint"),
        b"0\n9\n".to_vec(),
    );
    let second = manager(&disk, &["/a"]);
    let log = second.get(&tp).unwrap();
    assert_eq!(log.lock().unwrap().recovery_scanned_batches(), 1);
    assert_eq!(log.lock().unwrap().log_end_offset(), 4);
}

#[test]
fn file_disk_smoke_test() {
    let unique = format!("weir-storage-test-{}", std::process::id());
    let root = std::env::temp_dir().join(unique);
    let disk: Arc<dyn Disk> = Arc::new(FileDisk::new());
    let dirs = vec![root.join("logs")];
    let configs = BTreeMap::new();
    let tp = TopicPartition::new("smoke", 0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let config = LogConfig::default();
        let mut manager =
            LogManager::open(disk.clone(), dirs.clone(), &configs, &config, 0).unwrap();
        let log = manager.create_log(&tp, config.clone(), 0, None).unwrap();
        log.lock()
            .unwrap()
            .append_as_leader(&batch(3), 0, 0)
            .unwrap();
        manager.shutdown(1).unwrap();
        let manager = LogManager::open(disk.clone(), dirs.clone(), &configs, &config, 0).unwrap();
        let log = manager.get(&tp).unwrap();
        let read = log
            .lock()
            .unwrap()
            .read(1, 1 << 20, i64::MAX, false)
            .unwrap();
        assert_eq!(offsets(&read), vec![(0, 3)]);
    }));
    let _ = disk.remove_dir_all(&root);
    result.unwrap();
}

#[test]
fn zero_filled_or_garbage_tails_and_a_bad_first_batch_are_cut() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    log.append_as_leader(&batch(2), 0, 0).unwrap();
    drop(log);
    let path = seg_path(0, "log");
    let good = disk.file_bytes(&path).unwrap();
    for tail in [vec![0u8; 4096], vec![0xff; 30], vec![0; 5]] {
        disk.set_file_bytes(&path, [good.clone(), tail].concat());
        let log = reopen(&disk, LogConfig::default(), 0);
        assert_eq!(log.log_end_offset(), 2);
        assert_eq!(disk.file_bytes(&path).unwrap(), good);
    }
    let mut bad_first = good.clone();
    bad_first[8..12].copy_from_slice(&i32::MAX.to_be_bytes());
    disk.set_file_bytes(&path, bad_first);
    let mut log = reopen(&disk, LogConfig::default(), 0);
    assert_eq!(log.log_end_offset(), 0);
    assert_eq!(
        log.append_as_leader(&batch(1), 0, 0).unwrap().base_offset,
        0
    );
}

#[test]
fn a_torn_trusted_segment_is_verified_instead_of_served() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    log.append_as_leader(&batch(2), 0, 0).unwrap();
    log.append_as_leader(&batch(2), 0, 0).unwrap();
    log.close().unwrap();
    drop(log);
    let path = seg_path(0, "log");
    let mut bytes = disk.file_bytes(&path).unwrap();
    bytes.truncate(bytes.len() - 1);
    disk.set_file_bytes(&path, bytes);
    let disk_arc: Arc<dyn Disk> = Arc::new(disk.clone());
    let config = LogConfig::default();
    let log = Log::open_after_clean_shutdown(disk_arc, dir(), config, 0, 0).unwrap();
    assert_eq!(log.log_end_offset(), 2);
}

/// xorshift64: a deterministic stream for the fuzz loops below.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn mutated_batches_never_panic_the_parsers() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let codecs = [Compression::None, Compression::Gzip, Compression::Snappy];
    let more = [Compression::Lz4, Compression::Zstd];
    for codec in codecs.into_iter().chain(more) {
        let good = batch_with(&[1, 2, 3], true, codec);
        for _ in 0..300 {
            let mut bytes = good.clone();
            for _ in 0..1 + next_random(&mut seed) % 4 {
                let at = (next_random(&mut seed) % bytes.len() as u64) as usize;
                bytes[at] = next_random(&mut seed) as u8;
            }
            let cut = (next_random(&mut seed) % (bytes.len() as u64 + 1)) as usize;
            let bytes = &bytes[..cut.max(bytes.len() / 2)];
            for split in BatchSplitter::new(bytes) {
                let Ok(split) = split else { break };
                let _ = records::for_each_record(split.bytes, &split.header, |_| true);
            }
        }
    }
}

#[test]
fn recovery_of_randomly_damaged_segments_never_panics_or_serves_bad_batches() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    for i in 0..20 {
        log.append_as_leader(&batch(1 + i % 4), 0, 0).unwrap();
    }
    drop(log);
    let path = seg_path(0, "log");
    let pristine = disk.file_bytes(&path).unwrap();
    for _ in 0..200 {
        let mut bytes = pristine.clone();
        let at = (next_random(&mut seed) % bytes.len() as u64) as usize;
        bytes[at] ^= 1 << (next_random(&mut seed) % 8);
        disk.set_file_bytes(&path, bytes);
        let _ = disk.remove_file(&seg_path(0, "index"));
        let log = reopen(&disk, LogConfig::default(), 0);
        let read = log.read(0, 1 << 20, i64::MAX, false).unwrap();
        // Whatever survived is a prefix of what was written, every batch intact, except that
        // the CRC cannot see a flipped partition leader epoch (bytes 12..16), in Kafka too.
        for split in BatchSplitter::new(&read) {
            let split = split.unwrap();
            let (at, len) = (split.position, split.bytes.len());
            assert!(super::batch::verify_crc(split.bytes));
            assert_eq!(&read[at..at + 12], &pristine[at..at + 12]);
            assert_eq!(&read[at + 16..at + len], &pristine[at + 16..at + len]);
        }
    }
}

#[test]
fn logs_are_send_for_the_broker_mutex() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<std::sync::Mutex<Log>>();
    assert_send_sync::<LogManager>();
}

fn retention_log(disk: &MemDisk, config: LogConfig) -> Log {
    // Six one-record segments, timestamps 1000..1005, high watermark at the end.
    let mut log = create(disk, config);
    for i in 0..6 {
        let b = batch_with(&[1_000 + i], true, Compression::None);
        log.append_as_leader(&b, 0, 0).unwrap();
    }
    log.set_high_watermark(6);
    log
}

fn one_batch_segments() -> LogConfig {
    LogConfig {
        segment_bytes: 1,
        ..LogConfig::default()
    }
}

#[test]
fn retention_by_time_and_size_keeps_the_active_segment() {
    let disk = MemDisk::new();
    let size = batch(1).len() as i64;
    let mut log = retention_log(&disk, one_batch_segments());
    assert_eq!(log.segment_count(), 6);
    log.set_config(LogConfig {
        retention_ms: 100,
        ..one_batch_segments()
    });
    assert_eq!(log.delete_old_segments(1_101).unwrap(), 1);
    assert_eq!(log.log_start_offset(), 1);
    assert!(disk.file_bytes(&seg_path(0, "log")).is_none());
    assert!(matches!(
        log.read(0, 100, i64::MAX, true),
        Err(ReadError::OffsetOutOfRange { .. })
    ));
    assert_eq!(
        log.delete_old_segments(1_000_000).unwrap(),
        4,
        "the active segment stays"
    );
    assert_eq!(log.log_start_offset(), 5);

    let mut log = retention_log(&MemDisk::new(), one_batch_segments());
    log.set_config(LogConfig {
        retention_bytes: 2 * size,
        ..one_batch_segments()
    });
    assert_eq!(log.delete_old_segments(0).unwrap(), 4);
    assert_eq!((log.log_start_offset(), log.segment_count()), (4, 2));
    assert_eq!(log.offset_for_timestamp(0).unwrap(), Some((4, 1_004)));
}

#[test]
fn retention_never_passes_the_high_watermark_nor_touches_compacted_logs() {
    let disk = MemDisk::new();
    let mut log = retention_log(&disk, one_batch_segments());
    log.set_config(LogConfig {
        retention_ms: 0,
        ..one_batch_segments()
    });
    log.truncate_to(6).unwrap();
    log.high_watermark = 2;
    assert_eq!(log.delete_old_segments(1_000_000).unwrap(), 2);
    log.set_config(LogConfig {
        retention_ms: 0,
        compacted: true,
        ..one_batch_segments()
    });
    log.set_high_watermark(6);
    assert_eq!(log.delete_old_segments(1_000_000).unwrap(), 0);
}

#[test]
fn delete_records_moves_the_log_start_offset_and_checkpoints_it() {
    let disk = MemDisk::new();
    let tp = TopicPartition::new("t", 0);
    let mut manager = manager(&disk, &["/a"]);
    let log = manager
        .create_log(&tp, one_batch_segments(), 0, None)
        .unwrap();
    {
        let mut log = log.lock().unwrap();
        for epoch in [0, 0, 1, 1] {
            log.append_as_leader(&batch(1), epoch, 0).unwrap();
        }
        log.set_high_watermark(3);
        assert!(log.increment_log_start_offset(4).is_err());
        log.increment_log_start_offset(3).unwrap();
        log.increment_log_start_offset(1).unwrap(); // never backwards
        assert_eq!(log.log_start_offset(), 3);
        assert_eq!(
            log.end_offset_for_epoch(0),
            Some((0, 3)),
            "epoch 1 now starts at 3"
        );
        assert_eq!(
            offsets(&log.read(3, 100, i64::MAX, true).unwrap()),
            vec![(3, 1)]
        );
    }
    assert_eq!(log.lock().unwrap().delete_old_segments(0).unwrap(), 3);
    manager.shutdown(1).unwrap();
    let text = disk
        .file_bytes(Path::new("/a/log-start-offset-checkpoint"))
        .unwrap();
    assert_eq!(text, b"0\n1\nt 0 3\n");
    let reopened = self::manager(&disk, &["/a"]);
    let log = reopened.get(&tp).unwrap();
    let log = log.lock().unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (3, 4));
    assert_eq!(
        log.high_watermark(),
        3,
        "restored from replication-offset-checkpoint"
    );
}

#[test]
fn max_timestamp_entry_picks_the_first_record_with_the_largest_timestamp() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    assert_eq!(log.max_timestamp_entry().unwrap(), None);
    log.append_as_leader(&batch_with(&[5, 9, 9], true, Compression::None), 0, 0)
        .unwrap();
    log.append_as_leader(&batch_with(&[9, 2], true, Compression::Zstd), 0, 0)
        .unwrap();
    assert_eq!(log.max_timestamp_entry().unwrap(), Some((1, 9)));
    log.append_as_leader(&batch_with(&[3, 12], true, Compression::Snappy), 0, 0)
        .unwrap();
    assert_eq!(log.max_timestamp_entry().unwrap(), Some((6, 12)));
    log.truncate_to(5).unwrap();
    assert_eq!(log.max_timestamp_entry().unwrap(), Some((1, 9)));
    assert_eq!(log.offset_for_timestamp(10).unwrap(), None);
}

#[test]
fn manager_flush_due_follows_each_logs_flush_ms() {
    let disk = MemDisk::new();
    let mut manager = manager(&disk, &["/a"]);
    let timed = LogConfig {
        flush_ms: 100,
        ..LogConfig::default()
    };
    let fast = manager
        .create_log(&TopicPartition::new("fast", 0), timed, 0, None)
        .unwrap();
    let slow = manager.create_log(
        &TopicPartition::new("slow", 0),
        LogConfig::default(),
        0,
        None,
    );
    let slow = slow.unwrap();
    for log in [&fast, &slow] {
        log.lock()
            .unwrap()
            .append_as_leader(&batch(2), 0, 0)
            .unwrap();
    }
    assert!(manager.due_flushes(99).is_empty());
    let due = manager.due_flushes(100);
    assert_eq!(due.len(), 1, "flush.ms defaults to never");
    assert!(Arc::ptr_eq(&due[0].0, &fast));
    assert_eq!(due[0].1, 2);
    for result in crate::runtime::block_on(wait_all_durable(due)).unwrap() {
        result.unwrap();
    }
    assert_eq!(fast.lock().unwrap().recovery_point(), 2);
    assert_eq!(slow.lock().unwrap().recovery_point(), 0);
}

#[test]
fn reads_never_serve_a_batch_that_fails_its_crc() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    for _ in 0..3 {
        log.append_as_leader(&batch(2), 0, 0).unwrap();
    }
    let size = batch(2).len();
    // Damage the second batch's value behind the log's back (after recovery checked it).
    assert!(disk.flip_bit(&seg_path(0, "log"), size + 80, 1));
    assert_eq!(
        offsets(&log.read(0, 1 << 20, i64::MAX, false).unwrap()),
        vec![(0, 2)]
    );
    match log.read(2, 1 << 20, i64::MAX, false) {
        Err(
            error @ ReadError::Corrupt {
                fetch_offset: 2, ..
            },
        ) => assert!(error.is_corruption()),
        other => panic!("{other:?}"),
    }
    // A damaged base offset is caught too (it is not covered by the CRC): by the header walk
    // that finds the batch, which expects it to continue the offsets before it.
    assert!(disk.flip_bit(&seg_path(0, "log"), 2 * size + 7, 4));
    let error = log.read(4, 1 << 20, i64::MAX, false).unwrap_err();
    assert!(error.is_corruption(), "{error:?}");
    assert!(
        error.to_string().contains("does not continue the offsets"),
        "{error}"
    );
}

/// A batch's leader epoch lies outside its CRC: a flip there must not reach a follower's epoch
/// cache (where it once made a follower cut its whole log) or a consumer's position, nor stop
/// the partition (its records are intact): the read serves the epoch the cache holds.
#[test]
fn reads_serve_the_cached_epoch_for_one_the_log_never_had() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    log.append_as_leader(&batch(2), 3, 0).unwrap();
    log.append_as_leader(&batch(2), 5, 0).unwrap();
    log.append_as_leader(&batch(2), 5, 0).unwrap();
    let clean = log.read(0, 1 << 20, i64::MAX, false).unwrap();
    let size = batch(2).len();
    // Byte 12 is the leader epoch's most significant byte: the second batch's epoch 5 becomes
    // 2^24 + 5, and the first's 3 becomes 2^24 + 3.
    assert!(disk.flip_bit(&seg_path(0, "log"), size + 12, 0));
    assert!(disk.flip_bit(&seg_path(0, "log"), 12, 0));
    let served = log.read(0, 1 << 20, i64::MAX, false).unwrap();
    assert_eq!(
        served, clean,
        "epochs 3 and 5 served, every other byte as stored"
    );
    let epochs: Vec<i32> = BatchSplitter::new(&served)
        .map(|b| b.unwrap().header.partition_leader_epoch)
        .collect();
    assert_eq!(epochs, vec![3, 5, 5]);
}

#[test]
fn a_segment_after_a_hole_is_dropped_by_recovery() {
    // A crash kept the file of segment 2 but lost the unflushed tail of segment 0: offsets 0
    // and 1 no longer exist, so segment 2's data follows a hole and must go.
    let disk = MemDisk::new();
    let (config, size) = three_batches_in_two_segments(&disk);
    let file = disk.open(&seg_path(0, "log"), OpenMode::ReadWrite).unwrap();
    file.set_len(size).unwrap();
    drop(file);
    let log = reopen(&disk, config, 0);
    assert_eq!(log.log_end_offset(), 1, "the log ends where its data does");
    assert_eq!(log.segment_count(), 1);
    assert!(disk.file_bytes(&seg_path(2, "log")).is_none());
}

#[test]
fn a_topic_compression_type_recompresses_every_other_codec() {
    use super::codec::{CODEC_GZIP, CODEC_NONE, CODEC_ZSTD};
    let disk = MemDisk::new();
    let config = LogConfig {
        compression: Some(CODEC_ZSTD),
        ..LogConfig::default()
    };
    let mut log = create(&disk, config);
    let timestamps = [1_000, 1_001, 1_002];
    // One set of three batches: gzip, none and zstd (the last kept byte for byte).
    let gzip = batch_with(&timestamps, true, Compression::Gzip);
    let plain = batch_with(&timestamps, true, Compression::None);
    let zstd = batch_with(&timestamps, true, Compression::Zstd);
    let set = [gzip.clone(), plain, zstd.clone()].concat();
    let info = log.append_as_leader(&set, 2, 100).unwrap();
    assert_eq!((info.base_offset, info.last_offset), (0, 8));
    let read = log.read(0, 1 << 20, i64::MAX, false).unwrap();
    let stored: Vec<(i64, u8, bool)> = BatchSplitter::new(&read)
        .map(|b| b.unwrap())
        .map(|b| {
            (
                b.header.base_offset,
                b.header.compression(),
                super::batch::verify_crc(b.bytes),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            (0, CODEC_ZSTD, true),
            (3, CODEC_ZSTD, true),
            (6, CODEC_ZSTD, true)
        ]
    );
    assert_eq!(&read[read.len() - zstd.len() + 17..], &zstd[17..]);
    // The records are the producer's: keys, values, timestamps, offsets.
    let decoded = RecordBatchDecoder::decode_all(&mut read.clone()).unwrap();
    let records: Vec<(i64, i64, Option<Bytes>)> = (decoded.iter())
        .flat_map(|set| {
            set.records
                .iter()
                .map(|r| (r.offset, r.timestamp, r.key.clone()))
        })
        .collect();
    let expected: Vec<(i64, i64, Option<Bytes>)> = (0..9)
        .map(|i| {
            (
                i,
                1_000 + i % 3,
                Some(Bytes::from(format!("key-{}", i % 3))),
            )
        })
        .collect();
    assert_eq!(records, expected);
    // `uncompressed` stores records plain; a bad gzip batch is refused and nothing written.
    let mut log = create(
        &MemDisk::new(),
        LogConfig {
            compression: Some(CODEC_NONE),
            ..LogConfig::default()
        },
    );
    log.append_as_leader(&gzip, 0, 100).unwrap();
    let read = log.read(0, 1 << 20, i64::MAX, false).unwrap();
    assert_eq!(header(&read).compression(), CODEC_NONE);
    let mut broken = gzip.clone();
    let last = broken.len() - 5;
    broken[last] ^= 0xff;
    let crc = super::batch::compute_crc(&broken);
    broken[17..21].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(
        log.append_as_leader(&broken, 0, 100),
        Err(AppendError::InvalidRecord { .. })
    ));
    assert_eq!(log.log_end_offset(), 3);
    assert_eq!(header(&gzip).compression(), CODEC_GZIP);
}

// Group commit (`group_commit.rs`): durable appends wait for one fsync that covers them all.

fn durable_log(disk: &MemDisk) -> Arc<std::sync::Mutex<Log>> {
    let config = LogConfig {
        flush_messages: 1,
        ..LogConfig::default()
    };
    Arc::new(std::sync::Mutex::new(create(disk, config)))
}

/// Appends `count` batches of two records without fsyncing; the end offset after each.
fn append_unflushed(log: &std::sync::Mutex<Log>, count: usize) -> Vec<i64> {
    let mut log = log.lock().unwrap();
    (0..count)
        .map(|_| {
            let info = log.append_as_leader_unflushed(&batch(2), 0, 0).unwrap();
            assert!(
                info.flush_due,
                "flush.messages=1 wants every append durable"
            );
            info.last_offset + 1
        })
        .collect()
}

#[test]
fn durable_appends_wait_for_one_fsync_that_covers_them_all() {
    let disk = MemDisk::new();
    let log = durable_log(&disk);
    let ends = append_unflushed(&log, 3);
    assert_eq!(
        log.lock().unwrap().recovery_point(),
        0,
        "appending fsyncs nothing"
    );
    let synced = disk.sync_count();
    let waits = ends.iter().map(|&end| (log.clone(), end)).collect();
    let results = crate::runtime::block_on(wait_all_durable(waits)).unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(log.lock().unwrap().recovery_point(), 6);
    // One flush for the three: the segment's log file, its two index files and (new) the
    // partition directory; one each would have been ten.
    assert_eq!(disk.sync_count() - synced, 4);
    // Already durable: waiting again fsyncs nothing.
    let again = crate::runtime::block_on(wait_durable(&log, 6)).unwrap();
    assert!(again.is_ok());
    assert_eq!(disk.sync_count() - synced, 4);
}

#[test]
fn appends_during_a_flush_wait_for_the_next_one() {
    let disk = MemDisk::new();
    let log = durable_log(&disk);
    append_unflushed(&log, 1);
    let mut locked = log.lock().unwrap();
    let first = locked.start_flush().unwrap().expect("nothing was durable");
    assert_eq!(first.covers.end_offset, 2);
    // While that fsync runs the log is free: more appends, and no second flush yet.
    drop(locked);
    append_unflushed(&log, 2);
    let mut locked = log.lock().unwrap();
    assert!(
        locked.start_flush().unwrap().is_none(),
        "one flush at a time"
    );
    let covers = first.covers;
    let result = crate::runtime::block_on(first.run()).unwrap();
    locked.finish_flush(covers, &result);
    assert_eq!(
        locked.recovery_point(),
        2,
        "the first flush covers only its own appends"
    );
    let second = locked
        .start_flush()
        .unwrap()
        .expect("the later appends are not durable");
    assert_eq!(second.covers.end_offset, 6);
}

#[test]
fn a_failed_fsync_fails_its_waiters_and_every_later_one() {
    let disk = MemDisk::new();
    let log = durable_log(&disk);
    let ends = append_unflushed(&log, 1);
    disk.set_fail_writes(true);
    let failed = crate::runtime::block_on(wait_durable(&log, ends[0])).unwrap();
    assert!(failed.is_err());
    disk.set_fail_writes(false);
    assert_eq!(log.lock().unwrap().recovery_point(), 0);
    // The page cache cannot be trusted after a failed fsync: later appends fail to become
    // durable too, with the first error's reason.
    let ends = append_unflushed(&log, 1);
    let error = crate::runtime::block_on(wait_durable(&log, ends[0]))
        .unwrap()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("an fsync of /data/topic-0 failed"),
        "{error}"
    );
}

/// A produce checks its records before taking the partition's lock; settings changed in
/// between (`max.message.bytes`, `compression.type`, `cleanup.policy`) are checked again.
#[test]
fn a_set_prepared_under_other_settings_is_checked_again() {
    let disk = MemDisk::new();
    let mut log = create(&disk, LogConfig::default());
    let records = batch(3);
    let prepared = PreparedAppend::new(log.config(), &records).unwrap();
    assert!(prepared.is_checked_for(log.config()));
    let strict = LogConfig {
        max_message_bytes: records.len() - 1,
        ..LogConfig::default()
    };
    log.set_config(strict);
    assert!(!prepared.is_checked_for(log.config()));
    let error = log.append_prepared_unflushed(prepared, 0, 0).unwrap_err();
    assert!(
        matches!(error, AppendError::MessageTooLarge { .. }),
        "{error}"
    );
    assert_eq!(log.log_end_offset(), 0);

    // Checked under `producer`, appended under `lz4`: stored in lz4.
    log.set_config(LogConfig::default());
    let prepared = PreparedAppend::new(log.config(), &records).unwrap();
    let lz4 = LogConfig {
        compression: Some(Compression::Lz4 as u8),
        ..LogConfig::default()
    };
    log.set_config(lz4);
    log.append_prepared_unflushed(prepared, 0, 0).unwrap();
    let stored = log.read(0, 1 << 20, i64::MAX, true).unwrap();
    assert_eq!(header(&stored).compression(), Compression::Lz4 as u8);
    assert_eq!(offsets(&stored), vec![(0, 3)]);
}

/// A cold read (an older segment than the active one) reads exactly its span, into whatever
/// buffer the pool hands out: a longer recycled one once read past the segment's end.
#[test]
fn a_cold_read_into_a_longer_recycled_buffer_reads_only_its_span() {
    let disk = MemDisk::new();
    let config = LogConfig {
        segment_bytes: 400,
        ..LogConfig::default()
    };
    let mut log = create(&disk, config);
    for _ in 0..8 {
        log.append_as_leader(&batch(2), 0, 0).unwrap();
    }
    assert!(log.segment_count() >= 3);
    // A read of the whole first segment leaves a buffer of its size in the pool.
    let whole = log.read(0, 1 << 20, i64::MAX, true).unwrap();
    let second = offsets(&whole)[1].0;
    drop(whole);
    // From the second batch on: a shorter span, up to the same segment's end.
    let PlannedRead::Cold(cold) = log.plan_read(second, 1 << 20, i64::MAX, true) else {
        panic!("a read of the first segment is cold");
    };
    let read = crate::runtime::block_on(cold.finish()).unwrap().unwrap();
    assert_eq!(offsets(&read)[0].0, second);
    assert_eq!(read, log.read(second, 1 << 20, i64::MAX, true).unwrap());
    // The active segment is read at once.
    let last = log.log_end_offset() - 1;
    let planned = log.plan_read(last, 1 << 20, i64::MAX, true);
    assert!(matches!(planned, PlannedRead::Done(Ok(_))));
}

#[test]
fn a_checkpoint_round_taken_before_a_newer_one_was_written_is_dropped() {
    let disk = MemDisk::new();
    let mut manager = manager(&disk, &["/a"]);
    let tp = TopicPartition::new("t", 0);
    let durable_log = |manager: &mut LogManager, records: usize| {
        let log = manager
            .create_log(&tp, LogConfig::default(), 0, None)
            .unwrap();
        let mut locked = log.lock().unwrap();
        locked.append_as_leader(&batch(records), 0, 0).unwrap();
        locked.flush().unwrap();
    };
    durable_log(&mut manager, 2);
    let path = Path::new("/a/recovery-point-offset-checkpoint");
    // A periodic round taken while the partition existed, written only after its deletion
    // wrote a round of its own: the partition must not come back.
    let stale = manager.checkpoint_round().unwrap();
    manager.delete_log(&tp).unwrap();
    assert_eq!(disk.file_bytes(path).unwrap(), b"0\n0\n");
    stale.write().unwrap();
    assert_eq!(disk.file_bytes(path).unwrap(), b"0\n0\n");
    // Rounds written in the order they were taken all land.
    manager.checkpoint_round().unwrap().write().unwrap();
    durable_log(&mut manager, 3);
    manager.checkpoint_round().unwrap().write().unwrap();
    assert_eq!(disk.file_bytes(path).unwrap(), b"0\n1\nt 0 3\n");
}

#[test]
fn a_flush_that_started_before_a_truncation_vouches_for_nothing_after_it() {
    let disk = MemDisk::new();
    let log = durable_log(&disk);
    append_unflushed(&log, 3);
    let mut locked = log.lock().unwrap();
    let job = locked.start_flush().unwrap().expect("nothing was durable");
    assert_eq!(job.covers.end_offset, 6);
    // A follower's truncation and new appends while the fsync runs: offsets 2..6 now hold
    // records that fsync never saw.
    locked.truncate_to(2).unwrap();
    assert_eq!(locked.recovery_point(), 0);
    drop(locked);
    append_unflushed(&log, 2);
    let covers = job.covers;
    let result = crate::runtime::block_on(job.run()).unwrap();
    let mut locked = log.lock().unwrap();
    locked.finish_flush(covers, &result);
    assert_eq!(
        locked.recovery_point(),
        0,
        "the flush's offsets were replaced"
    );
    drop(locked);
    crate::runtime::block_on(wait_durable(&log, 6))
        .unwrap()
        .unwrap();
    assert_eq!(log.lock().unwrap().recovery_point(), 6);
}

#[test]
fn a_removed_log_ends_its_waits_without_failing_the_disk() {
    let disk = MemDisk::new();
    let log = durable_log(&disk);
    let ends = append_unflushed(&log, 1);
    let mut locked = log.lock().unwrap();
    let job = locked.start_flush().unwrap().expect("nothing was durable");
    // Deleted while its fsync runs, which then fails (its files are gone).
    locked.mark_removed();
    locked.finish_flush(job.covers, &Err(std::io::Error::other("ENOENT")));
    assert_eq!(
        locked.delete_old_segments(i64::MAX).unwrap(),
        0,
        "retention leaves it be"
    );
    drop(locked);
    let error = crate::runtime::block_on(wait_durable(&log, ends[0]))
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound, "{error}");
    assert!(
        error.to_string().contains("deleted or set aside"),
        "{error}"
    );
}

#[test]
fn deleting_a_partition_marks_its_log_removed_for_those_still_holding_it() {
    let disk = MemDisk::new();
    let mut manager = manager(&disk, &["/a"]);
    let tp = TopicPartition::new("t", 0);
    let held = manager
        .create_log(&tp, LogConfig::default(), 0, None)
        .unwrap();
    assert!(!held.lock().unwrap().removed);
    manager.delete_log(&tp).unwrap();
    assert!(held.lock().unwrap().removed);
    let other = TopicPartition::new("t", 1);
    let held = manager
        .create_log(&other, LogConfig::default(), 0, None)
        .unwrap();
    manager.quarantine_log(&other, 7).unwrap();
    assert!(held.lock().unwrap().removed);
}

#[test]
fn a_directory_change_alone_is_flushed_before_the_log_counts_as_durable() {
    let disk = MemDisk::new();
    let log = durable_log(&disk);
    let ends = append_unflushed(&log, 1);
    crate::runtime::block_on(wait_durable(&log, ends[0]))
        .unwrap()
        .unwrap();
    // A segment deleted (as retention does) after everything was durable: the directory
    // needs its fsync, and a flush.ms flush (`wait_durable` at the log end) gives it one.
    log.lock().unwrap().dir_changes += 1;
    crate::runtime::block_on(wait_durable(&log, ends[0]))
        .unwrap()
        .unwrap();
    let locked = log.lock().unwrap();
    assert_eq!(locked.dir_synced, locked.dir_changes);
}
