//! Store-level tests against [`MemDisk`]: what a restart finds after each operation, and after
//! the states a crash can leave (torn tails, flipped bits, temp files never renamed, an
//! install cut short). `MemDisk` has no crash model, so each test stages the crash's leftovers
//! on disk by hand and reopens.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::snapshot;
use super::*;
use crate::core::raft::{Entry, EntryKind, OffsetAndEpoch, QuorumState};
use crate::storage::{Disk, MemDisk};

const META: &str = "/meta";

fn dir() -> PathBuf {
    Path::new(META).join(METADATA_PARTITION_DIR)
}

fn segment(base: i64) -> PathBuf {
    dir().join(format!("{base:020}.log"))
}

fn open_with(disk: &MemDisk, segment_bytes: u64) -> Result<(RaftStore, Recovered), RaftStoreError> {
    let config = RaftStoreConfig {
        segment_bytes,
        ..RaftStoreConfig::default()
    };
    RaftStore::open(Arc::new(disk.clone()), Path::new(META), config)
}

fn open(disk: &MemDisk) -> (RaftStore, Recovered) {
    open_with(disk, RaftStoreConfig::default().segment_bytes).unwrap()
}

fn id(offset: i64, epoch: i32) -> OffsetAndEpoch {
    OffsetAndEpoch { epoch, offset }
}

/// Entry `offset` of `epoch`: the first of each epoch a LeaderChange, as the core writes them,
/// with data whose size varies with the offset (including empty).
fn entry(offset: i64, epoch: i32, kind: EntryKind) -> Entry {
    let size = [0, 1, 17, 300, 5000][offset as usize % 5];
    let data: Vec<u8> = (0..size).map(|i| (i as i64 * 31 + offset) as u8).collect();
    Entry {
        epoch,
        offset,
        kind,
        data: Bytes::from(data),
    }
}

/// Entries `[from, to)`, all of `epoch`, the first a LeaderChange.
fn entries(from: i64, to: i64, epoch: i32) -> Vec<Entry> {
    (from..to)
        .map(|offset| {
            let kind = if offset == from {
                EntryKind::LeaderChange
            } else {
                EntryKind::Data
            };
            entry(offset, epoch, kind)
        })
        .collect()
}

fn quorum_state(leader_epoch: i32, voted_for: Option<i32>) -> QuorumState {
    QuorumState {
        leader_epoch,
        voted_for,
        leader: voted_for,
    }
}

#[test]
fn a_new_directory_recovers_nothing_and_is_created_durably() {
    let disk = MemDisk::new();
    let (store, recovered) = open(&disk);
    assert_eq!(recovered.quorum_state, None);
    assert_eq!(recovered.snapshot, None);
    assert!(recovered.entries.is_empty() && recovered.discarded.is_none());
    assert_eq!((store.log_start_offset(), store.log_end_offset()), (0, 0));
    assert_eq!(store.dir(), dir());
    assert!(disk.exists(&segment(0)).unwrap());
    assert!(disk.sync_count() > 0);
}

#[test]
fn everything_persisted_comes_back_on_reopen() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store
        .persist_quorum_state(&quorum_state(3, Some(2)))
        .unwrap();
    let mut written = entries(0, 7, 1);
    written.extend(entries(7, 12, 3));
    store.append(&written[..4]).unwrap();
    store.append(&written[4..]).unwrap();
    assert_eq!(store.flush().unwrap(), 12);
    drop(store);

    let (store, recovered) = open(&disk);
    assert_eq!(recovered.quorum_state, Some(quorum_state(3, Some(2))));
    assert_eq!(recovered.snapshot, None);
    assert_eq!(recovered.entries, written);
    assert!(recovered.entries.iter().any(|e| e.data.is_empty()));
    let kinds: Vec<_> = recovered.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds[0], EntryKind::LeaderChange);
    assert_eq!(kinds[7], EntryKind::LeaderChange);
    assert_eq!(recovered.discarded, None);
    assert_eq!(store.log_end_offset(), 12);
    assert_eq!(store.durable_end_offset(), 12);
}

#[test]
fn the_quorum_state_file_is_replaced_atomically_and_reads_back_the_latest() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.persist_quorum_state(&quorum_state(1, None)).unwrap();
    store
        .persist_quorum_state(&quorum_state(2, Some(5)))
        .unwrap();
    let path = dir().join(QUORUM_STATE_FILE);
    let text = String::from_utf8(disk.file_bytes(&path).unwrap()).unwrap();
    assert!(text.starts_with(r#"{"leaderId":5,"leaderEpoch":2,"votedId":5,"data_version":0,"#));
    assert!(disk.file_bytes(&dir().join("quorum-state.tmp")).is_none());
    drop(store);
    assert_eq!(open(&disk).1.quorum_state, Some(quorum_state(2, Some(5))));
}

#[test]
fn a_flipped_bit_in_quorum_state_is_an_error_not_a_reset() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store
        .persist_quorum_state(&quorum_state(7, Some(1)))
        .unwrap();
    drop(store);
    let path = dir().join(QUORUM_STATE_FILE);
    let good = disk.file_bytes(&path).unwrap();
    // `"leaderEpoch":7` → `"leaderEpoch":6`: still valid JSON, only the checksum tells.
    let at = String::from_utf8(good.clone())
        .unwrap()
        .find(":7,")
        .unwrap()
        + 1;
    assert!(disk.flip_bit(&path, at, 0));
    let error = open_with(&disk, 1 << 20).unwrap_err();
    assert!(matches!(
        &error,
        RaftStoreError::CorruptQuorumState {
            reason: QuorumStateCorruption::Checksum { .. },
            ..
        }
    ));
    assert!(error.is_corruption());
    assert!(error.to_string().contains("quorum-state"), "{error}");

    // A torn (here: empty) file is an error too, never "no vote".
    for bad in [Vec::new(), good[..good.len() / 2].to_vec()] {
        disk.set_file_bytes(&path, bad);
        let error = open_with(&disk, 1 << 20).unwrap_err();
        assert!(
            matches!(error, RaftStoreError::CorruptQuorumState { .. }),
            "{error}"
        );
    }
}

#[test]
fn a_torn_log_tail_is_truncated_and_the_entries_before_it_are_intact() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    let written = entries(0, 10, 2);
    store.append(&written).unwrap();
    store.flush().unwrap();
    drop(store);
    let mut bytes = disk.file_bytes(&segment(0)).unwrap();
    bytes.truncate(bytes.len() - 3);
    disk.set_file_bytes(&segment(0), bytes);

    let (mut store, recovered) = open(&disk);
    assert_eq!(recovered.entries, written[..9]);
    assert_eq!(store.log_end_offset(), 9);
    // The log goes on from where the intact entries end.
    store.append(&entries(9, 11, 4)).unwrap();
    store.flush().unwrap();
    drop(store);
    let (_, recovered) = open(&disk);
    assert_eq!(recovered.entries.len(), 11);
    assert_eq!(recovered.entries[9], entries(9, 11, 4)[0]);
}

#[test]
fn a_flipped_bit_inside_an_entry_cuts_the_log_there() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    let written = entries(0, 6, 1);
    store.append(&written).unwrap();
    store.flush().unwrap();
    drop(store);
    // Entry 3 (300 bytes of data) starts after entries 0-2; flip a bit in its data.
    let encoded = |e: &Entry| {
        let mut out = Vec::new();
        super::entry_batch::encode(e, &mut out).unwrap();
        out.len()
    };
    let position: usize = written[..3].iter().map(encoded).sum::<usize>() + 100;
    assert!(disk.flip_bit(&segment(0), position, 4));
    let (store, recovered) = open(&disk);
    assert_eq!(recovered.entries, written[..3]);
    assert_eq!(store.log_end_offset(), 3);
}

/// The byte position of entry `offset` in a log holding `written` from offset 0.
fn position_of(written: &[Entry], offset: usize) -> usize {
    let encoded = |e: &Entry| {
        let mut out = Vec::new();
        super::entry_batch::encode(e, &mut out).unwrap();
        out.len()
    };
    written[..offset].iter().map(encoded).sum()
}

/// Entries `[0, end)` of `epoch`, flushed, with everything below `committed` recorded as
/// committed; the store is closed again.
fn committed_log(disk: &MemDisk, end: i64, epoch: i32, committed: i64) -> Vec<Entry> {
    let (mut store, _) = open(disk);
    let written = entries(0, end, epoch);
    store.append(&written).unwrap();
    store.flush().unwrap();
    store.record_committed(committed).unwrap();
    assert_eq!(store.recorded_committed(), committed);
    written
}

/// The error opening `disk` gives (it must give one), as text.
fn open_error(disk: &MemDisk) -> String {
    let config = RaftStoreConfig::default().segment_bytes;
    open_with(disk, config).err().unwrap().to_string()
}

/// Opens with `refetch_lost_commits`, as a node opens whose quorum has other voters.
fn open_refetching(disk: &MemDisk) -> Result<(RaftStore, Recovered), RaftStoreError> {
    let config = RaftStoreConfig {
        refetch_lost_commits: true,
        ..RaftStoreConfig::default()
    };
    RaftStore::open(Arc::new(disk.clone()), Path::new(META), config)
}

/// The only voter: nobody else has the entries, so it refuses to start (a voter of several
/// cuts and refetches instead, below).
#[test]
fn damage_below_the_commit_point_stops_the_node_and_changes_nothing() {
    let disk = MemDisk::new();
    let written = committed_log(&disk, 6, 1, 6);
    // A flip in the last entry, with nothing after it: exactly what a torn tail looks like,
    // but offset 5 was recorded as committed, so it is damage.
    assert!(disk.flip_bit(&segment(0), position_of(&written, 5) + 70, 2));
    let damaged = disk.file_bytes(&segment(0)).unwrap();
    let error = open_with(&disk, RaftStoreConfig::default().segment_bytes)
        .err()
        .unwrap();
    assert!(error.is_corruption());
    let message = error.to_string();
    assert!(
        message.contains("00000000000000000000.log is damaged at offset 5")
            && message.contains("below offset 6 which was recorded as committed")
            && message.contains("refusing to start"),
        "{message}"
    );
    assert_eq!(
        disk.file_bytes(&segment(0)).unwrap(),
        damaged,
        "nothing cut"
    );
    // An earlier entry too, and the same again on every attempt.
    assert!(disk.flip_bit(&segment(0), position_of(&written, 2) + 40, 1));
    let message = open_error(&disk);
    assert!(message.contains("damaged at offset 2"), "{message}");
}

/// A voter of several cuts the log where the damage starts, keeps what is intact before it,
/// and reports the commit point it must reach again before it votes; the commit point stays.
#[test]
fn damage_below_the_commit_point_is_cut_and_reported_when_others_hold_the_log() {
    let disk = MemDisk::new();
    let written = committed_log(&disk, 8, 1, 7);
    assert!(disk.flip_bit(&segment(0), position_of(&written, 3) + 40, 1));
    let (mut store, recovered) = open_refetching(&disk).unwrap();
    assert_eq!(recovered.entries, written[..3]);
    assert_eq!(recovered.lost_committed, Some(7));
    assert_eq!(store.recorded_committed(), 7, "the commit point is kept");
    // What it still holds is committed: the core's truncation may not cut it.
    assert!(store.truncate(2).is_err());
    // Refetched entries are appended after the cut, and a reopen then finds nothing lost.
    store.append(&written[3..]).unwrap();
    store.flush().unwrap();
    drop(store);
    let (_, recovered) = open_refetching(&disk).unwrap();
    assert_eq!(recovered.entries, written);
    assert_eq!(recovered.lost_committed, None);
}

/// Entries flushed past the commit point may have been acknowledged, and a leader may have
/// counted them towards a commit this node never heard of: damage there is reported too where
/// others hold the log, while a tail that was never flushed is cut as a torn tail.
#[test]
fn damage_to_flushed_entries_past_the_commit_point_is_reported_when_others_hold_the_log() {
    // Eight entries flushed, three of them committed, two more appended and not flushed.
    let log = || {
        let disk = MemDisk::new();
        let written = committed_log(&disk, 8, 1, 3);
        let (mut store, _) = open_refetching(&disk).unwrap();
        store.append(&entries(8, 10, 1)).unwrap();
        (disk, written)
    };
    let (disk, written) = log();
    assert!(disk.flip_bit(&segment(0), position_of(&written, 5) + 40, 1));
    let (_, recovered) = open_refetching(&disk).unwrap();
    assert_eq!(recovered.entries, written[..5]);
    assert_eq!(
        recovered.lost_committed,
        Some(3),
        "repair to at least the commit point"
    );
    // Entries never flushed are not vouched for: torn, they are cut and nothing is lost.
    let (disk, written) = log();
    let mut bytes = disk.file_bytes(&segment(0)).unwrap();
    bytes.truncate(position_of(&written, 8) + 5);
    disk.set_file_bytes(&segment(0), bytes);
    let (_, recovered) = open_refetching(&disk).unwrap();
    assert_eq!(recovered.entries, written);
    assert_eq!(recovered.lost_committed, None);
}

/// A truncation by the protocol (a diverging uncommitted tail) lowers the flushed offset, so
/// the entries it cut are not reported lost when the node restarts.
#[test]
fn a_truncated_tail_is_no_longer_vouched_for() {
    let disk = MemDisk::new();
    let written = committed_log(&disk, 8, 1, 3);
    let (mut store, _) = open_refetching(&disk).unwrap();
    store.truncate(5).unwrap();
    drop(store);
    let (_, recovered) = open_refetching(&disk).unwrap();
    assert_eq!(recovered.entries, written[..5]);
    assert_eq!(recovered.lost_committed, None);
}

#[test]
fn missing_committed_entries_are_reported_when_others_hold_the_log() {
    let disk = MemDisk::new();
    let written = committed_log(&disk, 6, 1, 6);
    let mut bytes = disk.file_bytes(&segment(0)).unwrap();
    bytes.truncate(position_of(&written, 4));
    disk.set_file_bytes(&segment(0), bytes);
    let (_, recovered) = open_refetching(&disk).unwrap();
    assert_eq!(recovered.entries, written[..4]);
    assert_eq!(recovered.lost_committed, Some(6));
}

#[test]
fn a_torn_tail_above_the_commit_point_is_still_cut() {
    let disk = MemDisk::new();
    let written = committed_log(&disk, 10, 2, 7);
    let mut bytes = disk.file_bytes(&segment(0)).unwrap();
    bytes.truncate(position_of(&written, 8) + 5);
    disk.set_file_bytes(&segment(0), bytes);
    let (mut store, recovered) = open(&disk);
    assert_eq!(recovered.entries, written[..8]);
    assert_eq!(store.recorded_committed(), 7);
    // Truncation, the core's own, may not go below the commit point either.
    let error = store.truncate(6).unwrap_err().to_string();
    assert!(error.contains("7"), "{error}");
    store.truncate(7).unwrap();
}

#[test]
fn a_log_shorter_than_its_commit_point_is_an_error() {
    let disk = MemDisk::new();
    let written = committed_log(&disk, 6, 1, 6);
    // A whole entry gone (say a lost directory operation): no batch is damaged, yet committed
    // entries are missing.
    let mut bytes = disk.file_bytes(&segment(0)).unwrap();
    bytes.truncate(position_of(&written, 4));
    disk.set_file_bytes(&segment(0), bytes);
    let message = open_error(&disk);
    assert!(
        message.contains("holds entries only up to offset 4, but offsets below 6"),
        "{message}"
    );
}

/// Where others hold the log, an entry that does not decode is damage like any other: cut
/// there, reported, refetched.
#[test]
fn an_epoch_flipped_outside_the_batch_crc_is_cut_and_reported_when_others_hold_the_log() {
    let disk = MemDisk::new();
    let written = committed_log(&disk, 6, 1, 6);
    // The partition leader epoch of entry 2 sits at bytes 12..16 of its batch.
    assert!(disk.flip_bit(&segment(0), position_of(&written, 2) + 15, 1));
    let (store, recovered) = open_refetching(&disk).unwrap();
    assert_eq!(recovered.entries, written[..2]);
    assert_eq!(recovered.lost_committed, Some(6));
    assert_eq!(store.recorded_committed(), 6);
}

#[test]
fn an_epoch_flipped_outside_the_batch_crc_is_an_error_naming_the_log() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 3, 1)).unwrap();
    store.flush().unwrap();
    drop(store);
    // The partition leader epoch of entry 0 sits at bytes 12..16, outside the batch CRC.
    assert!(disk.flip_bit(&segment(0), 15, 1));
    let error = open_with(&disk, 1 << 20).unwrap_err();
    match &error {
        RaftStoreError::CorruptEntry {
            dir: in_dir,
            offset: 0,
            reason:
                EntryCorruption::EpochMismatch {
                    batch_epoch: 3,
                    record_epoch: 1,
                },
        } => assert_eq!(in_dir, &dir()),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        error.to_string().contains("__cluster_metadata-0"),
        "{error}"
    );
}

/// A batch's leader epoch lies outside its CRC, and the store never decodes the batches below
/// its snapshot: a flipped epoch there must not reach the epoch cache that the next append is
/// checked against (`cluster-metadata-bitflips` seed 4981 stopped a voter for good this way).
#[test]
fn an_epoch_flipped_below_the_snapshot_does_not_poison_the_epoch_cache() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    let mut written = entries(0, 6, 1);
    written.extend(entries(6, 8, 2));
    store.append(&written).unwrap();
    store.flush().unwrap();
    store.save_snapshot(id(7, 2), b"state").unwrap();
    drop(store);
    let checkpoint = dir().join("leader-epoch-checkpoint");
    let sound = crate::storage::disk::read_all(&disk, &checkpoint).unwrap();
    // Bit 29 of entry 3's partition leader epoch (bytes 12..16 of its batch, big-endian).
    assert!(disk.flip_bit(&segment(0), position_of(&written, 3) + 12, 5));
    // With the checkpoint lost in a crash, the log rebuilds its cache from the batch headers.
    disk.remove_file(&checkpoint).unwrap();
    let (mut store, recovered) = open(&disk);
    assert_eq!(recovered.entries, written[7..]);
    assert_eq!(
        crate::storage::disk::read_all(&disk, &checkpoint).unwrap(),
        sound
    );
    store.append(&entries(8, 10, 3)).unwrap();
    store.flush().unwrap();
    drop(store);
    let (_, recovered) = open(&disk);
    assert_eq!(
        recovered.entries.last(),
        Some(&entry(9, 3, EntryKind::Data))
    );
}

#[test]
fn the_epoch_cache_below_the_snapshot_is_kept_up_to_the_snapshot_epoch_only() {
    use super::recover::checked_epochs;
    let after = entries(40, 43, 6);
    let snapshot = Some(id(40, 5));
    // A sound cache comes back unchanged, so opening writes nothing.
    let sound = [(2, 0), (5, 30), (6, 40)];
    assert_eq!(checked_epochs(snapshot, 0, &sound, &after), sound);
    // A flipped epoch below the snapshot, and what a header scan puts after it, are dropped.
    let flipped = [(2, 0), (1 << 29, 12)];
    assert_eq!(
        checked_epochs(snapshot, 0, &flipped, &after),
        [(2, 0), (5, 39), (6, 40)]
    );
    // A cache cut at the snapshot by deleting old entries (the log reopens at its first
    // segment's base, below that) is sound as it is; an emptied one gets the snapshot's epoch.
    assert_eq!(checked_epochs(snapshot, 26, &[(5, 40)], &[]), [(5, 40)]);
    assert_eq!(checked_epochs(snapshot, 26, &[], &[]), [(5, 39)]);
    // An epoch below the snapshot's starting at the snapshot is out of order: dropped.
    assert_eq!(
        checked_epochs(snapshot, 26, &[(3, 30), (4, 40)], &after),
        [(3, 30), (5, 39), (6, 40)]
    );
    // Without entries below the snapshot, only the checked entries count.
    assert_eq!(checked_epochs(snapshot, 40, &[(9, 3)], &after), [(6, 40)]);
}

#[test]
fn truncate_then_reopen() {
    let disk = MemDisk::new();
    let (mut store, _) = open_with(&disk, 700).unwrap();
    store.append(&entries(0, 12, 1)).unwrap();
    store.truncate(5).unwrap();
    assert_eq!(store.log_end_offset(), 5);
    // The truncation is durable by itself, and the log continues in a later epoch.
    store.append(&entries(5, 8, 2)).unwrap();
    store.flush().unwrap();
    drop(store);
    let (mut store, recovered) = open_with(&disk, 700).unwrap();
    let mut expected = entries(0, 5, 1);
    expected.extend(entries(5, 8, 2));
    assert_eq!(recovered.entries, expected);
    store.truncate(8).unwrap();
    assert_eq!(
        store.log_end_offset(),
        8,
        "truncating at the end removes nothing"
    );
    store.truncate(0).unwrap();
    drop(store);
    assert!(open_with(&disk, 700).unwrap().1.entries.is_empty());
}

#[test]
fn appends_that_skip_repeat_or_go_back_in_epoch_are_refused_untouched() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 3, 2)).unwrap();
    let refused = |store: &mut RaftStore, batch: Vec<Entry>| store.append(&batch).unwrap_err();
    assert!(matches!(
        refused(&mut store, entries(4, 5, 2)),
        RaftStoreError::NonContiguousAppend {
            expected_offset: 3,
            offset: 4,
            ..
        }
    ));
    assert!(matches!(
        refused(&mut store, entries(2, 3, 2)),
        RaftStoreError::NonContiguousAppend { .. }
    ));
    assert!(matches!(
        refused(&mut store, entries(3, 4, 1)),
        RaftStoreError::EpochRegression {
            offset: 3,
            epoch: 1,
            previous_epoch: 2,
            ..
        }
    ));
    // A later bad entry refuses the whole call: nothing of it is written.
    let mut mixed = entries(3, 5, 2);
    mixed.push(entry(6, 2, EntryKind::Data));
    assert!(matches!(
        refused(&mut store, mixed),
        RaftStoreError::NonContiguousAppend { offset: 6, .. }
    ));
    assert_eq!(store.log_end_offset(), 3);
    store.append(&[]).unwrap();
    assert_eq!(store.log_end_offset(), 3);
}

#[test]
fn flush_makes_appends_durable_and_reports_the_end() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 4, 1)).unwrap();
    assert_eq!(store.durable_end_offset(), 0);
    let syncs = disk.sync_count();
    assert_eq!(store.flush().unwrap(), 4);
    assert!(disk.sync_count() > syncs);
    assert_eq!(store.durable_end_offset(), 4);
}

#[test]
fn disk_failures_are_errors_naming_the_file() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 2, 1)).unwrap();
    disk.set_fail_writes(true);
    let error = store
        .persist_quorum_state(&quorum_state(1, Some(1)))
        .unwrap_err();
    assert!(error.to_string().contains("quorum-state"), "{error}");
    let error = store.flush().unwrap_err();
    assert!(matches!(error, RaftStoreError::Io { .. }));
    assert!(
        error.to_string().contains("__cluster_metadata-0"),
        "{error}"
    );
    let error = store.save_snapshot(id(2, 1), b"s").unwrap_err();
    assert!(error.to_string().contains(".checkpoint.tmp"), "{error}");
    let error = store.append(&entries(2, 3, 1)).unwrap_err();
    assert!(matches!(error, RaftStoreError::LogAppend { offset: 2, .. }));
    assert_eq!(
        store.log_end_offset(),
        2,
        "a failed append leaves the log as it was"
    );
    disk.set_fail_writes(false);
    assert_eq!(store.latest_snapshot(), None);
    let tmp_snapshot = |p: &PathBuf| p.to_string_lossy().ends_with(".checkpoint.tmp");
    assert!(!disk.file_paths().iter().any(tmp_snapshot));
}

#[test]
fn snapshots_are_saved_checked_against_the_log_and_come_back() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 5, 1)).unwrap();
    store.append(&entries(5, 9, 2)).unwrap();
    store.flush().unwrap();
    assert!(matches!(
        store.save_snapshot(id(10, 2), b"x"),
        Err(RaftStoreError::SnapshotOutsideLog { .. })
    ));
    assert!(matches!(
        store.save_snapshot(id(5, 2), b"x"),
        Err(RaftStoreError::SnapshotEpochMismatch { log_epoch: 1, .. })
    ));
    assert!(matches!(
        store.save_snapshot(id(-1, 2), b"x"),
        Err(RaftStoreError::InvalidSnapshotId { .. })
    ));
    store.save_snapshot(id(5, 1), b"five").unwrap();
    store.save_snapshot(id(7, 2), b"").unwrap();
    assert_eq!(store.latest_snapshot(), Some(id(7, 2)));
    let name = "00000000000000000007-0000000002.checkpoint";
    assert!(disk.exists(&dir().join(name)).unwrap());
    assert_eq!(&store.read_snapshot(id(5, 1)).unwrap()[..], b"five");
    drop(store);

    let (_, recovered) = open(&disk);
    assert_eq!(recovered.snapshot, Some((id(7, 2), Bytes::new())));
    assert_eq!(recovered.entries, entries(5, 9, 2)[2..]);
}

#[test]
fn a_crash_between_snapshot_write_and_rename_leaves_the_old_snapshot_in_force() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 8, 1)).unwrap();
    store.flush().unwrap();
    store.save_snapshot(id(3, 1), b"old").unwrap();
    drop(store);
    // What `save_snapshot(6)` leaves when the crash comes after its fsync, before its rename;
    // and a torn temp file from an earlier crash.
    let new_name = snapshot::file_name(id(6, 1));
    let tmp = dir().join(format!("{new_name}.tmp"));
    disk.set_file_bytes(&tmp, snapshot::encode(id(6, 1), b"new"));
    let torn = dir().join(format!("{}.tmp", snapshot::file_name(id(7, 1))));
    disk.set_file_bytes(&torn, snapshot::encode(id(7, 1), b"newer")[..10].to_vec());

    let (store, recovered) = open(&disk);
    assert_eq!(
        recovered.snapshot,
        Some((id(3, 1), Bytes::from_static(b"old")))
    );
    assert_eq!(recovered.entries, entries(0, 8, 1)[3..]);
    assert_eq!(store.latest_snapshot(), Some(id(3, 1)));
    assert!(!disk.exists(&tmp).unwrap() && !disk.exists(&torn).unwrap());
    assert!(!disk.exists(&dir().join(new_name)).unwrap());
}

#[test]
fn a_corrupt_newest_snapshot_is_deleted_and_never_served() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 8, 1)).unwrap();
    store.flush().unwrap();
    store.save_snapshot(id(2, 1), b"two").unwrap();
    store.save_snapshot(id(6, 1), b"six").unwrap();
    let six = dir().join(snapshot::file_name(id(6, 1)));
    let len = disk.file_bytes(&six).unwrap().len();
    assert!(disk.flip_bit(&six, len - 1, 3));
    let error = store.read_snapshot(id(6, 1)).unwrap_err();
    assert!(matches!(
        error,
        RaftStoreError::CorruptSnapshot {
            reason: SnapshotCorruption::Checksum { .. },
            ..
        }
    ));
    assert!(
        error.to_string().contains("0000000006-0000000001"),
        "{error}"
    );
    drop(store);

    let (store, recovered) = open(&disk);
    assert_eq!(
        recovered.snapshot,
        Some((id(2, 1), Bytes::from_static(b"two")))
    );
    assert_eq!(recovered.entries, entries(0, 8, 1)[2..]);
    assert!(!disk.exists(&six).unwrap());
    assert_eq!(store.latest_snapshot(), Some(id(2, 1)));
}

#[test]
fn install_snapshot_then_reopen_gives_the_snapshot_and_an_empty_log_at_its_end() {
    let disk = MemDisk::new();
    let (mut store, _) = open_with(&disk, 700).unwrap();
    store.append(&entries(0, 9, 1)).unwrap();
    store.save_snapshot(id(4, 1), b"local").unwrap();
    store
        .install_snapshot(id(40, 6), b"from the leader")
        .unwrap();
    assert_eq!((store.log_start_offset(), store.log_end_offset()), (40, 40));
    assert_eq!(store.durable_end_offset(), 40);
    assert_eq!(store.latest_snapshot(), Some(id(40, 6)));
    drop(store);

    let (mut store, recovered) = open_with(&disk, 700).unwrap();
    let data = Bytes::from_static(b"from the leader");
    assert_eq!(recovered.snapshot, Some((id(40, 6), data)));
    assert!(recovered.entries.is_empty() && recovered.discarded.is_none());
    assert_eq!((store.log_start_offset(), store.log_end_offset()), (40, 40));
    let snapshots: Vec<_> = disk
        .file_paths()
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".checkpoint"))
        .collect();
    assert_eq!(snapshots, vec![dir().join(snapshot::file_name(id(40, 6)))]);
    assert!(!disk.exists(&segment(0)).unwrap());

    // The log goes on from the snapshot; an epoch below the snapshot's is refused.
    assert!(matches!(
        store.append(&entries(40, 41, 5)),
        Err(RaftStoreError::EpochRegression { .. })
    ));
    store.append(&entries(40, 43, 6)).unwrap();
    store.flush().unwrap();
    assert!(matches!(
        store.truncate(39),
        Err(RaftStoreError::TruncateBelowFloor { floor: 40, .. })
    ));
    drop(store);
    assert_eq!(open_with(&disk, 700).unwrap().1.entries, entries(40, 43, 6));
}

#[test]
fn a_crash_inside_install_snapshot_is_settled_on_open() {
    // The snapshot is durable but the old log was never restarted: it ends before the snapshot.
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 5, 1)).unwrap();
    store.flush().unwrap();
    drop(store);
    snapshot::write(&disk, &dir(), id(30, 4), b"installed").unwrap();
    let (store, recovered) = open(&disk);
    assert_eq!(recovered.snapshot.unwrap().0, id(30, 4));
    assert!(recovered.entries.is_empty());
    let discarded = recovered.discarded.unwrap();
    assert_eq!((discarded.from_offset, discarded.to_offset), (0, 5));
    assert_eq!(
        discarded.reason,
        DiscardReason::LogEndsBeforeSnapshot {
            snapshot_offset: 30,
            log_end_offset: 5
        }
    );
    assert_eq!((store.log_start_offset(), store.log_end_offset()), (30, 30));

    // The old log reaches past the snapshot but disagrees with it about the epoch before it.
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 5, 1)).unwrap();
    store.append(&entries(5, 9, 2)).unwrap();
    store.flush().unwrap();
    drop(store);
    snapshot::write(&disk, &dir(), id(6, 3), b"diverged").unwrap();
    let (store, recovered) = open(&disk);
    assert_eq!(
        recovered.discarded.unwrap().reason,
        DiscardReason::EpochMismatchAtSnapshot {
            snapshot: id(6, 3),
            log_epoch: 2
        }
    );
    assert!(recovered.entries.is_empty());
    assert_eq!(store.log_end_offset(), 6);
}

#[test]
fn a_log_after_a_gap_is_discarded_with_its_reason() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.install_snapshot(id(10, 2), b"s").unwrap();
    store.append(&entries(10, 13, 2)).unwrap();
    store.flush().unwrap();
    drop(store);
    // The only snapshot is lost: nothing explains the entries below 10.
    disk.remove_file(&dir().join(snapshot::file_name(id(10, 2))))
        .unwrap();
    let (store, recovered) = open(&disk);
    assert_eq!(recovered.snapshot, None);
    assert!(recovered.entries.is_empty());
    let discarded = recovered.discarded.unwrap();
    assert_eq!(
        discarded.reason,
        DiscardReason::GapAfterSnapshot {
            snapshot_offset: 0,
            log_start_offset: 10
        }
    );
    assert_eq!((discarded.from_offset, discarded.to_offset), (10, 13));
    assert_eq!((store.log_start_offset(), store.log_end_offset()), (0, 0));
}

#[test]
fn delete_log_before_then_reopen() {
    let disk = MemDisk::new();
    // About two entries per segment.
    let (mut store, _) = open_with(&disk, 700).unwrap();
    store.append(&entries(0, 10, 1)).unwrap();
    store.append(&entries(10, 20, 2)).unwrap();
    store.flush().unwrap();
    assert!(matches!(
        store.delete_log_before(5),
        Err(RaftStoreError::DeleteBeyondSnapshot {
            snapshot_offset: None,
            ..
        })
    ));
    store.save_snapshot(id(6, 1), b"six").unwrap();
    store.save_snapshot(id(13, 2), b"thirteen").unwrap();
    assert!(matches!(
        store.delete_log_before(14),
        Err(RaftStoreError::DeleteBeyondSnapshot {
            snapshot_offset: Some(13),
            ..
        })
    ));
    let segments_before = disk.file_paths().iter().filter(|p| is_log(p)).count();
    assert_eq!(store.delete_log_before(13).unwrap(), 13);
    let segments_after = disk.file_paths().iter().filter(|p| is_log(p)).count();
    assert!(segments_after < segments_before);
    assert!(!disk.exists(&segment(0)).unwrap());
    // The older snapshot is below the log start now: no longer of any use.
    assert!(!disk
        .exists(&dir().join(snapshot::file_name(id(6, 1))))
        .unwrap());
    // Neither the log start nor the snapshot it depends on can be undone.
    assert!(matches!(
        store.truncate(12),
        Err(RaftStoreError::TruncateBelowFloor { floor: 13, .. })
    ));
    assert!(matches!(
        store.delete_snapshot(id(13, 2)),
        Err(RaftStoreError::SnapshotInUse {
            log_start_offset: 13,
            ..
        })
    ));
    store.flush().unwrap();
    drop(store);

    let (store, recovered) = open_with(&disk, 700).unwrap();
    assert_eq!(recovered.snapshot.unwrap().0, id(13, 2));
    assert_eq!(recovered.entries, entries(10, 20, 2)[3..]);
    assert!(recovered.discarded.is_none());
    // Whole segments only: the log may start below the requested offset.
    assert!(store.log_start_offset() <= 13 && store.log_start_offset() > 0);
}

fn is_log(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "log")
}

#[test]
fn a_refused_snapshot_is_deleted_and_the_previous_one_is_in_force_again() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 6, 1)).unwrap();
    store.save_snapshot(id(2, 1), b"two").unwrap();
    store.save_snapshot(id(5, 1), b"five").unwrap();
    store.delete_snapshot(id(5, 1)).unwrap();
    store.delete_snapshot(id(5, 1)).unwrap();
    assert_eq!(store.latest_snapshot(), Some(id(2, 1)));
    store.flush().unwrap();
    drop(store);
    let (_, recovered) = open(&disk);
    assert_eq!(recovered.snapshot.unwrap().0, id(2, 1));
    assert_eq!(recovered.entries, entries(0, 6, 1)[2..]);
}

#[test]
fn large_entries_and_many_segments_round_trip() {
    let disk = MemDisk::new();
    let (mut store, _) = open_with(&disk, 4096).unwrap();
    let mut written = Vec::new();
    for offset in 0..40 {
        let size = if offset % 13 == 5 {
            3 << 20
        } else {
            offset as usize * 37
        };
        let kind = if offset % 10 == 0 {
            EntryKind::LeaderChange
        } else {
            EntryKind::Data
        };
        let data = Bytes::from(vec![offset as u8; size]);
        written.push(Entry {
            epoch: 1 + offset as i32 / 10,
            offset,
            kind,
            data,
        });
    }
    // One call per entry, so segments roll between them (a call's entries of one epoch go
    // into one segment together, as a record set does).
    for entry in &written {
        store.append(std::slice::from_ref(entry)).unwrap();
    }
    store.flush().unwrap();
    drop(store);
    let (store, recovered) = open_with(&disk, 4096).unwrap();
    assert_eq!(recovered.entries, written);
    assert!(disk.file_paths().iter().filter(|p| is_log(p)).count() > 5);
    assert_eq!(store.log_end_offset(), 40);
}

#[test]
fn the_log_is_an_ordinary_kafka_log() {
    let disk = MemDisk::new();
    let (mut store, _) = open(&disk);
    store.append(&entries(0, 3, 1)).unwrap();
    store.append(&entries(3, 5, 4)).unwrap();
    store.flush().unwrap();
    drop(store);
    // The storage engine opens it on its own, with the leader epochs in its checkpoint.
    let log = crate::storage::Log::open(
        Arc::new(disk.clone()),
        dir(),
        crate::storage::LogConfig::default(),
        0,
        0,
        0,
    )
    .unwrap();
    assert_eq!(log.log_end_offset(), 5);
    assert_eq!(log.end_offset_for_epoch(1), Some((1, 3)));
    let checkpoint = disk
        .file_bytes(&dir().join("leader-epoch-checkpoint"))
        .unwrap();
    assert_eq!(checkpoint, b"0\n2\n1 0\n4 3\n");
}
