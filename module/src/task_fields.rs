//! The task fields of the actions (`create-task` input, `list-tasks` items) and their mapping
//! to the `.env` flag strings the current module stores (behaviour §6.1, §3.7).

use crate::schedule::Schedule;
use crate::step::{FieldError, StepError};
use protocol::last_run::LastRun;
use protocol::task::TaskEnv;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The `FOLDER_INBOX` value of inbox mode, byte for byte as the reference writes it.
pub const FOLDER_INBOX_FLAG: &str = "--folder\\ 'INBOX'";

/// The longest host name DNS allows (RFC 1035).
pub const MAX_HOSTNAME: usize = 253;

/// The longest remote user name or password: IMAP servers cap the length of a command before
/// login and drop the connection, which a login check would report as an unreachable server.
pub const MAX_CREDENTIAL_CHARS: usize = 1000;

/// `create-task` input (the agent has already checked it against the schema).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub task_id: String,
    pub localuser: String,
    pub remoteusername: String,
    pub remotehostname: String,
    /// Empty keeps the stored password.
    pub remotepassword: String,
    pub remoteport: u16,
    pub security: String,
    pub delete_local: bool,
    pub exclude: String,
    pub delete_remote: bool,
    #[serde(default)]
    pub delete_remote_older: u32,
    pub cron: String,
    pub foldersynchronization: String,
    #[serde(default)]
    pub sieve_enabled: bool,
    /// Verify the remote server's certificate; absent keeps the stored choice (off for a new
    /// task, as imapsync did).
    #[serde(default)]
    pub tls_verify: Option<bool>,
}

impl TaskInput {
    /// Reads and checks the input; every refused field is reported at once.
    pub fn parse(input: &Value) -> Result<TaskInput, StepError> {
        let task: TaskInput =
            serde_json::from_value(input.clone()).map_err(|_| StepError::Validation {
                exit_code: 10,
                errors: vec![FieldError::new(
                    "createTask",
                    "invalid_input",
                    "invalid_input",
                )],
                detail: Some("the input does not have the fields and types of create-task".into()),
            })?;
        let mut errors = Vec::new();
        for (field, value, max_chars) in [
            ("remoteusername", &task.remoteusername, MAX_CREDENTIAL_CHARS),
            ("remotehostname", &task.remotehostname, MAX_HOSTNAME),
            ("exclude", &task.exclude, usize::MAX),
        ] {
            let chars = value.chars().count();
            if chars > max_chars {
                errors.push(FieldError::new(
                    field,
                    format!("({chars} characters)"),
                    format!("{field}_is_not_valid"),
                ));
            } else if value.contains(['\n', '\r', '\0']) {
                errors.push(FieldError::new(
                    field,
                    value.as_str(),
                    format!("{field}_is_not_valid"),
                ));
            }
        }
        if task.remoteusername.trim().is_empty() {
            errors.push(FieldError::new(
                "remoteusername",
                task.remoteusername.as_str(),
                "remoteusername_is_required",
            ));
        }
        if task.remotehostname.trim().is_empty() {
            errors.push(FieldError::new(
                "remotehostname",
                task.remotehostname.as_str(),
                "remotehostname_is_required",
            ));
        }
        if task.remoteport == 0 {
            errors.push(FieldError::new(
                "remoteport",
                task.remoteport,
                "remoteport_is_not_valid",
            ));
        }
        if !["", "tls", "ssl"].contains(&task.security.as_str()) {
            errors.push(FieldError::new(
                "security",
                task.security.as_str(),
                "security_is_not_valid",
            ));
        }
        if !["all", "inbox", "exclusion"].contains(&task.foldersynchronization.as_str()) {
            errors.push(FieldError::new(
                "foldersynchronization",
                task.foldersynchronization.as_str(),
                "foldersynchronization_is_not_valid",
            ));
        }
        if Schedule::parse(&task.cron).is_err() {
            errors.push(FieldError::new(
                "cron",
                task.cron.as_str(),
                "cron_is_not_valid",
            ));
        }
        for pattern in exclusion_entries(&task.exclude) {
            if regex::Regex::new(pattern).is_err() {
                errors.push(FieldError::new("exclude", pattern, "exclude_is_not_valid"));
            }
        }
        // IMAP LOGIN cannot carry a line break, and the `.pwd` must not either.
        if task.remotepassword.contains(['\0', '\n', '\r'])
            || task.remotepassword.chars().count() > MAX_CREDENTIAL_CHARS
        {
            errors.push(FieldError::new(
                "remotepassword",
                "",
                "remotepassword_is_not_valid",
            ));
        }
        if errors.is_empty() {
            Ok(task)
        } else {
            Err(StepError::Validation {
                exit_code: 10,
                errors,
                detail: None,
            })
        }
    }

    /// The `.env` content for this input; keys the input does not carry (a newer version's,
    /// `TLS_VERIFY` when not given) are kept from `previous`.
    pub fn to_env(&self, previous: Option<&TaskEnv>) -> TaskEnv {
        let mut env = previous.cloned().unwrap_or_default();
        env.task_id = self.task_id.clone();
        env.localuser = self.localuser.clone();
        env.remoteusername = self.remoteusername.clone();
        env.remotehostname = self.remotehostname.clone();
        env.remoteport = self.remoteport.to_string();
        env.security = match self.security.as_str() {
            "tls" => "--tls1",
            "ssl" => "--ssl1",
            _ => "",
        }
        .to_string();
        let (delete_local, deletefolder) = if self.delete_local {
            ("--delete2", "--delete2folders")
        } else {
            ("", "")
        };
        env.delete_local = delete_local.into();
        env.deletefolder = deletefolder.into();
        let entries: Vec<&str> = exclusion_entries(&self.exclude).collect();
        env.exclude = if entries.is_empty() {
            String::new()
        } else {
            format!(",{}", entries.join(","))
        };
        (env.delete_remote, env.expunge_remote) =
            match (self.delete_remote, self.delete_remote_older) {
                (false, _) => (String::new(), String::new()),
                (true, 0) => ("--delete1".into(), "--noexpungeaftereach".into()),
                (true, days) => (
                    format!("--delete1older={days}"),
                    "--noexpungeaftereach".into(),
                ),
            };
        env.sieve_enabled = Some(if self.sieve_enabled { "1" } else { "" }.into());
        env.cron = self.cron.clone();
        env.foldersynchronization = self.foldersynchronization.clone();
        env.folder_inbox = if self.foldersynchronization == "inbox" {
            FOLDER_INBOX_FLAG.into()
        } else {
            String::new()
        };
        if let Some(verify) = self.tls_verify {
            env.tls_verify = Some(if verify { "1" } else { "" }.into());
        }
        env
    }
}

/// The non-empty entries of an exclusion list: a blank line or a doubled comma must not
/// become an empty pattern, which would exclude every folder.
pub fn exclusion_entries(exclude: &str) -> impl Iterator<Item = &str> {
    exclude.split(',').filter(|entry| !entry.trim().is_empty())
}

/// Run facts shown beside a task in `list-tasks`.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    pub service_running: bool,
    /// `.status`, and `.summary` when it describes the same run.
    pub last_run: LastRun,
    pub has_log: bool,
    /// Live counters of the current run (`null` when not running).
    pub progress: Value,
}

/// One `list-tasks` item: every `.env` key lower-cased with its raw value, the typed fields the
/// UI reads, and the run facts (the last run's summary without the start time and exit code
/// it shares with `.status`). The password is never returned.
pub fn list_item(env: &TaskEnv, facts: &RunFacts) -> Value {
    let mut item = Map::new();
    for (key, value) in env.pairs() {
        item.insert(key.to_ascii_lowercase(), Value::String(value.to_string()));
    }
    item.insert(
        "security".into(),
        json!(match env.security.as_str() {
            "--tls1" => "tls",
            "--ssl1" => "ssl",
            _ => "",
        }),
    );
    item.insert(
        "delete_local".into(),
        json!(env.delete_local == "--delete2"),
    );
    let (delete_remote, older) = match env.delete_remote.as_str() {
        "" => (false, 0),
        "--delete1" => (true, 0),
        other => (
            true,
            other
                .strip_prefix("--delete1older=")
                .and_then(|days| days.parse::<u32>().ok())
                .unwrap_or(0),
        ),
    };
    item.insert("delete_remote".into(), json!(delete_remote));
    item.insert("delete_remote_older".into(), json!(older));
    item.insert("remotepassword".into(), json!(""));
    item.insert(
        "sieve_enabled".into(),
        json!(env.sieve_enabled.as_deref().is_some_and(|v| !v.is_empty())),
    );
    item.insert(
        "tls_verify".into(),
        json!(env.tls_verify.as_deref() == Some("1")),
    );
    item.insert("service_running".into(), json!(facts.service_running));
    let last_run = &facts.last_run;
    item.insert("last_sync_timestamp".into(), json!(last_run.started_at));
    item.insert("last_sync_exit_code".into(), json!(last_run.exit_code));
    let summary = last_run.summary.as_ref().map(|summary| {
        json!({
            "transferred": summary.transferred,
            "skipped": summary.skipped,
            "errors": summary.errors,
            "bytes_transferred": summary.bytes_transferred,
            "duration_ms": summary.duration_ms,
            "error": summary.error,
        })
    });
    item.insert("last_sync_summary".into(), json!(summary));
    item.insert("has_log".into(), json!(facts.has_log));
    item.insert("progress".into(), facts.progress.clone());
    Value::Object(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::last_run::LastSyncSummary;

    fn input(overrides: Value) -> Value {
        let mut base = json!({
            "task_id": "28ofi1", "localuser": "u2", "remoteusername": "u3@example.org",
            "remotehostname": "10.5.4.1", "remotepassword": "s3cr\"et \\x", "remoteport": 143,
            "security": "tls", "delete_local": false, "exclude": "", "delete_remote": true,
            "cron": "5m", "foldersynchronization": "all"
        });
        for (k, v) in overrides.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    }

    #[test]
    fn fields_become_the_reference_flag_strings() {
        let task = TaskInput::parse(&input(json!({"delete_remote_older": 5, "exclude": "Junk,,Drafts", "foldersynchronization": "inbox", "sieve_enabled": true}))).unwrap();
        let env = task.to_env(None);
        assert_eq!(
            env.render().unwrap(),
            "\nTASK_ID=28ofi1\nLOCALUSER=u2\nREMOTEUSERNAME=u3@example.org\nREMOTEHOSTNAME=10.5.4.1\nREMOTEPORT=143\nSECURITY=--tls1\nDELETE_LOCAL=\nDELETEFOLDER=\nEXCLUDE=,Junk,Drafts\nDELETE_REMOTE=--delete1older=5\nSIEVE_ENABLED=1\nEXPUNGE_REMOTE=--noexpungeaftereach\nCRON=5m\nFOLDER_INBOX=--folder\\ 'INBOX'\nFOLDERSYNCHRONIZATION=inbox\n"
        );
        let item = list_item(&env, &RunFacts::default());
        assert_eq!(item["remoteport"], "143");
        assert_eq!(item["exclude"], ",Junk,Drafts");
        assert_eq!(item["delete_remote_older"], 5);
        assert_eq!(item["security"], "tls");
        assert_eq!(item["remotepassword"], "");
        assert_eq!(item["sieve_enabled"], true);
        assert_eq!(item["folder_inbox"], "--folder\\ 'INBOX'");
        assert_eq!(item["last_sync_timestamp"], Value::Null);
        assert_eq!(item["last_sync_summary"], Value::Null);
    }

    #[test]
    fn the_last_run_summary_is_listed_without_its_status_fields() {
        let env = TaskInput::parse(&input(json!({}))).unwrap().to_env(None);
        let summary = LastSyncSummary::without_report(
            1_700_000_000,
            111,
            std::time::Duration::from_millis(1500),
            Some("Host1: cannot log in".into()),
        );
        let facts = RunFacts {
            last_run: LastRun {
                started_at: Some(1_700_000_000),
                exit_code: Some(111),
                summary: Some(summary),
            },
            ..RunFacts::default()
        };
        let item = list_item(&env, &facts);
        assert_eq!(item["last_sync_timestamp"], 1_700_000_000);
        assert_eq!(item["last_sync_exit_code"], 111);
        assert_eq!(
            item["last_sync_summary"],
            json!({"transferred": 0, "skipped": 0, "errors": 0, "bytes_transferred": 0,
                   "duration_ms": 1500, "error": "Host1: cannot log in"})
        );
    }

    #[test]
    fn an_edit_keeps_keys_it_does_not_set() {
        let mut previous =
            TaskEnv::parse("\nTASK_ID=a\nLOCALUSER=u\nTLS_VERIFY=1\nFUTURE=x\n").unwrap();
        previous.sieve_enabled = None;
        let env = TaskInput::parse(&input(json!({})))
            .unwrap()
            .to_env(Some(&previous));
        assert_eq!(env.tls_verify.as_deref(), Some("1"));
        assert_eq!(env.extra, vec![("FUTURE".to_string(), "x".to_string())]);
        assert_eq!(env.delete_remote, "--delete1");
        assert_eq!(env.sieve_enabled.as_deref(), Some(""));
    }

    #[test]
    fn line_breaks_bad_regexes_and_schedules_are_refused_together() {
        let Err(StepError::Validation {
            errors, exit_code, ..
        }) = TaskInput::parse(&input(json!({
            "remotehostname": "a\nb", "exclude": "ok,(unclosed", "cron": "90m"
        })))
        else {
            panic!("accepted")
        };
        assert_eq!(exit_code, 10);
        let keys: Vec<&str> = errors.iter().map(|e| e.error.as_str()).collect();
        assert_eq!(
            keys,
            [
                "remotehostname_is_not_valid",
                "cron_is_not_valid",
                "exclude_is_not_valid"
            ]
        );
    }

    #[test]
    fn over_long_credentials_and_host_names_are_refused_without_echoing_them() {
        let long_user = "u".repeat(MAX_CREDENTIAL_CHARS + 1);
        let Err(StepError::Validation { errors, .. }) = TaskInput::parse(&input(json!({
            "remoteusername": long_user,
            "remotepassword": "\u{e9}".repeat(MAX_CREDENTIAL_CHARS + 1),
            "remotehostname": "h".repeat(MAX_HOSTNAME + 1),
        }))) else {
            panic!("accepted")
        };
        let keys: Vec<&str> = errors.iter().map(|e| e.error.as_str()).collect();
        assert_eq!(
            keys,
            [
                "remoteusername_is_not_valid",
                "remotehostname_is_not_valid",
                "remotepassword_is_not_valid"
            ]
        );
        assert_eq!(errors[0].value, json!("(1001 characters)"));
        let at_limit = TaskInput::parse(&input(json!({
            "remoteusername": "u".repeat(MAX_CREDENTIAL_CHARS),
            "remotepassword": "p".repeat(MAX_CREDENTIAL_CHARS),
            "remotehostname": "h".repeat(MAX_HOSTNAME),
        })));
        assert!(at_limit.is_ok());
    }
}
