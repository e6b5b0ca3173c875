//! Starting and stopping runs: `start-task`, `stop-task`, `start-all-tasks`,
//! `stop-all-tasks` and `delete-task`, all through the supervisor.

use crate::input;
use crate::layout::TASK_FILE_EXTENSIONS;
use crate::step::{Step, StepError, StepResult};
use crate::supervisor_link::Supervisor;
use crate::task_edit::{remove_if_present, EditLock};
use protocol::control::{StartOutcome, StopOutcome};

fn supervisor() -> Result<Supervisor, StepError> {
    Supervisor::connect().map_err(|e| StepError::failed(e.to_string()))
}

fn start_task(supervisor: &Supervisor, name: &str) -> Result<(), StepError> {
    let outcome = supervisor
        .start(name)
        .map_err(|e| StepError::failed(format!("cannot start {name}: {e}")))?;
    ns8::log::info(match outcome {
        StartOutcome::Started => format!("{name}: started"),
        StartOutcome::Queued => format!("{name}: queued, it starts when a worker is free"),
        StartOutcome::AlreadyRunning => format!("{name}: already running"),
    });
    Ok(())
}

fn stop_task(supervisor: &Supervisor, name: &str) -> Result<(), StepError> {
    let outcome = supervisor
        .stop(name)
        .map_err(|e| StepError::failed(format!("cannot stop {name}: {e}")))?;
    ns8::log::info(match outcome {
        StopOutcome::Stopped => format!("{name}: stopped"),
        StopOutcome::Dequeued => format!("{name}: removed from the queue"),
        StopOutcome::NotRunning => format!("{name}: Not Running"),
    });
    Ok(())
}

/// Stops a run of `name` in progress, re-reads the schedules and starts `name` again.
pub fn restart(name: &str) -> StepResult {
    let supervisor = supervisor()?;
    stop_task(&supervisor, name)?;
    if let Err(e) = supervisor.reload() {
        ns8::log::warning(format!("cannot reload the schedules: {e}"));
    }
    start_task(&supervisor, name)?;
    Ok(None)
}

fn existing_task(step: &Step) -> Result<String, StepError> {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    if !step.state.task_file(&name, "env").exists() {
        return Err(StepError::failed(format!("there is no task {name}")));
    }
    Ok(name)
}

/// `start-task/50start-service`: starts the task (or queues it); returns at once.
pub fn start(step: &mut Step) -> StepResult {
    let name = existing_task(step)?;
    start_task(&supervisor()?, &name)?;
    Ok(None)
}

/// `stop-task/50stop-service`: stops the task and waits until its worker has exited.
pub fn stop(_step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    stop_task(&supervisor()?, &name)?;
    Ok(None)
}

fn each_task(
    step: &mut Step,
    what: &str,
    act: impl Fn(&Supervisor, &str) -> Result<(), StepError>,
) -> StepResult {
    let supervisor = supervisor()?;
    let names = step
        .state
        .task_names()
        .map_err(|e| StepError::failed(format!("cannot list the tasks: {e}")))?;
    let mut failed = 0;
    for (done, name) in names.iter().enumerate() {
        if let Err(StepError::Failed { message, .. }) = act(&supervisor, name) {
            ns8::log::warning(message);
            failed += 1;
        }
        let percent = (done + 1) * 100 / names.len();
        step.commands
            .set_progress(u8::try_from(percent).unwrap_or(100));
    }
    ns8::log::info(format!("{what}: {} task(s), {failed} failed", names.len()));
    Ok(None)
}

/// `start-all-tasks`: restarts every task; one failure does not stop the others.
pub fn start_all(step: &mut Step) -> StepResult {
    each_task(step, "start all", |supervisor, name| {
        stop_task(supervisor, name)?;
        start_task(supervisor, name)
    })
}

/// `stop-all-tasks`: stops every task; one failure does not stop the others.
pub fn stop_all(step: &mut Step) -> StepResult {
    each_task(step, "stop all", stop_task)
}

/// `delete-task/10stop-service`: stops the task first. A service that is not running has
/// nothing to stop.
pub fn delete_stop(_step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    match Supervisor::connect() {
        Ok(supervisor) => stop_task(&supervisor, &name)?,
        Err(e) => ns8::log::warning(format!("{e}; deleting the files anyway")),
    }
    Ok(None)
}

/// `delete-task/20delete`: removes every file of the task.
pub fn delete_files(step: &mut Step) -> StepResult {
    let input = input::read()?;
    let name = input::task_name(&input)?;
    let state = &step.state;
    let _lock = EditLock::take(state)
        .map_err(|e| StepError::failed(format!("cannot lock the task files: {e}")))?;
    let mut paths: Vec<_> = TASK_FILE_EXTENSIONS
        .iter()
        .map(|extension| state.task_file(&name, extension))
        .collect();
    paths.push(state.cron_file(&name));
    for path in paths {
        remove_if_present(&path)
            .map_err(|e| StepError::failed(format!("cannot remove {}: {e}", path.display())))?;
    }
    if let Ok(supervisor) = Supervisor::connect() {
        if let Err(e) = supervisor.reload() {
            ns8::log::warning(format!("cannot reload the schedules: {e}"));
        }
    }
    Ok(None)
}
