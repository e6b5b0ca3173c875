//! Shortcuts for the scenarios: `create-task` input with the UI's defaults, `list-tasks`
//! lookups and waits on a task's run.

use crate::node::Node;
use crate::wait::wait_for;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How long a scenario waits for a sync run to finish.
pub const RUN_LIMIT: Duration = Duration::from_secs(90);

/// `create-task` input syncing remote `remote_user` (on the node's remote server, STARTTLS
/// on 143, the rig's password) into `localuser`: all folders, no deletion, no schedule.
pub fn task_input(node: &Node, task_id: &str, localuser: &str, remote_user: &str) -> Value {
    json!({
        "task_id": task_id,
        "localuser": localuser,
        "remoteusername": remote_user,
        "remotehostname": node.remote_host(),
        "remotepassword": node.user_password(),
        "remoteport": node.remote_port(),
        "security": "tls",
        "delete_local": false,
        "delete_remote": false,
        "delete_remote_older": 0,
        "exclude": "",
        "cron": "",
        "foldersynchronization": "all",
        "sieve_enabled": false,
    })
}

/// The output of `list-tasks` (panics when the action fails).
pub fn list_tasks(node: &Node) -> Value {
    let result = node.run("list-tasks", Value::Null);
    result.expect_ok();
    result.output
}

/// The `list-tasks` item of a task.
pub fn task_properties(node: &Node, task_id: &str) -> Option<Value> {
    list_tasks(node)["user_properties"]
        .as_array()?
        .iter()
        .find(|t| t["task_id"] == task_id)
        .cloned()
}

/// Waits until the task has a last sync and is not running; returns its `list-tasks` item.
pub fn wait_synced(node: &Node, task_id: &str) -> Value {
    wait_for(
        RUN_LIMIT,
        &format!("task {task_id} to finish a run"),
        || {
            task_properties(node, task_id).filter(|t| {
                t["last_sync_timestamp"].as_i64().is_some() && t["service_running"] == false
            })
        },
    )
}

/// Modification time of a file, if it exists.
pub fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The modification time of a task's `.status` (rewritten at the end of every run that
/// was not stopped).
pub fn status_time(node: &Node, task_id: &str, localuser: &str) -> Option<SystemTime> {
    modified(&node.task_file(&format!("{localuser}_{task_id}"), "status"))
}

/// Waits until a run ends after `before` (see [`status_time`]) and the task is idle;
/// returns the task's `list-tasks` item.
pub fn wait_next_run(
    node: &Node,
    task_id: &str,
    localuser: &str,
    before: Option<SystemTime>,
) -> Value {
    wait_for(RUN_LIMIT, &format!("a new run of {task_id}"), || {
        let changed = status_time(node, task_id, localuser).is_some_and(|now| Some(now) != before);
        if !changed {
            return None;
        }
        task_properties(node, task_id).filter(|t| t["service_running"] == false)
    })
}

/// `get-log` content of a task.
pub fn log_of(node: &Node, task_id: &str, localuser: &str) -> String {
    let result = node.run(
        "get-log",
        json!({"task_id": task_id, "localuser": localuser}),
    );
    result.expect_ok();
    result.output["log_content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
