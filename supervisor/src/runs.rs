//! The run queue: which tasks run, which wait for a free worker slot, starting and stopping
//! them, their live status, and the shutdown of everything.

use crate::run_control::RunControl;
use crate::shared::{lock, Shared};
use crate::task_files::{task_names, LoadError, TaskFiles};
use crate::task_lock::{LockError, TaskLock};
use crate::task_run;
use protocol::control::{RunState, StartOutcome, StopOutcome, TaskStatus};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A refused control request.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    BadName(#[from] protocol::task::TaskError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the supervisor is shutting down")]
    ShuttingDown,
    #[error("{0}")]
    Lock(String),
}

#[derive(Default)]
struct Slots {
    running: HashMap<String, Arc<RunControl>>,
    queue: VecDeque<String>,
    closing: bool,
}

/// Every run of the supervisor.
pub struct Runs {
    shared: Arc<Shared>,
    slots: Mutex<Slots>,
    /// Bounds the one-shot workers of `validate` and `sizes`.
    checks: Arc<Semaphore>,
}

/// Marks a run finished and frees its slot even if the run's task panicked.
struct SlotGuard {
    runs: Arc<Runs>,
    task: String,
    control: Arc<RunControl>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.control.mark_done();
        self.runs.finished(&self.task);
    }
}

impl Runs {
    pub fn new(shared: Arc<Shared>) -> Arc<Runs> {
        let checks = Arc::new(Semaphore::new(shared.config.max_workers as usize));
        Arc::new(Runs {
            shared,
            slots: Mutex::new(Slots::default()),
            checks,
        })
    }

    fn files(&self, task: &str) -> Result<TaskFiles, RunError> {
        Ok(TaskFiles::new(&self.shared.config.state_dir, task)?)
    }

    /// Removes `.pid` files left by a previous supervisor that was killed: nothing runs yet.
    pub fn clear_stale_pid_files(&self) {
        let dir = &self.shared.config.state_dir;
        for task in task_names(dir).unwrap_or_default() {
            if let Ok(files) = TaskFiles::new(dir, &task) {
                if files.pid_exists() {
                    log_err!("task {task}: removing the pid file of an interrupted run");
                    let _ = files.remove("pid");
                }
            }
        }
    }

    /// Starts `task`, or queues it when every worker slot is busy.
    pub fn start(self: &Arc<Self>, task: &str) -> Result<StartOutcome, RunError> {
        let files = self.files(task)?;
        files.load_env()?;
        let mut slots = lock(&self.slots);
        if slots.closing {
            return Err(RunError::ShuttingDown);
        }
        if slots.running.contains_key(task) || slots.queue.iter().any(|t| t == task) {
            return Ok(StartOutcome::AlreadyRunning);
        }
        if slots.running.len() < self.shared.config.max_workers as usize {
            match self.launch(&mut slots, files) {
                Ok(()) => Ok(StartOutcome::Started),
                Err(LockError::Busy) => Ok(StartOutcome::AlreadyRunning),
                Err(e) => Err(RunError::Lock(e.to_string())),
            }
        } else {
            slots.queue.push_back(task.to_string());
            Ok(StartOutcome::Queued)
        }
    }

    /// Takes the task lock and starts the run; a lock held elsewhere refuses the start.
    fn launch(self: &Arc<Self>, slots: &mut Slots, files: TaskFiles) -> Result<(), LockError> {
        let lock = TaskLock::try_acquire(&files.path("lock"))?;
        let control = RunControl::new(chrono::Utc::now().timestamp());
        slots.running.insert(files.name.clone(), control.clone());
        let guard = SlotGuard {
            runs: self.clone(),
            task: files.name.clone(),
            control: control.clone(),
        };
        let shared = self.shared.clone();
        tokio::spawn(async move {
            task_run::run(&shared, &files, &control, lock).await;
            drop(guard);
        });
        Ok(())
    }

    fn finished(self: &Arc<Self>, task: &str) {
        let mut slots = lock(&self.slots);
        slots.running.remove(task);
        while !slots.closing && slots.running.len() < self.shared.config.max_workers as usize {
            let Some(next) = slots.queue.pop_front() else {
                break;
            };
            let launched = self
                .files(&next)
                .map_err(|e| e.to_string())
                .and_then(|files| self.launch(&mut slots, files).map_err(|e| e.to_string()));
            if let Err(e) = launched {
                log_err!("task {next}: dropped from the queue: {e}");
            }
        }
    }

    /// A permit for a one-shot check worker; refused during shutdown.
    pub async fn check_permit(&self) -> Result<OwnedSemaphorePermit, RunError> {
        if lock(&self.slots).closing {
            return Err(RunError::ShuttingDown);
        }
        self.checks
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| RunError::ShuttingDown)
    }

    /// Stops `task`: a queued one leaves the queue, a running one is cancelled (killed after a
    /// grace period) and this returns once its files are written.
    pub async fn stop(&self, task: &str) -> Result<StopOutcome, RunError> {
        let files = self.files(task)?;
        let control = {
            let mut slots = lock(&self.slots);
            if let Some(index) = slots.queue.iter().position(|t| t == task) {
                slots.queue.remove(index);
                return Ok(StopOutcome::Dequeued);
            }
            slots.running.get(task).cloned()
        };
        let Some(control) = control else {
            return Ok(StopOutcome::NotRunning);
        };
        control.request_stop();
        control.finished().await;
        // As with the shell module: the next run after a manual stop is a full pass.
        let _ = files.remove("timestamp");
        Ok(StopOutcome::Stopped)
    }

    /// The state of `task`.
    pub fn status(&self, task: &str) -> Result<TaskStatus, RunError> {
        let files = self.files(task)?;
        let slots = lock(&self.slots);
        let known = slots.running.contains_key(task) || slots.queue.iter().any(|t| t == task);
        if !known && !files.path("env").exists() {
            return Err(LoadError::Missing(task.to_string()).into());
        }
        Ok(status_of(&files, &slots))
    }

    /// Every task with a `.env`, plus running or queued ones whose file just went away.
    pub fn list(&self) -> Vec<TaskStatus> {
        let dir = &self.shared.config.state_dir;
        let mut names = task_names(dir).unwrap_or_default();
        let slots = lock(&self.slots);
        for task in slots.running.keys().chain(slots.queue.iter()) {
            if !names.contains(task) {
                names.push(task.clone());
            }
        }
        names.sort();
        names
            .iter()
            .filter_map(|task| TaskFiles::new(dir, task).ok())
            .map(|files| status_of(&files, &slots))
            .collect()
    }

    /// Number of runs in progress.
    pub fn running(&self) -> usize {
        lock(&self.slots).running.len()
    }

    /// Stops everything: the queue is emptied, every run is cancelled and given `grace` to
    /// finish; runs still going after that are killed.
    pub async fn shutdown(&self, grace: Duration) {
        let controls: Vec<Arc<RunControl>> = {
            let mut slots = lock(&self.slots);
            slots.closing = true;
            slots.queue.clear();
            self.checks.close();
            slots.running.values().cloned().collect()
        };
        for control in &controls {
            control.request_stop();
        }
        let all = futures_util::future::join_all(controls.iter().map(|c| c.finished()));
        if tokio::time::timeout(grace, all).await.is_err() {
            for control in &controls {
                control.kill_worker();
            }
            let all = futures_util::future::join_all(controls.iter().map(|c| c.finished()));
            let _ = tokio::time::timeout(Duration::from_secs(1), all).await;
        }
    }
}

fn status_of(files: &TaskFiles, slots: &Slots) -> TaskStatus {
    let last = files.last_run();
    let mut status = TaskStatus {
        task: files.name.clone(),
        state: RunState::Stopped,
        pid: None,
        started_at: None,
        progress: None,
        last_sync_timestamp: last.started_at,
        last_sync_exit_code: last.exit_code,
        last_sync_summary: last.summary,
    };
    if let Some(control) = slots.running.get(&files.name) {
        status.state = RunState::Running;
        status.pid = control.worker_pid();
        status.started_at = Some(control.started_at);
        status.progress = lock(&control.progress).clone();
    } else if slots.queue.contains(&files.name) {
        status.state = RunState::Queued;
    }
    status
}
