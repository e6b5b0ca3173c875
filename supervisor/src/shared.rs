//! What every part of the supervisor shares: its settings, the child reaper and how workers
//! are started.

use crate::config::Config;
use crate::reaper::Reaper;
use crate::worker_process::WorkerSettings;
use std::sync::{Arc, Mutex, MutexGuard};

/// Threads one worker may need at most (its runtime, blocking pool and folder pipelines),
/// with room to spare; with one-shot check workers this bounds the worker uid.
const THREADS_PER_WORKER: u64 = 64;

/// Settings and process plumbing shared by runs, checks and cron jobs.
pub struct Shared {
    pub config: Config,
    pub reaper: Arc<Reaper>,
    pub worker: WorkerSettings,
}

impl Shared {
    /// Builds the shared part from the settings; workers switch identity only when the
    /// supervisor runs as root.
    pub fn new(config: Config, reaper: Arc<Reaper>) -> Shared {
        let identity = nix::unistd::geteuid()
            .is_root()
            .then_some((config.worker_uid, config.worker_gid));
        let worker = WorkerSettings {
            program: config.worker_path(),
            identity,
            memory_limit: config.worker_memory_mib.saturating_mul(1024 * 1024),
            nproc_limit: u64::from(config.max_workers) * THREADS_PER_WORKER + THREADS_PER_WORKER,
        };
        Shared {
            config,
            reaper,
            worker,
        }
    }
}

/// Locks a mutex, recovering the data of a holder that panicked.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
