//! `configure-module` (choose the Mail module, then (re)start the service) and
//! `get-configuration` (the current choice and every Mail module of the cluster).

use crate::input;
use crate::mail_server::{self, MailError};
use crate::step::{Step, StepError, StepResult};
use crate::systemd::systemctl;
use ns8::envfile::ModuleEnvironment;
use serde_json::{json, Value};

/// `configure-module/02validate-mail-server`: the UUID must be an IMAP service of the cluster
/// (exit 3 otherwise; the NS7 migration retries while it gets 3).
pub fn validate_mail_server(step: &mut Step) -> StepResult {
    step.weigh_nothing();
    let input = input::read()?;
    let uuid = input::string(&input, "mail_server")?;
    match mail_server::provider(uuid) {
        Ok(_) => Ok(None),
        Err(MailError::NotFound(_) | MailError::NotConfigured) => Err(StepError::Validation {
            exit_code: 3,
            errors: vec![crate::step::FieldError::new(
                "mail_server",
                uuid,
                "mail_server_is_not_valid",
            )],
            detail: None,
        }),
        Err(e) => Err(StepError::failed(e.to_string())),
    }
}

/// `configure-module/20configure-env`: stores the choice in the module environment.
pub fn configure_env(_step: &mut Step) -> StepResult {
    let input = input::read()?;
    let uuid = input::string(&input, "mail_server")?;
    let host = input::string(&input, "mail_host")?;
    ModuleEnvironment::from_env()
        .mset(&[("MAIL_SERVER", uuid), ("MAIL_HOST", host)])
        .map_err(|e| StepError::failed(format!("cannot save the configuration: {e}")))?;
    Ok(None)
}

/// `configure-module/80start_services`: enables and restarts the service.
pub fn start_services(_step: &mut Step) -> StepResult {
    systemctl(&["enable"])?;
    systemctl(&["restart"])?;
    Ok(None)
}

/// `get-configuration/20read`.
pub fn read(_step: &mut Step) -> StepResult {
    let env = ModuleEnvironment::from_env().read().unwrap_or_default();
    let setting = |key: &str| env.get(key).cloned().unwrap_or_default();
    let providers = mail_server::imap_providers().map_err(|e| StepError::failed(e.to_string()))?;
    let choices: Vec<Value> = providers
        .iter()
        .map(|provider| {
            let module_id = provider.module_id().unwrap_or_default();
            json!({
                "name": module_id,
                "label": format!("{module_id} ({})", provider.get("mail_hostname").unwrap_or_default()),
                "value": format!("{},{}", provider.get("module_uuid").unwrap_or_default(), provider.get("host").unwrap_or_default()),
            })
        })
        .collect();
    Ok(Some(json!({
        "mail_server": setting("MAIL_SERVER"),
        "mail_host": setting("MAIL_HOST"),
        "mail_server_URL": choices,
    })))
}
