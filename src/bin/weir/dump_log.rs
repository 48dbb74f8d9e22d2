//! `weir dump-log`: prints the batches (and with `--deep-iteration`, the records) of log segment
//! files in kafka-dump-log's format.
//!
//! Files are read through the [`Disk`] seam. Batch headers are parsed by
//! `weir::client::batch`, which the storage engine's parser can replace without changing the
//! output.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use kafka_protocol::records::RecordBatchDecoder;
use weir::client::batch::{crc_is_valid, BatchError, BatchHeader};
use weir::storage::{disk::read_all, DirEntry, Disk, DiskFile, OpenMode};

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
    // TODO(storage merge): use `weir::storage::FileDisk::new()` here and drop `ReadOnlyDisk`.
    let disk = ReadOnlyDisk;
    let mut out = Output::new();
    let deep = args.deep_iteration || args.print_data_log;
    for file in &args.files {
        let bytes = read_all(&disk, file).with_context(|| format!("reading {}", file.display()))?;
        let mut lines = vec![format!("Dumping {}", file.display())];
        if let Some(base) = base_offset_of(file) {
            lines.push(format!("Log starting offset: {base}"));
        }
        lines.extend(dump_segment(&bytes, deep, args.print_data_log));
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

/// kafka-dump-log's lines for the bytes of one segment.
pub fn dump_segment(bytes: &[u8], deep: bool, print_data: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut position = 0usize;
    while position < bytes.len() {
        let header = match BatchHeader::parse(&bytes[position..]) {
            Ok(header) if position + header.size_bytes() <= bytes.len() => header,
            Ok(_) | Err(BatchError::Incomplete { .. }) | Err(BatchError::InvalidLength { .. }) => {
                let invalid = bytes.len() - position;
                lines.push(format!(
                    "Found {invalid} invalid bytes at the end of the segment"
                ));
                break;
            }
        };
        let batch = &bytes[position..position + header.size_bytes()];
        let valid = crc_is_valid(&header, batch);
        lines.push(batch_line(&header, position, valid));
        if deep && valid && header.magic == 2 {
            lines.extend(record_lines(&header, batch, print_data));
        }
        position += header.size_bytes();
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
        header.size_bytes(),
        header.magic,
        header.compression_name(),
        header.crc,
        valid
    )
}

fn timestamp_label(header: &BatchHeader) -> &'static str {
    if header.is_log_append_time() {
        "LogAppendTime"
    } else {
        "CreateTime"
    }
}

fn record_lines(header: &BatchHeader, batch: &[u8], print_data: bool) -> Vec<String> {
    let mut buf = Bytes::copy_from_slice(batch);
    let set = match RecordBatchDecoder::decode(&mut buf) {
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
                record.sequence,
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

/// A read-only [`Disk`] over the local file system, until the storage engine's `FileDisk` is
/// on this branch. Only reading is supported; everything else fails.
struct ReadOnlyDisk;

struct ReadOnlyFile(Mutex<std::fs::File>);

fn read_only() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, "dump-log opens files read-only")
}

impl Disk for ReadOnlyDisk {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn DiskFile>> {
        if mode != OpenMode::Read {
            return Err(read_only());
        }
        Ok(Box::new(ReadOnlyFile(Mutex::new(std::fs::File::open(
            path,
        )?))))
    }
    fn create_dir_all(&self, _: &Path) -> io::Result<()> {
        Err(read_only())
    }
    fn read_dir(&self, _: &Path) -> io::Result<Vec<DirEntry>> {
        Err(read_only())
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        Ok(path.exists())
    }
    fn remove_file(&self, _: &Path) -> io::Result<()> {
        Err(read_only())
    }
    fn remove_dir_all(&self, _: &Path) -> io::Result<()> {
        Err(read_only())
    }
    fn rename(&self, _: &Path, _: &Path) -> io::Result<()> {
        Err(read_only())
    }
    fn sync_dir(&self, _: &Path) -> io::Result<()> {
        Err(read_only())
    }
}

impl DiskFile for ReadOnlyFile {
    fn len(&self) -> io::Result<u64> {
        let file = self.0.lock().map_err(|_| read_only())?;
        Ok(file.metadata()?.len())
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut file = self.0.lock().map_err(|_| read_only())?;
        file.seek(SeekFrom::Start(offset))?;
        file.read(buf)
    }
    fn write_at(&self, _: &[u8], _: u64) -> io::Result<()> {
        Err(read_only())
    }
    fn set_len(&self, _: u64) -> io::Result<()> {
        Err(read_only())
    }
    fn sync(&self) -> io::Result<()> {
        Err(read_only())
    }
}
