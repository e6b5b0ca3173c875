//! From a task's files to a ready [`SyncSpec`]: credentials from `.pwd` and `vmail.pwd`, the
//! local Dovecot as host2, and host names resolved here because the sandboxed worker cannot
//! read the resolver's files.

use crate::config::Config;
use crate::task_files::{read_secret, LoadError, TaskFiles};
use protocol::exit::ExitCode;
use protocol::spec::{Endpoint, Security, SyncSpec};
use protocol::task::TaskEnv;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Longest wait for a host name lookup.
const MAX_LOOKUP_SECS: u32 = 15;

/// Why a spec could not be built; carries the exit code to record.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SpecError {
    pub exit: ExitCode,
    pub message: String,
}

impl From<LoadError> for SpecError {
    fn from(err: LoadError) -> Self {
        SpecError {
            exit: ExitCode::NoInput,
            message: err.to_string(),
        }
    }
}

/// The spec of the task defined by `env`, with every secret loaded; `timeout_secs` applies to
/// both sides.
pub fn build(
    config: &Config,
    files: &TaskFiles,
    env: &TaskEnv,
    timeout_secs: u32,
) -> Result<SyncSpec, SpecError> {
    let remote_password = files.load_password()?;
    let host2 = Endpoint {
        host: config.mail_host.clone(),
        port: config.mail_port,
        security: Security::Starttls,
        verify_tls: false,
        user: String::new(),
        auth_user: None,
        password: read_secret(&config.vmail_password_path())?,
        timeout_secs,
        addresses: Vec::new(),
    };
    env.spec(remote_password, host2, timeout_secs)
        .map_err(|e| SpecError {
            exit: ExitCode::Usage,
            message: format!("{}: {e}", files.path("env").display()),
        })
}

/// Fills `addresses` of both endpoints; a failure names the side with imapsync's code.
pub async fn resolve(spec: &mut SyncSpec) -> Result<(), SpecError> {
    for (side, endpoint, exit) in [
        ("host1", &mut spec.host1, ExitCode::ConnectionFailureHost1),
        ("host2", &mut spec.host2, ExitCode::ConnectionFailureHost2),
    ] {
        endpoint.addresses = addresses(endpoint).await.map_err(|reason| SpecError {
            exit,
            message: format!(
                "{side}: cannot resolve {}:{}: {reason}",
                endpoint.host, endpoint.port
            ),
        })?;
    }
    Ok(())
}

async fn addresses(endpoint: &Endpoint) -> Result<Vec<SocketAddr>, String> {
    let host = endpoint.host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, endpoint.port)]);
    }
    let lookup = tokio::net::lookup_host((host, endpoint.port));
    let timeout = Duration::from_secs(u64::from(endpoint.timeout_secs.clamp(1, MAX_LOOKUP_SECS)));
    match tokio::time::timeout(timeout, lookup).await {
        Ok(Ok(found)) => {
            let found: Vec<SocketAddr> = found.collect();
            if found.is_empty() {
                Err("no address".into())
            } else {
                Ok(found)
            }
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}
