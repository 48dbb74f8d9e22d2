//! `weir dump-log`: prints the batches (and with `--deep-iteration`, the records) of log segment
//! files, and the entries of offset (`.index`) and time (`.timeindex`) index files, in
//! kafka-dump-log's format.
//!
//! Files are read through the [`Disk`](weir::storage::Disk) seam ([`FileDisk`]), and batch
//! headers are parsed and checked by the storage engine's own code, so the tool sees a segment
//! exactly as the broker's recovery does.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use weir::storage::batch::{verify_crc, BatchHeader};
use weir::storage::{disk::read_all, FileDisk};

use crate::common::Output;

#[derive(Debug, Args)]
pub struct DumpLogArgs {
    /// Segment files to dump (repeat or separate with commas).
    #[arg(long, required = true, value_delimiter = ',', num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Print every record, not only batch headers.
    #[arg(long)]
    pub deep_iteration: bool,
    /// Print record keys and payloads (implies --deep-iteration).
    #[arg(long)]
    pub print_data_log: bool,
}

pub fn run(args: DumpLogArgs) -> anyhow::Result<()> {
    let disk = FileDisk::new();
    let mut out = Output::new();
    let deep = args.deep_iteration || args.print_data_log;
    for file in &args.files {
        let bytes = read_all(&disk, file).with_context(|| format!("reading {}", file.display()))?;
        let mut lines = vec![format!("Dumping {}", file.display())];
        let base = base_offset_of(file);
        match file.extension().and_then(|e| e.to_str()) {
            Some("index") => lines.extend(dump_offset_index(&bytes, base.unwrap_or(0))),
            Some("timeindex") => lines.extend(dump_time_index(&bytes, base.unwrap_or(0))),
            _ => {
                if let Some(base) = base {
                    lines.push(format!("Log starting offset: {base}"));
                }
                lines.extend(dump_segment(&bytes, deep, args.print_data_log));
            }
        }
        for line in lines {
            if !out.line(&line)? {
                return Ok(());
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// The base offset in a segment's name (`00000000000000000042.log` → 42).
fn base_offset_of(path: &Path) -> Option<i64> {
    path.file_stem()?.to_str()?.parse().ok()
}

/// An offset index's entries (relative offset i32, position i32) as `offset: O position: P`.
/// A preallocated or crashed index ends in zeros: like Kafka's tool, stop at the first entry
/// after the first that points at the base offset.
pub fn dump_offset_index(bytes: &[u8], base_offset: i64) -> Vec<String> {
    index_entries(bytes, 8, base_offset)
        .map(|(offset, entry)| {
            let position = i32::from_be_bytes([entry[4], entry[5], entry[6], entry[7]]);
            format!("offset: {offset} position: {position}")
        })
        .collect()
}

/// A time index's entries (timestamp i64, relative offset i32) as `timestamp: T offset: O`.
pub fn dump_time_index(bytes: &[u8], base_offset: i64) -> Vec<String> {
    index_entries(bytes, 12, base_offset)
        .map(|(offset, entry)| {
            let mut timestamp = [0u8; 8];
            timestamp.copy_from_slice(&entry[..8]);
            let timestamp = i64::from_be_bytes(timestamp);
            format!("timestamp: {timestamp} offset: {offset}")
        })
        .collect()
}

/// The whole entries of an index file with their absolute offsets (the relative offset is the
/// entry's last four bytes in a time index and its first four in an offset index).
fn index_entries(
    bytes: &[u8],
    entry_bytes: usize,
    base_offset: i64,
) -> impl Iterator<Item = (i64, &[u8])> {
    let offset_at = if entry_bytes == 12 { 8 } else { 0 };
    bytes
        .chunks_exact(entry_bytes)
        .map(move |entry| {
            let relative = &entry[offset_at..offset_at + 4];
            let relative = i32::from_be_bytes([relative[0], relative[1], relative[2], relative[3]]);
            // The base offset comes from a file name, which may be anything.
            (base_offset.saturating_add(i64::from(relative)), entry)
        })
        .enumerate()
        .take_while(move |(i, (offset, _))| *i == 0 || *offset != base_offset)
        .map(|(_, entry)| entry)
}

/// kafka-dump-log's lines for the bytes of one segment.
pub fn dump_segment(bytes: &[u8], deep: bool, print_data: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut position = 0usize;
    while position < bytes.len() {
        let header = match BatchHeader::parse(&bytes[position..]) {
            Ok(header) if position + header.total_size() <= bytes.len() => header,
            // A torn tail, a bad length or another magic: Kafka's tool stops here too.
            _ => {
                let invalid = bytes.len() - position;
                lines.push(format!(
                    "Found {invalid} invalid bytes at the end of the segment"
                ));
                break;
            }
        };
        let batch = &bytes[position..position + header.total_size()];
        let valid = verify_crc(batch);
        lines.push(batch_line(&header, position, valid));
        if deep && valid && header.magic == 2 {
            lines.extend(record_lines(&header, batch, print_data));
        }
        position += header.total_size();
    }
    lines
}

fn batch_line(header: &BatchHeader, position: usize, valid: bool) -> String {
    let last_sequence = if header.base_sequence >= 0 {
        header.base_sequence.wrapping_add(header.last_offset_delta)
    } else {
        -1
    };
    format!(
        "baseOffset: {} lastOffset: {} count: {} baseSequence: {} lastSequence: {} \
         producerId: {} producerEpoch: {} partitionLeaderEpoch: {} isTransactional: {} \
         isControl: {} deleteHorizonMs: OptionalLong.empty position: {} {}: {} size: {} \
         magic: {} compresscodec: {} crc: {} isvalid: {}",
        header.base_offset,
        header.last_offset(),
        header.records_count,
        header.base_sequence,
        last_sequence,
        header.producer_id,
        header.producer_epoch,
        header.partition_leader_epoch,
        header.is_transactional(),
        header.is_control(),
        position,
        timestamp_label(header),
        header.max_timestamp,
        header.total_size(),
        header.magic,
        compression_name(header.compression()),
        header.crc,
        valid
    )
}

/// Kafka's codec names, as kafka-dump-log prints them.
fn compression_name(codec: u8) -> &'static str {
    match codec {
        0 => "none",
        1 => "gzip",
        2 => "snappy",
        3 => "lz4",
        4 => "zstd",
        _ => "unknown",
    }
}

fn timestamp_label(header: &BatchHeader) -> &'static str {
    if header.is_log_append_time() {
        "LogAppendTime"
    } else {
        "CreateTime"
    }
}

fn record_lines(header: &BatchHeader, batch: &[u8], print_data: bool) -> Vec<String> {
    let batch = Bytes::copy_from_slice(batch);
    let set = match weir::client::records::decode_batch_checked(&batch, header) {
        Ok(set) => set,
        Err(error) => return vec![format!("| could not decode records: {error}")],
    };
    set.records
        .iter()
        .map(|record| {
            let timestamp = if header.is_log_append_time() {
                header.max_timestamp
            } else {
                record.timestamp
            };
            let header_keys: Vec<&str> = record.headers.keys().map(|k| k.as_str()).collect();
            let mut line = format!(
                "| offset: {} {}: {} keySize: {} valueSize: {} sequence: {} headerKeys: [{}]",
                record.offset,
                timestamp_label(header),
                timestamp,
                record.key.as_ref().map_or(-1, |k| k.len() as i64),
                record.value.as_ref().map_or(-1, |v| v.len() as i64),
                // Without a producer id there are no sequences (Kafka prints -1 for each).
                if header.base_sequence < 0 {
                    -1
                } else {
                    record.sequence
                },
                header_keys.join(",")
            );
            if print_data {
                if let Some(key) = &record.key {
                    line.push_str(&format!(" key: {}", String::from_utf8_lossy(key)));
                }
                if let Some(value) = &record.value {
                    line.push_str(&format!(" payload: {}", String::from_utf8_lossy(value)));
                }
            }
            line
        })
        .collect()
}
