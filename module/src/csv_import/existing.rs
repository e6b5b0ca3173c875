//! The tasks already defined in the state directory, as far as the import needs them: which
//! account each one syncs (duplicate detection), its stored definition (`--update`), and which
//! task ids and file names are taken (new ids must not collide).

use crate::layout::StateDir;
use protocol::task::TaskEnv;
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;

/// The account a task syncs, compared without regard to case: a local user, a remote user and
/// a remote host. Port and security are not part of it; an IP and a host name differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountKey {
    localuser: String,
    remoteusername: String,
    remotehostname: String,
}

impl AccountKey {
    pub fn new(localuser: &str, remoteusername: &str, remotehostname: &str) -> AccountKey {
        AccountKey {
            localuser: localuser.to_lowercase(),
            remoteusername: remoteusername.to_lowercase(),
            remotehostname: remotehostname.to_lowercase(),
        }
    }
}

/// A snapshot of the existing tasks.
#[derive(Debug, Default)]
pub struct ExistingTasks {
    tasks: Vec<TaskEnv>,
    by_account: HashMap<AccountKey, usize>,
    task_ids: HashSet<String>,
    file_names: HashSet<String>,
    /// Task files that could not be read, with the reason; their accounts are unknown.
    pub unreadable: Vec<String>,
}

impl ExistingTasks {
    /// The tasks defined by `envs`, with no other file present.
    pub fn new(envs: Vec<TaskEnv>) -> ExistingTasks {
        let mut existing = ExistingTasks::default();
        for env in envs {
            existing.add(env);
        }
        existing
    }

    /// Every `imapsync/*.env` of `state`, and the names of all files in `imapsync/` and `cron/`.
    pub fn load(state: &StateDir) -> io::Result<ExistingTasks> {
        let mut existing = ExistingTasks::default();
        for (_, task) in state.tasks()? {
            match task {
                Ok(env) => existing.add(env),
                Err(error) => existing.unreadable.push(error.to_string()),
            }
        }
        for dir in [state.tasks_dir(), state.cron_dir()] {
            existing.file_names.extend(file_names(&dir)?);
        }
        Ok(existing)
    }

    fn add(&mut self, env: TaskEnv) {
        let key = AccountKey::new(&env.localuser, &env.remoteusername, &env.remotehostname);
        self.by_account.entry(key).or_insert(self.tasks.len());
        self.task_ids.insert(env.task_id.to_lowercase());
        self.file_names.insert(format!("{}.env", env.task_name()));
        self.tasks.push(env);
    }

    /// The task that already syncs `key` (the first one by name if several do).
    pub fn find(&self, key: &AccountKey) -> Option<&TaskEnv> {
        self.by_account.get(key).map(|index| &self.tasks[*index])
    }

    /// True when `task_id` is used by a task, or a file of `<localuser>_<task_id>` exists.
    pub fn is_taken(&self, localuser: &str, task_id: &str) -> bool {
        let prefix = format!("{localuser}_{task_id}.");
        self.task_ids.contains(&task_id.to_lowercase())
            || self.file_names.iter().any(|name| name.starts_with(&prefix))
    }
}

fn file_names(dir: &Path) -> io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(task_id: &str, localuser: &str, remote: &str, host: &str) -> TaskEnv {
        TaskEnv {
            task_id: task_id.into(),
            localuser: localuser.into(),
            remoteusername: remote.into(),
            remotehostname: host.into(),
            ..TaskEnv::default()
        }
    }

    #[test]
    fn accounts_are_found_regardless_of_case() {
        let existing = ExistingTasks::new(vec![env(
            "abc123",
            "John",
            "J@Example.org",
            "IMAP.example.org",
        )]);
        let found = existing
            .find(&AccountKey::new(
                "john",
                "j@example.ORG",
                "imap.EXAMPLE.org",
            ))
            .unwrap();
        assert_eq!(found.task_id, "abc123");
        assert!(existing
            .find(&AccountKey::new("john", "j@example.org", "10.0.0.1"))
            .is_none());
    }

    #[test]
    fn ids_and_file_names_in_use_are_taken() {
        let existing = ExistingTasks::new(vec![env("abc123", "u1", "r", "h")]);
        assert!(existing.is_taken("someone", "abc123"));
        assert!(existing.is_taken("u1", "ABC123"));
        assert!(!existing.is_taken("u1", "abc124"));
    }

    #[test]
    fn loading_reads_env_files_and_notes_other_files() {
        let root = std::env::temp_dir().join(format!("csv-import-existing-{}", std::process::id()));
        let state = StateDir::new(&root);
        state.ensure_dirs().unwrap();
        std::fs::write(
            state.task_file("u1_abc123", "env"),
            "\nTASK_ID=abc123\nLOCALUSER=u1\nREMOTEUSERNAME=R1\nREMOTEHOSTNAME=h\n",
        )
        .unwrap();
        std::fs::write(state.task_file("u2_old001", "pwd"), "x").unwrap();
        std::fs::write(state.task_file("u3_bad001", "env"), "\nno equals sign\n").unwrap();
        let existing = ExistingTasks::load(&state).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(
            existing
                .find(&AccountKey::new("u1", "r1", "h"))
                .unwrap()
                .task_id,
            "abc123"
        );
        assert!(existing.is_taken("u2", "old001"));
        assert!(existing.is_taken("u3", "bad001"));
        assert_eq!(existing.unreadable.len(), 1);
        assert!(existing.unreadable[0].contains("u3_bad001.env"));
    }
}
