//! `create-task` (create and edit): `20configure` writes the task files under a rollback
//! journal, `30Imapsync_validation` logs in on both sides through the supervisor and keeps or
//! undoes the edit, `50start-service` (re)starts the task at once.

use crate::input;
use crate::schedule::{cron_file, Schedule};
use crate::step::{FieldError, Step, StepError, StepResult};
use crate::supervisor_link::Supervisor;
use crate::task_edit::{remove_if_present, EditLock, TaskEdit};
use crate::task_fields::TaskInput;
use protocol::rpc::{LoginErrorKind, LoginReport};

/// `20configure`: writes `.env`, `.pwd` (unless the password is empty) and the cron file.
pub fn configure(step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    let task = TaskInput::parse(&input)?;
    let state = &step.state;
    let _lock = EditLock::take(state)
        .map_err(|e| StepError::failed(format!("cannot lock the task files: {e}")))?;
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
                "task_id_is_not_valid",
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
    let edit = TaskEdit::new(state, &name);
    edit.begin()
        .map_err(|e| StepError::failed(format!("cannot snapshot the task files: {e}")))?;
    let written = write_files(step, &name, &task, &env);
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

fn write_files(step: &Step, name: &str, task: &TaskInput, env: &str) -> std::io::Result<()> {
    let state = &step.state;
    match Schedule::parse(&task.cron).ok().flatten() {
        Some(schedule) => {
            let mail_host = std::env::var("MAIL_HOST").unwrap_or_default();
            crate::cron_files::write(state, name, &cron_file(schedule, &mail_host, name))?;
        }
        None => remove_if_present(&state.cron_file(name))?,
    }
    protocol::atomic_file::write(&state.task_file(name, "env"), env.as_bytes())?;
    if !task.remotepassword.is_empty() {
        protocol::atomic_file::write(
            &state.task_file(name, "pwd"),
            task.remotepassword.as_bytes(),
        )?;
    }
    Ok(())
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

/// `30Imapsync_validation`: checks both logins; a refusal restores the previous files.
pub fn validate(step: &mut Step) -> StepResult {
    step.weigh_nothing();
    let input = input::read()?;
    let name = input::task_name(&input)?;
    let outcome = Supervisor::connect().and_then(|supervisor| supervisor.validate(&name));
    let _lock = EditLock::take(&step.state)
        .map_err(|e| StepError::failed(format!("cannot lock the task files: {e}")))?;
    let edit = TaskEdit::new(&step.state, &name);
    let verdict = match outcome {
        Ok(report) if report.exit_code == 0 => None,
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
