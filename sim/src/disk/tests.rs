//! Each rule of `SimDisk`, shown on a small file system. Crash outcomes are seeded coins, so
//! the tests loop over seeds and assert both that every outcome stays within the rules and that
//! each allowed outcome actually happens.

use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weir::storage::disk::{read_all, write_atomic};
use weir::storage::{Disk, OpenMode};

use super::{DiskFaults, SimDisk};
use crate::trace::Trace;

const S: usize = 4096;
const SEEDS: u64 = 64;

fn p(path: &str) -> &Path {
    Path::new(path)
}

fn faulty(seed: u64, faults: DiskFaults) -> (SimDisk, Trace) {
    let trace = Trace::new();
    (SimDisk::new("n1", seed, faults, trace.clone()), trace)
}

fn disk(seed: u64) -> SimDisk {
    faulty(seed, DiskFaults::default()).0
}

/// `dir` and its parents, created and committed.
fn durable_dir(disk: &SimDisk, dir: &str) {
    disk.create_dir_all(p(dir)).unwrap();
    for ancestor in p(dir).ancestors().collect::<Vec<_>>().into_iter().rev() {
        if let Some(parent) = ancestor.parent() {
            disk.sync_dir(parent).unwrap();
        }
    }
}

/// A file whose data and name are both durable.
fn durable_file(disk: &SimDisk, path: &str, bytes: &[u8]) {
    let file = disk.open(p(path), OpenMode::Truncate).unwrap();
    file.write_at(bytes, 0).unwrap();
    file.sync().unwrap();
    disk.sync_dir(p(path).parent().unwrap()).unwrap();
}

/// The file's bytes as reads see them, `None` if it does not exist.
fn contents(disk: &SimDisk, path: &str) -> Option<Vec<u8>> {
    disk.exists(p(path))
        .unwrap()
        .then(|| read_all(disk, p(path)).unwrap())
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn differing_bits(a: &[u8], b: &[u8]) -> u32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

#[test]
fn an_unsynced_write_may_be_lost_on_crash() {
    let mut outcomes = BTreeSet::new();
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/f", b"");
        let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
        file.write_at(b"hello", 0).unwrap();
        assert_eq!(contents(&disk, "/d/f").unwrap(), b"hello");
        assert_eq!(disk.durable_len(p("/d/f")), Some(0));
        disk.crash();
        let after = contents(&disk, "/d/f").unwrap();
        assert!(after.is_empty() || after == b"hello", "{after:?}");
        outcomes.insert(after);
    }
    assert_eq!(outcomes.len(), 2, "both lost and kept must happen");
}

#[test]
fn a_synced_write_survives_every_crash() {
    let data = pattern(3 * S + 123);
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/f", &data);
        disk.crash();
        disk.crash();
        assert_eq!(contents(&disk, "/d/f").unwrap(), data);
        assert_eq!(disk.durable_len(p("/d/f")), Some(data.len() as u64));
    }
}

#[test]
fn a_crash_keeps_or_loses_whole_sectors() {
    let (old, new) = (0xaa, 0xbb);
    let (mut saw_kept, mut saw_lost, mut saw_torn) = (false, false, false);
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/f", &vec![old; 4 * S]);
        let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
        // Overwrites four sectors and extends the file by two more.
        file.write_at(&vec![new; 6 * S], 0).unwrap();
        disk.crash();
        let after = contents(&disk, "/d/f").unwrap();
        assert!(
            [4 * S, 5 * S, 6 * S].contains(&after.len()),
            "{}",
            after.len()
        );
        let (mut kept, mut lost) = (0, 0);
        for (index, sector) in after.chunks(S).enumerate() {
            assert_eq!(sector.len(), S, "seed {seed}: a partial sector");
            // Past the old end, a lost sector before a kept one is a hole of zeros.
            let before = if index < 4 { old } else { 0 };
            if sector.iter().all(|&b| b == new) {
                kept += 1;
            } else {
                assert!(
                    sector.iter().all(|&b| b == before),
                    "seed {seed}: torn sector"
                );
                lost += 1;
            }
        }
        lost += 6 - after.len() / S;
        saw_kept |= kept > 0;
        saw_lost |= lost > 0;
        saw_torn |= kept > 0 && lost > 0;
    }
    assert!(saw_kept && saw_lost && saw_torn);
}

#[test]
fn one_write_across_a_sector_boundary_can_tear_there() {
    let (old, new) = (0x11, 0x22);
    let mut halves = BTreeSet::new();
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/f", &vec![old; 2 * S]);
        let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
        file.write_at(&[new; 100], (S - 50) as u64).unwrap();
        disk.crash();
        let after = contents(&disk, "/d/f").unwrap();
        assert_eq!(after.len(), 2 * S);
        let first = &after[S - 50..S];
        let second = &after[S..S + 50];
        let uniform =
            |half: &[u8]| half.iter().all(|&b| b == old) || half.iter().all(|&b| b == new);
        assert!(uniform(first) && uniform(second), "seed {seed}");
        assert!(after[..S - 50]
            .iter()
            .chain(&after[S + 50..])
            .all(|&b| b == old));
        halves.insert((first[0] == new, second[0] == new));
    }
    assert_eq!(
        halves.len(),
        4,
        "each half kept or lost independently: {halves:?}"
    );
}

#[test]
fn a_created_file_needs_its_directory_synced() {
    let mut survived = BTreeSet::new();
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        let file = disk.open(p("/d/f"), OpenMode::CreateNew).unwrap();
        file.write_at(b"data", 0).unwrap();
        file.sync().unwrap();
        assert_eq!(
            disk.durable_len(p("/d/f")),
            None,
            "the name is not durable yet"
        );
        disk.crash();
        let after = contents(&disk, "/d/f");
        if let Some(bytes) = &after {
            assert_eq!(bytes, b"data");
        }
        survived.insert(after.is_some());

        let file = disk.open(p("/d/g"), OpenMode::CreateNew).unwrap();
        file.write_at(b"data", 0).unwrap();
        file.sync().unwrap();
        disk.sync_dir(p("/d")).unwrap();
        disk.crash();
        assert_eq!(contents(&disk, "/d/g").unwrap(), b"data");
    }
    assert_eq!(
        survived.len(),
        2,
        "the file must vanish in some seed and not in another"
    );
}

#[test]
fn a_rename_is_pending_until_its_directory_is_synced() {
    let mut outcomes = BTreeSet::new();
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/a", b"old");
        let tmp = disk.open(p("/d/a.tmp"), OpenMode::Truncate).unwrap();
        tmp.write_at(b"new", 0).unwrap();
        tmp.sync().unwrap();
        drop(tmp);
        disk.rename(p("/d/a.tmp"), p("/d/a")).unwrap();
        assert_eq!(contents(&disk, "/d/a").unwrap(), b"new");
        assert!(!disk.exists(p("/d/a.tmp")).unwrap());
        disk.crash();
        let state = (contents(&disk, "/d/a"), contents(&disk, "/d/a.tmp"));
        outcomes.insert(state);
    }
    let old = Some(b"old".to_vec());
    let new = Some(b"new".to_vec());
    let expected = BTreeSet::from([
        (old.clone(), None),        // nothing committed
        (old.clone(), new.clone()), // the create only
        (new.clone(), None),        // both, in order
    ]);
    assert_eq!(outcomes, expected);
}

#[test]
fn write_atomic_survives_every_crash() {
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/a", b"old");
        write_atomic(&disk, p("/d/a"), b"new").unwrap();
        disk.crash();
        assert_eq!(contents(&disk, "/d/a").unwrap(), b"new");
        assert_eq!(contents(&disk, "/d/a.tmp"), None);
    }
}

#[test]
fn a_rename_across_directories_commits_with_the_destination() {
    let mut outcomes = BTreeSet::new();
    for seed in 0..SEEDS {
        for sync_destination in [false, true] {
            let disk = disk(seed);
            durable_dir(&disk, "/s");
            durable_dir(&disk, "/t");
            durable_file(&disk, "/s/x", b"x");
            disk.rename(p("/s/x"), p("/t/y")).unwrap();
            disk.sync_dir(p("/s")).unwrap(); // not enough
            if sync_destination {
                disk.sync_dir(p("/t")).unwrap();
            }
            disk.crash();
            let (at_old, at_new) = (
                disk.exists(p("/s/x")).unwrap(),
                disk.exists(p("/t/y")).unwrap(),
            );
            assert!(
                at_old != at_new,
                "seed {seed}: exactly one name, never both or neither"
            );
            if sync_destination {
                assert!(at_new);
            } else {
                outcomes.insert(at_new);
            }
        }
    }
    assert_eq!(
        outcomes.len(),
        2,
        "the old name must come back in some seed"
    );
}

#[test]
fn committing_an_older_operation_later_does_not_move_a_file_back() {
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/s");
        durable_dir(&disk, "/t");
        disk.open(p("/s/x"), OpenMode::CreateNew).unwrap(); // pending in /s
        disk.rename(p("/s/x"), p("/t/y")).unwrap(); // pending in /t
        disk.sync_dir(p("/t")).unwrap();
        disk.sync_dir(p("/s")).unwrap(); // commits the create, which the rename superseded
        assert_eq!(disk.durable_len(p("/t/y")), Some(0));
        assert_eq!(disk.durable_len(p("/s/x")), None);
        disk.crash();
        assert_eq!(disk.files(), [PathBuf::from("/t/y")]);
    }
}

#[test]
fn a_removal_is_pending_until_its_directory_is_synced() {
    let mut came_back = BTreeSet::new();
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d/e");
        durable_file(&disk, "/d/f", b"f");
        durable_file(&disk, "/d/e/g", b"g");
        disk.remove_file(p("/d/f")).unwrap();
        disk.remove_dir_all(p("/d/e")).unwrap();
        assert!(!disk.exists(p("/d/f")).unwrap() && !disk.exists(p("/d/e/g")).unwrap());
        disk.crash();
        let f = contents(&disk, "/d/f");
        let g = contents(&disk, "/d/e/g");
        // One directory log, unlink first: `f` back means the later removal was undone too.
        assert!(f.is_none() || g.is_some(), "seed {seed}");
        came_back.insert((f.is_some(), g.is_some()));

        disk.remove_dir_all(p("/d")).unwrap();
        disk.sync_dir(p("/")).unwrap();
        disk.crash();
        assert!(!disk.exists(p("/d")).unwrap());
        assert!(disk.files().is_empty());
    }
    assert_eq!(came_back.len(), 3, "{came_back:?}");
}

#[test]
fn a_new_directory_is_pending_and_takes_its_files_with_it() {
    let mut kept = BTreeSet::new();
    for seed in 0..SEEDS {
        let (disk, trace) = faulty(seed, DiskFaults::default());
        disk.create_dir_all(p("/a/b")).unwrap();
        durable_file(&disk, "/a/b/f", b"f"); // syncs /a/b, not / or /a
        disk.crash();
        let exists = disk.exists(p("/a/b/f")).unwrap();
        assert_eq!(exists, disk.exists(p("/a/b")).unwrap());
        if !exists {
            assert_eq!(trace.count_events("disk crash orphan=/a/b/f"), 1);
        }
        kept.insert(exists);

        let disk = self::disk(seed);
        durable_dir(&disk, "/a/b");
        durable_file(&disk, "/a/b/f", b"f");
        disk.crash();
        assert_eq!(contents(&disk, "/a/b/f").unwrap(), b"f");
    }
    assert_eq!(kept.len(), 2);
}

#[test]
fn a_shrink_is_pending_until_the_file_is_synced() {
    let data = pattern(3 * S);
    let (mut lengths, mut first_sector) = (BTreeSet::new(), BTreeSet::new());
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/f", &data);
        let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
        file.set_len(100).unwrap();
        disk.crash();
        let after = contents(&disk, "/d/f").unwrap();
        assert_eq!(after[..100], data[..100]);
        if after.len() > 100 {
            // The shrink was lost; the first sector, if written, went whole as cached: with
            // zeros past the cached end.
            let zeroed = after[100..S].iter().all(|&b| b == 0);
            assert!(zeroed || after[100..S] == data[100..S], "seed {seed}");
            assert_eq!(after[S..], data[S..]);
            first_sector.insert(zeroed);
        }
        lengths.insert(after.len());

        let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
        file.set_len(100).unwrap();
        file.sync().unwrap();
        disk.crash();
        assert_eq!(contents(&disk, "/d/f").unwrap(), data[..100]);
    }
    assert_eq!(lengths, BTreeSet::from([100, 3 * S]));
    assert_eq!(first_sector.len(), 2);
}

#[test]
fn zeros_from_a_shrink_and_regrow_are_persisted() {
    let disk = disk(1);
    durable_dir(&disk, "/d");
    durable_file(&disk, "/d/f", &pattern(2 * S));
    let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
    file.set_len(0).unwrap();
    file.set_len(2 * S as u64).unwrap();
    file.sync().unwrap();
    assert_eq!(disk.durable_bytes(p("/d/f")).unwrap(), vec![0; 2 * S]);
}

#[test]
fn a_failed_fsync_loses_the_writes_even_after_a_later_sync() {
    for seed in 0..SEEDS {
        let faults = DiskFaults {
            fsync_eio: 1.0,
            ..DiskFaults::default()
        };
        let (disk, trace) = faulty(seed, faults);
        durable_dir(&disk, "/d");
        let file = disk.open(p("/d/f"), OpenMode::CreateNew).unwrap();
        disk.sync_dir(p("/d")).unwrap();
        assert!(
            file.sync().is_ok(),
            "nothing to write back, nothing to fail"
        );
        file.write_at(b"payload", 0).unwrap();
        let error = file.sync().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Other);
        let message = error.to_string();
        assert!(
            message.contains("EIO") && message.contains("/d/f"),
            "{message}"
        );
        assert_eq!(
            contents(&disk, "/d/f").unwrap(),
            b"payload",
            "reads still see it"
        );

        disk.set_faults(DiskFaults::default());
        file.sync().unwrap(); // "succeeds"
        assert_eq!(disk.durable_bytes(p("/d/f")).unwrap(), vec![0; 7]);
        disk.crash();
        assert_eq!(contents(&disk, "/d/f").unwrap(), vec![0; 7], "seed {seed}");
        assert_eq!(disk.fault_counts().get("fsync-eio"), Some(&1));
        assert_eq!(trace.count_events("disk fault=fsync-eio file=/d/f"), 1);
        assert_eq!(trace.count_events("disk fault=lost-write file=/d/f"), 1);
    }
}

#[test]
fn a_read_bitflip_flips_one_bit_of_the_copy_only() {
    let data = pattern(1000);
    let faults = DiskFaults {
        read_bitflip: 1.0,
        ..DiskFaults::default()
    };
    let (disk, trace) = faulty(3, faults);
    durable_dir(&disk, "/d");
    durable_file(&disk, "/d/f", &data);
    let file = disk.open(p("/d/f"), OpenMode::Read).unwrap();
    for _ in 0..2 {
        let mut buf = vec![0; data.len()];
        file.read_exact_at(&mut buf, 0).unwrap();
        assert_eq!(differing_bits(&buf, &data), 1);
    }
    disk.set_faults(DiskFaults::default());
    assert_eq!(contents(&disk, "/d/f").unwrap(), data);
    assert_eq!(disk.durable_bytes(p("/d/f")).unwrap(), data);
    assert_eq!(disk.fault_counts().get("read-bitflip"), Some(&2));
    assert_eq!(
        trace.count_events("disk fault=read-bitflip file=/d/f offset="),
        2
    );
}

#[test]
fn a_crash_can_flip_one_bit_at_rest() {
    let (a, b) = (pattern(500), vec![0x55; 300]);
    let mut chosen = BTreeSet::new();
    for seed in 0..SEEDS {
        let faults = DiskFaults {
            bitflip_at_rest: 1.0,
            ..DiskFaults::default()
        };
        let (disk, trace) = faulty(seed, faults);
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/a", &a);
        durable_file(&disk, "/d/b", &b);
        durable_file(&disk, "/d/empty", b"");
        disk.crash();
        let (after_a, after_b) = (
            contents(&disk, "/d/a").unwrap(),
            contents(&disk, "/d/b").unwrap(),
        );
        let flips = (differing_bits(&after_a, &a), differing_bits(&after_b, &b));
        assert_eq!(flips.0 + flips.1, 1, "seed {seed}");
        assert_eq!(
            disk.durable_bytes(p("/d/a")).unwrap(),
            after_a,
            "durable, not a read"
        );
        assert_eq!(contents(&disk, "/d/empty").unwrap(), b"");
        assert_eq!(disk.fault_counts().get("bitflip-at-rest"), Some(&1));
        assert_eq!(trace.count_events("disk fault=bitflip-at-rest file=/d/"), 1);
        chosen.insert(flips.0 == 1);
    }
    assert_eq!(chosen.len(), 2, "either file can be hit");
}

#[test]
fn flips_at_rest_can_be_aimed_at_some_files() {
    let (a, b) = (pattern(500), vec![0x55; 300]);
    for seed in 0..SEEDS {
        let faults = DiskFaults {
            bitflip_at_rest: 1.0,
            bitflip_at_rest_suffix: Some(".log".into()),
            bitflip_at_rest_skip: Some("/meta/".into()),
            ..DiskFaults::default()
        };
        let (disk, _) = faulty(seed, faults);
        durable_dir(&disk, "/d");
        durable_dir(&disk, "/d/meta");
        durable_file(&disk, "/d/a.log", &a);
        durable_file(&disk, "/d/b.json", &b);
        durable_file(&disk, "/d/meta/c.log", &b);
        disk.crash();
        assert_eq!(differing_bits(&contents(&disk, "/d/a.log").unwrap(), &a), 1);
        assert_eq!(contents(&disk, "/d/b.json").unwrap(), b, "seed {seed}");
        assert_eq!(contents(&disk, "/d/meta/c.log").unwrap(), b, "seed {seed}");
    }
}

#[test]
fn flips_at_rest_can_be_kept_within_a_directory_and_name_their_file() {
    let (a, b) = (pattern(500), vec![0x55; 300]);
    for seed in 0..SEEDS {
        let faults = DiskFaults {
            bitflip_at_rest: 1.0,
            bitflip_at_rest_suffix: Some(".log".into()),
            bitflip_at_rest_within: Some("/meta/".into()),
            ..DiskFaults::default()
        };
        let (disk, _) = faulty(seed, faults);
        durable_dir(&disk, "/d");
        durable_dir(&disk, "/d/meta");
        durable_file(&disk, "/d/a.log", &a);
        durable_file(&disk, "/d/meta/b.json", &b);
        durable_file(&disk, "/d/meta/c.log", &a);
        disk.crash_without_flip();
        assert_eq!(contents(&disk, "/d/meta/c.log").unwrap(), a, "seed {seed}");
        assert_eq!(disk.bitflip_at_rest().as_deref(), Some(p("/d/meta/c.log")));
        assert_eq!(contents(&disk, "/d/a.log").unwrap(), a, "seed {seed}");
        assert_eq!(contents(&disk, "/d/meta/b.json").unwrap(), b, "seed {seed}");
        assert_eq!(
            differing_bits(&contents(&disk, "/d/meta/c.log").unwrap(), &a),
            1
        );
    }
}

#[test]
fn a_full_disk_rejects_the_whole_write_and_recovers() {
    let faults = DiskFaults {
        capacity_bytes: Some(10_000),
        ..DiskFaults::default()
    };
    let (disk, trace) = faulty(1, faults);
    durable_dir(&disk, "/d");
    let f = disk.open(p("/d/f"), OpenMode::CreateNew).unwrap();
    let g = disk.open(p("/d/g"), OpenMode::CreateNew).unwrap();
    f.write_at(&[1; 8000], 0).unwrap();
    assert_eq!(disk.cached_bytes(), 8000);

    let error = g.write_at(&[2; 3000], 0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StorageFull);
    let message = error.to_string();
    assert!(
        message.contains("ENOSPC") && message.contains("/d/g"),
        "{message}"
    );
    assert_eq!(g.len().unwrap(), 0, "nothing of the write is applied");
    assert_eq!(disk.cached_bytes(), 8000);

    f.write_at(&[3; 100], 0).unwrap(); // overwriting needs no space
    assert_eq!(
        f.set_len(20_000).unwrap_err().kind(),
        ErrorKind::StorageFull
    );
    assert_eq!(f.len().unwrap(), 8000);
    g.write_at(&[2; 2000], 0).unwrap(); // exactly full
    assert_eq!(disk.cached_bytes(), 10_000);

    disk.set_capacity(None);
    g.write_at(&[2; 3000], 2000).unwrap();
    assert_eq!(disk.cached_bytes(), 13_000);
    assert_eq!(disk.faults().capacity_bytes, None);
    assert_eq!(disk.fault_counts().get("enospc"), Some(&2));
    assert_eq!(trace.count_events("disk fault=enospc file=/d/"), 2);
}

#[test]
fn the_latency_hook_gets_durations_in_range() {
    let seen: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let record = seen.clone();
    let faults = DiskFaults {
        latency_us: (100, 300),
        ..DiskFaults::default()
    };
    let disk = faulty(5, faults)
        .0
        .with_latency_hook(Arc::new(move |d| record.lock().unwrap().push(d)));
    disk.create_dir_all(p("/d")).unwrap(); // 1
    let file = disk.open(p("/d/f"), OpenMode::CreateNew).unwrap(); // 2
    file.write_at(b"x", 0).unwrap(); // 3
    file.read_at(&mut [0; 1], 0).unwrap(); // 4
    file.sync().unwrap(); // 5
    disk.sync_dir(p("/d")).unwrap(); // 6
    disk.rename(p("/d/f"), p("/d/g")).unwrap(); // 7
    disk.remove_file(p("/d/g")).unwrap(); // 8
    let _ = (file.len(), disk.exists(p("/d")), disk.read_dir(p("/d"))); // free
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 8);
    let range = Duration::from_micros(100)..=Duration::from_micros(300);
    assert!(seen.iter().all(|d| range.contains(d)), "{seen:?}");
    assert!(
        seen.iter().collect::<BTreeSet<_>>().len() > 1,
        "drawn, not fixed"
    );

    disk.set_faults(DiskFaults::default());
    disk.create_dir_all(p("/e")).unwrap();
    assert_eq!(disk.faults(), DiskFaults::default());
}

/// Everything a seeded run of a small workload can observe: files, trace, fault counts.
type Observed = (
    Vec<(PathBuf, Vec<u8>)>,
    Vec<String>,
    BTreeMap<&'static str, u64>,
);

fn observe(seed: u64) -> Observed {
    let faults = DiskFaults {
        fsync_eio: 0.2,
        read_bitflip: 0.2,
        bitflip_at_rest: 0.5,
        latency_us: (1, 10),
        capacity_bytes: Some(16 * S as u64),
        bitflip_at_rest_suffix: None,
        bitflip_at_rest_skip: None,
        bitflip_at_rest_within: None,
    };
    let (disk, trace) = faulty(seed, faults);
    disk.create_dir_all(p("/data/p0")).unwrap();
    disk.sync_dir(p("/")).unwrap();
    for round in 0..4u8 {
        for name in ["/data/p0/a.log", "/data/p0/b.log"] {
            let Ok(file) = disk.open(p(name), OpenMode::CreateOrOpen) else {
                continue;
            };
            let end = file.len().unwrap();
            let _ = file.write_at(&vec![round; 3 * S + 17], end);
            if name.starts_with("/data/p0/a") {
                let _ = file.sync(); // b.log is never synced: a crash tears or loses it
            }
            let _ = file.read_at(&mut [0; 64], 0);
        }
        if round % 2 == 0 {
            let _ = disk.sync_dir(p("/data/p0"));
        } else {
            let _ = disk.open(p(&format!("/data/p0/{round}.idx")), OpenMode::CreateNew);
        }
        let _ = write_atomic(&disk, p("/data/checkpoint"), &[round; 10]);
        disk.crash();
    }
    disk.set_faults(DiskFaults::default());
    let files = (disk.files().into_iter())
        .map(|path| {
            let bytes = read_all(&disk, &path).unwrap();
            (path, bytes)
        })
        .collect();
    (files, trace.lines(), disk.fault_counts())
}

#[test]
fn the_same_seed_gives_the_same_outcome() {
    assert_eq!(observe(7), observe(7));
    assert!((0..8).any(|seed| observe(seed) != observe(7)));
}

#[test]
fn every_fault_is_counted_and_traced() {
    let mut kinds = BTreeSet::new();
    for seed in 0..SEEDS {
        let (files, lines, counts) = observe(seed);
        assert!(!files.is_empty());
        let crashes = lines
            .iter()
            .filter(|l| l.contains(" disk crash dir_ops_kept="))
            .count();
        assert_eq!(crashes, 4, "one summary per crash");
        for (kind, count) in &counts {
            let prefix = format!(" disk fault={kind} ");
            let traced = lines.iter().filter(|l| l.contains(&prefix)).count() as u64;
            assert_eq!(traced, *count, "{kind}");
            kinds.insert(*kind);
        }
        assert!(
            lines.iter().all(|l| !l.contains("0x")),
            "no addresses in the trace"
        );
    }
    let all = [
        "bitflip-at-rest",
        "fsync-eio",
        "lost-dir-op",
        "lost-write",
        "read-bitflip",
    ];
    for kind in all.into_iter().chain(["torn-write", "enospc"]) {
        assert!(kinds.contains(kind), "{kind} never fired: {kinds:?}");
    }
}

#[test]
fn crash_trace_names_files_and_undone_operations() {
    let (mut torn, mut undone) = (false, false);
    for seed in 0..SEEDS {
        let (disk, trace) = faulty(seed, DiskFaults::default());
        durable_dir(&disk, "/d");
        durable_file(&disk, "/d/f", b"");
        let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
        file.write_at(&vec![1; 3 * S], 0).unwrap();
        disk.open(p("/d/g"), OpenMode::CreateNew).unwrap();
        disk.crash();
        assert_eq!(trace.count_events("disk crash dir_ops_kept="), 1);
        torn |= trace.count_events("disk fault=torn-write file=/d/f lost_sectors=") == 1;
        undone |= trace.count_events("disk fault=lost-dir-op dir=/d op=create path=/d/g") == 1;
    }
    assert!(torn && undone);
}

#[test]
fn handles_follow_renames_and_die_with_the_crash() {
    let disk = disk(1);
    durable_dir(&disk, "/d");
    let file = disk.open(p("/d/a"), OpenMode::CreateNew).unwrap();
    disk.rename(p("/d/a"), p("/d/b")).unwrap();
    file.write_at(b"through the old handle", 0).unwrap();
    assert_eq!(contents(&disk, "/d/b").unwrap(), b"through the old handle");
    file.sync().unwrap();
    disk.sync_dir(p("/d")).unwrap();
    assert_eq!(disk.durable_len(p("/d/b")), Some(22));

    disk.remove_file(p("/d/b")).unwrap();
    disk.sync_dir(p("/d")).unwrap();
    assert!(!disk.exists(p("/d/b")).unwrap());
    let mut buf = [0; 7];
    file.read_exact_at(&mut buf, 0).unwrap();
    assert_eq!(
        &buf, b"through",
        "an unlinked file stays readable while open"
    );
    assert_eq!(disk.cached_bytes(), 22, "and still takes space");

    disk.crash();
    assert!(file.len().is_err());
    assert!(file.read_at(&mut buf, 0).is_err());
    assert!(file.write_at(b"x", 0).is_err());
    assert!(file.sync().is_err());
    drop(file);
    assert_eq!(disk.cached_bytes(), 0);
}

#[test]
fn bad_requests_fail_with_the_usual_error_kinds() {
    let disk = disk(1);
    let kind = |result: std::io::Result<()>| result.unwrap_err().kind();
    let open = |path: &str, mode| disk.open(p(path), mode).map(drop);
    durable_dir(&disk, "/d");
    durable_file(&disk, "/d/f", b"f");
    assert_eq!(
        kind(open("/d/missing", OpenMode::Read)),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(open("/d/missing", OpenMode::ReadWrite)),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(open("/nodir/f", OpenMode::CreateOrOpen)),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(open("/d/f", OpenMode::CreateNew)),
        ErrorKind::AlreadyExists
    );
    assert_eq!(kind(open("/d", OpenMode::Read)), ErrorKind::IsADirectory);
    assert_eq!(
        kind(open("/", OpenMode::CreateOrOpen)),
        ErrorKind::IsADirectory
    );
    assert_eq!(kind(open("", OpenMode::Read)), ErrorKind::IsADirectory);
    assert_eq!(
        kind(disk.read_dir(p("/nodir")).map(drop)),
        ErrorKind::NotFound
    );
    assert_eq!(kind(disk.remove_file(p("/d/missing"))), ErrorKind::NotFound);
    assert_eq!(kind(disk.remove_file(p("/d"))), ErrorKind::IsADirectory);
    assert_eq!(kind(disk.remove_dir_all(p("/nodir"))), ErrorKind::NotFound);
    assert_eq!(
        kind(disk.remove_dir_all(p("/"))),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        kind(disk.rename(p("/d/missing"), p("/d/x"))),
        ErrorKind::NotFound
    );
    assert_eq!(kind(disk.rename(p("/d"), p("/e"))), ErrorKind::Unsupported);
    assert_eq!(
        kind(disk.rename(p("/d/f"), p("/nodir/x"))),
        ErrorKind::NotFound
    );
    assert_eq!(kind(disk.sync_dir(p("/nodir"))), ErrorKind::NotFound);
    assert_eq!(
        kind(disk.create_dir_all(p("/d/f/sub"))),
        ErrorKind::AlreadyExists
    );

    let read_only = disk.open(p("/d/f"), OpenMode::Read).unwrap();
    assert_eq!(
        kind(read_only.write_at(b"x", 0)),
        ErrorKind::PermissionDenied
    );
    assert_eq!(kind(read_only.set_len(0)), ErrorKind::PermissionDenied);
    let file = disk.open(p("/d/f"), OpenMode::ReadWrite).unwrap();
    assert_eq!(kind(file.write_at(b"x", u64::MAX)), ErrorKind::FileTooLarge);
    assert_eq!(kind(file.set_len(u64::MAX)), ErrorKind::FileTooLarge);
    assert_eq!(file.read_at(&mut [0; 4], u64::MAX).unwrap(), 0);
    file.write_at(b"", u64::MAX - 1).unwrap_err();
    disk.rename(p("/d/f"), p("/d/f")).unwrap();
    assert_eq!(contents(&disk, "/d/f").unwrap(), b"f");
}

#[test]
fn inspection_helpers_and_relative_paths() {
    let disk = disk(1);
    durable_dir(&disk, "/d");
    durable_file(&disk, "/d/b", b"bb");
    durable_file(&disk, "/d/a", b"a");
    disk.open(p("rel"), OpenMode::CreateNew).unwrap();
    let listing = disk.read_dir(p("/d")).unwrap();
    let names: Vec<_> = listing.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(disk.read_dir(p("/")).unwrap()[0].name, "d");
    assert!(disk.read_dir(p("/")).unwrap()[0].is_dir);
    let files = [
        PathBuf::from("/d/a"),
        PathBuf::from("/d/b"),
        PathBuf::from("rel"),
    ];
    assert_eq!(disk.files(), files);
    assert_eq!(disk.cached_bytes(), 3);
    assert_eq!(disk.durable_len(p("rel")), None);
    assert!(disk.exists(p("./rel")).unwrap());
    disk.sync_dir(p(".")).unwrap(); // the relative root, as `write_atomic` syncs it
    assert_eq!(disk.durable_len(p("rel")), Some(0));
    disk.crash();
    assert_eq!(disk.files(), files);
}

/// Polls a future that needs nothing to wake it (no sleep hook is plugged in here).
fn ready<T>(future: std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>) -> T {
    let mut future = future;
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("the future waits for nothing here"),
    }
}

#[test]
fn a_directory_sync_later_commits_when_it_completes_and_not_after_a_crash() {
    for seed in 0..SEEDS {
        let disk = disk(seed);
        durable_dir(&disk, "/d");
        disk.open(p("/d/a"), OpenMode::CreateNew).unwrap();
        let sync = disk.sync_dir_later(p("/d"));
        // Requested, not done: the entry is still pending (a crash now may lose it).
        assert_eq!(disk.durable_len(p("/d/a")), None);
        // An entry made before it completes is committed with it, as a journal commit may.
        disk.open(p("/d/b"), OpenMode::CreateNew).unwrap();
        ready(sync).unwrap();
        assert_eq!(disk.durable_len(p("/d/a")), Some(0));
        assert_eq!(disk.durable_len(p("/d/b")), Some(0));

        disk.open(p("/d/c"), OpenMode::CreateNew).unwrap();
        let sync = disk.sync_dir_later(p("/d"));
        // A crash first: the entry survives or not by the crash's own coin, and the sync,
        // whose process died, commits nothing afterwards.
        disk.crash();
        let survived = disk.durable_len(p("/d/c"));
        let error = ready(sync).unwrap_err();
        assert!(error.to_string().contains("ESTALE"), "{error}");
        assert_eq!(disk.durable_len(p("/d/c")), survived);
    }
}
