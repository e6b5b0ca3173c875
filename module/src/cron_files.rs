//! Writing and clearing `cron/*.cron`. A file appears there whole or not at all: it is
//! written beside the task files in `imapsync/` and renamed into place, so no scheduler ever
//! reads a half-written or temporary file.

use crate::layout::StateDir;

/// Replaces `cron/<task>.cron` with `content`.
pub fn write(state: &StateDir, task: &str, content: &str) -> std::io::Result<()> {
    state.ensure_dirs()?;
    protocol::atomic_file::write_staged(
        &state.tasks_dir(),
        &state.cron_file(task),
        content.as_bytes(),
    )
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
