//! Crash-safe file replacement: the new content goes to a temporary file beside the target
//! (`.<name>.tmp-<random>`), which is fsync'ed, renamed over the target, and followed by an fsync of
//! the directory, so a reader sees either the old or the new file, never a partial one.

use std::collections::hash_map::RandomState;
use std::fs::{self, File, OpenOptions, Permissions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Characters of the random part of temporary file names (the set Python's `tempfile` uses).
const NAME_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
/// Random characters in a temporary file name.
const NAME_RANDOM_LEN: usize = 8;
/// Name collisions tolerated before giving up (each one means another writer picked the same name).
const MAX_NAME_ATTEMPTS: usize = 100;

/// Replaces `path` with `contents`, giving the new file the permission bits `mode` (for example
/// `0o600`). The temporary file is created with mode 0600 and only then changed to `mode`, so the
/// content is never readable by others while it is being written.
pub fn replace_file(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let dir = parent_dir(path);
    let file_name = path
        .file_name()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a file path", path.display()),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let (mut tmp_file, tmp_path) = create_temp_file(&dir, &file_name)?;
    let written = write_and_sync(&mut tmp_file, contents, mode)
        .and_then(|()| fs::rename(&tmp_path, path))
        .and_then(|()| File::open(&dir)?.sync_all());
    if written.is_err() {
        // The rename may not have happened; the temporary file must not be left behind.
        let _ = fs::remove_file(&tmp_path);
    }
    written.map_err(|err| with_path(err, path))
}

/// Returns a pseudo-random number, different at every call (seeded by the standard library's
/// per-process random keys, the clock and the process id). Good for file names and retry jitter,
/// not for secrets.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(now);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Adds the file name to an I/O error so the admin knows which file failed.
pub(crate) fn with_path(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn create_temp_file(dir: &Path, file_name: &str) -> io::Result<(File, PathBuf)> {
    for _ in 0..MAX_NAME_ATTEMPTS {
        let tmp_path = dir.join(format!(".{file_name}.tmp-{}", random_name_part()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp_path)
        {
            Ok(file) => return Ok((file, tmp_path)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(with_path(err, &tmp_path)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{}: cannot find a free temporary name for {file_name}",
            dir.display()
        ),
    ))
}

fn write_and_sync(file: &mut File, contents: &[u8], mode: u32) -> io::Result<()> {
    file.set_permissions(Permissions::from_mode(mode))?;
    file.write_all(contents)?;
    file.sync_all()
}

fn random_name_part() -> String {
    let mut bits = random_u64();
    (0..NAME_RANDOM_LEN)
        .map(|_| {
            let index = (bits % NAME_CHARS.len() as u64) as usize;
            bits /= NAME_CHARS.len() as u64;
            char::from(NAME_CHARS[index])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn replaces_content_with_the_requested_mode_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("secret.pwd");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, Permissions::from_mode(0o644)).unwrap();

        replace_file(&target, b"new", 0o600).unwrap();

        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::metadata(&target).unwrap().mode() & 0o7777, 0o600);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("secret.pwd")]);
    }

    #[test]
    fn failure_names_the_file_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("missing-dir").join("file");
        let err = replace_file(&target, b"x", 0o600).unwrap_err();
        assert!(err.to_string().contains("missing-dir"), "{err}");
    }

    #[test]
    fn temporary_names_differ() {
        assert_ne!(random_name_part(), random_name_part());
        assert_eq!(random_name_part().len(), NAME_RANDOM_LEN);
    }
}
