//! What the outside world sees of, and does to, a run in progress: its start time, worker,
//! live progress, the stop request and the "finished" signal.

use crate::reaper::ExitWatch;
use crate::shared::lock;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use protocol::rpc::Progress;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

/// Shared between a run and the queue, the control API and shutdown.
pub struct RunControl {
    pub started_at: i64,
    /// The same moment on the monotonic clock, for the duration of a run without a report.
    pub started: Instant,
    pub progress: Mutex<Option<Progress>>,
    worker: Mutex<Option<(u32, ExitWatch)>>,
    stop: watch::Sender<bool>,
    done: watch::Sender<bool>,
}

impl RunControl {
    pub fn new(started_at: i64) -> Arc<RunControl> {
        Arc::new(RunControl {
            started_at,
            started: Instant::now(),
            progress: Mutex::new(None),
            worker: Mutex::new(None),
            stop: watch::channel(false).0,
            done: watch::channel(false).0,
        })
    }

    /// Records the run's worker once it is spawned.
    pub fn set_worker(&self, pid: u32, exit: ExitWatch) {
        *lock(&self.worker) = Some((pid, exit));
    }

    /// The worker's pid while it lives.
    pub fn worker_pid(&self) -> Option<u32> {
        lock(&self.worker)
            .as_ref()
            .filter(|(_, exit)| exit.exited().is_none())
            .map(|(pid, _)| *pid)
    }

    /// Kills the worker's process group, only while the worker is unreaped (so its pid
    /// cannot have been reused).
    pub fn kill_worker(&self) {
        if let Some(pid) = self.worker_pid() {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }

    /// Asks the run to stop; returns at once.
    pub fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    /// True once a stop was asked for.
    pub fn stop_requested(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves when a stop is asked for.
    pub async fn stopped(&self) {
        let mut stop = self.stop.subscribe();
        let _ = stop.wait_for(|stop| *stop).await;
    }

    /// Marks the run finished: its files are written and its lock released.
    pub fn mark_done(&self) {
        self.done.send_replace(true);
    }

    /// Waits until the run is finished.
    pub async fn finished(&self) {
        let mut done = self.done.subscribe();
        let _ = done.wait_for(|finished| *finished).await;
    }
}
