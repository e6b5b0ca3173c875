//! Where the module keeps its files: the state directory (`AGENT_STATE_DIR`, the cwd of every
//! step), its `imapsync/` directory (task definitions, passwords, logs, status) and its `cron/`
//! directory (one `<task>.cron` per scheduled task, plus the admin's `*.custom` files).

use protocol::last_run::{STATUS_EXTENSION, SUMMARY_EXTENSION};
use protocol::task::TaskEnv;
use std::path::{Path, PathBuf};

/// The module's state directory and the task files in it.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

/// Every file a task may own in `imapsync/`, by extension.
pub const TASK_FILE_EXTENSIONS: &[&str] = &[
    "env",
    "pwd",
    "log",
    STATUS_EXTENSION,
    SUMMARY_EXTENSION,
    "timestamp",
    "lock",
    "pid",
    "state",
    "env.rollback",
    "pwd.rollback",
    "cron.rollback",
    "journal.rollback",
];

impl StateDir {
    /// The state directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> StateDir {
        StateDir { root: root.into() }
    }

    /// The module's state directory ([`ns8::envfile::state_dir`]).
    pub fn from_env() -> StateDir {
        StateDir::new(ns8::envfile::state_dir())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `imapsync/`: task definitions and run records.
    pub fn tasks_dir(&self) -> PathBuf {
        self.root.join("imapsync")
    }

    /// `cron/`: the schedule files the supervisor reads.
    pub fn cron_dir(&self) -> PathBuf {
        self.root.join("cron")
    }

    /// `imapsync/<task>.<extension>`.
    pub fn task_file(&self, task: &str, extension: &str) -> PathBuf {
        self.tasks_dir().join(format!("{task}.{extension}"))
    }

    /// `cron/<task>.cron`.
    pub fn cron_file(&self, task: &str) -> PathBuf {
        self.cron_dir().join(format!("{task}.cron"))
    }

    /// `imapsync/vmail.pwd`: the Mail module's master password.
    pub fn vmail_password(&self) -> PathBuf {
        self.tasks_dir().join("vmail.pwd")
    }

    /// Creates `imapsync/` and `cron/` when missing.
    pub fn ensure_dirs(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.tasks_dir())?;
        std::fs::create_dir_all(self.cron_dir())
    }

    /// Names of every task with an `.env` file, sorted.
    pub fn task_names(&self) -> std::io::Result<Vec<String>> {
        let entries = match std::fs::read_dir(self.tasks_dir()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            let file_name = entry?.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if let Some(stem) = file_name.strip_suffix(".env") {
                if !stem.is_empty() && !stem.starts_with('.') {
                    names.push(stem.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Reads and parses `imapsync/<task>.env`.
    pub fn read_task(&self, task: &str) -> Result<TaskEnv, TaskFileError> {
        let path = self.task_file(task, "env");
        let text = std::fs::read_to_string(&path).map_err(|source| TaskFileError::Read {
            path: path.clone(),
            source,
        })?;
        TaskEnv::parse(&text).map_err(|source| TaskFileError::Parse { path, source })
    }

    /// Every task definition, sorted by name; unreadable files are reported, not skipped.
    pub fn tasks(&self) -> std::io::Result<Vec<(String, Result<TaskEnv, TaskFileError>)>> {
        Ok(self
            .task_names()?
            .into_iter()
            .map(|name| {
                let env = self.read_task(&name);
                (name, env)
            })
            .collect())
    }
}

/// A task definition that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TaskFileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: protocol::task::TaskError,
    },
}
