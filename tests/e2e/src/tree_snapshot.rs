//! Recursive snapshots of a directory tree (names, kinds, permission bits and contents), to
//! prove that an action left every file as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Files up to this size are compared byte for byte; larger ones (the installed binaries)
/// by size and modification time.
const COMPARED_BYTES: u64 = 1 << 20;

/// What one path was.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Dir { mode: u32 },
    File { mode: u32, content: Content },
    Link { target: PathBuf },
    Other { mode: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Content {
    Bytes(Vec<u8>),
    Large { len: u64, modified_ns: i128 },
}

/// Every path under a root, relative to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeSnapshot {
    root: PathBuf,
    skip: Vec<PathBuf>,
    entries: BTreeMap<PathBuf, Entry>,
}

impl TreeSnapshot {
    /// Reads the tree under `root`, leaving out the subtrees in `skip` (absolute paths).
    pub fn take(root: &Path, skip: &[PathBuf]) -> TreeSnapshot {
        let mut entries = BTreeMap::new();
        walk(root, root, skip, &mut entries);
        TreeSnapshot {
            root: root.to_path_buf(),
            skip: skip.to_vec(),
            entries,
        }
    }

    /// What differs in `later`: one line per added, removed or changed path.
    pub fn changes(&self, later: &TreeSnapshot) -> Vec<String> {
        let mut changes = Vec::new();
        for (path, entry) in &self.entries {
            match later.entries.get(path) {
                None => changes.push(format!("removed {}", path.display())),
                Some(now) if now != entry => {
                    changes.push(format!("changed {}: {}", path.display(), describe(now)))
                }
                Some(_) => {}
            }
        }
        for (path, entry) in &later.entries {
            if !self.entries.contains_key(path) {
                changes.push(format!("added {}: {}", path.display(), describe(entry)));
            }
        }
        changes
    }

    /// Panics listing the differences when the tree now differs from this snapshot.
    #[track_caller]
    pub fn assert_unchanged(&self, what: &str) {
        let later = TreeSnapshot::take(&self.root, &self.skip);
        let changes = self.changes(&later);
        assert!(
            changes.is_empty(),
            "{what} changed files under {}:\n{}",
            self.root.display(),
            changes.join("\n")
        );
    }
}

fn describe(entry: &Entry) -> String {
    match entry {
        Entry::Dir { mode } => format!("directory {mode:o}"),
        Entry::File {
            mode,
            content: Content::Bytes(bytes),
        } => {
            let shown: String = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into();
            format!("file {mode:o}, {} bytes: {shown:?}", bytes.len())
        }
        Entry::File {
            mode,
            content: Content::Large { len, .. },
        } => format!("file {mode:o}, {len} bytes"),
        Entry::Link { target } => format!("symlink to {}", target.display()),
        Entry::Other { mode } => format!("special file {mode:o}"),
    }
}

fn walk(root: &Path, dir: &Path, skip: &[PathBuf], entries: &mut BTreeMap<PathBuf, Entry>) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    for item in listing.flatten() {
        let path = item.path();
        if skip.contains(&path) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        let entry = if meta.file_type().is_symlink() {
            Entry::Link {
                target: std::fs::read_link(&path).unwrap_or_default(),
            }
        } else if meta.is_dir() {
            walk(root, &path, skip, entries);
            Entry::Dir { mode }
        } else if meta.is_file() {
            let content = if meta.len() <= COMPARED_BYTES {
                Content::Bytes(std::fs::read(&path).unwrap_or_default())
            } else {
                Content::Large {
                    len: meta.len(),
                    modified_ns: i128::from(meta.mtime()) * 1_000_000_000
                        + i128::from(meta.mtime_nsec()),
                }
            };
            Entry::File { mode, content }
        } else {
            Entry::Other { mode }
        };
        entries.insert(relative, entry);
    }
}

/// The names in `/`, to prove that nothing appeared there.
pub fn root_entries() -> BTreeSet<OsString> {
    std::fs::read_dir("/")
        .expect("list /")
        .flatten()
        .map(|e| e.file_name())
        .collect()
}
