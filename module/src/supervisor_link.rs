//! The module's line to the supervisor: JSON-RPC over the control socket the container
//! bind-mounts at `$XDG_RUNTIME_DIR/imapsync/control.sock` (or `IMAPSYNC_CONTROL_SOCKET`),
//! called synchronously from a step.

use jsonrpsee::core::client::{ClientT, Error as RpcError};
use jsonrpsee::core::params::ArrayParams;
use jsonrpsee::rpc_params;
use protocol::control::{
    ReloadReport, StartOutcome, StopOutcome, TaskParams, TaskStatus, METHOD_LIST, METHOD_RELOAD,
    METHOD_SIZES, METHOD_START, METHOD_STOP, METHOD_VALIDATE,
};
use protocol::rpc::{LoginReport, SizesReport};
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;

/// Longest wait for a quick answer (list, start, reload): a supervisor that takes longer is
/// stuck, and the UI polls `list-tasks`.
const QUICK_ANSWER: Duration = Duration::from_secs(15);
/// Longest wait for a stop: the supervisor kills a worker 3 s after asking it to stop.
const STOP_ANSWER: Duration = Duration::from_secs(60);
/// Longest wait for a login check or a size count: the supervisor bounds those itself
/// (name lookup, connection and login timeouts on both sides).
const CHECK_ANSWER: Duration = Duration::from_secs(180);

/// Why the supervisor could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the imapsync service is not running (cannot reach {path}: {reason})")]
    Unreachable { path: String, reason: String },
    #[error("the imapsync service refused: {0}")]
    Refused(String),
    #[error("the imapsync service did not answer: {0}")]
    Broken(String),
}

/// Where the control socket is.
pub fn socket_path() -> PathBuf {
    if let Some(path) = std::env::var_os("IMAPSYNC_CONTROL_SOCKET").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", nix::unistd::getuid())));
    runtime.join(protocol::control::HOST_SOCKET_IN_RUNTIME_DIR)
}

/// A synchronous control client.
pub struct Supervisor {
    runtime: tokio::runtime::Runtime,
    client: protocol::framing::LineClient,
}

impl Supervisor {
    /// Connects to the supervisor.
    pub fn connect() -> Result<Supervisor, LinkError> {
        let path = socket_path();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LinkError::Broken(e.to_string()))?;
        let stream = runtime
            .block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(10),
                    tokio::net::UnixStream::connect(&path),
                )
                .await
            })
            .map_err(|_| "timed out".to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|reason| LinkError::Unreachable {
                path: path.display().to_string(),
                reason,
            })?;
        let client = runtime.block_on(async {
            let (reader, writer) = stream.into_split();
            protocol::framing::client(reader, writer, protocol::framing::MAX_REPLY_BYTES)
        });
        Ok(Supervisor { runtime, client })
    }

    fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: ArrayParams,
        limit: Duration,
    ) -> Result<T, LinkError> {
        let answer = self.runtime.block_on(async {
            tokio::time::timeout(limit, self.client.request::<T, _>(method, params)).await
        });
        match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(RpcError::Call(err))) => Err(LinkError::Refused(err.message().to_string())),
            Ok(Err(other)) => Err(LinkError::Broken(other.to_string())),
            Err(_) => Err(LinkError::Broken(format!("no answer to {method} in time"))),
        }
    }

    fn task(task: &str) -> ArrayParams {
        rpc_params![TaskParams {
            task: task.to_string()
        }]
    }

    /// Starts a run of `task`, or queues it.
    pub fn start(&self, task: &str) -> Result<StartOutcome, LinkError> {
        self.call(METHOD_START, Self::task(task), QUICK_ANSWER)
    }

    /// Stops the run of `task` and waits until its worker has exited.
    pub fn stop(&self, task: &str) -> Result<StopOutcome, LinkError> {
        self.call(METHOD_STOP, Self::task(task), STOP_ANSWER)
    }

    /// The state of every task.
    pub fn list(&self) -> Result<Vec<TaskStatus>, LinkError> {
        self.call(METHOD_LIST, rpc_params![], QUICK_ANSWER)
    }

    /// Logs in on both sides with the task's settings.
    pub fn validate(&self, task: &str) -> Result<LoginReport, LinkError> {
        self.call(METHOD_VALIDATE, Self::task(task), CHECK_ANSWER)
    }

    /// Counts the folders, messages and bytes in the task's scope on both sides.
    pub fn sizes(&self, task: &str) -> Result<SizesReport, LinkError> {
        self.call(METHOD_SIZES, Self::task(task), CHECK_ANSWER)
    }

    /// Re-reads the schedule files now.
    pub fn reload(&self) -> Result<ReloadReport, LinkError> {
        self.call(METHOD_RELOAD, rpc_params![], QUICK_ANSWER)
    }
}
