//! `list-tasks`: every task with its settings, its last run and, while it runs, its live
//! progress; plus the Mail module's enabled mailboxes for the task form.

use crate::mail_server;
use crate::step::{Step, StepResult};
use crate::supervisor_link::Supervisor;
use crate::task_fields::{list_item, RunFacts};
use protocol::control::{RunState, TaskStatus};
use protocol::last_run::{LastRun, STATUS_EXTENSION, SUMMARY_EXTENSION};
use serde_json::{json, Value};
use std::collections::HashMap;

/// `list-tasks/20read`.
pub fn read(step: &mut Step) -> StepResult {
    let mail_uuid = std::env::var("MAIL_SERVER").unwrap_or_default();
    if mail_uuid.is_empty() {
        return Ok(Some(
            json!({"user_properties": [], "enabled_mailboxes": []}),
        ));
    }
    let mailboxes = mail_server::agent_id(&mail_uuid)
        .and_then(|agent| mail_server::enabled_mailboxes(&agent))
        .unwrap_or_else(|e| {
            ns8::log::warning(format!("cannot list the mailboxes: {e}"));
            Vec::new()
        });
    let live: HashMap<String, TaskStatus> = match Supervisor::connect().and_then(|s| s.list()) {
        Ok(all) => all
            .into_iter()
            .map(|status| (status.task.clone(), status))
            .collect(),
        Err(e) => {
            ns8::log::warning(e.to_string());
            HashMap::new()
        }
    };
    let tasks = step
        .state
        .tasks()
        .map_err(|e| crate::step::StepError::failed(format!("cannot list the tasks: {e}")))?;
    let mut items = Vec::new();
    for (name, env) in tasks {
        match env {
            Ok(env) => items.push(list_item(&env, &facts(step, &name, live.get(&name)))),
            Err(e) => ns8::log::warning(format!("skipping task {name}: {e}")),
        }
    }
    let enabled: Vec<Value> = mailboxes
        .iter()
        .map(|user| json!({"name": user, "label": user, "value": user}))
        .collect();
    Ok(Some(
        json!({"user_properties": items, "enabled_mailboxes": enabled}),
    ))
}

fn facts(step: &Step, name: &str, live: Option<&TaskStatus>) -> RunFacts {
    let state = &step.state;
    // The supervisor has read `.status` and `.summary` already; the files are read here only
    // when it is down.
    let last_run = match live {
        Some(status) => LastRun {
            started_at: status.last_sync_timestamp,
            exit_code: status.last_sync_exit_code,
            summary: status.last_sync_summary.clone(),
        },
        None => LastRun::read(
            &state.task_file(name, STATUS_EXTENSION),
            &state.task_file(name, SUMMARY_EXTENSION),
        ),
    };
    let running = live.is_some_and(|s| s.state == RunState::Running);
    let progress = match live {
        Some(status) if status.state != RunState::Stopped => {
            let counters = status.progress.clone().unwrap_or_default();
            json!({
                "state": status.state,
                "started_at": status.started_at,
                "folder": counters.folder,
                "folders_done": counters.folders_done,
                "folders_total": counters.folders_total,
                "messages_done": counters.messages_done,
                "messages_total": counters.messages_total,
                "bytes_done": counters.bytes_done,
                "bytes_total": counters.bytes_total,
            })
        }
        _ => Value::Null,
    };
    RunFacts {
        service_running: running || state.task_file(name, "pid").exists(),
        last_run,
        has_log: state.task_file(name, "log").exists(),
        progress,
    }
}
