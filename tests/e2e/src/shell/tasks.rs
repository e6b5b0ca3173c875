//! Task submission as cluster-admin's api-server takes it: the body checked, a task context
//! with a fresh id, then the action run (the module's own through the agent stand-in, the
//! core's answered by [`super::core_actions`]) and its end recorded for the page's bus and
//! for inspection.

use super::core_actions;
use super::events::{EventLog, TaskEnd};
use crate::api::obscure;
use crate::node::Node;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The user cluster-admin's tasks run as (`AGENT_TASK_USER`).
pub const ADMIN_USER: &str = "admin";

/// A task as the UI posts it.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    /// Action name.
    pub action: String,
    /// Input (`null` when absent).
    pub data: Value,
    /// UI hints: `title`, `description`, `isNotificationHidden`, `eventId`.
    pub extra: Value,
}

/// Reads a posted body: a JSON object with a non-empty string `action`, an optional `data`
/// and an optional object `extra`; the error says what is wrong.
pub fn parse_submission(body: &str) -> Result<Submission, String> {
    let task: Value =
        serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Value::Object(mut fields) = task else {
        return Err("the body is not a JSON object".into());
    };
    let action = match fields.remove("action") {
        Some(Value::String(action)) if !action.is_empty() => action,
        _ => return Err("the field action is missing or not a non-empty string".into()),
    };
    let extra = match fields.remove("extra") {
        None | Some(Value::Null) => json!({}),
        Some(extra @ Value::Object(_)) => extra,
        Some(_) => return Err("the field extra is not an object".into()),
    };
    Ok(Submission {
        action,
        data: fields.remove("data").unwrap_or(Value::Null),
        extra,
    })
}

/// One submission and, once it ended, how.
#[derive(Clone, Debug, Serialize)]
pub struct CallRecord {
    /// Task id.
    pub id: String,
    /// `module/<id>/tasks`, `cluster/tasks` or `node/<n>/tasks`.
    pub queue: String,
    /// Action name.
    pub action: String,
    /// Input with secrets replaced by `XXX`.
    pub data: Value,
    /// `running`, then `completed`, `aborted` or `validation-failed`.
    pub status: String,
    /// Exit code once ended.
    pub exit_code: Option<i32>,
    /// Submission time (Unix milliseconds).
    pub started_ms: u128,
    /// End time (Unix milliseconds).
    pub ended_ms: Option<u128>,
}

/// Takes submissions and runs them against the node.
pub struct TaskDesk<'n> {
    node: &'n Node,
    module_queue: String,
    events: EventLog,
    calls: Mutex<Vec<CallRecord>>,
    violations: Mutex<Vec<String>>,
    systemctl_lines_seen: Mutex<usize>,
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

impl<'n> TaskDesk<'n> {
    /// A desk for `node`'s module.
    pub fn new(node: &'n Node, module_id: &str) -> TaskDesk<'n> {
        TaskDesk {
            node,
            module_queue: format!("module/{module_id}/tasks"),
            events: EventLog::new(),
            calls: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            systemctl_lines_seen: Mutex::new(0),
        }
    }

    /// The task-end events.
    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// Every submission so far, oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().unwrap().clone()
    }

    /// Agent protocol faults the module committed so far.
    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }

    /// Queues a submission on `queue` and returns its task context
    /// (`{id, action, data, extra, queue, user, timestamp, parent}`).
    pub fn accept(&self, queue: &str, submission: Submission) -> Value {
        let id = crate::ids::uuid4();
        self.calls.lock().unwrap().push(CallRecord {
            id: id.clone(),
            queue: queue.to_string(),
            action: submission.action.clone(),
            data: obscure(&submission.data),
            status: "running".into(),
            exit_code: None,
            started_ms: now_ms(),
            ended_ms: None,
        });
        json!({
            "id": id,
            "action": submission.action,
            "data": submission.data,
            "extra": submission.extra,
            "queue": queue,
            "user": ADMIN_USER,
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "parent": "",
        })
    }

    /// Runs an accepted task to its end, then records the end and its bus event.
    pub fn run(&self, context: &Value) {
        let id = context["id"].as_str().unwrap_or_default();
        let action = context["action"].as_str().unwrap_or_default();
        let queue = context["queue"].as_str().unwrap_or_default();
        let end = if queue == self.module_queue {
            core_actions::module_base_action(self.node, action).unwrap_or_else(|| {
                let result = self
                    .node
                    .agent()
                    .run_task(action, &context["data"], ADMIN_USER, id);
                TaskEnd {
                    status: result.status,
                    output: result.output,
                    error: result.error,
                    exit_code: result.exit_code,
                }
            })
        } else if queue == "cluster/tasks" {
            core_actions::cluster_action(action)
        } else {
            TaskEnd::undefined(action)
        };
        self.collect_violations();
        eprintln!(
            "ui-shell: {queue} {action} ended: {} (exit code {})",
            end.status, end.exit_code
        );
        if let Some(call) = self
            .calls
            .lock()
            .unwrap()
            .iter_mut()
            .find(|call| call.id == id)
        {
            call.status = end.status.clone();
            call.exit_code = Some(end.exit_code);
            call.ended_ms = Some(now_ms());
        }
        self.events.push(context, &end);
    }

    /// Moves the agent's and the `systemctl` stand-in's new protocol faults into the list.
    fn collect_violations(&self) {
        let mut found = self.node.agent().take_violations();
        let log = self.node.systemctl_log();
        let mut seen = self.systemctl_lines_seen.lock().unwrap();
        let lines: Vec<&str> = log.lines().collect();
        found.extend(
            lines
                .iter()
                .skip(*seen)
                .filter_map(|line| line.strip_prefix("HARNESS VIOLATION: "))
                .map(str::to_string),
        );
        *seen = lines.len();
        for violation in &found {
            eprintln!("ui-shell: AGENT PROTOCOL VIOLATION: {violation}");
        }
        self.violations.lock().unwrap().extend(found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submissions_need_an_action_and_an_object_extra() {
        let ok = parse_submission(r#"{"action":"list-tasks","extra":{"eventId":"e"}}"#).unwrap();
        assert_eq!(ok.action, "list-tasks");
        assert_eq!(ok.data, Value::Null);
        assert_eq!(ok.extra["eventId"], "e");
        let with_data = parse_submission(r#"{"action":"a","data":{"x":1}}"#).unwrap();
        assert_eq!(
            (with_data.data, with_data.extra),
            (json!({"x": 1}), json!({}))
        );
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"action":""}"#,
            r#"{"action":3}"#,
            r#"{"action":"a","extra":"x"}"#,
        ] {
            assert!(parse_submission(bad).is_err(), "{bad}");
        }
    }
}
