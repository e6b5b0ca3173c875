//! What a finished run leaves behind: imapsync's summary at the end of `.log`, `.summary` and
//! `.status` (not for a stop), `.timestamp` after a success, and the container-log lines the
//! NS8 system log shows.

use crate::run_log::RunLog;
use crate::task_files::TaskFiles;
use protocol::exit::ExitCode;
use protocol::last_run::LastSyncSummary;
use protocol::report::{exit_line, summary_lines};
use protocol::rpc::RunSummary;
use std::time::Duration;

/// How a run ended.
pub struct Outcome {
    pub exit: i32,
    pub summary: Option<RunSummary>,
    /// The process named in the exit line (the worker, or the supervisor when none ran).
    pub pid: u32,
    /// Why a run without `summary` failed, when known.
    pub reason: Option<String>,
}

impl Outcome {
    /// A run that ended for `reason` before a worker reported.
    pub fn failed(exit: ExitCode, reason: String) -> Outcome {
        Outcome {
            exit: exit.code(),
            summary: None,
            pid: std::process::id(),
            reason: Some(reason),
        }
    }

    /// A run stopped on request before a worker reported.
    pub fn stopped() -> Outcome {
        Outcome {
            exit: ExitCode::Terminated.code(),
            summary: None,
            pid: std::process::id(),
            reason: None,
        }
    }
}

/// Writes the log's summary, `.summary` then `.status`, `.timestamp` (holding the task's folder
/// `mode`) and the container-log lines of a run that started at `started_at` and took
/// `elapsed`.
pub fn record(
    files: &TaskFiles,
    started_at: i64,
    elapsed: Duration,
    mode: Option<&str>,
    log: &mut RunLog,
    outcome: &Outcome,
) {
    let task = files.name.as_str();
    let code = ExitCode::from_code(outcome.exit).unwrap_or(ExitCode::CatchAll);
    let (transferred, exit_text) = match &outcome.summary {
        Some(summary) => {
            let mut summary = summary.clone();
            summary.exit_code = outcome.exit;
            let lines = summary_lines(&summary, outcome.pid);
            let last = lines.last().cloned().unwrap_or_default();
            for line in lines {
                log.line(line);
            }
            (summary.transferred, last)
        }
        None => {
            let line = exit_line(code, 0, outcome.pid);
            log.line(&line);
            (0, line)
        }
    };
    if outcome.exit != ExitCode::Terminated.code() {
        let counters = match &outcome.summary {
            Some(report) => LastSyncSummary::from_report(started_at, outcome.exit, report),
            None => LastSyncSummary::without_report(
                started_at,
                outcome.exit,
                elapsed,
                outcome.reason.clone(),
            ),
        };
        // Before `.status`: a reader that sees the new status finds its summary too.
        if let Err(e) = files.write_summary(&counters) {
            log_err!("task {task}: cannot write its run summary: {e}");
        }
        if let Err(e) = files.write_status(started_at, outcome.exit) {
            log_err!("task {task}: cannot write its status: {e}");
        }
    }
    let excerpt = format!("task {task}: tx={transferred}, msg={exit_text}");
    if outcome.exit == 0 {
        if let Some(mode) = mode {
            if let Err(e) = files.write_timestamp(mode, started_at) {
                log_err!("task {task}: cannot write its timestamp: {e}");
            }
        }
        log_out!("{excerpt}");
    } else {
        log_err!("task {task}: imapsync error: {}", outcome.exit);
        log_err!("{excerpt}");
    }
}
