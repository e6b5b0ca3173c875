//! Replacing a file whole: write a temporary file, sync it, rename it into place. A crash
//! leaves the old content or the new one, never a torn file; a failure leaves no temporary
//! file behind. Files are created readable by their owner only (they hold task settings,
//! passwords and run records), and the temporary file is created exclusively, so a symlink
//! planted under its name is never followed.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Replaces `path` with `bytes` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    write_staged(dir, path, bytes)
}

/// Replaces `path` with `bytes`, writing the temporary file in `staging` (same filesystem):
/// for directories where another program would read a temporary file, such as a cron
/// directory.
pub fn write_staged(staging: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = staging.join(format!(".{name}.tmp{}", std::process::id()));
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}
