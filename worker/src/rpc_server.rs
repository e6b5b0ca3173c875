//! The worker's JSON-RPC service on stdin/stdout: `run`, `cancel`, `check_login` and `sizes`,
//! with progress, log and UID-map notifications streamed while a run goes on. The engine is
//! blocking, so each call runs on a blocking thread.

use crate::engine::{self, CancelToken, EventSink};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use protocol::framing::{self, parse_params, Notifier};
use protocol::rpc::{
    LogLevel, LogLine, LoginParams, Progress, RunParams, StateUpdate, METHOD_CANCEL,
    METHOD_CHECK_LOGIN, METHOD_RUN, METHOD_SIZES, NOTIFY_LOG, NOTIFY_PROGRESS, NOTIFY_STATE,
};
use protocol::spec::SyncSpec;
use protocol::state::StateChange;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Error code for a second `run` while one is active.
pub const ERR_BUSY: i32 = -32001;
/// Error code for a call whose blocking thread died.
pub const ERR_INTERNAL: i32 = -32603;

/// Least time between two progress notifications.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Shared by every call: the notifier and the stop flag of the active run.
pub struct WorkerContext {
    notifier: Notifier,
    active: Mutex<Option<CancelToken>>,
}

impl WorkerContext {
    /// Cancels the active run, if any (the input closed or `cancel` was called).
    pub fn cancel_active(&self) -> bool {
        match engine::context::lock(&self.active).as_ref() {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}

/// Turns engine events into notifications.
struct RpcSink {
    notifier: Notifier,
    last_progress: Mutex<Option<Instant>>,
}

impl EventSink for RpcSink {
    fn log(&self, level: LogLevel, line: &str) {
        self.notifier.notify(
            NOTIFY_LOG,
            &LogLine {
                level,
                line: line.to_string(),
            },
        );
    }

    fn progress(&self, progress: &Progress) {
        let mut last = engine::context::lock(&self.last_progress);
        let done = progress.messages_done >= progress.messages_total
            && progress.folders_done >= progress.folders_total;
        if done || last.is_none_or(|t| t.elapsed() >= PROGRESS_INTERVAL) {
            *last = Some(Instant::now());
            self.notifier.notify(NOTIFY_PROGRESS, progress);
        }
    }

    fn state(&self, changes: Vec<StateChange>) {
        self.notifier.notify(NOTIFY_STATE, &StateUpdate { changes });
    }
}

fn internal(err: tokio::task::JoinError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        ERR_INTERNAL,
        format!("worker thread failed: {err}"),
        None::<()>,
    )
}

/// The RPC module with every worker method, sharing `ctx`.
pub fn module(ctx: Arc<WorkerContext>) -> RpcModule<Arc<WorkerContext>> {
    let mut module = RpcModule::new(ctx);
    module
        .register_async_method(METHOD_RUN, |params, ctx, _| async move {
            let request: RunParams = parse_params(&params)?;
            let token = CancelToken::default();
            {
                let mut active = engine::context::lock(&ctx.active);
                if active.is_some() {
                    return Err(ErrorObjectOwned::owned(
                        ERR_BUSY,
                        "a run is already active",
                        None::<()>,
                    ));
                }
                *active = Some(token.clone());
            }
            let sink = RpcSink {
                notifier: ctx.notifier.clone(),
                last_progress: Mutex::new(None),
            };
            let result = tokio::task::spawn_blocking(move || {
                engine::run(&request.spec, request.state, &sink, &token)
            })
            .await;
            *engine::context::lock(&ctx.active) = None;
            result.map_err(internal)
        })
        .expect("method names are unique");
    module
        .register_method(METHOD_CANCEL, |_, ctx, _| ctx.cancel_active())
        .expect("method names are unique");
    module
        .register_async_method(METHOD_CHECK_LOGIN, |params, _, _| async move {
            let request: LoginParams = parse_params(&params)?;
            tokio::task::spawn_blocking(move || engine::check_login(&request.host1, &request.host2))
                .await
                .map_err(internal)
        })
        .expect("method names are unique");
    module
        .register_async_method(METHOD_SIZES, |params, _, _| async move {
            let spec: SyncSpec = parse_params(&params)?;
            tokio::task::spawn_blocking(move || engine::folder_sizes(&spec))
                .await
                .map_err(internal)
        })
        .expect("method names are unique");
    module
}

/// Serves the worker protocol on stdin/stdout until stdin closes; an active run is cancelled
/// when its driver goes away.
pub async fn serve_stdio() -> Result<(), framing::FramingError> {
    let (notifier, outgoing) = framing::outgoing();
    let ctx = Arc::new(WorkerContext {
        notifier: notifier.clone(),
        active: Mutex::new(None),
    });
    let module = module(ctx.clone());
    framing::serve(
        module,
        tokio::io::stdin(),
        framing::MAX_REQUEST_BYTES,
        tokio::io::stdout(),
        notifier,
        outgoing,
        move || {
            ctx.cancel_active();
        },
    )
    .await
}
