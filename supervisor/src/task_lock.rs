//! The exclusive per-task lock: `flock` on `<task>.lock`, held for the whole run. The file
//! stays after the run (as with the shell module); only the lock matters.

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::Path;

/// A held task lock; released when dropped.
pub struct TaskLock {
    _lock: Flock<File>,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("already running (the task lock is held)")]
    Busy,
    #[error("cannot lock {0}")]
    Io(String, #[source] std::io::Error),
}

impl TaskLock {
    /// Takes the lock at `path` without waiting.
    pub fn try_acquire(path: &Path) -> Result<TaskLock, LockError> {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| LockError::Io(path.display().to_string(), e))?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Ok(TaskLock { _lock: lock }),
            Err((_, Errno::EWOULDBLOCK)) => Err(LockError::Busy),
            Err((_, errno)) => Err(LockError::Io(
                path.display().to_string(),
                std::io::Error::from(errno),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.lock");
        let first = TaskLock::try_acquire(&path).unwrap();
        assert!(matches!(TaskLock::try_acquire(&path), Err(LockError::Busy)));
        drop(first);
        assert!(TaskLock::try_acquire(&path).is_ok());
        assert!(path.exists());
    }
}
