//! What a run reports while it works (log lines, progress, UID map changes) and how it is told
//! to stop.

use protocol::rpc::{LogLevel, Progress};
use protocol::state::StateChange;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Receives everything a run reports. Implementations must be cheap and thread-safe: folders
/// are synced in parallel.
pub trait EventSink: Send + Sync {
    fn log(&self, level: LogLevel, line: &str);
    fn progress(&self, progress: &Progress);
    fn state(&self, changes: Vec<StateChange>);
}

/// Shared stop flag: set once, seen by every thread of the run.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
