//! Shared state of one run: the spec, where events go, the stop flag, the local mirror of the
//! UID map and the counters that become the summary.

use super::budget::{ByteBudget, RUN_BUDGET_BYTES};
use super::events::{CancelToken, EventSink};
use crate::imap::net::AbortHandle;
use protocol::exit::ExitCode;
use protocol::rpc::{LogLevel, Progress};
use protocol::spec::SyncSpec;
use protocol::state::{FolderState, StateChange, SyncState};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Counters accumulated by every folder worker.
#[derive(Debug, Default, Clone)]
pub struct Counters {
    pub transferred: u64,
    pub bytes_transferred: u64,
    pub would_transfer: u64,
    pub skipped: u64,
    pub deleted_host1: u64,
    pub deleted_host2: u64,
    pub flags_updated: u64,
    pub folders_synced: u64,
    pub folders_deleted_host2: u64,
    pub errors: BTreeMap<i32, u64>,
}

impl Counters {
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Everything the folder workers share.
pub struct RunContext<'a> {
    pub spec: &'a SyncSpec,
    sink: &'a dyn EventSink,
    pub cancel: &'a CancelToken,
    state: Mutex<SyncState>,
    counters: Mutex<Counters>,
    progress: Mutex<Progress>,
    /// Folders being synced now, in the order they started (folders run in parallel).
    active_folders: Mutex<Vec<String>>,
    host1_aborts: Mutex<Vec<AbortHandle>>,
    halted: std::sync::atomic::AtomicBool,
    pub errors_max: u64,
    /// Bytes of message bodies all copy pipelines may hold at once.
    pub budget: ByteBudget,
}

impl<'a> RunContext<'a> {
    pub fn new(
        spec: &'a SyncSpec,
        state: SyncState,
        sink: &'a dyn EventSink,
        cancel: &'a CancelToken,
    ) -> Self {
        RunContext {
            spec,
            sink,
            cancel,
            state: Mutex::new(state),
            counters: Mutex::new(Counters::default()),
            progress: Mutex::new(Progress::default()),
            active_folders: Mutex::new(Vec::new()),
            host1_aborts: Mutex::new(Vec::new()),
            halted: std::sync::atomic::AtomicBool::new(false),
            errors_max: 50,
            budget: ByteBudget::new(RUN_BUDGET_BYTES),
        }
    }

    pub fn log(&self, level: LogLevel, line: impl AsRef<str>) {
        self.sink.log(level, line.as_ref());
    }

    pub fn info(&self, line: impl AsRef<str>) {
        self.log(LogLevel::Info, line);
    }

    /// Applies map changes locally and reports them. Dry runs change nothing.
    pub fn emit(&self, changes: Vec<StateChange>) {
        if changes.is_empty() || self.spec.actions.dry_run {
            return;
        }
        {
            let mut state = lock(&self.state);
            for change in &changes {
                state.apply(change.clone());
            }
        }
        self.sink.state(changes);
    }

    /// The current map of one host1 folder.
    pub fn folder_state(&self, folder1: &str) -> Option<FolderState> {
        lock(&self.state).folders.get(folder1).cloned()
    }

    /// host1 folders the map knows.
    pub fn known_folders(&self) -> Vec<String> {
        lock(&self.state).folders.keys().cloned().collect()
    }

    pub fn count(&self, update: impl FnOnce(&mut Counters)) {
        update(&mut lock(&self.counters));
    }

    /// Records one error of class `code`; true once the error budget is spent.
    pub fn error(&self, code: ExitCode, line: impl AsRef<str>) -> bool {
        self.log(LogLevel::Error, line);
        let mut counters = lock(&self.counters);
        *counters.errors.entry(code.code()).or_default() += 1;
        counters.error_total() >= self.errors_max
    }

    pub fn too_many_errors(&self) -> bool {
        lock(&self.counters).error_total() >= self.errors_max
    }

    /// Stops the other folder workers after a fatal error in one of them.
    pub fn halt(&self) {
        self.halted.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// True when work must stop at the next message boundary: cancelled, halted by a fatal
    /// error, or out of error budget.
    pub fn should_stop(&self) -> bool {
        self.cancel.is_cancelled()
            || self.halted.load(std::sync::atomic::Ordering::SeqCst)
            || self.too_many_errors()
    }

    pub fn counters(&self) -> Counters {
        lock(&self.counters).clone()
    }

    /// Updates and reports progress.
    pub fn progress(&self, update: impl FnOnce(&mut Progress)) {
        let snapshot = {
            let mut progress = lock(&self.progress);
            update(&mut progress);
            progress.clone()
        };
        self.sink.progress(&snapshot);
    }

    /// Marks `name` as being synced; progress names every folder in progress.
    pub fn folder_started(&self, name: &str) {
        let mut active = lock(&self.active_folders);
        active.push(name.to_owned());
        let shown = active.join(", ");
        self.progress(|p| p.folder = shown);
    }

    /// Marks `name` as no longer being synced; `completed` counts it in `folders_done`.
    pub fn folder_finished(&self, name: &str, completed: bool) {
        let mut active = lock(&self.active_folders);
        if let Some(at) = active.iter().position(|f| f == name) {
            active.remove(at);
        }
        let shown = active.join(", ");
        self.progress(|p| {
            p.folder = shown;
            p.folders_done += u64::from(completed);
        });
    }

    /// Registers a host1 connection so a cancel can break its reads.
    pub fn register_host1(&self, handle: AbortHandle) {
        if self.cancel.is_cancelled() {
            handle.abort();
        }
        lock(&self.host1_aborts).push(handle);
    }

    /// Breaks every host1 connection (on cancel): no more data comes in, while the host2
    /// side finishes the message it is appending.
    pub fn abort_host1(&self) {
        for handle in lock(&self.host1_aborts).iter() {
            handle.abort();
        }
    }
}

/// Locks a mutex, recovering the data if a worker thread panicked while holding it.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the last progress it was sent.
    #[derive(Default)]
    struct LastProgress(Mutex<Progress>);

    impl EventSink for LastProgress {
        fn log(&self, _level: LogLevel, _line: &str) {}
        fn progress(&self, progress: &Progress) {
            *lock(&self.0) = progress.clone();
        }
        fn state(&self, _changes: Vec<StateChange>) {}
    }

    fn spec() -> SyncSpec {
        let side = |user: &str| serde_json::json!({"host": "127.0.0.1", "port": 143, "user": user, "password": "x"});
        serde_json::from_value(serde_json::json!({"host1": side("a"), "host2": side("b")})).unwrap()
    }

    #[test]
    fn progress_names_every_folder_still_being_synced() {
        let (spec, sink, cancel) = (spec(), LastProgress::default(), CancelToken::default());
        let ctx = RunContext::new(&spec, SyncState::default(), &sink, &cancel);
        let shown = || lock(&sink.0).clone();
        ctx.folder_started("INBOX");
        ctx.folder_started("Sent");
        assert_eq!(shown().folder, "INBOX, Sent");
        ctx.folder_finished("Trash", true);
        ctx.folder_finished("INBOX", true);
        assert_eq!((shown().folder.as_str(), shown().folders_done), ("Sent", 2));
        ctx.folder_finished("Sent", false);
        assert_eq!((shown().folder.as_str(), shown().folders_done), ("", 2));
    }
}
