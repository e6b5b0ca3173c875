//! The `create-task` input for one row: the CSV values and task id, plus the settings the CSV
//! does not carry (the documented defaults for a new task, the stored ones for an update).

use super::row::Row;
use protocol::task::TaskEnv;
use serde_json::{json, Value};

/// Settings of a task that the CSV has no column for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSettings {
    pub cron: String,
    pub delete_local: bool,
    pub delete_remote: bool,
    pub delete_remote_older: u32,
    pub exclude: String,
    pub foldersynchronization: String,
    pub sieve_enabled: bool,
}

impl Default for TaskSettings {
    /// No schedule, nothing deleted, every folder, no Sieve filtering.
    fn default() -> TaskSettings {
        TaskSettings {
            cron: String::new(),
            delete_local: false,
            delete_remote: false,
            delete_remote_older: 0,
            exclude: String::new(),
            foldersynchronization: "all".into(),
            sieve_enabled: false,
        }
    }
}

impl TaskSettings {
    /// The settings stored in a task's `.env`, mapped back to `create-task` fields the way
    /// `list-tasks` does, so that an update keeps them.
    pub fn stored(env: &TaskEnv) -> TaskSettings {
        let delete_remote_older = env
            .delete_remote
            .strip_prefix("--delete1older=")
            .and_then(|days| days.parse().ok())
            .unwrap_or(0);
        let foldersynchronization = match env.foldersynchronization.as_str() {
            "" if !env.folder_inbox.is_empty() => "inbox".to_string(),
            "" => "all".to_string(),
            stored => stored.to_string(),
        };
        TaskSettings {
            cron: env.cron.clone(),
            delete_local: !env.delete_local.is_empty(),
            delete_remote: !env.delete_remote.is_empty(),
            delete_remote_older,
            exclude: env
                .exclude
                .strip_prefix(',')
                .unwrap_or(&env.exclude)
                .to_string(),
            foldersynchronization,
            sieve_enabled: env.sieve_enabled.as_deref().is_some_and(|s| !s.is_empty()),
        }
    }
}

/// Everything `create-task` needs for one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRequest {
    pub task_id: String,
    pub row: Row,
    pub settings: TaskSettings,
}

impl TaskRequest {
    /// The `create-task` input document.
    pub fn to_json(&self) -> Value {
        let row = &self.row;
        let settings = &self.settings;
        json!({
            "task_id": self.task_id,
            "localuser": row.localuser,
            "remoteusername": row.remoteusername,
            "remotepassword": row.remotepassword.expose(),
            "remotehostname": row.remotehostname,
            "remoteport": row.remoteport,
            "security": row.security.field(),
            "cron": settings.cron,
            "delete_local": settings.delete_local,
            "delete_remote": settings.delete_remote,
            "delete_remote_older": settings.delete_remote_older,
            "exclude": settings.exclude,
            "foldersynchronization": settings.foldersynchronization,
            "sieve_enabled": settings.sieve_enabled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_import::row::Security;
    use protocol::secret::Secret;

    #[test]
    fn a_new_task_gets_the_documented_defaults() {
        let request = TaskRequest {
            task_id: "abc123".into(),
            row: Row {
                line: 2,
                localuser: "u1".into(),
                remoteusername: "r1".into(),
                remotepassword: Secret::new("p w"),
                remotehostname: "imap.example.org".into(),
                remoteport: 993,
                security: Security::Tls,
            },
            settings: TaskSettings::default(),
        };
        assert_eq!(
            request.to_json(),
            json!({
                "task_id": "abc123", "localuser": "u1", "remoteusername": "r1",
                "remotepassword": "p w", "remotehostname": "imap.example.org",
                "remoteport": 993, "security": "ssl", "cron": "", "delete_local": false,
                "delete_remote": false, "delete_remote_older": 0, "exclude": "",
                "foldersynchronization": "all", "sieve_enabled": false,
            })
        );
    }

    #[test]
    fn stored_settings_map_back_to_fields() {
        let env = TaskEnv {
            cron: "5m".into(),
            delete_local: "--delete2".into(),
            delete_remote: "--delete1older=7".into(),
            exclude: ",Junk,Drafts".into(),
            foldersynchronization: "exclusion".into(),
            sieve_enabled: Some("1".into()),
            ..TaskEnv::default()
        };
        assert_eq!(
            TaskSettings::stored(&env),
            TaskSettings {
                cron: "5m".into(),
                delete_local: true,
                delete_remote: true,
                delete_remote_older: 7,
                exclude: "Junk,Drafts".into(),
                foldersynchronization: "exclusion".into(),
                sieve_enabled: true,
            }
        );
        let imported = TaskEnv {
            delete_remote: "--delete1".into(),
            folder_inbox: "--folder\\ 'INBOX'".into(),
            ..TaskEnv::default()
        };
        let settings = TaskSettings::stored(&imported);
        assert!(settings.delete_remote && settings.delete_remote_older == 0);
        assert_eq!(settings.foldersynchronization, "inbox");
        assert!(!settings.sieve_enabled);
    }
}
