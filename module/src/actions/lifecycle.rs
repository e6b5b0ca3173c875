//! The module's life-cycle steps: `create-module` and `update-module.d` grants, the
//! `update-module.d` restart, and `restore-module`'s environment copy and service start.

use crate::input;
use crate::step::{Step, StepError, StepResult};
use crate::systemd::systemctl;
use ns8::envfile::ModuleEnvironment;
use ns8::redis_conn::{connect_privileged, RedisSettings};

/// `create-module/10grants` (also `update-module.d/10grants`): lets the module's own
/// credentials run `create-task` on itself, as the CSV importer does.
pub fn grants(_step: &mut Step) -> StepResult {
    let agent_id = std::env::var("AGENT_ID")
        .ok()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| StepError::failed("AGENT_ID is not set"))?;
    let settings = RedisSettings::from_env().map_err(|e| StepError::failed(e.to_string()))?;
    let mut conn = connect_privileged(&settings)
        .map_err(|e| StepError::failed(format!("cannot connect to Redis: {e}")))?;
    redis::cmd("SADD")
        .arg(format!("{agent_id}/roles/selfadm"))
        .arg("create-task")
        .query::<i64>(&mut conn)
        .map_err(|e| StepError::failed(format!("cannot grant create-task to selfadm: {e}")))?;
    Ok(None)
}

/// `update-module.d/20restart`: restarts the service if it runs, with the new image.
pub fn restart_after_update(_step: &mut Step) -> StepResult {
    systemctl(&["try-restart"])?;
    Ok(None)
}

/// `restore-module/06copyenv`: takes the Mail module choice from the backed-up environment.
pub fn restore_environment(_step: &mut Step) -> StepResult {
    let input = input::read()?;
    let original = input.get("environment").cloned().unwrap_or_default();
    let pairs: Vec<(&str, &str)> = ["MAIL_SERVER", "MAIL_HOST"]
        .into_iter()
        .filter_map(|key| original.get(key).and_then(|v| v.as_str()).map(|v| (key, v)))
        .collect();
    if pairs.is_empty() {
        ns8::log::warning("the backup has no mail server setting: run configure-module");
        return Ok(None);
    }
    ModuleEnvironment::from_env()
        .mset(&pairs)
        .map_err(|e| StepError::failed(format!("cannot restore the configuration: {e}")))?;
    Ok(None)
}

/// `restore-module/60systemd`: enables and starts the service.
pub fn restore_start(_step: &mut Step) -> StepResult {
    systemctl(&["enable", "--now"])?;
    Ok(None)
}
