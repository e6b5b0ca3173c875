//! Carries out the plan row by row through the module's own `create-task` action, printing the
//! outcome of each row and counting them. A refused or failed row does not stop the others.

use super::failure::failure_reason;
use super::plan::{Action, PlannedRow};
use super::request::TaskRequest;
use ns8::api::{ApiClient, TaskResult};
use serde_json::Value;
use std::io::{self, Write};

/// Runs `create-task`; the real one goes through the api-server, tests use a fake.
pub trait TaskCreator {
    /// The finished task, or why it could not be run (the text must not contain `data`).
    fn create_task(&mut self, data: &Value) -> Result<TaskResult, String>;
}

/// `create-task` of agent `agent_id` (this module), submitted to the api-server.
pub struct ApiTaskCreator {
    client: ApiClient,
    agent_id: String,
}

impl ApiTaskCreator {
    pub fn new(client: ApiClient, agent_id: String) -> ApiTaskCreator {
        ApiTaskCreator { client, agent_id }
    }
}

impl TaskCreator for ApiTaskCreator {
    fn create_task(&mut self, data: &Value) -> Result<TaskResult, String> {
        self.client
            .run(&self.agent_id, "create-task", data)
            .map_err(|e| e.to_string())
    }
}

/// How many rows ended which way.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Summary {
    /// `📊 Summary: X created, Y failed[, Z updated][, W skipped]`.
    pub fn line(&self, update_mode: bool) -> String {
        let mut line = format!(
            "📊 Summary: {} created, {} failed",
            self.created, self.failed
        );
        if update_mode {
            line.push_str(&format!(", {} updated", self.updated));
        }
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }

    /// 1 if any row failed, else 0 (skipped rows are not errors).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.failed > 0)
    }
}

/// Applies every planned row in order.
pub fn apply(
    planned: &[PlannedRow],
    creator: &mut dyn TaskCreator,
    out: &mut dyn Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    for row in planned {
        match &row.action {
            Action::Create(request) | Action::Update(request) => {
                let (doing, done, count) = match &row.action {
                    Action::Create(_) => ("Creating", "Success", &mut summary.created),
                    _ => ("Updating", "Updated", &mut summary.updated),
                };
                writeln!(
                    out,
                    "{doing} task for {} (ID: {})...",
                    request.row.localuser, request.task_id
                )?;
                if submit(request, creator, out)? {
                    writeln!(out, "✓ {done}: {}", request.row.localuser)?;
                    *count += 1;
                } else {
                    summary.failed += 1;
                }
            }
            Action::Exists { localuser, account } => {
                writeln!(
                    out,
                    "⊘ Skipped row {}: {localuser} already syncs {account} (use --update to change it)",
                    row.line
                )?;
                summary.skipped += 1;
            }
            Action::Repeated {
                localuser,
                account,
                first_line,
            } => {
                writeln!(
                    out,
                    "⊘ Skipped row {}: {localuser} with {account} appears twice in this file (first on row {first_line})",
                    row.line
                )?;
                summary.skipped += 1;
            }
            Action::Invalid(reason) => {
                writeln!(out, "✗ Invalid value on row {}: {reason}", row.line)?;
                summary.failed += 1;
            }
        }
        writeln!(out)?;
    }
    Ok(summary)
}

/// Runs `create-task` for `request`; true when it succeeded, else the reason is printed.
fn submit(
    request: &TaskRequest,
    creator: &mut dyn TaskCreator,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let reason = match creator.create_task(&request.to_json()) {
        Ok(result) if result.exit_code == 0 => return Ok(true),
        Ok(result) => failure_reason(&result),
        Err(error) => format!("cannot run create-task: {error}"),
    };
    let password = request.row.remotepassword.expose();
    let reason = if password.trim().is_empty() {
        reason
    } else {
        reason.replace(password, "********")
    };
    writeln!(out, "✗ Error for {}: {reason}", request.row.localuser)?;
    writeln!(out, "  {}", request.row.endpoint())?;
    if request.row.password_has_outer_spaces() {
        writeln!(
            out,
            "  Note: the password begins or ends with a space, and was sent as written"
        )?;
    }
    Ok(false)
}
