//! Follower appends: the leader's batches go in byte for byte with their offsets and leader
//! epochs, a trailing partial batch waits for the next fetch, and batches that do not follow
//! the log or fail their CRC are refused with nothing written.

use std::path::PathBuf;
use std::sync::Arc;

use super::*;

fn leader_and_follower() -> (Log, Log) {
    let config = LogConfig::default();
    let (a, b) = (Arc::new(MemDisk::new()), Arc::new(MemDisk::new()));
    let leader = Log::create(a, PathBuf::from("/l/t-0"), config.clone(), 0).unwrap();
    let follower = Log::create(b, PathBuf::from("/f/t-0"), config, 0).unwrap();
    (leader, follower)
}

fn batch() -> bytes::Bytes {
    use crate::client::records::{encode_batch, ProducerRecord};
    let record = ProducerRecord::new("t", bytes::Bytes::from_static(b"value"));
    encode_batch(
        &[record.clone(), record],
        &[1_000, 1_001],
        kafka_protocol::records::Compression::None,
    )
    .unwrap()
}

#[test]
fn the_leaders_batches_go_in_as_they_are_with_their_epochs() {
    let (mut leader, mut follower) = leader_and_follower();
    leader.append_as_leader(&batch(), 3, 0).unwrap();
    leader.append_as_leader(&batch(), 5, 0).unwrap();
    let bytes = leader.read(0, 1 << 20, 4, true).unwrap();
    let appended = follower.append_as_follower(&bytes, 7, 0).unwrap().unwrap();
    assert_eq!((appended.first_offset, appended.last_offset), (0, 3));
    assert_eq!(follower.log_end_offset(), 4);
    assert_eq!(follower.read(0, 1 << 20, 4, true).unwrap(), bytes);
    assert_eq!(follower.epochs(), &[(3, 0), (5, 2)]);
    // The same batches again do not follow the log: refused, nothing written.
    let again = follower.append_as_follower(&bytes, 7, 0).unwrap_err();
    assert!(
        matches!(again, AppendError::InvalidRecord { .. }),
        "{again}"
    );
    assert_eq!(follower.log_end_offset(), 4);
}

#[test]
fn a_cut_off_last_batch_waits_and_a_bad_crc_is_refused() {
    let (mut leader, mut follower) = leader_and_follower();
    leader.append_as_leader(&batch(), 1, 0).unwrap();
    leader.append_as_leader(&batch(), 1, 0).unwrap();
    let bytes = leader.read(0, 1 << 20, 4, true).unwrap();
    let cut = &bytes[..bytes.len() - 5];
    let appended = follower.append_as_follower(cut, 7, 0).unwrap().unwrap();
    assert_eq!(appended.last_offset, 1, "only the whole first batch");
    assert_eq!(
        follower
            .append_as_follower(&cut[appended.bytes..], 7, 0)
            .unwrap(),
        None
    );
    let mut rest = bytes[appended.bytes..].to_vec();
    let last = rest.len() - 1;
    rest[last] ^= 0x40;
    let refused = follower.append_as_follower(&rest, 7, 0).unwrap_err();
    assert!(
        matches!(refused, AppendError::CorruptMessage { .. }),
        "{refused}"
    );
    assert_eq!(follower.log_end_offset(), 2);
}

/// A batch stamped with an epoch later than the leader's own cannot come from an honest leader
/// (the epoch lies outside the CRC): refused, so no bogus epoch enters the follower's cache.
#[test]
fn a_batch_from_a_later_epoch_than_the_leaders_is_refused() {
    let (mut leader, mut follower) = leader_and_follower();
    leader.append_as_leader(&batch(), 4, 0).unwrap();
    let bytes = leader.read(0, 1 << 20, 2, true).unwrap();
    let refused = follower.append_as_follower(&bytes, 3, 0).unwrap_err();
    assert!(
        matches!(
            refused,
            AppendError::CorruptMessage {
                error: BatchError::EpochAhead {
                    epoch: 4,
                    latest: 3
                },
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!((follower.log_end_offset(), follower.epochs()), (0, &[][..]));
    follower.append_as_follower(&bytes, 4, 0).unwrap().unwrap();
    assert_eq!(follower.epochs(), &[(4, 0)]);
}

/// A leader that has not appended in its new epoch still knows where its older epochs end:
/// a follower whose last epoch the leader never wrote in learns where to truncate, not that
/// its epoch is unknown.
#[test]
fn a_new_leader_knows_its_epoch_before_its_first_append() {
    let (mut leader, _) = leader_and_follower();
    leader.append_as_leader(&batch(), 0, 0).unwrap();
    assert_eq!(
        leader.end_offset_for_epoch(1),
        None,
        "epoch 1 is above all it knows"
    );
    leader.begin_leader_epoch(4).unwrap();
    assert_eq!(leader.end_offset_for_epoch(1), Some((0, 2)));
    assert_eq!(leader.end_offset_for_epoch(4), Some((4, 2)));
}

/// A crash may keep records whose epoch's checkpoint write it lost: recovery records the epochs
/// of the batches it kept, as Kafka's does, so reads serve them as they are.
#[test]
fn recovery_records_the_epochs_of_the_batches_it_kept() {
    let disk = MemDisk::new();
    let dir = PathBuf::from("/f/t-0");
    let checkpoint = dir.join("leader-epoch-checkpoint");
    let mut log =
        Log::create(Arc::new(disk.clone()), dir.clone(), LogConfig::default(), 0).unwrap();
    log.append_as_leader(&batch(), 3, 0).unwrap();
    let before = disk.file_bytes(&checkpoint).unwrap();
    log.append_as_leader(&batch(), 5, 0).unwrap();
    let written = log.read(0, 1 << 20, 4, true).unwrap();
    drop(log);
    disk.set_file_bytes(&checkpoint, before); // the write of epoch 5's start was lost
    let log = Log::open(Arc::new(disk.clone()), dir, LogConfig::default(), 0, 0, 0).unwrap();
    assert_eq!(log.epochs(), &[(3, 0), (5, 2)]);
    assert_eq!(log.read(0, 1 << 20, 4, true).unwrap(), written);
}
