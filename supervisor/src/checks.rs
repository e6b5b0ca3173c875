//! One-shot questions a worker answers for a task without running it: can both sides log in
//! (`validate`, used by create-task) and how big are the folders in scope (`sizes`, used by
//! list-informations). Neither takes the task lock nor touches the task's files.

use crate::endpoints::{self, SpecError};
use crate::shared::Shared;
use crate::task_files::TaskFiles;
use crate::worker_process;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::rpc_params;
use protocol::exit::ExitCode;
use protocol::rpc::{LoginErrorKind, LoginOutcome, LoginParams, LoginReport, SizesReport};
use protocol::spec::SyncSpec;
use protocol::task::TaskEnv;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The question could not be put to a worker.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("worker: {0}")]
    Worker(String),
}

async fn ready_spec(
    shared: &Shared,
    files: &TaskFiles,
    env: &TaskEnv,
) -> Result<SyncSpec, SpecError> {
    let mut spec = endpoints::build(&shared.config, files, env, shared.config.check_timeout_secs)?;
    endpoints::resolve(&mut spec).await?;
    Ok(spec)
}

/// Asks a fresh worker one question and waits for it to exit.
async fn ask<T: DeserializeOwned>(
    shared: &Shared,
    task: &str,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
) -> Result<T, CheckError> {
    let worker = worker_process::spawn(&shared.reaper, &shared.worker, task)
        .map_err(|e| CheckError::Worker(format!("cannot start: {e}")))?;
    // Both sides time out on their own; this only bounds a worker that hangs.
    let limit = Duration::from_secs(u64::from(shared.config.check_timeout_secs) * 4 + 30);
    let answer = tokio::time::timeout(limit, worker.client.request::<T, _>(method, params)).await;
    worker.finish().await;
    match answer {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(CheckError::Worker(e.to_string())),
        Err(_) => Err(CheckError::Worker("no answer in time".into())),
    }
}

/// Logs in on both sides with the task's settings.
pub async fn validate(
    shared: &Shared,
    files: &TaskFiles,
    env: &TaskEnv,
) -> Result<LoginReport, CheckError> {
    let spec = match ready_spec(shared, files, env).await {
        Ok(spec) => spec,
        Err(e) if unresolved(&e) => {
            return Ok(unresolved_report(&e));
        }
        Err(e) => return Err(e.into()),
    };
    let params = LoginParams {
        host1: spec.host1,
        host2: spec.host2,
    };
    ask(
        shared,
        &files.name,
        protocol::rpc::METHOD_CHECK_LOGIN,
        rpc_params![params],
    )
    .await
}

/// True when a host name did not resolve.
fn unresolved(err: &SpecError) -> bool {
    matches!(
        err.exit,
        ExitCode::ConnectionFailureHost1 | ExitCode::ConnectionFailureHost2
    )
}

/// A name that does not resolve is an unreachable host, reported like a refused connection.
fn unresolved_report(err: &SpecError) -> LoginReport {
    let failed = LoginOutcome {
        ok: false,
        kind: Some(LoginErrorKind::Unreachable),
        message: Some(err.message.clone()),
    };
    let skipped = LoginOutcome {
        ok: false,
        kind: None,
        message: Some("not tried".into()),
    };
    let host1_failed = err.exit == ExitCode::ConnectionFailureHost1;
    LoginReport {
        host1: if host1_failed {
            failed.clone()
        } else {
            skipped.clone()
        },
        host2: if host1_failed { skipped } else { failed },
        exit_code: err.exit.code(),
    }
}

/// Folder, message and byte counts on both sides within the task's scope.
pub async fn sizes(
    shared: &Shared,
    files: &TaskFiles,
    env: &TaskEnv,
) -> Result<SizesReport, CheckError> {
    let spec = match ready_spec(shared, files, env).await {
        Ok(spec) => spec,
        Err(e) if unresolved(&e) => {
            return Ok(SizesReport {
                exit_code: e.exit.code(),
                error: Some(e.message),
                ..SizesReport::default()
            });
        }
        Err(e) => return Err(e.into()),
    };
    ask(
        shared,
        &files.name,
        protocol::rpc::METHOD_SIZES,
        rpc_params![spec],
    )
    .await
}
