//! Changing a task's definition (`.env`, `.pwd`, `cron/<task>.cron`) so that a refused edit can
//! be undone completely, across the separate processes of `create-task`'s steps.
//!
//! `begin` copies every existing file to `imapsync/<task>.<kind>.rollback` (the reference's
//! snapshot names; never inside `cron/`, where a scheduler would run them) and then records in
//! `imapsync/<task>.journal.rollback` which agent task owns the edit and which files existed.
//! `rollback` restores the snapshots and deletes the files that did not exist; `commit` drops
//! the snapshots. Both act only for the owner, so two overlapping edits of one task cannot undo
//! each other: the second is refused while the first is in progress. A journal older than
//! [`ABANDONED_AFTER`] belongs to an edit that never finished (a cancelled action, a crash) and
//! is rolled back by the next one. Without a journal nothing happens, so a crash before the
//! journal is written never deletes a task.

use crate::layout::StateDir;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Age after which an unfinished edit is taken as abandoned: far longer than a login check.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(15 * 60);

/// Who owns an edit: the agent task running the action (`AGENT_TASK_ID`), or `manual` for
/// steps run by hand.
pub fn edit_owner() -> String {
    std::env::var("AGENT_TASK_ID")
        .ok()
        .filter(|id| !id.is_empty() && !id.contains(['\n', '\r']))
        .unwrap_or_else(|| "manual".to_string())
}

/// Who holds a task's journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Journal {
    None,
    /// An edit that may still be running.
    Live(String),
    /// An edit older than [`ABANDONED_AFTER`].
    Abandoned,
}

/// The files of a task definition.
const KINDS: [&str; 3] = ["env", "pwd", "cron"];

/// An exclusive lock over every task definition, held while files are changed.
pub struct EditLock {
    _lock: Flock<File>,
}

impl EditLock {
    /// Waits for the lock on `imapsync/.tasks.lock`.
    pub fn take(state: &StateDir) -> io::Result<EditLock> {
        state.ensure_dirs()?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(state.tasks_dir().join(".tasks.lock"))?;
        let lock =
            Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| io::Error::from(e))?;
        Ok(EditLock { _lock: lock })
    }
}

/// One task's definition files.
pub struct TaskEdit<'a> {
    state: &'a StateDir,
    task: String,
}

impl<'a> TaskEdit<'a> {
    pub fn new(state: &'a StateDir, task: &str) -> TaskEdit<'a> {
        TaskEdit {
            state,
            task: task.to_string(),
        }
    }

    fn live(&self, kind: &str) -> PathBuf {
        match kind {
            "cron" => self.state.cron_file(&self.task),
            other => self.state.task_file(&self.task, other),
        }
    }

    fn snapshot(&self, kind: &str) -> PathBuf {
        self.state
            .task_file(&self.task, &format!("{kind}.rollback"))
    }

    fn journal(&self) -> PathBuf {
        self.state.task_file(&self.task, "journal.rollback")
    }

    /// The state of this task's journal.
    pub fn journal_state(&self) -> io::Result<Journal> {
        let path = self.journal();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Journal::None),
            Err(e) => return Err(e),
        };
        let age = std::fs::metadata(&path)?
            .modified()?
            .elapsed()
            .unwrap_or_default();
        if age > ABANDONED_AFTER {
            return Ok(Journal::Abandoned);
        }
        let owner = text
            .lines()
            .find_map(|line| line.strip_prefix("owner "))
            .unwrap_or("");
        Ok(Journal::Live(owner.to_string()))
    }

    /// Rolls back an abandoned edit, if there is one.
    pub fn recover_abandoned(&self) -> io::Result<()> {
        if self.journal_state()? == Journal::Abandoned {
            self.rollback()?;
        }
        Ok(())
    }

    /// True while `owner`'s edit is the one recorded.
    pub fn owned_by(&self, owner: &str) -> io::Result<bool> {
        Ok(self.journal_state()? == Journal::Live(owner.to_string()))
    }

    /// Snapshots the current files for `owner`'s edit. The caller has checked that no other
    /// edit is in progress.
    pub fn begin(&self, owner: &str) -> io::Result<()> {
        self.rollback()?;
        let mut journal = format!("owner {owner}\n");
        for kind in KINDS {
            let live = self.live(kind);
            if live.exists() {
                std::fs::copy(&live, self.snapshot(kind))?;
                journal.push_str(&format!("{kind} present\n"));
            } else {
                remove_if_present(&self.snapshot(kind))?;
                journal.push_str(&format!("{kind} absent\n"));
            }
        }
        protocol::atomic_file::write(&self.journal(), journal.as_bytes())
    }

    /// Puts back the files as they were at `begin`; idempotent.
    pub fn rollback(&self) -> io::Result<()> {
        let journal = match std::fs::read_to_string(self.journal()) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for line in journal.lines() {
            let Some((kind, existed)) = line.split_once(' ') else {
                continue;
            };
            if kind == "owner" {
                continue;
            }
            if !KINDS.contains(&kind) {
                continue;
            }
            if existed == "present" {
                if self.snapshot(kind).exists() {
                    std::fs::rename(self.snapshot(kind), self.live(kind))?;
                }
            } else {
                remove_if_present(&self.live(kind))?;
            }
        }
        self.drop_snapshots()
    }

    /// Keeps the new files.
    pub fn commit(&self) -> io::Result<()> {
        self.drop_snapshots()
    }

    fn drop_snapshots(&self) -> io::Result<()> {
        for kind in KINDS {
            remove_if_present(&self.snapshot(kind))?;
        }
        remove_if_present(&self.journal())
    }
}

/// Removes `path`; a missing file is not an error.
pub fn remove_if_present(path: &std::path::Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: PathBuf) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    #[test]
    fn a_refused_edit_restores_every_file_and_a_new_task_disappears() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.ensure_dirs().unwrap();
        let edit = TaskEdit::new(&state, "u_a");
        std::fs::write(state.task_file("u_a", "env"), "old env").unwrap();
        std::fs::write(state.task_file("u_a", "pwd"), "old pwd").unwrap();
        edit.begin("t1").unwrap();
        std::fs::write(state.task_file("u_a", "env"), "new env").unwrap();
        std::fs::write(state.task_file("u_a", "pwd"), "new pwd").unwrap();
        std::fs::write(state.cron_file("u_a"), "new cron").unwrap();
        edit.rollback().unwrap();
        edit.rollback().unwrap();
        assert_eq!(
            read(state.task_file("u_a", "env")).as_deref(),
            Some("old env")
        );
        assert_eq!(
            read(state.task_file("u_a", "pwd")).as_deref(),
            Some("old pwd")
        );
        assert_eq!(read(state.cron_file("u_a")), None);
        assert_eq!(std::fs::read_dir(state.tasks_dir()).unwrap().count(), 2);

        let fresh = TaskEdit::new(&state, "u_b");
        fresh.begin("t2").unwrap();
        std::fs::write(state.task_file("u_b", "env"), "env").unwrap();
        fresh.rollback().unwrap();
        assert_eq!(read(state.task_file("u_b", "env")), None);
    }

    #[test]
    fn without_a_journal_nothing_is_deleted_and_commit_keeps_the_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.ensure_dirs().unwrap();
        std::fs::write(state.task_file("u_a", "env"), "env").unwrap();
        let edit = TaskEdit::new(&state, "u_a");
        edit.rollback().unwrap();
        assert_eq!(read(state.task_file("u_a", "env")).as_deref(), Some("env"));
        edit.begin("t1").unwrap();
        std::fs::write(state.task_file("u_a", "env"), "new").unwrap();
        edit.commit().unwrap();
        edit.rollback().unwrap();
        assert_eq!(read(state.task_file("u_a", "env")).as_deref(), Some("new"));
        assert_eq!(std::fs::read_dir(state.tasks_dir()).unwrap().count(), 1);
    }

    #[test]
    fn an_edit_in_progress_is_owned_and_an_old_one_is_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.ensure_dirs().unwrap();
        let edit = TaskEdit::new(&state, "u_a");
        assert_eq!(edit.journal_state().unwrap(), Journal::None);
        edit.begin("task-1").unwrap();
        std::fs::write(state.task_file("u_a", "env"), "half-done").unwrap();
        assert!(edit.owned_by("task-1").unwrap());
        assert!(!edit.owned_by("task-2").unwrap());
        edit.recover_abandoned().unwrap();
        assert!(edit.owned_by("task-1").unwrap());
        let old = std::time::SystemTime::now() - ABANDONED_AFTER - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(state.task_file("u_a", "journal.rollback"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(edit.journal_state().unwrap(), Journal::Abandoned);
        edit.recover_abandoned().unwrap();
        assert_eq!(read(state.task_file("u_a", "env")), None);
        assert_eq!(edit.journal_state().unwrap(), Journal::None);
    }
}
