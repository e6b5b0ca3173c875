//! The supervisor's control API on its unix socket: method names, parameters, results and
//! error codes shared by the supervisor, `syncctl` and the NS8 module.

use crate::last_run::LastSyncSummary;
use crate::rpc::Progress;
use serde::{Deserialize, Serialize};

/// The control socket inside the container.
pub const CONTAINER_SOCKET: &str = "/run/imapsync/control.sock";
/// The same socket on the host, below the module user's runtime directory
/// (`XDG_RUNTIME_DIR`), where the unit bind-mounts the container's `/run/imapsync`.
pub const HOST_SOCKET_IN_RUNTIME_DIR: &str = "imapsync/control.sock";

/// Start a task now, or queue it when the worker limit is reached. [`TaskParams`] →
/// [`StartOutcome`].
pub const METHOD_START: &str = "start";
/// Stop a running or queued task; succeeds when it is not running. [`TaskParams`] →
/// [`StopOutcome`].
pub const METHOD_STOP: &str = "stop";
/// One task's state. [`TaskParams`] → [`TaskStatus`].
pub const METHOD_STATUS: &str = "status";
/// Every task that has a `.env` file, with live progress. No params → `Vec<TaskStatus>`.
pub const METHOD_LIST: &str = "list";
/// Log in on both sides with the task's settings. [`TaskParams`] →
/// [`crate::rpc::LoginReport`].
pub const METHOD_VALIDATE: &str = "validate";
/// Folder, message and byte counts on both sides, within the task's scope. [`TaskParams`] →
/// [`crate::rpc::SizesReport`].
pub const METHOD_SIZES: &str = "sizes";
/// Re-read the cron files now. No params → [`ReloadReport`].
pub const METHOD_RELOAD: &str = "reload";
/// A piece of a task's `.log` from a byte offset. [`LogParams`] → [`LogChunk`].
pub const METHOD_LOG: &str = "log";

/// The task name is not valid (path characters, missing `_`, too long).
pub const ERR_BAD_NAME: i32 = -32010;
/// The task has no `.env` file.
pub const ERR_NO_TASK: i32 = -32011;
/// The task's files cannot be read or hold a value that cannot be used.
pub const ERR_TASK_CONFIG: i32 = -32012;
/// The supervisor is shutting down and starts nothing new.
pub const ERR_SHUTTING_DOWN: i32 = -32013;
/// The worker could not be started or died before answering.
pub const ERR_WORKER: i32 = -32014;

/// Params naming one task, `<localuser>_<task_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskParams {
    pub task: String,
}

/// Result of [`METHOD_START`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartOutcome {
    Started,
    /// The worker limit is reached; the task starts when a slot frees.
    Queued,
    /// A run of this task is in progress or queued; nothing was touched.
    AlreadyRunning,
}

/// Result of [`METHOD_STOP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopOutcome {
    /// The running worker was stopped and has exited.
    Stopped,
    /// The task was waiting in the queue and was removed from it.
    Dequeued,
    NotRunning,
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Queued,
    Stopped,
}

/// Result of [`METHOD_STATUS`], one item of [`METHOD_LIST`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatus {
    pub task: String,
    pub state: RunState,
    /// The worker's process id while running.
    pub pid: Option<u32>,
    /// Unix time the current run started.
    pub started_at: Option<i64>,
    /// Live counters of the current run.
    pub progress: Option<Progress>,
    /// Line 1 of `.status`: unix time the last recorded run started.
    pub last_sync_timestamp: Option<i64>,
    /// Line 2 of `.status`: its exit code.
    pub last_sync_exit_code: Option<i32>,
    /// `.summary`: that run's counters, when recorded for that same run (absent from the
    /// answers of older supervisors).
    #[serde(default)]
    pub last_sync_summary: Option<LastSyncSummary>,
}

/// Params of [`METHOD_LOG`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogParams {
    pub task: String,
    /// Byte offset to read from; past the end (a new run truncated the log) reads from 0.
    #[serde(default)]
    pub offset: u64,
}

/// Result of [`METHOD_LOG`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogChunk {
    /// Bytes read, as UTF-8 with invalid sequences replaced.
    pub data: String,
    /// Offset to ask for next.
    pub offset: u64,
    /// True when `offset` went back to 0 because the log was truncated by a new run.
    pub restarted: bool,
    pub running: bool,
}

/// Result of [`METHOD_RELOAD`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReloadReport {
    pub files: usize,
    pub entries: usize,
    /// `file:line: reason` for every refused line.
    pub errors: Vec<String>,
}
