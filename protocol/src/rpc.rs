//! JSON-RPC methods, parameters, results and notifications between a worker and whoever drives
//! it (the supervisor, tests). One request per line, one response per line.

use crate::exit::ExitCode;
use crate::spec::{Endpoint, SyncSpec};
use crate::state::{StateChange, SyncState};
use serde::{Deserialize, Serialize};

/// Worker method: run one sync. Params [`RunParams`], result [`RunSummary`].
pub const METHOD_RUN: &str = "run";
/// Worker method: stop the running sync at the next message boundary. Result `bool`.
pub const METHOD_CANCEL: &str = "cancel";
/// Worker method: log in on both sides. Params [`LoginParams`], result [`LoginReport`].
pub const METHOD_CHECK_LOGIN: &str = "check_login";
/// Worker method: folder sizes on both sides. Params [`SyncSpec`], result [`SizesReport`].
pub const METHOD_SIZES: &str = "sizes";
/// Worker notification: [`Progress`].
pub const NOTIFY_PROGRESS: &str = "progress";
/// Worker notification: [`LogLine`].
pub const NOTIFY_LOG: &str = "log";
/// Worker notification: [`StateUpdate`].
pub const NOTIFY_STATE: &str = "state";

/// Params of [`METHOD_RUN`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunParams {
    pub spec: SyncSpec,
    #[serde(default)]
    pub state: SyncState,
}

/// Totals of one side, as in imapsync's `Host1 Nb folders` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HostTotals {
    pub folders: u64,
    pub messages: u64,
    pub bytes: u64,
}

/// Result of [`METHOD_RUN`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunSummary {
    pub exit_code: i32,
    pub exit_name: String,
    /// Messages appended to host2.
    pub transferred: u64,
    pub bytes_transferred: u64,
    /// Messages a dry run would have appended.
    pub would_transfer: u64,
    /// host1 messages already on host2.
    pub skipped: u64,
    pub errors: u64,
    pub deleted_host1: u64,
    pub deleted_host2: u64,
    pub flags_updated: u64,
    pub folders_synced: u64,
    pub folders_deleted_host2: u64,
    pub host1: HostTotals,
    pub host2: HostTotals,
    pub duration_ms: u64,
    /// The first fatal error, if the run ended early.
    pub error: Option<String>,
    pub cancelled: bool,
}

impl RunSummary {
    /// The exit code as a typed value.
    pub fn exit(&self) -> ExitCode {
        ExitCode::from_code(self.exit_code).unwrap_or(ExitCode::CatchAll)
    }
}

/// Params of [`METHOD_CHECK_LOGIN`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginParams {
    pub host1: Endpoint,
    pub host2: Endpoint,
}

/// Why a login check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginErrorKind {
    /// DNS, refused, timeout before the greeting.
    Unreachable,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// STARTTLS was asked for and the server does not offer it.
    StarttlsNotOffered,
    /// The server refused the user name or password.
    BadCredentials,
    /// Anything else (protocol error, unexpected reply).
    Protocol,
}

/// Outcome of logging in on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOutcome {
    pub ok: bool,
    pub kind: Option<LoginErrorKind>,
    pub message: Option<String>,
}

/// Result of [`METHOD_CHECK_LOGIN`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginReport {
    pub host1: LoginOutcome,
    pub host2: LoginOutcome,
    pub exit_code: i32,
}

/// Size of one folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderSize {
    /// The folder name decoded to UTF-8.
    pub name: String,
    pub messages: u64,
    pub bytes: u64,
    /// False on host2 when the folder does not exist there yet.
    pub exists: bool,
}

/// Result of [`METHOD_SIZES`]: per folder pair, within the task's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SizesReport {
    pub host1: Vec<FolderSize>,
    pub host2: Vec<FolderSize>,
    pub host1_totals: HostTotals,
    pub host2_totals: HostTotals,
    pub exit_code: i32,
    pub error: Option<String>,
}

/// Notification [`NOTIFY_PROGRESS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Progress {
    pub folder: String,
    pub folders_done: u64,
    pub folders_total: u64,
    pub messages_done: u64,
    pub messages_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// Severity of a [`LogLine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// Notification [`NOTIFY_LOG`]: one human-readable line for the task's `.log`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: LogLevel,
    pub line: String,
}

/// Notification [`NOTIFY_STATE`]: UID map changes to persist, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateUpdate {
    pub changes: Vec<StateChange>,
}
