//! Starting one `imapsync-worker`: an empty environment, only its three pipes, its own session
//! and process group, an unprivileged uid/gid without supplementary groups and a memory limit.
//! (The worker then drops its capabilities and installs its seccomp filter itself, before it
//! reads its first request.) Its stderr lines go to the container log, tagged with the task.

use crate::reaper::{ExitWatch, Reaper};
use jsonrpsee::core::client::Client;
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{setgid, setgroups, setsid, setuid, Gid, Pid, Uid};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use tokio::io::AsyncBufReadExt;
use tokio::net::unix::pipe;

/// How workers are started.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub program: PathBuf,
    /// `(uid, gid)` to switch to; `None` when the supervisor cannot (not root).
    pub identity: Option<(u32, u32)>,
    /// Address-space limit in bytes; 0 for none.
    pub memory_limit: u64,
}

/// A running worker and its RPC client.
pub struct Worker {
    pub pid: u32,
    pub client: Client,
    pub exit: ExitWatch,
}

impl Worker {
    /// Sends `signal` to the worker's whole process group.
    pub fn signal(&self, signal: Signal) {
        if self.exit.exited().is_none() {
            let _ = killpg(Pid::from_raw(self.pid as i32), signal);
        }
    }
}

/// Runs in the child between fork and exec: only async-signal-safe calls.
fn isolate(identity: Option<(u32, u32)>, memory_limit: u64) -> std::io::Result<()> {
    setsid()?;
    if memory_limit > 0 {
        setrlimit(Resource::RLIMIT_AS, memory_limit, memory_limit)?;
    }
    setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
    if let Some((uid, gid)) = identity {
        setgroups(&[])?;
        setgid(Gid::from_raw(gid))?;
        setuid(Uid::from_raw(uid))?;
    }
    // Every descriptor above stderr is closed at exec, whatever its origin.
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags on descriptors.
    let rc = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_close_range,
            3u32,
            u32::MAX,
            nix::libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Starts a worker for `label` (a task name, used to tag its stderr lines).
pub fn spawn(reaper: &Reaper, settings: &WorkerSettings, label: &str) -> std::io::Result<Worker> {
    let mut command = Command::new(&settings.program);
    command
        .env_clear()
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let identity = settings.identity;
    let memory_limit = settings.memory_limit;
    // SAFETY: `isolate` makes only async-signal-safe system calls and allocates nothing.
    unsafe {
        command.pre_exec(move || isolate(identity, memory_limit));
    }
    let (mut child, exit) = reaper.spawn(&mut command)?;
    let pid = child.id();
    let take = |fd: Option<OwnedFd>| fd.ok_or_else(|| std::io::Error::other("missing pipe"));
    let stdin = pipe::Sender::from_owned_fd(take(child.stdin.take().map(OwnedFd::from))?)?;
    let stdout = pipe::Receiver::from_owned_fd(take(child.stdout.take().map(OwnedFd::from))?)?;
    let stderr = pipe::Receiver::from_owned_fd(take(child.stderr.take().map(OwnedFd::from))?)?;
    let tag = label.to_string();
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("task {tag}: worker {pid}: {line}");
        }
    });
    Ok(Worker {
        pid,
        client: protocol::framing::client(stdout, stdin),
        exit,
    })
}
