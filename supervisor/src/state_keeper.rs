//! A run's UID map in the supervisor: changes from the worker applied in memory and written to
//! `<task>.state` atomically, off the runtime thread, at most every second and less often when
//! a write is slow (a large map), then once more at the end.

use crate::run_log::RunLog;
use protocol::rpc::StateUpdate;
use protocol::state::SyncState;
use protocol::state_file;
use std::path::PathBuf;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Least time between two writes.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// A write may take at most this share of the time: interval >= cost x this factor.
const COST_FACTOR: u32 = 20;

type SaveResult = std::io::Result<Duration>;

/// The map of one run and its pending write.
pub struct StateKeeper {
    state: SyncState,
    path: PathBuf,
    dirty: bool,
    saving: Option<JoinHandle<SaveResult>>,
    next_save: Instant,
}

fn write(path: PathBuf, state: SyncState) -> SaveResult {
    let begin = std::time::Instant::now();
    state_file::save(&path, &state)?;
    Ok(begin.elapsed())
}

impl StateKeeper {
    pub fn new(state: SyncState, path: PathBuf) -> StateKeeper {
        StateKeeper {
            state,
            path,
            dirty: false,
            saving: None,
            next_save: Instant::now(),
        }
    }

    /// Applies the worker's changes in order.
    pub fn apply(&mut self, update: StateUpdate) {
        for change in update.changes {
            self.state.apply(change);
        }
        self.dirty = true;
    }

    fn settle(&mut self, result: Result<SaveResult, tokio::task::JoinError>, log: &mut RunLog) {
        match result {
            Ok(Ok(cost)) => {
                self.next_save = Instant::now() + MIN_INTERVAL.max(cost * COST_FACTOR);
            }
            Ok(Err(e)) => log.line(format!("Warning: cannot save the UID map: {e}")),
            Err(e) => log.line(format!("Warning: the UID map writer failed: {e}")),
        }
    }

    /// Starts a write when one is due and none is in flight.
    pub async fn tick(&mut self, log: &mut RunLog) {
        if let Some(handle) = self.saving.take_if(|h| h.is_finished()) {
            let result = handle.await;
            self.settle(result, log);
        }
        if self.dirty && self.saving.is_none() && Instant::now() >= self.next_save {
            self.dirty = false;
            let (path, snapshot) = (self.path.clone(), self.state.clone());
            self.saving = Some(tokio::task::spawn_blocking(move || write(path, snapshot)));
        }
    }

    /// Waits for a write in flight, then writes what is left.
    pub async fn finish(&mut self, log: &mut RunLog) {
        if let Some(handle) = self.saving.take() {
            let result = handle.await;
            self.settle(result, log);
        }
        if self.dirty {
            self.dirty = false;
            let (path, snapshot) = (self.path.clone(), self.state.clone());
            let result = tokio::task::spawn_blocking(move || write(path, snapshot)).await;
            self.settle(result, log);
        }
    }
}
