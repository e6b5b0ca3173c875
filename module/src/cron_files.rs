//! Writing and clearing `cron/*.cron`. A file appears there whole or not at all: it is
//! written beside the task files in `imapsync/` and renamed into place, so no scheduler ever
//! reads a half-written or temporary file.

use crate::layout::StateDir;
use std::io::Write;

/// Replaces `cron/<task>.cron` with `content`.
pub fn write(state: &StateDir, task: &str, content: &str) -> std::io::Result<()> {
    state.ensure_dirs()?;
    let staging = state
        .tasks_dir()
        .join(format!(".{task}.cron.tmp{}", std::process::id()));
    let staged = std::fs::File::create(&staging).and_then(|mut file| {
        file.write_all(content.as_bytes())?;
        file.sync_all()
    });
    let placed = staged.and_then(|()| std::fs::rename(&staging, state.cron_file(task)));
    if placed.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    placed
}

/// Removes every `cron/*.cron`; the admin's `*.custom` files and anything else stay.
pub fn clear(state: &StateDir) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(state.cron_dir()) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(".cron") && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}
