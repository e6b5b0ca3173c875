//! `reveal-master-secret` (run by the unit before the container starts): asks the configured
//! Mail module for its vmail master password and stores it in `imapsync/vmail.pwd` (0600).
//! While Mail is not reachable yet (boot), it tries again every 10 s, until systemd's start
//! timeout ends it.

use crate::layout::StateDir;
use crate::mail_server::{self, MailError};
use std::time::Duration;

/// Pause between two attempts (`IMAPSYNC_REVEAL_RETRY_SECS`, 10 s by default).
fn retry_pause() -> Duration {
    let secs = std::env::var("IMAPSYNC_REVEAL_RETRY_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(10);
    Duration::from_secs(secs)
}

fn fetch(uuid: &str) -> Result<String, MailError> {
    let agent = mail_server::agent_id(uuid)?;
    mail_server::master_password(&agent)
}

/// Runs the helper; the process exit code.
pub fn main() -> u8 {
    let uuid = std::env::var("MAIL_SERVER").unwrap_or_default();
    let password = loop {
        match fetch(&uuid) {
            Ok(password) => break password,
            Err(e) if e.is_transient() => {
                ns8::log::warning(format!("{e}; trying again in {:?}", retry_pause()));
                std::thread::sleep(retry_pause());
            }
            Err(e) => {
                ns8::log::error(format!("cannot get the vmail password: {e}"));
                return 1;
            }
        }
    };
    let state = StateDir::from_env();
    let written = state
        .ensure_dirs()
        .and_then(|()| protocol::atomic_file::write(&state.vmail_password(), password.as_bytes()));
    match written {
        Ok(()) => {
            ns8::log::info("vmail password saved");
            0
        }
        Err(e) => {
            ns8::log::error(format!(
                "cannot write {}: {e}",
                state.vmail_password().display()
            ));
            1
        }
    }
}
