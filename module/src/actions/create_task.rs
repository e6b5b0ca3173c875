//! `create-task` (create and edit): `20configure` writes the task's settings under a rollback
//! journal (refusing while another edit of the task is in progress),
//! `30Imapsync_validation` logs in on both sides through the supervisor, then schedules the
//! task or undoes the edit, `50start-service` (re)starts the task at once.

use crate::cron_files;
use crate::input;
use crate::layout::StateDir;
use crate::schedule::{cron_file, Schedule};
use crate::step::{FieldError, Step, StepError, StepResult};
use crate::supervisor_link::Supervisor;
use crate::task_edit::{edit_owner, remove_if_present, EditLock, Journal, TaskEdit};
use crate::task_fields::TaskInput;
use protocol::rpc::{LoginErrorKind, LoginReport};

/// `20configure`: writes `.env` and `.pwd` (unless the password is empty). The cron file is
/// written by the validation step, once the settings are known to work.
pub fn configure(step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    let task = TaskInput::parse(&input)?;
    let state = &step.state;
    let _lock = EditLock::take(state)
        .map_err(|e| StepError::failed(format!("cannot lock the task files: {e}")))?;
    let edit = TaskEdit::new(state, &name);
    let journal = edit
        .recover_abandoned()
        .and_then(|()| edit.journal_state())
        .map_err(|e| StepError::failed(format!("cannot read the edit journal: {e}")))?;
    if let Journal::Live(_) = journal {
        return Err(StepError::invalid(
            "createTask",
            "task_is_being_edited",
            "task_is_being_edited",
        ));
    }
    let previous = match state.task_file(&name, "env").exists() {
        true => Some(
            state
                .read_task(&name)
                .map_err(|e| StepError::failed(e.to_string()))?,
        ),
        false => None,
    };
    if let Some(previous) = &previous {
        if previous.task_id != task.task_id || previous.localuser != task.localuser {
            return Err(StepError::invalid(
                "task_id",
                task.task_id.as_str(),
                "task_id_conflicts",
            ));
        }
    }
    if task.remotepassword.is_empty() && !state.task_file(&name, "pwd").exists() {
        return Err(StepError::invalid(
            "remotepassword",
            "",
            "remotepassword_is_required",
        ));
    }
    let env = task
        .to_env(previous.as_ref())
        .render()
        .map_err(|e| StepError::failed(e.to_string()))?;
    edit.begin(&edit_owner())
        .map_err(|e| StepError::failed(format!("cannot snapshot the task files: {e}")))?;
    let written = protocol::atomic_file::write(&state.task_file(&name, "env"), env.as_bytes())
        .and_then(|()| match task.remotepassword.as_str() {
            "" => Ok(()),
            password => {
                protocol::atomic_file::write(&state.task_file(&name, "pwd"), password.as_bytes())
            }
        });
    if let Err(e) = written {
        let undone = edit.rollback();
        return Err(StepError::failed(format!(
            "cannot write the task files: {e}{}",
            undone
                .err()
                .map(|u| format!(" (and the rollback failed: {u})"))
                .unwrap_or_default()
        )));
    }
    Ok(None)
}

/// Writes or removes `cron/<task>.cron` after the task's (new) `.env`.
fn schedule_task(state: &StateDir, name: &str) -> Result<(), String> {
    let env = state.read_task(name).map_err(|e| e.to_string())?;
    match Schedule::parse(&env.cron).map_err(|e| e.to_string())? {
        Some(schedule) => {
            let mail_host = std::env::var("MAIL_HOST").unwrap_or_default();
            cron_files::write(state, name, &cron_file(schedule, &mail_host, name))
        }
        None => remove_if_present(&state.cron_file(name)),
    }
    .map_err(|e| format!("cannot write the cron file: {e}"))
}

/// What a refused login means for the admin: the exit code and the reference's error key.
fn refusal(report: &LoginReport) -> (u8, &'static str, String) {
    if !report.host1.ok {
        let detail = format!(
            "remote server: {}",
            report.host1.message.as_deref().unwrap_or("login failed")
        );
        return match report.host1.kind {
            Some(LoginErrorKind::BadCredentials) => (2, "bad_user_credentials", detail),
            Some(LoginErrorKind::Tls) => (4, "SSL_encryption_error", detail),
            Some(LoginErrorKind::StarttlsNotOffered) => {
                (4, "STARTTLS_not_allowed_use_IMAPS", detail)
            }
            Some(LoginErrorKind::Unreachable) => (3, "Check_hostname_or_tcp_port", detail),
            Some(LoginErrorKind::Protocol) | None => (1, "validation_failed", detail),
        };
    }
    let detail = format!(
        "local mail server: {}",
        report.host2.message.as_deref().unwrap_or("login failed")
    );
    (1, "validation_failed", detail)
}

fn refused(exit_code: u8, key: &str, detail: String) -> StepError {
    StepError::Validation {
        exit_code,
        errors: vec![FieldError::new("createTask", key, key)],
        detail: Some(detail),
    }
}

/// `30Imapsync_validation`: checks both logins; a refusal restores the previous files, a
/// success schedules the task.
pub fn validate(step: &mut Step) -> StepResult {
    step.weigh_nothing();
    let input = input::read()?;
    let name = input::task_name(&input)?;
    let owner = edit_owner();
    let edit = TaskEdit::new(&step.state, &name);
    let interrupted = || {
        refused(
            1,
            "validation_failed",
            "this edit was undone before it could be checked (cancelled, or taken as abandoned)"
                .to_string(),
        )
    };
    if !edit.owned_by(&owner).unwrap_or(false) {
        return Err(interrupted());
    }
    let outcome = Supervisor::connect().and_then(|supervisor| supervisor.validate(&name));
    let _lock = EditLock::take(&step.state)
        .map_err(|e| StepError::failed(format!("cannot lock the task files: {e}")))?;
    if !edit.owned_by(&owner).unwrap_or(false) {
        return Err(interrupted());
    }
    let verdict = match outcome {
        Ok(report) if report.exit_code == 0 => schedule_task(&step.state, &name)
            .err()
            .map(|e| (1, "validation_failed", e)),
        Ok(report) => Some(refusal(&report)),
        Err(e) => Some((1, "validation_failed", e.to_string())),
    };
    match verdict {
        None => {
            edit.commit()
                .map_err(|e| StepError::failed(format!("cannot drop the snapshots: {e}")))?;
            Ok(None)
        }
        Some((exit_code, key, detail)) => {
            if let Err(e) = edit.rollback() {
                ns8::log::error(format!("cannot restore the previous task files: {e}"));
            }
            Err(refused(exit_code, key, detail))
        }
    }
}

/// `50start-service`: stops a run in progress and starts the task with its new settings.
pub fn start(_step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    super::task_control::restart(&name)
}
