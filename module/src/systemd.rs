//! Controlling the module's user unit, `imapsync.service`, with `systemctl --user` as the
//! current module's steps do. The unit's own `ExecStartPre` lines fetch the vmail password and
//! rewrite the cron files.

use crate::step::StepError;
use std::process::{Command, Stdio};

/// The unit that runs the supervisor's container.
pub const UNIT: &str = "imapsync.service";

/// Runs `systemctl --user <verb...> imapsync.service`; its output goes to the step's log so
/// the step's stdout stays the action output.
pub fn systemctl(verb: &[&str]) -> Result<(), StepError> {
    let shown = format!("systemctl --user {} {UNIT}", verb.join(" "));
    ns8::log::info(format!("running {shown}"));
    let status = Command::new("systemctl")
        .arg("--user")
        .args(verb)
        .arg(UNIT)
        // The module's Redis password and the agent's command fd are not systemctl's business.
        .env_remove("REDIS_PASSWORD")
        .env_remove("AGENT_COMFD")
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| StepError::failed(format!("cannot run {shown}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(StepError::failed(format!("{shown} failed: {status}")))
    }
}
