//! Event `mail-settings-changed`: when the configured Mail module republishes its IMAP
//! service, the new host is stored and the service restarted (which rewrites the cron files).
//! Events from other Mail modules and payloads that are not understood are ignored.

use crate::mail_server;
use crate::step::{Step, StepError, StepResult};
use crate::systemd::systemctl;
use ns8::envfile::ModuleEnvironment;
use serde_json::Value;
use std::io::Read;

/// `events/mail-settings-changed/80start_services`.
pub fn handle(_step: &mut Step) -> StepResult {
    let mut payload = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut payload);
    let uuid = serde_json::from_slice::<Value>(&payload)
        .ok()
        .and_then(|event| {
            event
                .get("module_uuid")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let configured = std::env::var("MAIL_SERVER").unwrap_or_default();
    if configured.is_empty() || uuid.as_deref() != Some(configured.as_str()) {
        return Ok(None);
    }
    let provider =
        mail_server::provider(&configured).map_err(|e| StepError::failed(e.to_string()))?;
    let host = provider
        .get("host")
        .filter(|host| !host.is_empty())
        .ok_or_else(|| StepError::failed("the mail server's IMAP record has no host"))?;
    ModuleEnvironment::from_env()
        .set("MAIL_HOST", host)
        .map_err(|e| StepError::failed(format!("cannot save MAIL_HOST: {e}")))?;
    ns8::log::info(format!("mail server host is now {host}"));
    systemctl(&["try-restart"])?;
    Ok(None)
}
