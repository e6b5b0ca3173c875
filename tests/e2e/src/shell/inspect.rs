//! The `/_test/...` endpoints of the browser tests: the answers they check the UI against
//! (message counts in Dovecot, the module's task files, one task's `.env`/`.pwd`/`.cron`, the
//! task calls seen) and one change to the rig, new mail in a user's INBOX so that the tasks
//! copying from it have work again. Never a secret: the `.pwd` file is only compared with the
//! remote password.

use super::tasks::TaskDesk;
use crate::env_file;
use crate::node::Node;
use regex::Regex;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// The endpoints, for `GET /_test`.
pub fn index() -> Value {
    json!({
        "/_test/messages?user=<u>[&folder=<f>]": "message count of a folder, or of every folder of a Dovecot user",
        "/_test/task-files": "file names in state/imapsync and state/cron",
        "/_test/task?localuser=<u>&task_id=<t>": "a task's .env (as a map), .pwd (existence, mode, whether it holds the remote password), .cron and log",
        "/_test/calls": "every task submitted through the shell, with its end",
        "/_test/violations": "agent protocol faults the module committed",
        "POST /_test/new-mail?user=<u>&count=<n>": "appends n (1-9999) new messages to the INBOX of a Dovecot user",
    })
}

fn checked<'a>(
    params: &'a HashMap<String, String>,
    key: &str,
    pattern: &str,
) -> Result<&'a str, String> {
    let value = params
        .get(key)
        .ok_or_else(|| format!("the query parameter {key} is missing"))?;
    let valid = Regex::new(pattern)
        .expect("a valid pattern")
        .is_match(value);
    valid
        .then_some(value.as_str())
        .ok_or_else(|| format!("{key}={value:?} does not match {pattern}"))
}

const USER_PATTERN: &str = "^[a-z_][a-z0-9_.-]{0,31}$";
const TASK_PATTERN: &str = "^[a-z0-9]{1,32}$";

/// Message counts of a rig user: one folder, or every selectable folder and the total.
pub fn messages(node: &Node, params: &HashMap<String, String>) -> Result<Value, String> {
    let user = checked(params, "user", USER_PATTERN)?;
    let mut imap = node
        .account(user)
        .connect()
        .map_err(|e| format!("cannot log in as {user}: {e}"))?;
    if let Some(folder) = params.get("folder") {
        let count = imap.count(folder).unwrap_or(0);
        return Ok(json!({"user": user, "folder": folder, "messages": count}));
    }
    let names = imap
        .list_folders()
        .map_err(|e| format!("LIST failed: {e}"))?;
    let mut folders = Map::new();
    let mut total = 0u64;
    for name in names {
        let count = imap
            .count(&name)
            .map_err(|e| format!("STATUS {name} failed: {e}"))?;
        total += u64::from(count);
        folders.insert(name, json!(count));
    }
    Ok(json!({"user": user, "folder_count": folders.len(), "messages": total, "folders": folders}))
}

/// How many messages one `new-mail` call may append: 1 to 9999.
const NEW_MAIL_PATTERN: &str = "^[1-9][0-9]{0,3}$";
/// A line of a new message's body; twelve make a message of about 1 kB.
const NEW_MAIL_LINE: &str = "A new message arrived while the tasks were stopped; copy it too.";

/// Appends `count` new unread messages of about 1 kB to a rig user's INBOX: new mail for the
/// tasks that copy from that account.
pub fn new_mail(node: &Node, params: &HashMap<String, String>) -> Result<Value, String> {
    let user = checked(params, "user", USER_PATTERN)?;
    let count: u32 = checked(params, "count", NEW_MAIL_PATTERN)?
        .parse()
        .map_err(|e| format!("count: {e}"))?;
    let mut imap = node
        .account(user)
        .connect()
        .map_err(|e| format!("cannot log in as {user}: {e}"))?;
    let body = [NEW_MAIL_LINE; 12].join("\r\n");
    let now = chrono::Utc::now().fixed_offset();
    for n in 1..=count {
        let message = crate::mail::message(&format!("New message {n}"), &body);
        imap.append("INBOX", &message, &[], now)
            .map_err(|e| format!("cannot append to the INBOX of {user}: {e}"))?;
    }
    Ok(json!({"user": user, "folder": "INBOX", "added": count}))
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The file names in `state/imapsync` and `state/cron`.
pub fn task_files(node: &Node) -> Value {
    let state = node.state_dir();
    json!({"imapsync": names_in(&state.join("imapsync")), "cron": names_in(&state.join("cron"))})
}

fn modified_ms(meta: &std::fs::Metadata) -> Option<u128> {
    meta.modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis())
}

/// One task's files: `.env` as a map, `.pwd` described, `.cron` and `.status` as text, the log's size.
pub fn task(node: &Node, params: &HashMap<String, String>) -> Result<Value, String> {
    let localuser = checked(params, "localuser", USER_PATTERN)?;
    let task_id = checked(params, "task_id", TASK_PATTERN)?;
    let name = format!("{localuser}_{task_id}");
    let env = env_file::read(&node.task_file(&name, "env"))
        .ok()
        .map(|map| json!(map));
    let pwd_path = node.task_file(&name, "pwd");
    let pwd = match std::fs::metadata(&pwd_path) {
        Ok(meta) => json!({
            "exists": true,
            "mode": format!("{:o}", meta.permissions().mode() & 0o7777),
            "modified_ms": modified_ms(&meta),
            "matches_remote_password": std::fs::read(&pwd_path)
                .is_ok_and(|stored| stored == node.user_password().as_bytes()),
        }),
        Err(_) => json!({"exists": false}),
    };
    let text = |path: &Path| std::fs::read_to_string(path).ok();
    let log = std::fs::metadata(node.task_file(&name, "log"))
        .map(|meta| json!({"exists": true, "size": meta.len()}))
        .unwrap_or_else(|_| json!({"exists": false}));
    Ok(json!({
        "env": env,
        "pwd": pwd,
        "cron": text(&node.cron_file(&name)),
        "status": text(&node.task_file(&name, "status")),
        "log": log,
    }))
}

/// Every call seen by the shell.
pub fn calls(desk: &TaskDesk) -> Value {
    json!(desk.calls())
}

/// The protocol faults seen.
pub fn violations(desk: &TaskDesk) -> Value {
    json!(desk.violations())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_state_directory_are_refused() {
        let params = crate::shell::http::query_params("/x?localuser=../etc&task_id=abc123");
        assert!(checked(&params, "localuser", USER_PATTERN).is_err());
        assert_eq!(checked(&params, "task_id", TASK_PATTERN), Ok("abc123"));
        assert!(checked(&params, "missing", TASK_PATTERN).is_err());
    }

    #[test]
    fn new_mail_counts_are_bounded() {
        for (count, valid) in [("1", true), ("9999", true), ("0", false), ("10000", false)] {
            let params = crate::shell::http::query_params(&format!("/x?count={count}"));
            assert_eq!(
                checked(&params, "count", NEW_MAIL_PATTERN).is_ok(),
                valid,
                "{count}"
            );
        }
    }
}
