//! The supervisor's life: become the reaper of every descendant, clean up after a previous instance, serve the
//! control socket, run the scheduler, and on SIGTERM or SIGINT stop every run within the
//! container's stop timeout.

use crate::config::Config;
use crate::control::{self, ControlContext};
use crate::reaper::Reaper;
use crate::runs::Runs;
use crate::scheduler::Scheduler;
use crate::shared::Shared;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

/// Time running workers get to stop on shutdown before they are killed (podman waits 10 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Runs until SIGTERM or SIGINT; `Err` only when it cannot start.
pub async fn run(config: Config) -> std::io::Result<()> {
    // Task files are private to the module's user.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    // Orphans of cron jobs come back to us even when we are not PID 1 (tests, a shell).
    nix::sys::prctl::set_child_subreaper(true)?;
    let reaper = Arc::new(Reaper::default());
    reaper.clone().start()?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let shared = Arc::new(Shared::new(config, reaper));
    let config = &shared.config;
    if !shared.worker.program.is_file() {
        log_err!(
            "imapsync-supervisor: warning: worker {} not found; runs will fail",
            shared.worker.program.display()
        );
    }
    if shared.worker.identity.is_none() {
        log_err!("imapsync-supervisor: not root: workers keep this user id");
    }
    let runs = Runs::new(shared.clone());
    runs.clear_stale_pid_files();
    let scheduler = Scheduler::new(shared.clone(), runs.clone());
    // The socket appears only now: a client that sees it can count on the cron files read so
    // far being loaded, so a file written after that is a change the rescan reports.
    let listener = control::bind(&config.socket)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", config.socket.display())))?;
    let context = Arc::new(ControlContext {
        shared: shared.clone(),
        runs: runs.clone(),
        scheduler: scheduler.clone(),
    });
    tokio::spawn(control::serve(listener, context));
    tokio::spawn(scheduler.run());
    log_err!(
        "imapsync-supervisor: ready on {} (state {}, cron {}, up to {} workers)",
        config.socket.display(),
        config.state_dir.display(),
        config.cron_dir.display(),
        config.max_workers
    );
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    log_err!(
        "imapsync-supervisor: stopping, {} run(s) in progress",
        runs.running()
    );
    runs.shutdown(SHUTDOWN_GRACE).await;
    let _ = std::fs::remove_file(&config.socket);
    log_err!("imapsync-supervisor: stopped");
    Ok(())
}
