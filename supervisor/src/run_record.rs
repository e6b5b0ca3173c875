//! What a finished run leaves behind: imapsync's summary at the end of `.log`, `.status`
//! (not for a stop), `.timestamp` after a success, and the container-log lines the NS8 system
//! log shows.

use crate::run_log::RunLog;
use crate::task_files::TaskFiles;
use protocol::exit::ExitCode;
use protocol::report::{exit_line, summary_lines};
use protocol::rpc::RunSummary;

/// How a run ended.
pub struct Outcome {
    pub exit: i32,
    pub summary: Option<RunSummary>,
    /// The process named in the exit line (the worker, or the supervisor when none ran).
    pub pid: u32,
}

impl Outcome {
    /// A run that ended before a worker reported.
    pub fn failed(exit: ExitCode) -> Outcome {
        Outcome {
            exit: exit.code(),
            summary: None,
            pid: std::process::id(),
        }
    }
}

/// Writes the summary, `.status`, `.timestamp` (holding the task's folder `mode`) and the
/// container-log lines of a run that started at `started_at`.
pub fn record(
    files: &TaskFiles,
    started_at: i64,
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
