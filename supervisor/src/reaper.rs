//! Child processes for PID 1: every child is spawned through the [`Reaper`], which collects
//! exit statuses with `waitpid(-1)` on SIGCHLD (so orphans re-parented to PID 1 are reaped too)
//! and hands each registered child's status to whoever waits for it.

use crate::shared::lock;
use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::HashMap;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    Code(i32),
    Signal(i32),
}

impl ChildExit {
    /// Shell convention: the code, or 128 + the signal number.
    pub fn as_code(self) -> i32 {
        match self {
            ChildExit::Code(code) => code,
            ChildExit::Signal(sig) => 128 + sig,
        }
    }
}

impl std::fmt::Display for ChildExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChildExit::Code(code) => write!(f, "exit code {code}"),
            ChildExit::Signal(sig) => match nix::sys::signal::Signal::try_from(*sig) {
                Ok(signal) => write!(f, "signal {signal}"),
                Err(_) => write!(f, "signal {sig}"),
            },
        }
    }
}

/// Resolves once the child has exited.
#[derive(Clone)]
pub struct ExitWatch(watch::Receiver<Option<ChildExit>>);

impl ExitWatch {
    /// Waits for the exit status.
    pub async fn wait(&mut self) -> ChildExit {
        loop {
            if let Some(exit) = *self.0.borrow_and_update() {
                return exit;
            }
            if self.0.changed().await.is_err() {
                return ChildExit::Signal(nix::libc::SIGKILL);
            }
        }
    }

    /// The status if the child has already exited.
    pub fn exited(&self) -> Option<ChildExit> {
        *self.0.borrow()
    }
}

/// Registry of live children.
#[derive(Default)]
pub struct Reaper {
    waiters: Mutex<HashMap<i32, watch::Sender<Option<ChildExit>>>>,
}

impl Reaper {
    /// Spawns `command` and registers it before anyone can reap it.
    pub fn spawn(&self, command: &mut Command) -> std::io::Result<(Child, ExitWatch)> {
        let mut waiters = lock(&self.waiters);
        let child = command.spawn()?;
        let (tx, rx) = watch::channel(None);
        waiters.insert(child.id() as i32, tx);
        Ok((child, ExitWatch(rx)))
    }

    /// Collects every exited child without blocking.
    pub fn reap(&self) {
        loop {
            let mut waiters = lock(&self.waiters);
            let (pid, exit) = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid, ChildExit::Code(code)),
                Ok(WaitStatus::Signaled(pid, signal, _)) => (pid, ChildExit::Signal(signal as i32)),
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(e) => {
                    tracing::warn!("waitpid: {e}");
                    return;
                }
            };
            if let Some(tx) = waiters.remove(&pid.as_raw()) {
                let _ = tx.send(Some(exit));
            }
        }
    }

    /// Reaps on every SIGCHLD from now on. Needs a tokio runtime; call before any spawn.
    pub fn start(self: Arc<Self>) -> std::io::Result<()> {
        let mut sigchld = signal(SignalKind::child())?;
        tokio::spawn(async move {
            self.reap();
            while sigchld.recv().await.is_some() {
                self.reap();
            }
        });
        Ok(())
    }
}
