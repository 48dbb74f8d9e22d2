//! `partition.metadata`: the topic id a partition directory belongs to, in Kafka's format
//! (`version: 0` and `topic_id: <id>` on two lines, the id as URL-safe base64 without padding).
//!
//! A directory is named by topic *name*, and names come back: a topic deleted while a broker
//! was down and created again under the same name must not inherit the old topic's records.
//! The id written when the log is created tells the two apart when the broker returns (Kafka's
//! KIP-516). Written atomically (temporary file, fsync, rename, directory fsync), so a crash
//! leaves the old file or the new one.

use std::io;
use std::path::Path;

use super::disk::{read_all, write_atomic, Disk};

/// The file's name inside a partition directory.
pub const PARTITION_METADATA_FILE: &str = "partition.metadata";

/// URL-safe base64, as Kafka writes topic and cluster ids.
pub(crate) const ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A topic id as Kafka prints it: its 16 bytes (big-endian) in URL-safe base64, no padding.
pub fn topic_id_text(id: u128) -> String {
    let bytes = id.to_be_bytes();
    let mut text = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from_be_bytes([0, group[0], group[1], group[2]]);
        let chars = chunk.len() + 1;
        for index in 0..chars {
            let sextet = (bits >> (18 - 6 * index)) & 63;
            text.push(ALPHABET[sextet as usize] as char);
        }
    }
    text
}

/// Parses [`topic_id_text`]'s form; `None` for anything else.
pub fn parse_topic_id(text: &str) -> Option<u128> {
    if text.len() != 22 {
        return None;
    }
    let mut bits: u128 = 0;
    for (index, byte) in text.bytes().enumerate() {
        let sextet = ALPHABET.iter().position(|&c| c == byte)? as u128;
        if index == 21 {
            // The last character carries the final 2 bits; its 4 low bits must be zero.
            if sextet & 0b1111 != 0 {
                return None;
            }
            bits = (bits << 2) | (sextet >> 4);
        } else {
            bits = (bits << 6) | sextet;
        }
    }
    Some(bits)
}

/// Writes `dir/partition.metadata` naming `topic_id`, durably.
pub fn write(disk: &dyn Disk, dir: &Path, topic_id: u128) -> io::Result<()> {
    let text = format!("version: 0\ntopic_id: {}\n", topic_id_text(topic_id));
    write_atomic(disk, &dir.join(PARTITION_METADATA_FILE), text.as_bytes())
}

/// The topic id `dir/partition.metadata` names: `Ok(None)` if the file is absent (a log
/// created before ids were written), an error naming the file if it cannot be read or parsed.
pub fn read(disk: &dyn Disk, dir: &Path) -> io::Result<Option<u128>> {
    let path = dir.join(PARTITION_METADATA_FILE);
    let bytes = match read_all(disk, &path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not Kafka's partition metadata", path.display()),
        )
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some("version: 0") {
        return Err(bad());
    }
    let id = lines
        .next()
        .and_then(|line| line.trim().strip_prefix("topic_id:"))
        .and_then(|id| parse_topic_id(id.trim()))
        .ok_or_else(bad)?;
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::storage::disk::create_dir_durable;
    use crate::storage::MemDisk;

    #[test]
    fn ids_print_as_kafka_prints_uuids() {
        // Kafka's Uuid.toString: URL-safe base64 of the 16 big-endian bytes, unpadded.
        assert_eq!(topic_id_text(0), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(topic_id_text(1), "AAAAAAAAAAAAAAAAAAAAAQ");
        assert_eq!(topic_id_text(u128::MAX), "_____________________w");
        for id in [
            0,
            1,
            42,
            u128::MAX,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        ] {
            assert_eq!(parse_topic_id(&topic_id_text(id)), Some(id));
        }
        assert_eq!(
            parse_topic_id("AAAAAAAAAAAAAAAAAAAAAB"),
            None,
            "stray low bits"
        );
        assert_eq!(parse_topic_id("AAAA"), None);
        assert_eq!(parse_topic_id("AAAAAAAAAAAAAAAAAAAAA="), None);
    }

    #[test]
    fn the_file_round_trips_and_bad_files_are_named() {
        let disk = MemDisk::new();
        let dir = PathBuf::from("/data/orders-0");
        create_dir_durable(&disk, &dir).unwrap();
        assert_eq!(read(&disk, &dir).unwrap(), None);
        write(&disk, &dir, 77).unwrap();
        assert_eq!(read(&disk, &dir).unwrap(), Some(77));
        let text = String::from_utf8(read_all(&disk, &dir.join(PARTITION_METADATA_FILE)).unwrap());
        assert_eq!(
            text.unwrap(),
            "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAATQ\n"
        );
        write_atomic(&disk, &dir.join(PARTITION_METADATA_FILE), b"version: 1\n").unwrap();
        let error = read(&disk, &dir).unwrap_err();
        assert!(error.to_string().contains("partition.metadata"), "{error}");
    }
}
