//! `expand-cron` (run by the unit before the container starts): rewrites every `cron/*.cron`
//! from the task definitions and the current `MAIL_HOST`. The admin's `*.custom` files are
//! never touched; a task with a schedule this version cannot read is reported and skipped, so
//! it cannot break the others.

use crate::cron_files;
use crate::layout::StateDir;
use crate::schedule::{cron_file, Schedule};

/// Runs the helper; the process exit code.
pub fn main() -> u8 {
    let state = StateDir::from_env();
    let mail_host = std::env::var("MAIL_HOST").unwrap_or_default();
    if let Err(e) = state.ensure_dirs() {
        ns8::log::error(format!("cannot create the state directories: {e}"));
        return 1;
    }
    let removed = match cron_files::clear(&state) {
        Ok(removed) => removed,
        Err(e) => {
            ns8::log::error(format!("cannot clear the cron files: {e}"));
            return 1;
        }
    };
    let tasks = match state.tasks() {
        Ok(tasks) => tasks,
        Err(e) => {
            ns8::log::error(format!("cannot list the tasks: {e}"));
            return 1;
        }
    };
    let (mut written, mut failed) = (0, 0);
    for (name, env) in tasks {
        let schedule = env
            .map_err(|e| e.to_string())
            .and_then(|env| Schedule::parse(&env.cron).map_err(|e| e.to_string()));
        let outcome = match schedule {
            Ok(None) => continue,
            Ok(Some(schedule)) => {
                cron_files::write(&state, &name, &cron_file(schedule, &mail_host, &name))
                    .map_err(|e| e.to_string())
            }
            Err(reason) => Err(reason),
        };
        match outcome {
            Ok(()) => written += 1,
            Err(reason) => {
                failed += 1;
                ns8::log::warning(format!("task {name} is not scheduled: {reason}"));
            }
        }
    }
    ns8::log::info(format!(
        "cron files: {removed} removed, {written} written, {failed} task(s) skipped"
    ));
    0
}
