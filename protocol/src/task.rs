//! A task as stored on disk: the name rule, the `<task>.env` codec (byte-compatible with the
//! files the Python module writes and reads) and the mapping from its flag strings to a
//! [`SyncSpec`].

use crate::secret::Secret;
use crate::spec::{Actions, Endpoint, Security, Selection, SyncSpec, SHARED_PUBLIC_EXCLUSION};
use std::fmt::Write as _;

/// Longest task name: the longest file name (`<name>.timestamp`) must stay well under 255 bytes.
pub const MAX_TASK_NAME: usize = 200;

/// Why a task name, file or field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("invalid task name {0:?}: use letters, digits and . _ @ + - (with a '_' between the local user and the task id), starting with a letter or digit")]
    BadName(String),
    #[error("line {line}: {reason}")]
    BadLine { line: usize, reason: String },
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{key} has an unexpected value {value:?}")]
    BadValue { key: &'static str, value: String },
    #[error("{key} contains a line break or NUL byte")]
    Unwritable { key: String },
}

/// Checks that `name` (`<localuser>_<task_id>`) is safe to use as a file name stem.
pub fn validate_task_name(name: &str) -> Result<(), TaskError> {
    let bad = || TaskError::BadName(name.chars().take(80).collect());
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._@+-".contains(c));
    if !first_ok || !rest_ok || !name.contains('_') || name.len() > MAX_TASK_NAME {
        return Err(bad());
    }
    Ok(())
}

/// The start time and exit code of the last recorded run, lines 1 and 2 of `<task>.status`;
/// each `None` when missing or unparsable.
pub fn parse_run_status(text: &str) -> (Option<i64>, Option<i32>) {
    let mut lines = text.lines();
    let started = lines.next().and_then(|l| l.trim().parse().ok());
    let exit_code = lines.next().and_then(|l| l.trim().parse().ok());
    (started, exit_code)
}

/// Every known key of a task's `.env`, in the order the module writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskEnv {
    pub task_id: String,
    pub localuser: String,
    pub remoteusername: String,
    pub remotehostname: String,
    pub remoteport: String,
    /// `--tls1` (STARTTLS), `--ssl1` (implicit TLS) or empty.
    pub security: String,
    /// `--delete2` or empty.
    pub delete_local: String,
    /// `--delete2folders` or empty.
    pub deletefolder: String,
    /// Empty, or `,` followed by comma-separated regexes.
    pub exclude: String,
    /// `--delete1`, `--delete1older=N` or empty.
    pub delete_remote: String,
    /// `1` or empty; absent in files written by the NS7 import.
    pub sieve_enabled: Option<String>,
    /// `--noexpungeaftereach` or empty.
    pub expunge_remote: String,
    /// `""`, `<N>m` or `<N>h`.
    pub cron: String,
    /// `--folder\ 'INBOX'` in inbox mode, else empty.
    pub folder_inbox: String,
    /// `all`, `inbox` or `exclusion`.
    pub foldersynchronization: String,
    /// `1` to verify the remote certificate; absent in older files.
    pub tls_verify: Option<String>,
    /// Keys this version does not know, kept in order so a rewrite loses nothing.
    pub extra: Vec<(String, String)>,
}

impl TaskEnv {
    /// Parses a `.env` file the way the Python module does: split at the first `=`, value
    /// verbatim, empty lines and `#` comments skipped.
    pub fn parse(text: &str) -> Result<TaskEnv, TaskError> {
        let mut env = TaskEnv::default();
        for (index, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(TaskError::BadLine {
                    line: index + 1,
                    reason: "expected KEY=VALUE".into(),
                });
            };
            env.set(key, value.to_string());
        }
        Ok(env)
    }

    fn set(&mut self, key: &str, value: String) {
        match key {
            "TASK_ID" => self.task_id = value,
            "LOCALUSER" => self.localuser = value,
            "REMOTEUSERNAME" => self.remoteusername = value,
            "REMOTEHOSTNAME" => self.remotehostname = value,
            "REMOTEPORT" => self.remoteport = value,
            "SECURITY" => self.security = value,
            "DELETE_LOCAL" => self.delete_local = value,
            "DELETEFOLDER" => self.deletefolder = value,
            "EXCLUDE" => self.exclude = value,
            "DELETE_REMOTE" => self.delete_remote = value,
            "SIEVE_ENABLED" => self.sieve_enabled = Some(value),
            "EXPUNGE_REMOTE" => self.expunge_remote = value,
            "CRON" => self.cron = value,
            "FOLDER_INBOX" => self.folder_inbox = value,
            "FOLDERSYNCHRONIZATION" => self.foldersynchronization = value,
            "TLS_VERIFY" => self.tls_verify = Some(value),
            _ => match self.extra.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => self.extra.push((key.to_string(), value)),
            },
        }
    }

    /// Key/value pairs in file order.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs = vec![
            ("TASK_ID", self.task_id.as_str()),
            ("LOCALUSER", &self.localuser),
            ("REMOTEUSERNAME", &self.remoteusername),
            ("REMOTEHOSTNAME", &self.remotehostname),
            ("REMOTEPORT", &self.remoteport),
            ("SECURITY", &self.security),
            ("DELETE_LOCAL", &self.delete_local),
            ("DELETEFOLDER", &self.deletefolder),
            ("EXCLUDE", &self.exclude),
            ("DELETE_REMOTE", &self.delete_remote),
        ];
        if let Some(sieve) = &self.sieve_enabled {
            pairs.push(("SIEVE_ENABLED", sieve));
        }
        pairs.extend([
            ("EXPUNGE_REMOTE", self.expunge_remote.as_str()),
            ("CRON", &self.cron),
            ("FOLDER_INBOX", &self.folder_inbox),
            ("FOLDERSYNCHRONIZATION", &self.foldersynchronization),
        ]);
        if let Some(verify) = &self.tls_verify {
            pairs.push(("TLS_VERIFY", verify));
        }
        pairs.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        pairs
    }

    /// The file content: an empty first line, then `KEY=VALUE` lines. A value with a line
    /// break or NUL byte would inject a line, so it is refused.
    pub fn render(&self) -> Result<String, TaskError> {
        let mut out = String::from("\n");
        for (key, value) in self.pairs() {
            if value.contains(['\n', '\r', '\0']) || key.contains(['\n', '\r', '\0', '=']) {
                return Err(TaskError::Unwritable { key: key.into() });
            }
            let _ = writeln!(out, "{key}={value}");
        }
        Ok(out)
    }

    /// The task name, `<localuser>_<task_id>`.
    pub fn task_name(&self) -> String {
        format!("{}_{}", self.localuser, self.task_id)
    }

    /// True when only INBOX is synced (unseen messages, then `\Seen` on the remote side).
    pub fn inbox_mode(&self) -> bool {
        self.foldersynchronization == "inbox" || !self.folder_inbox.is_empty()
    }

    fn remote_security(&self) -> Result<Security, TaskError> {
        match self.security.as_str() {
            "" => Ok(Security::Plain),
            "--tls1" => Ok(Security::Starttls),
            "--ssl1" => Ok(Security::Tls),
            other => Err(bad_value("SECURITY", other)),
        }
    }

    fn remote_port(&self) -> Result<u16, TaskError> {
        if self.remoteport.is_empty() {
            return Err(TaskError::Missing("REMOTEPORT"));
        }
        self.remoteport
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| bad_value("REMOTEPORT", &self.remoteport))
    }

    fn remote_deletion(&self, actions: &mut Actions) -> Result<(), TaskError> {
        match self.delete_remote.as_str() {
            "" => {}
            "--delete1" => actions.delete_host1 = true,
            other => {
                let days = other
                    .strip_prefix("--delete1older=")
                    .and_then(|n| n.parse::<u32>().ok())
                    .ok_or_else(|| bad_value("DELETE_REMOTE", other))?;
                actions.delete_host1_older_days = Some(days);
            }
        }
        Ok(())
    }

    /// What one run of this task does. `host2` is the local Dovecot endpoint without its user
    /// (the master login `<localuser>*vmail` is filled in here).
    pub fn spec(
        &self,
        remote_password: Secret,
        mut host2: Endpoint,
        timeout_secs: u32,
    ) -> Result<SyncSpec, TaskError> {
        for (key, value) in [
            ("LOCALUSER", &self.localuser),
            ("REMOTEUSERNAME", &self.remoteusername),
            ("REMOTEHOSTNAME", &self.remotehostname),
        ] {
            if value.is_empty() {
                return Err(TaskError::Missing(key));
            }
        }
        let host1 = Endpoint {
            host: self.remotehostname.clone(),
            port: self.remote_port()?,
            security: self.remote_security()?,
            verify_tls: self.tls_verify.as_deref() == Some("1"),
            user: self.remoteusername.clone(),
            auth_user: None,
            password: remote_password,
            timeout_secs,
            addresses: Vec::new(),
        };
        host2.user = format!("{}*vmail", self.localuser);
        let mut select = Selection {
            exclude: vec![SHARED_PUBLIC_EXCLUSION.to_string()],
            ..Selection::default()
        };
        let mut actions = Actions::default();
        match self.delete_local.as_str() {
            "" => {}
            "--delete2" => actions.delete_host2_messages = true,
            other => return Err(bad_value("DELETE_LOCAL", other)),
        }
        match self.deletefolder.as_str() {
            "" => {}
            "--delete2folders" => actions.delete_host2_folders = true,
            other => return Err(bad_value("DELETEFOLDER", other)),
        }
        self.remote_deletion(&mut actions)?;
        match self.foldersynchronization.as_str() {
            "all" | "inbox" | "" => {}
            "exclusion" => select
                .exclude
                .extend(self.exclude.split(',').map(str::to_string)),
            other => return Err(bad_value("FOLDERSYNCHRONIZATION", other)),
        }
        if self.inbox_mode() {
            select.folders = vec!["INBOX".to_string()];
            select.search1 = Some("UNSEEN".to_string());
            actions.set_seen_on_host1 = true;
            actions.resync_flags = false;
            actions.sieve_delivery = self.sieve_enabled.as_deref().is_some_and(|s| !s.is_empty());
        }
        Ok(SyncSpec {
            host1,
            host2,
            select,
            actions,
            connections: 3,
        })
    }
}

fn bad_value(key: &'static str, value: &str) -> TaskError {
    TaskError::BadValue {
        key,
        value: value.chars().take(80).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE_FILE: &str = "\nTASK_ID=28ofi1\nLOCALUSER=u2\nREMOTEUSERNAME=u3\nREMOTEHOSTNAME=10.5.4.1\nREMOTEPORT=143\nSECURITY=--tls1\nDELETE_LOCAL=\nDELETEFOLDER=\nEXCLUDE=,Junk,^Drafts$\nDELETE_REMOTE=--delete1older=5\nSIEVE_ENABLED=\nEXPUNGE_REMOTE=--noexpungeaftereach\nCRON=5m\nFOLDER_INBOX=\nFOLDERSYNCHRONIZATION=exclusion\n";

    fn local() -> Endpoint {
        Endpoint {
            host: "127.0.0.1".into(),
            port: 143,
            security: Security::Starttls,
            verify_tls: false,
            user: String::new(),
            auth_user: None,
            password: Secret::new("master"),
            timeout_secs: 120,
            addresses: Vec::new(),
        }
    }

    #[test]
    fn module_files_round_trip_byte_for_byte() {
        let env = TaskEnv::parse(MODULE_FILE).unwrap();
        assert_eq!(env.task_name(), "u2_28ofi1");
        assert_eq!(env.exclude, ",Junk,^Drafts$");
        assert_eq!(env.render().unwrap(), MODULE_FILE);
        let import = MODULE_FILE.replace("SIEVE_ENABLED=\n", "");
        assert_eq!(TaskEnv::parse(&import).unwrap().render().unwrap(), import);
    }

    #[test]
    fn inbox_literal_and_unknown_keys_survive() {
        let text = "\nTASK_ID=a\nFOLDER_INBOX=--folder\\ 'INBOX'\nX_NEW=1=2\n";
        let env = TaskEnv::parse(text).unwrap();
        assert_eq!(env.folder_inbox, "--folder\\ 'INBOX'");
        assert!(env.inbox_mode());
        assert!(env.render().unwrap().ends_with("X_NEW=1=2\n"));
    }

    #[test]
    fn line_breaks_cannot_inject_keys() {
        let env = TaskEnv {
            exclude: ",Junk\nCRON=* * * * *".into(),
            ..TaskEnv::default()
        };
        assert_eq!(
            env.render(),
            Err(TaskError::Unwritable {
                key: "EXCLUDE".into()
            })
        );
        assert!(matches!(
            TaskEnv::parse("\nno equals sign\n"),
            Err(TaskError::BadLine { line: 2, .. })
        ));
    }

    #[test]
    fn spec_follows_the_module_flags() {
        let env = TaskEnv::parse(MODULE_FILE).unwrap();
        let spec = env.spec(Secret::new("pw"), local(), 30).unwrap();
        assert_eq!(spec.host1.security, Security::Starttls);
        assert_eq!(spec.host1.port, 143);
        assert_eq!(spec.host2.user, "u2*vmail");
        assert_eq!(spec.actions.delete_host1_older_days, Some(5));
        assert!(!spec.actions.delete_host1 && !spec.actions.delete_host2_messages);
        assert_eq!(
            spec.select.effective_excludes().collect::<Vec<_>>(),
            [SHARED_PUBLIC_EXCLUSION, "Junk", "^Drafts$"]
        );
        assert!(spec.actions.resync_flags);

        let mut inbox = env.clone();
        inbox.foldersynchronization = "inbox".into();
        inbox.folder_inbox = "--folder\\ 'INBOX'".into();
        inbox.sieve_enabled = Some("1".into());
        inbox.security = "--ssl1".into();
        let spec = inbox.spec(Secret::new("pw"), local(), 30).unwrap();
        assert_eq!(spec.select.folders, ["INBOX"]);
        assert_eq!(spec.select.search1.as_deref(), Some("UNSEEN"));
        assert!(spec.actions.set_seen_on_host1 && spec.actions.sieve_delivery);
        assert!(!spec.actions.resync_flags);
        assert_eq!(spec.host1.security, Security::Tls);
        assert_eq!(spec.select.exclude, [SHARED_PUBLIC_EXCLUSION]);
    }

    #[test]
    fn bad_values_are_named() {
        let mut env = TaskEnv::parse(MODULE_FILE).unwrap();
        env.remoteport = "99999".into();
        assert!(matches!(
            env.spec(Secret::new("pw"), local(), 30),
            Err(TaskError::BadValue {
                key: "REMOTEPORT",
                ..
            })
        ));
        env.remoteport = "143".into();
        env.delete_remote = "--delete1older=x".into();
        assert!(env.spec(Secret::new("pw"), local(), 30).is_err());
    }

    #[test]
    fn task_names_cannot_leave_the_directory() {
        for good in [
            "u2_28ofi1",
            "john.doe_status1",
            "u_public_shared_test",
            "a@b.c_x",
        ] {
            assert_eq!(validate_task_name(good), Ok(()), "{good}");
        }
        for bad in [
            "../etc_x",
            "a/b_c",
            ".hidden_x",
            "vmail",
            "",
            "a_b\n",
            "-x_y",
            "a_\0",
        ] {
            assert!(validate_task_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_task_name(&format!("a_{}", "b".repeat(MAX_TASK_NAME))).is_err());
    }
}
