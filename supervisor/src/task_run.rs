//! One run of one task, start to finish, under a task lock taken by the caller: the log, the
//! worker, its notifications, the stop path (cancel, then kill after a grace period), a
//! watchdog for a worker that goes silent, and the files every run leaves behind.

use crate::endpoints;
use crate::reaper::ChildExit;
use crate::run_control::RunControl;
use crate::run_log::RunLog;
use crate::run_record::{record, Outcome};
use crate::shared::{lock, Shared};
use crate::state_keeper::StateKeeper;
use crate::task_files::{LoadError, TaskFiles};
use crate::task_lock::TaskLock;
use crate::worker_process::{self, Worker};
use futures_util::FutureExt;
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use protocol::exit::ExitCode;
use protocol::rpc::{
    LogLine, Progress, RunParams, RunSummary, StateUpdate, METHOD_CANCEL, METHOD_RUN, NOTIFY_LOG,
    NOTIFY_PROGRESS, NOTIFY_STATE,
};
use protocol::spec::{Security, SyncSpec};
use protocol::state::SyncState;
use protocol::state_file;
use protocol::task::TaskEnv;
use std::time::Duration;
use tokio::time::Instant;

/// Time a cancelled worker gets to stop at a message boundary before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(3);
/// How often the UID map is considered for a write.
const SAVE_TICK: Duration = Duration::from_millis(500);

/// Runs `files`' task once while holding `lock`.
pub async fn run(shared: &Shared, files: &TaskFiles, control: &RunControl, lock: TaskLock) {
    let task = files.name.as_str();
    let env = match files.load_env() {
        Err(LoadError::Missing(_)) => {
            log_err!("task {task}: not started: the task no longer exists");
            return;
        }
        loaded => loaded,
    };
    let mut log = RunLog::create(&files.path("log"), task);
    let outcome = match &env {
        Ok(env) => drive(shared, files, env, control, &mut log).await,
        Err(e) => fail(&mut log, ExitCode::NoInput, e.to_string()),
    };
    if let Err(e) = files.remove("pid") {
        log_err!(
            "task {task}: cannot remove {}: {e}",
            files.path("pid").display()
        );
    }
    let mode = env
        .as_ref()
        .ok()
        .map(|env| env.foldersynchronization.as_str());
    let elapsed = control.started.elapsed();
    record(files, control.started_at, elapsed, mode, &mut log, &outcome);
    drop(lock);
}

/// Logs why the run failed before a worker reported, and returns that outcome.
fn fail(log: &mut RunLog, exit: ExitCode, reason: String) -> Outcome {
    log.line(format!("Error: {reason}"));
    Outcome::failed(exit, reason)
}

fn security_label(security: Security) -> &'static str {
    match security {
        Security::Plain => "no encryption",
        Security::Starttls => "STARTTLS",
        Security::Tls => "TLS",
    }
}

fn write_header(log: &mut RunLog, task: &str, spec: &SyncSpec) {
    let now = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    log.line(format!(
        "imapsync-rs {} task {task} started {now}",
        env!("CARGO_PKG_VERSION")
    ));
    for (side, end) in [("Host1", &spec.host1), ("Host2", &spec.host2)] {
        log.line(format!(
            "{side}: {} on {}:{} ({})",
            end.user,
            end.host,
            end.port,
            security_label(end.security)
        ));
    }
    let pattern: Vec<&str> = spec.select.effective_excludes().collect();
    if !pattern.is_empty() {
        log.line(format!(
            "Excluding folders matching pattern {}",
            pattern.join("|")
        ));
    }
    if !spec.select.folders.is_empty() {
        log.line(format!("Only folders: {}", spec.select.folders.join(", ")));
    }
    if let Some(search) = &spec.select.search1 {
        log.line(format!("Host1: only messages matching SEARCH {search}"));
    }
}

async fn drive(
    shared: &Shared,
    files: &TaskFiles,
    env: &TaskEnv,
    control: &RunControl,
    log: &mut RunLog,
) -> Outcome {
    let config = &shared.config;
    let mut spec = match endpoints::build(config, files, env, config.timeout_secs) {
        Ok(spec) => spec,
        Err(e) => return fail(log, e.exit, e.to_string()),
    };
    write_header(log, &files.name, &spec);
    tokio::select! {
        resolved = endpoints::resolve(&mut spec) => if let Err(e) = resolved {
            return fail(log, e.exit, e.to_string());
        },
        _ = control.stopped() => return Outcome::stopped(),
    }
    let state_path = files.path("state");
    let state = state_file::load(&state_path).unwrap_or_else(|e| {
        log.line(format!(
            "Warning: the UID map is unreadable and is rebuilt from message headers: {e}"
        ));
        SyncState::default()
    });
    if control.stop_requested() {
        return Outcome::stopped();
    }
    let worker = match worker_process::spawn(&shared.reaper, &shared.worker, &files.name) {
        Ok(worker) => worker,
        Err(e) => {
            let reason = format!("cannot start {}: {e}", shared.worker.program.display());
            return fail(log, ExitCode::Software, reason);
        }
    };
    control.set_worker(worker.pid, worker.exit.clone());
    if let Err(e) = files.write_pid(worker.pid) {
        log_err!("task {}: cannot write its pid file: {e}", files.name);
    }
    let pid = worker.pid;
    let silence = Duration::from_secs(config.worker_silence_secs.max(1));
    let mut keeper = StateKeeper::new(state.clone(), state_path);
    let result = converse(
        &worker,
        RunParams { spec, state },
        &mut keeper,
        control,
        log,
        silence,
    )
    .await;
    keeper.finish(log).await;
    let exit_status = worker.finish().await;
    let stopped = control.stop_requested();
    match result {
        Ok(summary) => Outcome {
            exit: if stopped {
                ExitCode::Terminated.code()
            } else {
                summary.exit_code
            },
            summary: Some(summary),
            pid,
            reason: None,
        },
        Err(reason) => {
            let reason = format!("the worker ended without a result ({exit_status}): {reason}");
            log.line(format!("Error: {reason}"));
            let exit = match exit_status {
                _ if stopped => ExitCode::Terminated,
                // The shell module's way of stopping a run: `kill <pid>`.
                ChildExit::Signal(nix::libc::SIGTERM) => ExitCode::Terminated,
                ChildExit::Signal(_) => ExitCode::BySignal,
                ChildExit::Code(_) => ExitCode::Software,
            };
            Outcome {
                exit: exit.code(),
                summary: None,
                pid,
                reason: Some(reason),
            }
        }
    }
}

struct Notifications {
    log: Subscription<LogLine>,
    progress: Subscription<Progress>,
    state: Subscription<StateUpdate>,
}

impl Notifications {
    async fn subscribe(worker: &Worker) -> Result<Notifications, String> {
        let client = &worker.client;
        let fail = |e: jsonrpsee::core::client::Error| e.to_string();
        Ok(Notifications {
            log: client.subscribe_to_method(NOTIFY_LOG).await.map_err(fail)?,
            progress: client
                .subscribe_to_method(NOTIFY_PROGRESS)
                .await
                .map_err(fail)?,
            state: client
                .subscribe_to_method(NOTIFY_STATE)
                .await
                .map_err(fail)?,
        })
    }

    /// Handles whatever is already queued (after the final answer).
    fn drain(&mut self, control: &RunControl, keeper: &mut StateKeeper, log: &mut RunLog) {
        while let Some(Some(Ok(line))) = self.log.next().now_or_never() {
            log.line(line.line);
        }
        while let Some(Some(Ok(progress))) = self.progress.next().now_or_never() {
            *lock(&control.progress) = Some(progress);
        }
        while let Some(Some(Ok(update))) = self.state.next().now_or_never() {
            keeper.apply(update);
        }
    }
}

async fn cancel(worker: &Worker) {
    let request = worker
        .client
        .request::<bool, _>(METHOD_CANCEL, rpc_params![]);
    let _ = tokio::time::timeout(Duration::from_secs(1), request).await;
}

/// Sends `run` and handles everything the worker says until it answers. A stop cancels the
/// run and kills the worker after [`STOP_GRACE`]; a worker silent for `silence` is killed.
async fn converse(
    worker: &Worker,
    params: RunParams,
    keeper: &mut StateKeeper,
    control: &RunControl,
    log: &mut RunLog,
    silence: Duration,
) -> Result<RunSummary, String> {
    let mut notes = Notifications::subscribe(worker).await?;
    let request = worker
        .client
        .request::<RunSummary, _>(METHOD_RUN, rpc_params![params]);
    tokio::pin!(request);
    let mut save_tick = tokio::time::interval(SAVE_TICK);
    let mut kill_at: Option<Instant> = None;
    let mut heard = Instant::now();
    if control.stop_requested() {
        cancel(worker).await;
        kill_at = Some(Instant::now() + STOP_GRACE);
    }
    let result = loop {
        let stop = control.stopped();
        tokio::select! {
            result = &mut request => break result.map_err(|e| e.to_string()),
            Some(Ok(line)) = notes.log.next() => {
                heard = Instant::now();
                log.line(line.line);
            }
            Some(Ok(progress)) = notes.progress.next() => {
                heard = Instant::now();
                *lock(&control.progress) = Some(progress);
            }
            Some(Ok(update)) = notes.state.next() => {
                heard = Instant::now();
                keeper.apply(update);
            }
            _ = save_tick.tick() => keeper.tick(log).await,
            _ = stop, if kill_at.is_none() => {
                kill_at = Some(Instant::now() + STOP_GRACE);
                cancel(worker).await;
            }
            _ = tokio::time::sleep_until(kill_at.unwrap_or_else(Instant::now)), if kill_at.is_some() => {
                log.line(format!("Stop: the worker did not stop within {} s and is killed", STOP_GRACE.as_secs()));
                control.kill_worker();
                kill_at = Some(Instant::now() + Duration::from_secs(3600));
            }
            _ = tokio::time::sleep_until(heard + silence) => {
                log.line(format!("Error: the worker said nothing for {} s and is killed", silence.as_secs()));
                control.kill_worker();
                heard = Instant::now() + Duration::from_secs(3600);
            }
        }
    };
    notes.drain(control, keeper, log);
    result
}
