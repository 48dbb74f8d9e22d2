//! Paths as keys of ordered maps, cheap to compare.
//!
//! The in-memory disks (`MemDisk`, and the simulator's `SimDisk`) look a path up in an ordered
//! map on every open, exists, rename and directory sync. `PathBuf`'s own order splits both
//! paths into components at every comparison, and in a simulated three-node run that parsing
//! was the largest single cost (7–9% of the instructions). A [`PathKey`] compares bytes, with
//! `/` below every other byte. For paths in normal form (no `.` component, no repeated or
//! trailing `/`) that is exactly the components' order, so a directory still sorts right
//! before everything below it, parents before children, and iteration order is unchanged.
//! [`PathKey::new`] and [`KeyPath::of`] put a path in normal form first, so `a/./b` and `a/b`
//! are one key, as they are one file.

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::ops::Deref;
use std::path::{Component, Path, PathBuf};

/// An owned path in normal form, ordered by [`compare`]. Derefs to [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PathKey(PathBuf);

/// A borrowed [`PathKey`]: what maps keyed by `PathKey` are searched with.
#[derive(Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct KeyPath(Path);

impl PathKey {
    pub fn new(path: &Path) -> Self {
        KeyPath::of(path).into_owned()
    }

    pub fn into_path_buf(self) -> PathBuf {
        self.0
    }
}

impl From<PathBuf> for PathKey {
    fn from(path: PathBuf) -> Self {
        if is_normal(&path) {
            PathKey(path)
        } else {
            PathKey(normalize(&path))
        }
    }
}

impl KeyPath {
    /// `path` as a key: borrowed when already in normal form (the usual case), else a
    /// normalized copy.
    pub fn of(path: &Path) -> Cow<'_, KeyPath> {
        if is_normal(path) {
            Cow::Borrowed(KeyPath::wrap(path))
        } else {
            Cow::Owned(PathKey(normalize(path)))
        }
    }

    fn wrap(path: &Path) -> &KeyPath {
        // SAFETY: `KeyPath` is `repr(transparent)` over `Path`, so the two references have the
        // same layout and metadata (std's `Path` is built over `OsStr` the same way).
        unsafe { &*(path as *const Path as *const KeyPath) }
    }
}

impl ToOwned for KeyPath {
    type Owned = PathKey;
    fn to_owned(&self) -> PathKey {
        PathKey(self.0.to_path_buf())
    }
}

impl Borrow<KeyPath> for PathKey {
    fn borrow(&self) -> &KeyPath {
        KeyPath::wrap(&self.0)
    }
}

impl Deref for PathKey {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Deref for KeyPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Ord for KeyPath {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0)
    }
}

impl PartialOrd for KeyPath {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PathKey {
    fn cmp(&self, other: &Self) -> Ordering {
        KeyPath::cmp(self.borrow(), other.borrow())
    }
}

impl PartialOrd for PathKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Byte order with `/` lowest. Equal exactly when the bytes are equal, as `Eq` is.
pub fn compare(a: &Path, b: &Path) -> Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    let rank = |byte: u8| if byte == b'/' { 0 } else { u16::from(byte) + 1 };
    match first_difference(a, b) {
        Some(at) => rank(a[at]).cmp(&rank(b[at])),
        None => a.len().cmp(&b.len()),
    }
}

/// Where `a` and `b` first differ, within the shorter one. Eight bytes at a time: the paths a
/// disk compares share long prefixes (`/data/<topic>-<n>/000000000000000…`).
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let len = a.len().min(b.len());
    let (mut a_words, mut b_words) = (a[..len].chunks_exact(8), b[..len].chunks_exact(8));
    let mut at = 0;
    for (x, y) in (&mut a_words).zip(&mut b_words) {
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
        let differ = word(x) ^ word(y);
        if differ != 0 {
            // Little-endian: the lowest set bit is in the first differing byte.
            return Some(at + differ.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let mut tail = a_words.remainder().iter().zip(b_words.remainder());
    tail.position(|(x, y)| x != y).map(|offset| at + offset)
}

/// No `.` component and no empty one (a repeated or trailing `/`); `/` alone is normal.
fn is_normal(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    if bytes.len() > 1 && bytes.ends_with(b"/") {
        return false;
    }
    let mut parts = bytes.split(|&byte| byte == b'/');
    // A leading `/` makes the first part empty, which is the root, not an empty component.
    if bytes.starts_with(b"/") {
        parts.next();
    }
    parts.all(|part| !part.is_empty() && part != b".") || bytes.is_empty() || bytes == b"/"
}

fn normalize(path: &Path) -> PathBuf {
    (path.components())
        .filter(|component| !matches!(component, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const PATHS: [&str; 12] = [
        "/",
        "/data",
        "/data/a",
        "/data/a-b",
        "/data/a.b",
        "/data/a/b",
        "/data/a/b/c",
        "/data/ab",
        "/data0",
        "data",
        "data/x",
        "",
    ];

    #[test]
    fn orders_normal_paths_as_their_components_do() {
        for a in PATHS {
            for b in PATHS {
                let (a, b) = (Path::new(a), Path::new(b));
                assert_eq!(
                    compare(a, b),
                    a.cmp(b),
                    "{} vs {}",
                    a.display(),
                    b.display()
                );
            }
        }
    }

    #[test]
    fn the_first_difference_is_found_at_every_position_of_long_paths() {
        let base = b"/data/topic-with-a-long-name-0/00000000000000000026.log".to_vec();
        let naive = |a: &[u8], b: &[u8]| a.iter().zip(b).position(|(x, y)| x != y);
        for at in 0..base.len() {
            let mut other = base.clone();
            other[at] = b'/';
            assert_eq!(
                first_difference(&base, &other),
                naive(&base, &other),
                "at {at}"
            );
            for len in [at, at + 1, base.len()] {
                let (a, b) = (&base[..len.min(base.len())], &other[..]);
                assert_eq!(first_difference(a, b), naive(a, b), "at {at} len {len}");
                assert_eq!(first_difference(b, a), naive(b, a), "at {at} len {len}");
            }
        }
        let (a, b) = (
            Path::new("/data/t-0/0000000000.log"),
            Path::new("/data/t-0/0000000000/x"),
        );
        assert_eq!(compare(a, b), a.cmp(b));
    }

    #[test]
    fn a_directory_sorts_right_before_what_is_below_it() {
        let keys: BTreeSet<PathKey> = PATHS.iter().map(|p| PathKey::new(Path::new(p))).collect();
        let after: Vec<&Path> = keys
            .range::<KeyPath, _>((
                std::ops::Bound::Excluded(&*KeyPath::of(Path::new("/data/a"))),
                std::ops::Bound::Unbounded,
            ))
            .map(|key| &**key)
            .take_while(|path| path.starts_with("/data/a"))
            .collect();
        assert_eq!(after, [Path::new("/data/a/b"), Path::new("/data/a/b/c")]);
    }

    #[test]
    fn one_spelling_per_path() {
        for (spelling, normal) in [
            ("a/./b", "a/b"),
            ("./a", "a"),
            ("a//b", "a/b"),
            ("/a/b/", "/a/b"),
            ("/", "/"),
            ("", ""),
            ("a/b", "a/b"),
        ] {
            let key = KeyPath::of(Path::new(spelling));
            assert_eq!(key.as_os_str(), normal, "{spelling}");
            assert_eq!(PathKey::from(PathBuf::from(spelling)).as_os_str(), normal);
        }
        assert!(matches!(KeyPath::of(Path::new("/a/b")), Cow::Borrowed(_)));
    }
}
