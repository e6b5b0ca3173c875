//! The files of one task in the state directory, named `<task>.<ext>` as the NS8 module and
//! existing backups expect, and the small atomic writes the supervisor makes to them.

use protocol::atomic_file::write as write_atomic;
use protocol::last_run::{LastRun, LastSyncSummary, STATUS_EXTENSION, SUMMARY_EXTENSION};
use protocol::secret::Secret;
use protocol::task::{validate_task_name, TaskEnv, TaskError};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Paths of one task's files.
#[derive(Debug, Clone)]
pub struct TaskFiles {
    pub name: String,
    dir: PathBuf,
}

/// Reading a task's definition failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Name(TaskError),
    #[error("task {0} does not exist (no {0}.env)")]
    Missing(String),
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Content { file: String, source: TaskError },
}

impl TaskFiles {
    /// The files of `name` in `dir`, after checking the name cannot leave `dir`.
    pub fn new(dir: &Path, name: &str) -> Result<TaskFiles, TaskError> {
        validate_task_name(name)?;
        Ok(TaskFiles {
            name: name.to_string(),
            dir: dir.to_path_buf(),
        })
    }

    /// `<dir>/<task>.<ext>`.
    pub fn path(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", self.name))
    }

    /// Reads and parses `<task>.env`.
    pub fn load_env(&self) -> Result<TaskEnv, LoadError> {
        let path = self.path("env");
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LoadError::Missing(self.name.clone()))
            }
            Err(source) => {
                return Err(LoadError::Io {
                    file: display(&path),
                    source,
                })
            }
        };
        TaskEnv::parse(&text).map_err(|source| LoadError::Content {
            file: display(&path),
            source,
        })
    }

    /// The remote password from `<task>.pwd` (raw, no newline).
    pub fn load_password(&self) -> Result<Secret, LoadError> {
        read_secret(&self.path("pwd"))
    }

    /// True while a run owns the task (the `.pid` file exists).
    pub fn pid_exists(&self) -> bool {
        self.path("pid").exists()
    }

    /// The last recorded run: `.status`, and `.summary` when it describes the same run.
    pub fn last_run(&self) -> LastRun {
        LastRun::read(&self.path(STATUS_EXTENSION), &self.path(SUMMARY_EXTENSION))
    }

    /// Writes `.status` = `<start ts>\n<exit code>\n`.
    pub fn write_status(&self, started_at: i64, exit_code: i32) -> std::io::Result<()> {
        write_atomic(
            &self.path(STATUS_EXTENSION),
            format!("{started_at}\n{exit_code}\n").as_bytes(),
        )
    }

    /// Writes `.summary`, the counters of the run `.status` is about to record.
    pub fn write_summary(&self, summary: &LastSyncSummary) -> std::io::Result<()> {
        write_atomic(&self.path(SUMMARY_EXTENSION), summary.render().as_bytes())
    }

    /// Writes `.timestamp` = the folder mode, with its mtime set to the run start.
    pub fn write_timestamp(&self, mode: &str, started_at: i64) -> std::io::Result<()> {
        let path = self.path("timestamp");
        write_atomic(&path, mode.as_bytes())?;
        let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(started_at.max(0) as u64);
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(mtime)
    }

    /// Writes `.pid`.
    pub fn write_pid(&self, pid: u32) -> std::io::Result<()> {
        write_atomic(&self.path("pid"), format!("{pid}\n").as_bytes())
    }

    /// Removes a file, ignoring one that is already gone.
    pub fn remove(&self, ext: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(ext)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Reads a password file: raw bytes as UTF-8, without a trailing newline (some editors add
/// one).
pub fn read_secret(path: &Path) -> Result<Secret, LoadError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            Ok(Secret::new(text.strip_suffix('\r').unwrap_or(text)))
        }
        Err(source) => Err(LoadError::Io {
            file: display(path),
            source,
        }),
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Every task name with a `.env` file in `dir`, sorted.
pub fn task_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".env"))
                .filter(|stem| validate_task_name(stem).is_ok())
                .map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}
