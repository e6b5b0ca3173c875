//! The events cluster-admin raises on its bus when a task ends, kept in order so the shell
//! page can long-poll them and emit them to the module UI.

use serde::Serialize;
use serde_json::{json, Value};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How a task ended, as the agent reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskEnd {
    /// `completed`, `aborted` or `validation-failed`.
    pub status: String,
    /// The output, JSON-decoded when it parses.
    pub output: Value,
    /// What the steps wrote on stderr.
    pub error: String,
    /// The task's exit code.
    pub exit_code: i32,
}

impl TaskEnd {
    /// A task of an action nobody defines (the agent's exit code 8).
    pub fn undefined(action: &str) -> TaskEnd {
        TaskEnd {
            status: "aborted".into(),
            output: Value::String(String::new()),
            error: format!("Action {action} is not defined\n"),
            exit_code: 8,
        }
    }

    /// A completed task with `output`.
    pub fn completed(output: Value) -> TaskEnd {
        TaskEnd {
            status: "completed".into(),
            output,
            error: String::new(),
            exit_code: 0,
        }
    }

    /// The `taskResult` cluster-admin hands to the handlers.
    pub fn task_result(&self) -> Value {
        json!({"output": self.output, "error": self.error, "exit_code": self.exit_code})
    }
}

/// A toast the shell shows for a task whose notification is not hidden.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notification {
    /// `extra.title`, else the action name.
    pub title: String,
    /// `extra.description`.
    pub description: String,
    /// How the task ended.
    pub status: String,
}

/// One task end, with everything the page emits for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BusEvent {
    /// Position in the log (from 1).
    pub seq: u64,
    /// Bus event names, emitted in this order with the same arguments.
    pub names: Vec<String>,
    /// The two handler arguments.
    pub args: [Value; 2],
    /// The toast to show, unless `extra.isNotificationHidden`.
    pub notification: Option<Notification>,
}

/// The names and arguments of a task end: `<action>-<status>` and, with `extra.eventId`,
/// `<action>-<status>-<eventId>`; completed gets (taskContext, taskResult), aborted
/// (taskResult, taskContext), validation-failed (the output array, taskContext).
pub fn bus_event(seq: u64, context: &Value, end: &TaskEnd) -> BusEvent {
    let action = context["action"].as_str().unwrap_or_default();
    let mut names = vec![format!("{action}-{}", end.status)];
    if let Some(event_id) = context["extra"]["eventId"]
        .as_str()
        .filter(|id| !id.is_empty())
    {
        names.push(format!("{action}-{}-{event_id}", end.status));
    }
    let args = match end.status.as_str() {
        "completed" => [context.clone(), end.task_result()],
        "validation-failed" => [end.output.clone(), context.clone()],
        _ => [end.task_result(), context.clone()],
    };
    let hidden = context["extra"]["isNotificationHidden"]
        .as_bool()
        .unwrap_or(false);
    let notification = (!hidden).then(|| Notification {
        title: context["extra"]["title"]
            .as_str()
            .filter(|t| !t.is_empty())
            .unwrap_or(action)
            .to_string(),
        description: context["extra"]["description"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        status: end.status.clone(),
    });
    BusEvent {
        seq,
        names,
        args,
        notification,
    }
}

#[derive(Default)]
struct Log {
    events: Vec<BusEvent>,
    closed: bool,
}

/// Every task end since the shell started.
#[derive(Default)]
pub struct EventLog {
    log: Mutex<Log>,
    changed: Condvar,
}

impl EventLog {
    /// An empty log.
    pub fn new() -> EventLog {
        EventLog::default()
    }

    /// Records the end of the task described by `context`.
    pub fn push(&self, context: &Value, end: &TaskEnd) {
        let mut log = self.log.lock().unwrap();
        let seq = log.events.len() as u64 + 1;
        log.events.push(bus_event(seq, context, end));
        self.changed.notify_all();
    }

    /// The sequence number of the last event (0 when there is none).
    pub fn last_seq(&self) -> u64 {
        self.log.lock().unwrap().events.len() as u64
    }

    /// The events after `after`, waiting up to `limit` for one when there is none yet
    /// (empty when the time runs out or the log is closed).
    pub fn wait_after(&self, after: u64, limit: Duration) -> Vec<BusEvent> {
        let deadline = Instant::now() + limit;
        let mut log = self.log.lock().unwrap();
        loop {
            let newer: Vec<BusEvent> = log
                .events
                .iter()
                .filter(|event| event.seq > after)
                .cloned()
                .collect();
            let left = deadline.saturating_duration_since(Instant::now());
            if !newer.is_empty() || log.closed || left.is_zero() {
                return newer;
            }
            log = self.changed.wait_timeout(log, left).unwrap().0;
        }
    }

    /// Wakes every waiter for good (the shell is stopping).
    pub fn close(&self) {
        self.log.lock().unwrap().closed = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(extra: Value) -> Value {
        json!({"id": "t1", "action": "create-task", "data": {}, "extra": extra,
               "queue": "module/imapsync1/tasks"})
    }

    #[test]
    fn completed_carries_context_then_result_under_both_names() {
        let ctx = context(json!({"eventId": "e1", "isNotificationHidden": true}));
        let event = bus_event(1, &ctx, &TaskEnd::completed(json!({"a": 1})));
        assert_eq!(
            event.names,
            vec!["create-task-completed", "create-task-completed-e1"]
        );
        assert_eq!(event.args[0], ctx);
        assert_eq!(
            event.args[1],
            json!({"output": {"a": 1}, "error": "", "exit_code": 0})
        );
        assert_eq!(event.notification, None);
    }

    #[test]
    fn aborted_carries_result_then_context() {
        let ctx = context(json!({"title": "Create task"}));
        let event = bus_event(2, &ctx, &TaskEnd::undefined("create-task"));
        assert_eq!(event.names, vec!["create-task-aborted"]);
        assert_eq!(event.args[0]["exit_code"], 8);
        assert_eq!(event.args[1], ctx);
        let toast = event.notification.unwrap();
        assert_eq!(
            (toast.title.as_str(), toast.status.as_str()),
            ("Create task", "aborted")
        );
    }

    #[test]
    fn validation_failed_carries_the_error_array_then_context() {
        let ctx = context(json!({"eventId": "e3"}));
        let errors = json!([{"field": "f", "parameter": "createTask", "value": "v", "error": "x"}]);
        let end = TaskEnd {
            status: "validation-failed".into(),
            output: errors.clone(),
            error: String::new(),
            exit_code: 2,
        };
        let event = bus_event(3, &ctx, &end);
        assert_eq!(
            event.names,
            vec![
                "create-task-validation-failed",
                "create-task-validation-failed-e3"
            ]
        );
        assert_eq!(event.args, [errors, ctx]);
    }

    #[test]
    fn waiters_get_only_newer_events_and_time_out_empty() {
        let log = EventLog::new();
        log.push(&context(json!({})), &TaskEnd::completed(json!(null)));
        assert_eq!(log.wait_after(0, Duration::ZERO).len(), 1);
        let begin = Instant::now();
        assert!(log.wait_after(1, Duration::from_millis(200)).is_empty());
        assert!(begin.elapsed() >= Duration::from_millis(200));
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| log.wait_after(1, Duration::from_secs(10)));
            std::thread::sleep(Duration::from_millis(100));
            log.push(&context(json!({})), &TaskEnd::undefined("x"));
            let got = waiter.join().unwrap();
            assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
        });
        log.close();
        assert!(log.wait_after(2, Duration::from_secs(10)).is_empty());
        assert_eq!(log.last_seq(), 2);
    }
}
