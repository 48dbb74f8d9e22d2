//! Records as the application sees them, and their conversion to and from magic v2 batches.
//!
//! Encoding and decoding (with all five codecs) is `kafka-protocol`'s; this module adds what a
//! client needs around it: whole batches only, control batches skipped, LogAppendTime taken from
//! the batch's max timestamp, and records below the fetch position dropped (a fetch that starts
//! inside a batch returns the whole batch).

use bytes::Bytes;
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{Compression, Record, RecordBatchDecoder};

use super::batch::split_batches;
use super::error::{ClientError, Result};
use crate::limits::BATCH_DECODED_BYTES_MAX;
use crate::storage::encode::{encode_batch as encode_v2, plain_record};

/// A record header: a name and an optional value.
pub type Header = (String, Option<Bytes>);

/// A record to produce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerRecord {
    pub topic: String,
    /// `None`: the partitioner decides.
    pub partition: Option<i32>,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<Header>,
    /// `None`: the time of `send`.
    pub timestamp: Option<i64>,
}

impl ProducerRecord {
    /// A record with a value and nothing else.
    pub fn new(topic: impl Into<String>, value: impl Into<Bytes>) -> Self {
        Self {
            topic: topic.into(),
            value: Some(value.into()),
            ..Self::default()
        }
    }

    /// Sets the key.
    pub fn with_key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Bytes this record adds to a batch, roughly (varint overheads estimated generously).
    pub fn size_estimate(&self) -> usize {
        let key = self.key.as_ref().map_or(0, Bytes::len);
        let value = self.value.as_ref().map_or(0, Bytes::len);
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.len() + value.as_ref().map_or(0, Bytes::len) + 10)
            .sum();
        key + value + headers + 21
    }
}

/// How a record's timestamp was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// A record read from a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<Header>,
    pub leader_epoch: i32,
}

/// Encodes records into one batch. Offsets are deltas from 0 (the broker assigns the base);
/// `timestamps[i]` belongs to `records[i]`.
pub fn encode_batch(
    records: &[ProducerRecord],
    timestamps: &[i64],
    compression: Compression,
) -> Result<Bytes> {
    let wire: Vec<Record> = records
        .iter()
        .zip(timestamps)
        .enumerate()
        .map(|(index, (record, &timestamp))| {
            let headers = record
                .headers
                .iter()
                .map(|(name, value)| (StrBytes::from_string(name.clone()), value.clone()))
                .collect::<IndexMap<_, _>>();
            plain_record(
                index,
                timestamp,
                record.key.clone(),
                record.value.clone(),
                headers,
            )
        })
        .collect();
    let estimate: usize = records.iter().map(ProducerRecord::size_estimate).sum();
    encode_v2(&wire, compression, estimate).map_err(|e| ClientError::encode("record batch", e))
}

/// What decoding a fetched partition yields.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Records at or after the fetch position, in offset order.
    pub records: Vec<ConsumerRecord>,
    /// The position after the last whole batch (control batches included), if any batch was
    /// complete; the consumer's next fetch offset.
    pub next_offset: Option<i64>,
}

/// Decodes one whole batch's records with `kafka-protocol`, after walking them with our own
/// bounds-checked walker: that decoder reserves room for the batch's record count and each
/// record's header count before reading them, so unchecked counts from a hostile broker or a
/// damaged file could abort the process. The records section is decompressed once, with the
/// broker's ceiling, and the decoded size is estimated before anything is decoded: a record
/// of seven wire bytes, or a header of two, takes 30-40 times that once decoded. Used by the
/// consumer and by `weir dump-log`.
pub fn decode_batch_checked(
    batch: &Bytes,
    header: &crate::storage::batch::BatchHeader,
) -> std::result::Result<kafka_protocol::records::RecordSet, String> {
    use crate::storage::records::{for_each_record_in, records_bytes};
    let plain = records_bytes(batch, header).map_err(|error| error.to_string())?;
    let mut decoded_bytes: usize = 0;
    for_each_record_in(plain.clone(), header, |record| {
        decoded_bytes = decoded_bytes
            .saturating_add(DECODED_RECORD_BYTES)
            .saturating_add(record.headers.saturating_mul(DECODED_HEADER_BYTES));
        true
    })
    .map_err(|error| error.to_string())?;
    if decoded_bytes > BATCH_DECODED_BYTES_MAX {
        return Err(format!(
            "{} records with their headers would take about {} MiB decoded, over the {} MiB \
             a batch may take",
            header.records_count,
            decoded_bytes >> 20,
            BATCH_DECODED_BYTES_MAX >> 20
        ));
    }
    // The decoder asks for the records section; it gets the one already inflated.
    let inflated = |_: &mut Bytes, _| Ok(plain.clone());
    RecordBatchDecoder::decode_with_custom_compression(&mut batch.clone(), Some(inflated))
        .map_err(|error| error.to_string())
}

/// What one decoded record costs beyond its key and value bytes (shared with the fetch
/// response): the `Record`, its header map, and the `ConsumerRecord` it becomes.
const DECODED_RECORD_BYTES: usize =
    std::mem::size_of::<Record>() + std::mem::size_of::<ConsumerRecord>();
/// What one decoded header costs: its map entry and index, then a `String` and a `Header`.
const DECODED_HEADER_BYTES: usize = 2 * std::mem::size_of::<(StrBytes, Option<Bytes>)>() + 32;

/// Decodes the record batches of one fetched partition, keeping records at or after
/// `position`. A truncated batch at the end is ignored; a corrupt one is an error.
pub fn decode_records(
    topic: &str,
    partition: i32,
    bytes: &Bytes,
    position: i64,
) -> Result<Decoded> {
    let (batches, _) = split_batches(bytes).map_err(|error| ClientError::Decode {
        what: "record batch",
        detail: error.to_string(),
    })?;
    let mut decoded = Decoded::default();
    for (header, batch) in batches {
        if header.last_offset() < position {
            continue;
        }
        // As Kafka's `check.crcs=true`: a batch damaged on the way is an error, never records.
        if !crate::storage::batch::verify_crc(&batch) {
            return Err(ClientError::Decode {
                what: "record batch",
                detail: format!("CRC mismatch in the batch at offset {}", header.base_offset),
            });
        }
        decoded.next_offset = Some(header.last_offset() + 1);
        if header.is_control() || header.magic != 2 {
            continue;
        }
        let set = decode_batch_checked(&batch, &header).map_err(|detail| ClientError::Decode {
            what: "record batch",
            detail: format!("batch at offset {}: {detail}", header.base_offset),
        })?;
        for record in set.records {
            if record.offset < position {
                continue;
            }
            let (timestamp, timestamp_type) = if header.is_log_append_time() {
                (header.max_timestamp, TimestampType::LogAppendTime)
            } else {
                (record.timestamp, TimestampType::CreateTime)
            };
            decoded.records.push(ConsumerRecord {
                topic: topic.to_string(),
                partition,
                offset: record.offset,
                timestamp,
                timestamp_type,
                key: record.key,
                value: record.value,
                headers: record
                    .headers
                    .into_iter()
                    .map(|(name, value)| (name.to_string(), value))
                    .collect(),
                leader_epoch: header.partition_leader_epoch,
            });
        }
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::BATCH_HEADER_BYTES;
    use bytes::BytesMut;

    fn sample(n: usize) -> (Vec<ProducerRecord>, Vec<i64>) {
        let records = (0..n)
            .map(|i| {
                let mut record = ProducerRecord::new("t", format!("value-{i}"));
                if i % 2 == 0 {
                    record.key = Some(Bytes::from(format!("key-{i}")));
                }
                record.headers = vec![("h".into(), Some(Bytes::from_static(b"v")))];
                record
            })
            .collect();
        let timestamps = (0..n as i64).map(|i| 1_700_000_000_000 + i).collect();
        (records, timestamps)
    }

    /// Stamps a base offset into an encoded batch the way a broker does (the CRC does not
    /// cover it).
    fn with_base_offset(batch: &Bytes, base_offset: i64) -> Bytes {
        let mut bytes = BytesMut::from(&batch[..]);
        bytes[..8].copy_from_slice(&base_offset.to_be_bytes());
        bytes.freeze()
    }

    #[test]
    fn every_codec_round_trips() {
        let codecs = [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ];
        let (records, timestamps) = sample(5);
        for codec in codecs {
            let batch = encode_batch(&records, &timestamps, codec).unwrap();
            let batch = with_base_offset(&batch, 100);
            let decoded = decode_records("t", 0, &batch, 0).unwrap();
            assert_eq!(decoded.records.len(), 5, "{codec:?}");
            assert_eq!(decoded.next_offset, Some(105));
            for (i, record) in decoded.records.iter().enumerate() {
                assert_eq!(record.offset, 100 + i as i64);
                assert_eq!(record.value, records[i].value);
                assert_eq!(record.key, records[i].key);
                assert_eq!(record.timestamp, timestamps[i]);
                assert_eq!(record.timestamp_type, TimestampType::CreateTime);
                assert_eq!(record.headers, records[i].headers);
            }
        }
    }

    #[test]
    fn records_below_the_position_are_skipped_and_a_torn_tail_ignored() {
        let (records, timestamps) = sample(4);
        let first = with_base_offset(
            &encode_batch(&records, &timestamps, Compression::Lz4).unwrap(),
            0,
        );
        let second = with_base_offset(
            &encode_batch(&records, &timestamps, Compression::None).unwrap(),
            4,
        );
        let mut bytes = BytesMut::new();
        bytes.extend_from_slice(&first);
        bytes.extend_from_slice(&second);
        bytes.extend_from_slice(&second[..30]);
        let decoded = decode_records("t", 0, &bytes.freeze(), 2).unwrap();
        let offsets: Vec<i64> = decoded.records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, vec![2, 3, 4, 5, 6, 7]);
        assert_eq!(decoded.next_offset, Some(8));
    }

    /// Re-seals a batch after a forgery, so only the forged field is wrong.
    fn reseal(mut bytes: BytesMut) -> Bytes {
        let crc = crc32c::crc32c(&bytes[21..]);
        bytes[17..21].copy_from_slice(&crc.to_be_bytes());
        bytes.freeze()
    }

    #[test]
    fn forged_record_and_header_counts_are_errors_not_allocations() {
        let record = ProducerRecord::new("t", "v");
        let batch = encode_batch(&[record], &[1], Compression::None).unwrap();
        assert!(decode_records("t", 0, &batch, 0).is_ok());
        // A batch claiming two billion records: kafka-protocol would reserve them all.
        let mut forged = BytesMut::from(&batch[..]);
        forged[57..61].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(decode_records("t", 0, &reseal(forged), 0).is_err());
        // The record's header count (its last byte, 0) forged to 63 with no bytes behind it.
        let mut forged = BytesMut::from(&batch[..]);
        let last = forged.len() - 1;
        assert_eq!(forged[last], 0);
        forged[last] = 0x7e;
        let forged = reseal(forged);
        let header = crate::storage::batch::BatchHeader::parse(&forged).unwrap();
        assert!(
            crate::storage::records::for_each_record(&forged, &header, |_| true).is_err(),
            "our own walk refuses the header count before kafka-protocol reserves for it"
        );
        assert!(decode_records("t", 0, &forged, 0).is_err());
    }

    /// One record of empty headers (two bytes each on the wire), in a resealed batch.
    fn batch_of_headers(count: u64) -> Bytes {
        let zigzag = |n: i64| ((n << 1) ^ (n >> 63)) as u64;
        let varint = |mut n: u64, out: &mut Vec<u8>| loop {
            if n < 0x80 {
                out.push(n as u8);
                break;
            }
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        };
        let mut record = vec![0, 0, 0, 1, 1]; // attributes, deltas, null key, null value
        varint(zigzag(count as i64), &mut record);
        for _ in 0..count {
            record.extend_from_slice(&[0, 1]); // empty name, null value
        }
        let template = encode_batch(&[ProducerRecord::new("t", "v")], &[1], Compression::None);
        let mut bytes = BytesMut::from(&template.unwrap()[..BATCH_HEADER_BYTES]);
        let mut prefix = Vec::new();
        varint(zigzag(record.len() as i64), &mut prefix);
        bytes.extend_from_slice(&prefix);
        bytes.extend_from_slice(&record);
        let batch_length = (bytes.len() - 12) as i32;
        bytes[8..12].copy_from_slice(&batch_length.to_be_bytes());
        reseal(bytes)
    }

    #[test]
    fn a_batch_that_would_decode_to_gigabytes_is_refused_before_decoding() {
        assert_eq!(
            decode_records("t", 0, &batch_of_headers(1000), 0)
                .unwrap()
                .records
                .len(),
            1
        );
        // Four million headers: 8 MB on the wire, about 640 MB once decoded.
        let error = decode_records("t", 0, &batch_of_headers(4_000_000), 0).unwrap_err();
        assert!(error.to_string().contains("MiB decoded"), "{error}");
    }

    #[test]
    fn a_corrupt_batch_is_an_error() {
        let (records, timestamps) = sample(2);
        let batch = encode_batch(&records, &timestamps, Compression::None).unwrap();
        let mut bytes = BytesMut::from(&batch[..]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        assert!(decode_records("t", 0, &bytes.freeze(), 0).is_err());
    }

    #[test]
    fn a_flipped_bit_in_a_value_fails_the_crc_check() {
        let (records, timestamps) = sample(2);
        let batch = encode_batch(&records, &timestamps, Compression::None).unwrap();
        let mut bytes = BytesMut::from(&batch[..]);
        let at = bytes
            .windows(7)
            .position(|window| window == b"value-1")
            .expect("the value is stored uncompressed");
        // "value-1" becomes "valuf-1": still a well-formed record, so only the CRC can tell.
        bytes[at + 4] ^= 0x03;
        let error = decode_records("t", 0, &bytes.freeze(), 0).unwrap_err();
        assert!(error.to_string().contains("CRC"), "{error}");
    }
}
