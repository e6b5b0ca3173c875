//! One run of one task, start to finish: the lock, the log, the worker, the UID map kept from
//! its notifications, the stop path (cancel, then kill after a grace period), and the files
//! and container-log lines every run leaves behind.

use crate::endpoints;
use crate::run_log::RunLog;
use crate::shared::Shared;
use crate::task_files::TaskFiles;
use crate::task_lock::{LockError, TaskLock};
use crate::worker_process::{self, Worker};
use futures_util::FutureExt;
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use nix::sys::signal::Signal;
use protocol::exit::ExitCode;
use protocol::report::{exit_line, summary_lines};
use protocol::rpc::{
    LogLine, Progress, RunParams, RunSummary, StateUpdate, METHOD_CANCEL, METHOD_RUN, NOTIFY_LOG,
    NOTIFY_PROGRESS, NOTIFY_STATE,
};
use protocol::spec::{Security, SyncSpec};
use protocol::state::SyncState;
use protocol::state_file;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Time a cancelled worker gets to stop at a message boundary before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(3);
/// Time a finished worker gets to exit after its input is closed.
const EXIT_GRACE: Duration = Duration::from_secs(5);
/// Least time between two writes of the UID map.
const STATE_SAVE_INTERVAL: Duration = Duration::from_secs(1);

/// What the outside world sees of, and does to, a run in progress.
pub struct RunControl {
    pub started_at: i64,
    pub pid: AtomicU32,
    pub progress: Mutex<Option<Progress>>,
    stop: watch::Sender<bool>,
    done: watch::Sender<bool>,
}

impl RunControl {
    pub fn new(started_at: i64) -> Arc<RunControl> {
        Arc::new(RunControl {
            started_at,
            pid: AtomicU32::new(0),
            progress: Mutex::new(None),
            stop: watch::channel(false).0,
            done: watch::channel(false).0,
        })
    }

    /// Asks the run to stop; returns at once.
    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    /// Waits until the run has written its files and released its lock.
    pub async fn finished(&self) {
        let mut done = self.done.subscribe();
        let _ = done.wait_for(|finished| *finished).await;
    }

    /// The worker's pid once it runs.
    pub fn worker_pid(&self) -> Option<u32> {
        Some(self.pid.load(Ordering::Relaxed)).filter(|pid| *pid != 0)
    }

    fn stop_requested(&self) -> bool {
        *self.stop.borrow()
    }
}

/// How a run ended.
struct Outcome {
    exit: i32,
    summary: Option<RunSummary>,
    pid: u32,
}

impl Outcome {
    fn failed(exit: ExitCode) -> Outcome {
        Outcome {
            exit: exit.code(),
            summary: None,
            pid: std::process::id(),
        }
    }
}

/// Runs `files`' task once; marks `control` done at the end whatever happens.
pub async fn run(shared: Arc<Shared>, files: TaskFiles, control: Arc<RunControl>) {
    execute(&shared, &files, &control).await;
    control.done.send_replace(true);
}

async fn execute(shared: &Shared, files: &TaskFiles, control: &RunControl) {
    let task = files.name.as_str();
    if !files.path("env").exists() {
        eprintln!("task {task}: not started: the task no longer exists");
        return;
    }
    let lock = match TaskLock::try_acquire(&files.path("lock")) {
        Ok(lock) => lock,
        Err(LockError::Busy) => {
            eprintln!("task {task}: not started: already running (lock held elsewhere)");
            return;
        }
        Err(e) => {
            eprintln!("task {task}: not started: {e}");
            return;
        }
    };
    let mut log = RunLog::create(&files.path("log"), task);
    let outcome = drive(shared, files, control, &mut log).await;
    if let Err(e) = files.remove("pid") {
        eprintln!(
            "task {task}: cannot remove {}: {e}",
            files.path("pid").display()
        );
    }
    record(files, control, &mut log, &outcome);
    drop(lock);
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
    control: &RunControl,
    log: &mut RunLog,
) -> Outcome {
    let config = &shared.config;
    let mut spec = match endpoints::build(config, files, config.timeout_secs) {
        Ok(spec) => spec,
        Err(e) => {
            log.line(format!("Error: {e}"));
            return Outcome::failed(e.exit);
        }
    };
    write_header(log, &files.name, &spec);
    if let Err(e) = endpoints::resolve(&mut spec).await {
        log.line(format!("Error: {e}"));
        return Outcome::failed(e.exit);
    }
    let state_path = files.path("state");
    let state = state_file::load(&state_path).unwrap_or_else(|e| {
        log.line(format!(
            "Warning: the UID map is unreadable and is rebuilt from message headers: {e}"
        ));
        SyncState::default()
    });
    if control.stop_requested() {
        return Outcome::failed(ExitCode::Terminated);
    }
    let worker = match worker_process::spawn(&shared.reaper, &shared.worker, &files.name) {
        Ok(worker) => worker,
        Err(e) => {
            log.line(format!(
                "Error: cannot start {}: {e}",
                shared.worker.program.display()
            ));
            return Outcome::failed(ExitCode::Software);
        }
    };
    control.pid.store(worker.pid, Ordering::Relaxed);
    if let Err(e) = files.write_pid(worker.pid) {
        eprintln!("task {}: cannot write its pid file: {e}", files.name);
    }
    let pid = worker.pid;
    let result = converse(&worker, spec, state, &state_path, control, log).await;
    let exit_status = finish_worker(worker).await;
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
        },
        Err(reason) => {
            log.line(format!(
                "Error: the worker ended without a result ({exit_status}): {reason}"
            ));
            let exit = if stopped {
                ExitCode::Terminated
            } else if matches!(exit_status, crate::reaper::ChildExit::Signal(_)) {
                ExitCode::BySignal
            } else {
                ExitCode::Software
            };
            Outcome {
                exit: exit.code(),
                summary: None,
                pid,
            }
        }
    }
}

/// Closes the worker's input and waits for it to exit, killing its group if it lingers.
async fn finish_worker(worker: Worker) -> crate::reaper::ChildExit {
    let Worker {
        pid, client, exit, ..
    } = worker;
    drop(client);
    let mut exit = exit;
    match tokio::time::timeout(EXIT_GRACE, exit.wait()).await {
        Ok(status) => status,
        Err(_) => {
            let _ =
                nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), Signal::SIGKILL);
            exit.wait().await
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
}

/// Keeps the UID map and writes it at most once per [`STATE_SAVE_INTERVAL`].
struct StateKeeper<'a> {
    state: SyncState,
    path: &'a std::path::Path,
    dirty: bool,
}

impl StateKeeper<'_> {
    fn apply(&mut self, update: StateUpdate) {
        for change in update.changes {
            self.state.apply(change);
        }
        self.dirty = true;
    }

    fn save(&mut self, log: &mut RunLog) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        if let Err(e) = state_file::save(self.path, &self.state) {
            log.line(format!("Warning: cannot save the UID map: {e}"));
        }
    }
}

fn drain(
    notes: &mut Notifications,
    control: &RunControl,
    keeper: &mut StateKeeper,
    log: &mut RunLog,
) {
    while let Some(Some(Ok(line))) = notes.log.next().now_or_never() {
        log.line(line.line);
    }
    while let Some(Some(Ok(progress))) = notes.progress.next().now_or_never() {
        *crate::shared::lock(&control.progress) = Some(progress);
    }
    while let Some(Some(Ok(update))) = notes.state.next().now_or_never() {
        keeper.apply(update);
    }
}

/// Sends `run` and handles everything the worker says until it answers.
async fn converse(
    worker: &Worker,
    spec: SyncSpec,
    state: SyncState,
    state_path: &std::path::Path,
    control: &RunControl,
    log: &mut RunLog,
) -> Result<RunSummary, String> {
    let mut notes = Notifications::subscribe(worker).await?;
    let mut keeper = StateKeeper {
        state: state.clone(),
        path: state_path,
        dirty: false,
    };
    let mut stop = control.stop.subscribe();
    let request = worker
        .client
        .request::<RunSummary, _>(METHOD_RUN, rpc_params![RunParams { spec, state }]);
    tokio::pin!(request);
    let mut save_tick = tokio::time::interval(STATE_SAVE_INTERVAL);
    let mut kill_at: Option<Instant> = control
        .stop_requested()
        .then(|| Instant::now() + STOP_GRACE);
    let result = loop {
        tokio::select! {
            result = &mut request => break result.map_err(|e| e.to_string()),
            Some(Ok(line)) = notes.log.next() => log.line(line.line),
            Some(Ok(progress)) = notes.progress.next() => {
                *crate::shared::lock(&control.progress) = Some(progress);
            }
            Some(Ok(update)) = notes.state.next() => keeper.apply(update),
            _ = save_tick.tick() => keeper.save(log),
            Ok(()) = stop.changed(), if kill_at.is_none() => {
                if *stop.borrow_and_update() {
                    kill_at = Some(Instant::now() + STOP_GRACE);
                    let cancel = worker.client.request::<bool, _>(METHOD_CANCEL, rpc_params![]);
                    let _ = tokio::time::timeout(Duration::from_secs(1), cancel).await;
                }
            }
            _ = tokio::time::sleep_until(kill_at.unwrap_or_else(Instant::now)), if kill_at.is_some() => {
                log.line(format!("Stop: the worker did not stop within {} s and is killed", STOP_GRACE.as_secs()));
                worker.signal(Signal::SIGKILL);
                kill_at = Some(Instant::now() + Duration::from_secs(3600));
            }
        }
    };
    drain(&mut notes, control, &mut keeper, log);
    keeper.save(log);
    result
}

/// Writes the summary, `.status`, `.timestamp` and the container-log lines.
fn record(files: &TaskFiles, control: &RunControl, log: &mut RunLog, outcome: &Outcome) {
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
        if let Err(e) = files.write_status(control.started_at, outcome.exit) {
            eprintln!("task {task}: cannot write its status: {e}");
        }
    }
    let excerpt = format!("task {task}: tx={transferred}, msg={exit_text}");
    if outcome.exit == 0 {
        if let Some(mode) = files.load_env().ok().map(|env| env.foldersynchronization) {
            if let Err(e) = files.write_timestamp(&mode, control.started_at) {
                eprintln!("task {task}: cannot write its timestamp: {e}");
            }
        }
        println!("{excerpt}");
    } else {
        eprintln!("task {task}: imapsync error: {}", outcome.exit);
        eprintln!("{excerpt}");
    }
}
