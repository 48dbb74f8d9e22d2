//! What a kill leaves on the disk: durable content, plus a seeded part of what was pending.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use weir::runtime::RngStream;

use super::faults::fires;
use super::namespace::{apply_op, prune_orphans};
use super::state::{sector_range, show, Entry, Inode, Namespace, State, SECTOR};

/// What became of one file's pending changes.
struct Outcome {
    kept: u64,
    lost: u64,
    /// A pending shrink, and whether it reached the disk.
    truncate: Option<bool>,
}

impl Outcome {
    fn kind(&self) -> Option<&'static str> {
        let lost = self.lost > 0 || self.truncate == Some(false);
        let kept = self.kept > 0 || self.truncate == Some(true);
        match (lost, kept) {
            (true, true) => Some("torn-write"),
            (true, false) => Some("lost-write"),
            (false, _) => None,
        }
    }
}

impl State {
    pub fn crash_without_flip(&mut self) {
        let mut lines = Vec::new();
        let (ops_kept, ops_undone) = self.crash_namespace(&mut lines);
        let (files_torn, files_lost) = self.crash_files(&mut lines);
        self.restart_view();
        let summary = format!(
            "disk crash dir_ops_kept={ops_kept} dir_ops_undone={ops_undone} \
             files_torn={files_torn} files_lost={files_lost}"
        );
        self.trace.event(&self.node, summary);
        for line in lines {
            self.trace.event(&self.node, line);
        }
    }

    /// Commits a seeded prefix of each directory's pending operations (a journal commits in
    /// order), in the order they happened across directories, and undoes the rest.
    fn crash_namespace(&mut self, lines: &mut Vec<String>) -> (usize, usize) {
        let mut committed = Vec::new();
        let mut undone = 0;
        for (dir, ops) in std::mem::take(&mut self.pending) {
            let keep = self.rng.crash.below(ops.len() as u64 + 1) as usize;
            for (index, pending) in ops.into_iter().enumerate() {
                if index < keep {
                    committed.push(pending);
                    continue;
                }
                undone += 1;
                let details = format!("dir={} {}", show(&dir), pending.op.describe());
                lines.push(self.fault_line("lost-dir-op", details));
            }
        }
        committed.sort_by_key(|pending| pending.seq);
        for pending in &committed {
            apply_op(&mut self.durable, &mut self.inodes, pending);
        }
        for orphan in prune_orphans(&mut self.durable) {
            lines.push(format!("disk crash orphan={}", show(&orphan)));
        }
        (committed.len(), undone)
    }

    /// Decides every surviving file's pending sectors; returns how many files were torn and
    /// how many lost everything pending.
    fn crash_files(&mut self, lines: &mut Vec<String>) -> (usize, usize) {
        let (mut torn, mut lost) = (0, 0);
        for (path, id) in durable_files(&self.durable) {
            let Some(inode) = self.inodes.get_mut(&id) else {
                continue;
            };
            let outcome = crash_file(inode, &mut self.rng.crash);
            let len = inode.durable.len();
            let Some(kind) = outcome.kind() else {
                continue;
            };
            if kind == "torn-write" {
                torn += 1;
            } else {
                lost += 1;
            }
            let truncate = match outcome.truncate {
                Some(true) => " truncate=kept",
                Some(false) => " truncate=lost",
                None => "",
            };
            let details = format!(
                "file={} lost_sectors={} kept_sectors={} len={len}{truncate}",
                show(&path),
                outcome.lost,
                outcome.kept
            );
            lines.push(self.fault_line(kind, details));
        }
        (torn, lost)
    }

    /// The disk as the restarted node finds it: the cache is the durable content, nothing is
    /// pending, files without a name are gone, and every handle is stale.
    fn restart_view(&mut self) {
        let names: BTreeMap<u64, PathBuf> = durable_files(&self.durable)
            .into_iter()
            .map(|(path, id)| (id, path))
            .collect();
        self.inodes.retain(|id, _| names.contains_key(id));
        self.unlinked.clear();
        for (id, inode) in &mut self.inodes {
            inode.name = names.get(id).cloned().unwrap_or_default();
            inode.linked = true;
            inode.cache = inode.durable.clone();
            inode.dirty.clear();
            inode.dropped.clear();
            inode.open = 0;
        }
        self.cached = self.durable.clone();
        self.epoch += 1;
    }

    /// Latent corruption: one bit of one durable file, found (or not) by recovery. Returns the
    /// file's path when a bit flipped.
    pub fn bitflip_at_rest(&mut self) -> Option<PathBuf> {
        if !fires(&mut self.rng.rest, self.faults.bitflip_at_rest) {
            return None;
        }
        let candidates: Vec<(PathBuf, u64)> = durable_files(&self.durable)
            .into_iter()
            .filter(|(_, id)| self.inodes.get(id).is_some_and(|i| !i.durable.is_empty()))
            .filter(|(path, _)| {
                let path = path.to_string_lossy();
                let suffix = self.faults.bitflip_at_rest_suffix.as_deref().unwrap_or("");
                let skipped = (self.faults.bitflip_at_rest_skip.as_deref())
                    .is_some_and(|skip| path.contains(skip));
                let within = (self.faults.bitflip_at_rest_within.as_deref())
                    .is_none_or(|within| path.contains(within));
                path.ends_with(suffix) && !skipped && within
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let (path, id) = &candidates[self.rng.rest.below(candidates.len() as u64) as usize];
        let inode = self.inodes.get_mut(id)?;
        let bit = self.rng.rest.below(inode.durable.len() as u64 * 8) as usize;
        let (byte, mask) = (bit / 8, 1u8 << (bit % 8));
        inode.durable[byte] ^= mask;
        inode.cache[byte] ^= mask;
        let details = format!("file={} offset={byte} bit={}", show(path), bit % 8);
        self.fault("bitflip-at-rest", details);
        Some(path.clone())
    }
}

fn durable_files(durable: &Namespace) -> Vec<(PathBuf, u64)> {
    (durable.iter())
        .filter_map(|(path, entry)| match entry {
            Entry::File(id) => Some((path.to_path_buf(), *id)),
            Entry::Dir => None,
        })
        .collect()
}

/// Sets the file's durable content to what the crash left: durable content, the pending
/// shrink by its own coin, then each pending sector by its own coin. Sectors a failed fsync
/// dropped are lost.
fn crash_file(inode: &mut Inode, rng: &mut RngStream) -> Outcome {
    let cache_len = inode.cache.len();
    let mut result = std::mem::take(&mut inode.durable);
    let truncate = (cache_len < result.len()).then(|| rng.chance(0.5));
    if truncate == Some(true) {
        result.truncate(cache_len);
    }
    let (mut kept, mut lost) = (0, 0);
    for &sector in &inode.dirty {
        let Some(range) = sector_range(sector, cache_len) else {
            continue; // past the cached end: the length rule decides it
        };
        if rng.chance(0.5) {
            write_sector(&mut result, &inode.cache, range);
            kept += 1;
        } else {
            lost += 1;
        }
    }
    lost += (inode.dropped.difference(&inode.dirty))
        .filter(|&&sector| sector_range(sector, cache_len).is_some())
        .count() as u64;
    inode.durable = result;
    Outcome {
        kept,
        lost,
        truncate,
    }
}

/// Writes cached sector `range` over `result` as a disk writes a page: whole, with zeros past
/// the cached end, growing `result` up to the cached end if it was shorter.
fn write_sector(result: &mut Vec<u8>, cache: &[u8], range: Range<usize>) {
    if result.len() < range.end {
        result.resize(range.end, 0);
    }
    let sector_end = result.len().min(range.start + SECTOR);
    result[range.clone()].copy_from_slice(&cache[range.clone()]);
    result[range.end..sector_end].fill(0);
}
