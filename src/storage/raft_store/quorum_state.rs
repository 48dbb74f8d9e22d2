//! The `quorum-state` file: a node's leader epoch, its vote in that epoch and the leader it
//! knows, as one line of JSON like Kafka's own file, plus a CRC-32C of the fields.
//!
//! `{"leaderId":2,"leaderEpoch":7,"votedId":-1,"data_version":0,"crc32c":1234}`: Kafka's names,
//! -1 for "none". Kafka's file has no checksum; ours does because a flipped digit in
//! `votedId` or `leaderEpoch` would let the node vote twice in one epoch, which breaks the
//! one-leader-per-epoch guarantee. So anything that does not check out is a typed error, never
//! "no state": the operator decides. The file is replaced with [`write_atomic`] (temp file,
//! fsync, rename, fsync the directory), so a crash leaves the old or the new state, whole.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::{QuorumStateCorruption, RaftStoreError};
use crate::core::raft::{NodeId, QuorumState};
use crate::storage::disk::{read_all, write_atomic, Disk};

/// The file's name in the metadata partition directory, as Kafka names it.
pub const QUORUM_STATE_FILE: &str = "quorum-state";

const DATA_VERSION: i32 = 0;
/// Kafka's "no node" id.
const NO_NODE: i32 = -1;

/// The checksummed fields, in the order they are serialised for the checksum.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Fields {
    leader_id: i32,
    leader_epoch: i32,
    voted_id: i32,
    #[serde(rename = "data_version")]
    data_version: i32,
}

/// The file: the fields and their CRC-32C.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct File {
    leader_id: i32,
    leader_epoch: i32,
    voted_id: i32,
    #[serde(rename = "data_version")]
    data_version: i32,
    crc32c: u32,
}

impl File {
    fn fields(&self) -> Fields {
        Fields {
            leader_id: self.leader_id,
            leader_epoch: self.leader_epoch,
            voted_id: self.voted_id,
            data_version: self.data_version,
        }
    }
}

fn checksum(fields: &Fields) -> u32 {
    // Serialising four integers cannot fail; an empty buffer would give a checksum that no
    // stored file matches, which is still an error and never a silent reset.
    crc32c::crc32c(&serde_json::to_vec(fields).unwrap_or_default())
}

/// Renders the file's bytes; `Err` names a node id that -1 could not be told apart from.
pub(super) fn encode(state: &QuorumState) -> Result<Vec<u8>, (&'static str, i64)> {
    let node = |field: &'static str, id: Option<NodeId>| match id {
        Some(id) if id < 0 => Err((field, i64::from(id))),
        Some(id) => Ok(id),
        None => Ok(NO_NODE),
    };
    if state.leader_epoch < 0 {
        return Err(("leaderEpoch", i64::from(state.leader_epoch)));
    }
    let fields = Fields {
        leader_id: node("leaderId", state.leader)?,
        leader_epoch: state.leader_epoch,
        voted_id: node("votedId", state.voted_for)?,
        data_version: DATA_VERSION,
    };
    let file = File {
        crc32c: checksum(&fields),
        leader_id: fields.leader_id,
        leader_epoch: fields.leader_epoch,
        voted_id: fields.voted_id,
        data_version: fields.data_version,
    };
    let mut bytes = serde_json::to_vec(&file).unwrap_or_default();
    bytes.push(b'\n');
    Ok(bytes)
}

/// Parses and checks the file's bytes.
pub(super) fn decode(bytes: &[u8]) -> Result<QuorumState, QuorumStateCorruption> {
    let file: File =
        serde_json::from_slice(bytes).map_err(|error| QuorumStateCorruption::Json {
            line: error.line(),
            column: error.column(),
        })?;
    let computed = checksum(&file.fields());
    if computed != file.crc32c {
        return Err(QuorumStateCorruption::Checksum {
            stored: file.crc32c,
            computed,
        });
    }
    if file.data_version != DATA_VERSION {
        return Err(QuorumStateCorruption::UnsupportedVersion {
            data_version: file.data_version,
        });
    }
    let invalid = |field, value: i32| QuorumStateCorruption::InvalidField {
        field,
        value: i64::from(value),
    };
    let node = |field, id: i32| match id {
        NO_NODE => Ok(None),
        id if id >= 0 => Ok(Some(id)),
        id => Err(invalid(field, id)),
    };
    if file.leader_epoch < 0 {
        return Err(invalid("leaderEpoch", file.leader_epoch));
    }
    Ok(QuorumState {
        leader_epoch: file.leader_epoch,
        voted_for: node("votedId", file.voted_id)?,
        leader: node("leaderId", file.leader_id)?,
    })
}

/// Reads the quorum state; `None` only if the file does not exist (a node that never voted).
pub(super) fn read(disk: &dyn Disk, path: &Path) -> Result<Option<QuorumState>, RaftStoreError> {
    let bytes = match read_all(disk, path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(RaftStoreError::io(path, "read")(error)),
    };
    decode(&bytes)
        .map(Some)
        .map_err(|reason| RaftStoreError::CorruptQuorumState {
            path: path.to_path_buf(),
            reason,
        })
}

/// Replaces the quorum state durably.
pub(super) fn write(
    disk: &dyn Disk,
    path: &Path,
    state: &QuorumState,
) -> Result<(), RaftStoreError> {
    let bytes = encode(state).map_err(|(field, value)| RaftStoreError::InvalidQuorumState {
        path: path.to_path_buf(),
        field,
        value,
    })?;
    write_atomic(disk, path, &bytes).map_err(RaftStoreError::io(path, "write"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(leader_epoch: i32, voted_for: Option<i32>, leader: Option<i32>) -> QuorumState {
        QuorumState {
            leader_epoch,
            voted_for,
            leader,
        }
    }

    #[test]
    fn the_file_is_kafka_json_with_a_checksum() {
        let bytes = encode(&state(7, Some(3), None)).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let fields = r#"{"leaderId":-1,"leaderEpoch":7,"votedId":3,"data_version":0}"#;
        let crc = crc32c::crc32c(fields.as_bytes());
        let expected = format!(
            r#"{{"leaderId":-1,"leaderEpoch":7,"votedId":3,"data_version":0,"crc32c":{crc}}}"#
        );
        assert_eq!(text, expected + "\n");
        assert_eq!(decode(&bytes).unwrap(), state(7, Some(3), None));
        let both = state(0, Some(0), Some(0));
        assert_eq!(decode(&encode(&both).unwrap()).unwrap(), both);
    }

    #[test]
    fn every_single_bit_flip_is_an_error_or_harmless_whitespace() {
        let original = state(12, Some(4), Some(4));
        let bytes = encode(&original).unwrap();
        for position in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[position] ^= 1 << bit;
                // The only flips that may parse are in the trailing newline (whitespace).
                match decode(&flipped) {
                    Err(_) => {}
                    Ok(decoded) => {
                        assert_eq!(decoded, original, "flip at {position} bit {bit}");
                        assert_eq!(position, bytes.len() - 1, "flip at {position} bit {bit}");
                    }
                }
            }
        }
    }

    #[test]
    fn bad_values_and_versions_are_named() {
        let with = |leader: i32, epoch: i32, voted: i32, version: i32| {
            let fields = Fields {
                leader_id: leader,
                leader_epoch: epoch,
                voted_id: voted,
                data_version: version,
            };
            let crc = checksum(&fields);
            let json = serde_json::to_string(&fields).unwrap();
            format!("{},\"crc32c\":{crc}}}", &json[..json.len() - 1]).into_bytes()
        };
        assert_eq!(decode(&with(-1, 3, -1, 0)).unwrap(), state(3, None, None));
        assert_eq!(
            decode(&with(-2, 3, -1, 0)),
            Err(QuorumStateCorruption::InvalidField {
                field: "leaderId",
                value: -2
            })
        );
        assert_eq!(
            decode(&with(1, -1, -1, 0)),
            Err(QuorumStateCorruption::InvalidField {
                field: "leaderEpoch",
                value: -1
            })
        );
        assert_eq!(
            decode(&with(1, 1, 1, 1)),
            Err(QuorumStateCorruption::UnsupportedVersion { data_version: 1 })
        );
        for bad in [&b""[..], b"{}", b"not json", b"{\"leaderId\":1}"] {
            assert!(
                matches!(decode(bad), Err(QuorumStateCorruption::Json { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(encode(&state(1, Some(-3), None)), Err(("votedId", -3)));
        assert_eq!(encode(&state(-1, None, None)), Err(("leaderEpoch", -1)));
    }
}
