//! Replacing a file whole: write a temporary file, sync it, rename it into place. A crash
//! leaves the old content or the new one, never a torn file; a failure leaves no temporary
//! file behind. The temporary file is created exclusively and readable by its owner only
//! (files hold task settings, passwords and run records), so a symlink planted under its name
//! is never followed and the content is never exposed while it is written.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Permission bits of files written by [`write`] and [`write_staged`].
const OWNER_ONLY: u32 = 0o600;

/// Replaces `path` with `bytes` atomically; the file is readable by its owner only.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(&parent_dir(path), path, bytes, OWNER_ONLY, false)
}

/// Replaces `path` with `bytes`, writing the temporary file in `staging` (same filesystem):
/// for directories where another program would read a temporary file, such as a cron
/// directory.
pub fn write_staged(staging: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(staging, path, bytes, OWNER_ONLY, false)
}

/// Replaces `path` with `bytes`, giving it the permission bits `mode`, and syncs the directory
/// after the rename so the new name survives a power loss (as NS8's Python library writes the
/// module environment).
pub fn write_durable(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    replace(&parent_dir(path), path, bytes, mode, true)
}

fn replace(staging: &Path, path: &Path, bytes: &[u8], mode: u32, sync_dir: bool) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = staging.join(format!(".{name}.tmp{}", std::process::id()));
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(with_path(e, &tmp)),
        _ => {}
    }
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(OWNER_ONLY)
        .open(&tmp)
        .and_then(|mut file| {
            if mode != OWNER_ONLY {
                file.set_permissions(Permissions::from_mode(mode))?;
            }
            file.write_all(bytes)?;
            file.sync_all()
        });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed.map_err(|e| with_path(e, path))?;
    if sync_dir {
        File::open(parent_dir(path))
            .and_then(|dir| dir.sync_all())
            .map_err(|e| with_path(e, path))?;
    }
    Ok(())
}

/// Adds the file name to an I/O error so the admin knows which file failed.
pub fn with_path(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn replaces_content_with_the_requested_mode_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("secret.pwd");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, Permissions::from_mode(0o644)).unwrap();

        write_durable(&target, b"new", 0o600).unwrap();

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
        let err = write_durable(&target, b"x", 0o600).unwrap_err();
        assert!(err.to_string().contains("missing-dir"), "{err}");
    }
}
