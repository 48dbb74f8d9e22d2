//! Namespace operations: visible at once in the cached namespace, pending in their directory
//! until `sync_dir` applies them to the durable one (or a crash applies a prefix of them).

use std::collections::BTreeMap;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use weir::storage::path_key::{KeyPath, PathKey};
use weir::storage::{DirEntry, OpenMode};

use super::state::PendingOp;
use super::state::{error, is_root, not_found, parent_dir, Entry, Inode, Namespace, NsOp, State};

impl State {
    fn is_dir(&self, path: &Path) -> bool {
        is_root(path) || self.cached.get(path) == Some(&Entry::Dir)
    }

    pub fn exists(&self, path: &Path) -> bool {
        is_root(path) || self.cached.contains_key(path)
    }

    /// NotFound (or NotADirectory) unless `path` names a directory.
    fn require_dir(&self, path: &Path) -> io::Result<()> {
        match self.cached.get(path) {
            _ if self.is_dir(path) => Ok(()),
            Some(Entry::File(_)) => Err(error(ErrorKind::NotADirectory, path, "not a directory")),
            _ => Err(not_found(path)),
        }
    }

    /// NotFound unless `path`'s parent is a directory.
    fn require_parent(&self, path: &Path) -> io::Result<()> {
        if self.is_dir(&parent_dir(path)) {
            Ok(())
        } else {
            Err(not_found(path))
        }
    }

    /// Records a change to `path`'s entry as pending in its parent directory.
    fn push_op(&mut self, dir: PathBuf, op: NsOp) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending
            .entry(PathKey::from(dir))
            .or_default()
            .push(PendingOp { seq, op });
    }

    /// Opens (or creates) a file and counts the handle; returns its inode.
    pub fn open(&mut self, path: &Path, mode: OpenMode) -> io::Result<u64> {
        let is_a_dir = || error(ErrorKind::IsADirectory, path, "is a directory");
        if is_root(path) {
            return Err(is_a_dir());
        }
        let id = match (self.cached.get(path).copied(), mode) {
            (Some(Entry::Dir), _) => return Err(is_a_dir()),
            (Some(Entry::File(_)), OpenMode::CreateNew) => {
                return Err(error(ErrorKind::AlreadyExists, path, "file exists"));
            }
            (Some(Entry::File(id)), OpenMode::Truncate) => {
                self.set_len(id, 0)?;
                id
            }
            (Some(Entry::File(id)), _) => id,
            (None, OpenMode::Read | OpenMode::ReadWrite) => return Err(not_found(path)),
            (None, _) => self.create_file(path)?,
        };
        self.inode(id)?.open += 1;
        Ok(id)
    }

    fn create_file(&mut self, path: &Path) -> io::Result<u64> {
        self.require_parent(path)?;
        let inode = self.new_inode(path);
        self.cached.insert(path.to_path_buf(), Entry::File(inode));
        let op = NsOp::Create {
            path: path.to_path_buf(),
            inode,
        };
        self.push_op(parent_dir(path), op);
        Ok(inode)
    }

    pub fn create_dir_all(&mut self, path: &Path) -> io::Result<()> {
        let missing: Vec<PathBuf> = (path.ancestors())
            .filter(|dir| !is_root(dir))
            .map(Path::to_path_buf)
            .collect();
        // Outermost first, each pending in its parent, as `mkdir -p` does.
        for dir in missing.into_iter().rev() {
            match self.cached.get(&dir) {
                Some(Entry::Dir) => {}
                Some(Entry::File(_)) => {
                    return Err(error(
                        ErrorKind::AlreadyExists,
                        &dir,
                        "exists and is a file",
                    ));
                }
                None => {
                    self.cached.insert(dir.clone(), Entry::Dir);
                    self.push_op(parent_dir(&dir), NsOp::Mkdir { path: dir });
                }
            }
        }
        Ok(())
    }

    pub fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.require_dir(path)?;
        let mut entries: Vec<DirEntry> = descendants(&self.cached, path)
            .filter(|(child, _)| child.parent() == Some(path))
            .filter_map(|(child, entry)| {
                Some(DirEntry {
                    name: child.file_name()?.to_str()?.to_string(),
                    is_dir: *entry == Entry::Dir,
                })
            })
            .collect();
        entries.sort();
        Ok(entries)
    }

    pub fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        match self.cached.get(path).copied() {
            Some(Entry::File(inode)) => {
                self.cached.remove(path);
                self.unlink(inode)?;
                let op = NsOp::Unlink {
                    path: path.to_path_buf(),
                    inode,
                };
                self.push_op(parent_dir(path), op);
                self.sweep();
                Ok(())
            }
            Some(Entry::Dir) => Err(error(ErrorKind::IsADirectory, path, "is a directory")),
            None => Err(not_found(path)),
        }
    }

    pub fn remove_dir_all(&mut self, path: &Path) -> io::Result<()> {
        if is_root(path) {
            let what = "refusing to remove a root directory";
            return Err(error(ErrorKind::PermissionDenied, path, what));
        }
        match self.cached.get(path) {
            Some(Entry::Dir) => {}
            Some(Entry::File(_)) => {
                return Err(error(ErrorKind::NotADirectory, path, "not a directory"));
            }
            None => return Err(not_found(path)),
        }
        for (_, entry) in remove_subtree(&mut self.cached, path) {
            if let Entry::File(inode) = entry {
                self.unlink(inode)?;
            }
        }
        // No sync can commit the removed directories' own pending operations any more. Dropping
        // them is what a crash keeping none of them would do, so every outcome stays possible.
        self.pending.retain(|dir, _| !dir.starts_with(path));
        let op = NsOp::RemoveAll {
            path: path.to_path_buf(),
        };
        self.push_op(parent_dir(path), op);
        self.sweep();
        Ok(())
    }

    pub fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        let inode = match self.cached.get(from) {
            Some(Entry::File(inode)) => *inode,
            Some(Entry::Dir) => {
                let what = "SimDisk renames files only";
                return Err(error(ErrorKind::Unsupported, from, what));
            }
            None => return Err(not_found(from)),
        };
        if from == to {
            return Ok(());
        }
        self.require_parent(to)?;
        let replaced = match self.cached.get(to) {
            Some(Entry::Dir) => return Err(error(ErrorKind::IsADirectory, to, "is a directory")),
            Some(Entry::File(old)) => Some(*old),
            None => None,
        };
        self.cached.remove(from);
        self.cached.insert(to.to_path_buf(), Entry::File(inode));
        self.inode(inode)?.name = to.to_path_buf();
        if let Some(old) = replaced {
            self.unlink(old)?;
        }
        let op = NsOp::Rename {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
            inode,
        };
        // One atomic operation, committed by the destination directory's sync.
        self.push_op(parent_dir(to), op);
        self.sweep();
        Ok(())
    }

    pub fn sync_dir(&mut self, path: &Path) -> io::Result<()> {
        self.require_dir(path)?;
        for pending in (self.pending.remove(&*KeyPath::of(path))).unwrap_or_default() {
            apply_op(&mut self.durable, &mut self.inodes, &pending);
        }
        self.sweep();
        Ok(())
    }
}

/// Every entry strictly below `dir` (they sort right after it).
pub(super) fn descendants<'a>(
    namespace: &'a Namespace,
    dir: &'a Path,
) -> impl Iterator<Item = (&'a Path, &'a Entry)> + 'a {
    (namespace.after(dir)).take_while(move |(path, _)| path.starts_with(dir))
}

/// Removes `path` and everything below it; returns what was removed.
fn remove_subtree(namespace: &mut Namespace, path: &Path) -> Vec<(PathBuf, Entry)> {
    let mut doomed: Vec<PathBuf> = vec![path.to_path_buf()];
    doomed.extend(descendants(namespace, path).map(|(p, _)| p.to_path_buf()));
    (doomed.into_iter())
        .filter_map(|p| namespace.remove(&p).map(|entry| (p, entry)))
        .collect()
}

/// Applies one committed operation to the durable namespace. A file has one name at most (no
/// hard links), so placing it anywhere removes its other name; an operation older than the
/// last one applied for that file is stale (a later rename was committed first) and skipped.
pub(super) fn apply_op(durable: &mut Namespace, inodes: &mut BTreeMap<u64, Inode>, op: &PendingOp) {
    match &op.op {
        NsOp::Create { path, inode } => place(durable, inodes, op.seq, *inode, Some(path)),
        NsOp::Rename { to, inode, .. } => place(durable, inodes, op.seq, *inode, Some(to)),
        NsOp::Unlink { inode, .. } => place(durable, inodes, op.seq, *inode, None),
        NsOp::Mkdir { path } => {
            durable.insert(path.clone(), Entry::Dir);
        }
        NsOp::RemoveAll { path } => {
            remove_subtree(durable, path);
        }
    }
}

fn place(
    durable: &mut Namespace,
    inodes: &mut BTreeMap<u64, Inode>,
    seq: u64,
    inode: u64,
    at: Option<&PathBuf>,
) {
    let Some(file) = inodes.get_mut(&inode) else {
        return;
    };
    if seq <= file.placed_seq {
        return;
    }
    file.placed_seq = seq;
    if let Some(old) = durable.name_of(inode).map(Path::to_path_buf) {
        durable.remove(&old);
    }
    if let Some(path) = at {
        durable.insert(path.clone(), Entry::File(inode));
    }
}

/// Drops every entry whose parent directory is not in `namespace` (after a crash, a file whose
/// directory's creation was lost is lost with it); returns the dropped paths.
pub(super) fn prune_orphans(namespace: &mut Namespace) -> Vec<PathBuf> {
    let mut kept = Namespace::new();
    let mut orphans = Vec::new();
    // Parents sort before their children, so one pass in order sees each parent decided.
    for (path, entry) in std::mem::take(namespace).into_entries() {
        let parent = parent_dir(&path);
        if is_root(&parent) || kept.get(&parent) == Some(&Entry::Dir) {
            kept.insert(path, entry);
        } else {
            orphans.push(path);
        }
    }
    *namespace = kept;
    orphans
}
