//! The control API: JSON-RPC on a unix socket that only the supervisor's owner can use,
//! serving `syncctl` and the NS8 module.

use crate::checks::{self, CheckError};
use crate::runs::{RunError, Runs};
use crate::scheduler::Scheduler;
use crate::shared::Shared;
use crate::task_files::{LoadError, TaskFiles};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use protocol::control::{
    LogChunk, LogParams, TaskParams, ERR_BAD_NAME, ERR_NO_TASK, ERR_SHUTTING_DOWN, ERR_TASK_CONFIG,
    ERR_WORKER, METHOD_LIST, METHOD_LOG, METHOD_RELOAD, METHOD_SIZES, METHOD_START, METHOD_STATUS,
    METHOD_STOP, METHOD_VALIDATE,
};
use protocol::framing::{self, parse_params};
use protocol::task::TaskEnv;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use tokio::net::UnixListener;

/// Largest piece of a log one `log` call returns.
const LOG_CHUNK: u64 = 64 * 1024;

/// Everything the API methods reach.
pub struct ControlContext {
    pub shared: Arc<Shared>,
    pub runs: Arc<Runs>,
    pub scheduler: Arc<Scheduler>,
}

fn error(code: i32, message: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.to_string(), None::<()>)
}

fn load_error(err: &LoadError) -> ErrorObjectOwned {
    match err {
        LoadError::Name(e) => error(ERR_BAD_NAME, e),
        LoadError::Missing(_) => error(ERR_NO_TASK, err),
        LoadError::Io { .. } | LoadError::Content { .. } => error(ERR_TASK_CONFIG, err),
    }
}

impl From<RunError> for ErrorObjectOwned {
    fn from(err: RunError) -> Self {
        match &err {
            RunError::BadName(e) => error(ERR_BAD_NAME, e),
            RunError::Load(e) => load_error(e),
            RunError::ShuttingDown => error(ERR_SHUTTING_DOWN, err),
            RunError::Lock(_) => error(ERR_TASK_CONFIG, err),
        }
    }
}

impl From<CheckError> for ErrorObjectOwned {
    fn from(err: CheckError) -> Self {
        match &err {
            CheckError::Spec(e) => error(ERR_TASK_CONFIG, e),
            CheckError::Worker(e) => error(ERR_WORKER, e),
        }
    }
}

fn task_files(ctx: &ControlContext, task: &str) -> Result<TaskFiles, ErrorObjectOwned> {
    TaskFiles::new(&ctx.shared.config.state_dir, task).map_err(|e| error(ERR_BAD_NAME, e))
}

/// The files and definition of an existing task, for a one-shot check.
fn existing_task(
    ctx: &ControlContext,
    task: &str,
) -> Result<(TaskFiles, TaskEnv), ErrorObjectOwned> {
    let files = task_files(ctx, task)?;
    let env = files.load_env().map_err(|e| load_error(&e))?;
    Ok((files, env))
}

fn read_log(ctx: &ControlContext, request: &LogParams) -> Result<LogChunk, ErrorObjectOwned> {
    let files = task_files(ctx, &request.task)?;
    let running = ctx.runs.status(&request.task)?.state == protocol::control::RunState::Running;
    let mut file = match std::fs::File::open(files.path("log")) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LogChunk {
                data: String::new(),
                offset: 0,
                restarted: request.offset > 0,
                running,
            })
        }
        Err(e) => return Err(error(ERR_TASK_CONFIG, e)),
    };
    let len = file
        .metadata()
        .map_err(|e| error(ERR_TASK_CONFIG, e))?
        .len();
    let restarted = request.offset > len;
    let from = if restarted { 0 } else { request.offset };
    file.seek(SeekFrom::Start(from))
        .map_err(|e| error(ERR_TASK_CONFIG, e))?;
    let mut bytes = Vec::new();
    file.take(LOG_CHUNK)
        .read_to_end(&mut bytes)
        .map_err(|e| error(ERR_TASK_CONFIG, e))?;
    // Stop at the last complete line so a multi-byte character is never split.
    if bytes.len() as u64 == LOG_CHUNK {
        if let Some(end) = bytes.iter().rposition(|b| *b == b'\n') {
            bytes.truncate(end + 1);
        }
    }
    Ok(LogChunk {
        data: String::from_utf8_lossy(&bytes).into_owned(),
        offset: from + bytes.len() as u64,
        restarted,
        running,
    })
}

/// The RPC module with every control method.
pub fn module(ctx: Arc<ControlContext>) -> RpcModule<Arc<ControlContext>> {
    let mut module = RpcModule::new(ctx);
    let ok = "method names are unique";
    module
        .register_method(METHOD_START, |params, ctx, _| {
            let request: TaskParams = parse_params(&params)?;
            Ok::<_, ErrorObjectOwned>(ctx.runs.start(&request.task)?)
        })
        .expect(ok);
    module
        .register_async_method(METHOD_STOP, |params, ctx, _| async move {
            let request: TaskParams = parse_params(&params)?;
            Ok::<_, ErrorObjectOwned>(ctx.runs.stop(&request.task).await?)
        })
        .expect(ok);
    module
        .register_method(METHOD_STATUS, |params, ctx, _| {
            let request: TaskParams = parse_params(&params)?;
            Ok::<_, ErrorObjectOwned>(ctx.runs.status(&request.task)?)
        })
        .expect(ok);
    module
        .register_method(METHOD_LIST, |_, ctx, _| ctx.runs.list())
        .expect(ok);
    module
        .register_async_method(METHOD_VALIDATE, |params, ctx, _| async move {
            let request: TaskParams = parse_params(&params)?;
            let (files, env) = existing_task(&ctx, &request.task)?;
            let _permit = ctx.runs.check_permit().await?;
            Ok::<_, ErrorObjectOwned>(checks::validate(&ctx.shared, &files, &env).await?)
        })
        .expect(ok);
    module
        .register_async_method(METHOD_SIZES, |params, ctx, _| async move {
            let request: TaskParams = parse_params(&params)?;
            let (files, env) = existing_task(&ctx, &request.task)?;
            let _permit = ctx.runs.check_permit().await?;
            Ok::<_, ErrorObjectOwned>(checks::sizes(&ctx.shared, &files, &env).await?)
        })
        .expect(ok);
    module
        .register_method(METHOD_RELOAD, |_, ctx, _| {
            Ok::<_, ErrorObjectOwned>(ctx.scheduler.reload())
        })
        .expect(ok);
    module
        .register_method(METHOD_LOG, |params, ctx, _| {
            let request: LogParams = parse_params(&params)?;
            read_log(ctx, &request)
        })
        .expect(ok);
    module
}

/// Binds the socket (replacing a stale one) with owner-only permissions. It is bound under a
/// temporary name and renamed into place, so a client that sees the path can connect (between
/// bind and listen a connection would be refused).
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let mut staging_name = path.file_name().unwrap_or_default().to_os_string();
    staging_name.push(format!(".{}.new", std::process::id()));
    let staging = path.with_file_name(staging_name);
    match std::fs::remove_file(&staging) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(&staging)?;
    std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&staging, path)?;
    Ok(listener)
}

/// Serves every connection on `listener`, each with its own copy of the module.
pub async fn serve(listener: UnixListener, ctx: Arc<ControlContext>) {
    let module = module(ctx);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                log_err!("control socket: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let module = module.clone();
        tokio::spawn(async move {
            let (reader, writer) = stream.into_split();
            let (notifier, outgoing) = framing::outgoing();
            if let Err(e) = framing::serve(
                module,
                reader,
                framing::MAX_REPLY_BYTES,
                writer,
                notifier,
                outgoing,
                || {},
            )
            .await
            {
                tracing::debug!("control connection ended: {e}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    #[tokio::test]
    async fn the_socket_replaces_a_stale_file_and_leaves_no_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/control.sock");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "stale").unwrap();
        let listener = bind(&path).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["control.sock"]);
        tokio::net::UnixStream::connect(&path).await.unwrap();
        assert!(listener.accept().await.is_ok());
    }
}
