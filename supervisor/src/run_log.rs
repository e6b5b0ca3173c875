//! A task's `.log` for one run: truncated when the run starts, one human-readable line per
//! write (so `syncctl logs -f` sees each line as it comes), ending with imapsync's summary.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// The open `.log` of the current run.
pub struct RunLog {
    file: Option<File>,
    task: String,
}

impl RunLog {
    /// Truncates (or creates) the log. A log that cannot be written is reported once on the
    /// container log and the run goes on.
    pub fn create(path: &Path, task: &str) -> RunLog {
        let file = match File::create(path) {
            Ok(file) => Some(file),
            Err(e) => {
                log_err!("task {task}: cannot write {}: {e}", path.display());
                None
            }
        };
        RunLog {
            file,
            task: task.to_string(),
        }
    }

    /// Appends one line.
    pub fn line(&mut self, line: impl AsRef<str>) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let mut bytes = Vec::with_capacity(line.as_ref().len() + 1);
        bytes.extend_from_slice(line.as_ref().as_bytes());
        bytes.push(b'\n');
        if let Err(e) = file.write_all(&bytes) {
            log_err!("task {}: log write failed: {e}", self.task);
            self.file = None;
        }
    }
}
