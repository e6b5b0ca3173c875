//! The Mail module this instance migrates into: found by its module UUID among the `imap`
//! service providers in Redis, and asked over the api-server for its master credentials and
//! its mailboxes.

use ns8::api::{ApiClient, ApiError, TaskResult};
use ns8::providers::{list_service_providers, ServiceProvider, SortBy};
use ns8::redis_conn::{connect_readonly, RedisSettings};
use serde_json::{json, Value};
use std::time::Duration;

/// Why the Mail module could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no mail server is configured: run configure-module first")]
    NotConfigured,
    #[error("the mail server {0} is not among the cluster's IMAP services")]
    NotFound(String),
    #[error("cannot read the cluster database: {0}")]
    Redis(String),
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{action} on {agent} failed with exit code {exit_code}: {error}")]
    Action {
        agent: String,
        action: String,
        exit_code: i32,
        error: String,
    },
    #[error("{0} returned an unexpected answer")]
    Unexpected(String),
}

impl MailError {
    /// True when trying again later may work (Mail not up yet, Redis not reachable).
    pub fn is_transient(&self) -> bool {
        match self {
            MailError::Redis(_) => true,
            MailError::Api(e) => e.is_transient(),
            _ => false,
        }
    }
}

/// Every IMAP service of the cluster, nearest node first.
pub fn imap_providers() -> Result<Vec<ServiceProvider>, MailError> {
    providers(&[])
}

fn providers(filters: &[(&str, &str)]) -> Result<Vec<ServiceProvider>, MailError> {
    let settings = RedisSettings::from_env().map_err(|e| MailError::Redis(e.to_string()))?;
    let mut conn =
        connect_readonly(&settings, false).map_err(|e| MailError::Redis(e.to_string()))?;
    list_service_providers(&mut conn, "imap", "tcp", filters, SortBy::NodeProximity)
        .map_err(|e| MailError::Redis(e.to_string()))
}

/// The IMAP service of the Mail module with `uuid`.
pub fn provider(uuid: &str) -> Result<ServiceProvider, MailError> {
    if uuid.is_empty() {
        return Err(MailError::NotConfigured);
    }
    providers(&[("module_uuid", uuid)])?
        .into_iter()
        .next()
        .ok_or_else(|| MailError::NotFound(uuid.to_string()))
}

/// The configured Mail module's agent id, `module/<module_id>`.
pub fn agent_id(uuid: &str) -> Result<String, MailError> {
    let provider = provider(uuid)?;
    let module_id = provider
        .module_id()
        .ok_or_else(|| MailError::NotFound(uuid.to_string()))?;
    Ok(format!("module/{module_id}"))
}

/// Runs `action` on the Mail module, giving up after `limit`: both callers must answer in
/// time (the UI polls `list-tasks`; `reveal-master-secret` retries on its own every 10 s).
fn run(agent: &str, action: &str, limit: Duration) -> Result<Value, MailError> {
    let client = ApiClient::from_env()?
        .with_retry_attempts(2)
        .with_poll_interval(Duration::from_millis(500))
        .with_deadline(limit);
    let TaskResult {
        output,
        error,
        exit_code,
    } = client.run(agent, action, &json!({}))?;
    if exit_code != 0 {
        return Err(MailError::Action {
            agent: agent.to_string(),
            action: action.to_string(),
            exit_code,
            error: error.trim().chars().take(500).collect(),
        });
    }
    Ok(output)
}

/// The vmail master password of the Mail module `agent`.
pub fn master_password(agent: &str) -> Result<String, MailError> {
    let output = run(agent, "reveal-master-credentials", Duration::from_secs(60))?;
    output
        .get("password")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .ok_or_else(|| MailError::Unexpected("reveal-master-credentials".into()))
}

/// The users with an enabled mailbox. A Mail module that is not configured yet answers `[]`.
pub fn enabled_mailboxes(agent: &str) -> Result<Vec<String>, MailError> {
    let output = run(agent, "list-user-mailboxes", Duration::from_secs(30))?;
    let entries = match output.get("user_mailboxes") {
        Some(Value::Array(entries)) => entries.clone(),
        _ if output == json!([]) => Vec::new(),
        _ => return Err(MailError::Unexpected("list-user-mailboxes".into())),
    };
    Ok(entries
        .iter()
        .filter(|entry| entry.get("enabled") != Some(&Value::Bool(false)))
        .filter_map(|entry| entry.get("user").and_then(Value::as_str))
        .map(str::to_string)
        .collect())
}
