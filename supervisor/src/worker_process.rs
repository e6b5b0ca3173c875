//! Starting one `imapsync-worker`: an empty environment, only its three pipes, its own session
//! and process group, an unprivileged uid/gid without supplementary groups and a memory limit.
//! (The worker then drops its capabilities and installs its seccomp filter itself, before it
//! reads its first request.) Its stderr lines go to the container log, tagged with the task.

use crate::reaper::{ChildExit, ExitWatch, Reaper};
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{setgid, setgroups, setsid, setuid, Gid, Pid, Uid};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::net::unix::pipe;

/// How workers are started.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub program: PathBuf,
    /// `(uid, gid)` to switch to; `None` when the supervisor cannot (not root).
    pub identity: Option<(u32, u32)>,
    /// Address-space limit in bytes; 0 for none.
    pub memory_limit: u64,
    /// Processes and threads of the worker uid, all workers together.
    pub nproc_limit: u64,
}

/// A running worker and its RPC client.
pub struct Worker {
    pub pid: u32,
    pub client: protocol::framing::LineClient,
    pub exit: ExitWatch,
}

/// Time a worker gets to exit after its input is closed before its group is killed.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl Worker {
    /// Closes the worker's input and waits for it to exit, killing its process group if it
    /// lingers past [`EXIT_GRACE`].
    pub async fn finish(self) -> ChildExit {
        let Worker {
            pid,
            client,
            mut exit,
        } = self;
        drop(client);
        if let Ok(status) = tokio::time::timeout(EXIT_GRACE, exit.wait()).await {
            return status;
        }
        if exit.exited().is_none() {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        exit.wait().await
    }
}

/// Runs in the child between fork and exec: only async-signal-safe calls.
fn isolate(identity: Option<(u32, u32)>, memory_limit: u64, nproc: u64) -> std::io::Result<()> {
    setsid()?;
    if memory_limit > 0 {
        setrlimit(Resource::RLIMIT_AS, memory_limit, memory_limit)?;
    }
    if identity.is_some() {
        setrlimit(Resource::RLIMIT_NPROC, nproc, nproc)?;
    }
    setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
    if let Some((uid, gid)) = identity {
        setgroups(&[])?;
        setgid(Gid::from_raw(gid))?;
        setuid(Uid::from_raw(uid))?;
    }
    close_on_exec_above_stderr()
}

/// Marks every descriptor above stderr close-on-exec, whatever its origin: with
/// `close_range` (Linux 5.11), else one by one up to the descriptor limit.
fn close_on_exec_above_stderr() -> std::io::Result<()> {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags on descriptors.
    let rc = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_close_range,
            3u32,
            u32::MAX,
            nix::libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let (soft, _) = nix::sys::resource::getrlimit(Resource::RLIMIT_NOFILE)?;
    for fd in 3..soft.min(1 << 20) as i32 {
        // SAFETY: F_SETFD on a descriptor that may not exist only fails with EBADF.
        unsafe {
            nix::libc::fcntl(fd, nix::libc::F_SETFD, nix::libc::FD_CLOEXEC);
        }
    }
    Ok(())
}

/// Longest worker stderr line forwarded to the container log; the rest is cut.
const MAX_STDERR_LINE: usize = 4096;

/// Copies the worker's stderr to the container log line by line, bounded, until it closes.
async fn forward_stderr(stderr: pipe::Receiver, tag: String, pid: u32) {
    let mut reader = tokio::io::BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut limited = (&mut reader).take(MAX_STDERR_LINE as u64);
        match limited.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let complete = line.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&line);
        log_err!("task {tag}: worker {pid}: {}", text.trim_end());
        if !complete && !skip_line(&mut reader).await {
            return;
        }
    }
}

/// Drops input up to and including the next newline without keeping it; false at the end.
async fn skip_line(reader: &mut tokio::io::BufReader<pipe::Receiver>) -> bool {
    loop {
        let buf = match reader.fill_buf().await {
            Ok(buf) if !buf.is_empty() => buf,
            _ => return false,
        };
        match buf.iter().position(|b| *b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                return true;
            }
            None => {
                let len = buf.len();
                reader.consume(len);
            }
        }
    }
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
    let (memory_limit, nproc) = (settings.memory_limit, settings.nproc_limit);
    // SAFETY: `isolate` makes only async-signal-safe system calls and allocates nothing.
    unsafe {
        command.pre_exec(move || isolate(identity, memory_limit, nproc));
    }
    let (mut child, exit) = reaper.spawn(&mut command)?;
    let pid = child.id();
    let take = |fd: Option<OwnedFd>| fd.ok_or_else(|| std::io::Error::other("missing pipe"));
    let stdin = pipe::Sender::from_owned_fd(take(child.stdin.take().map(OwnedFd::from))?)?;
    let stdout = pipe::Receiver::from_owned_fd(take(child.stdout.take().map(OwnedFd::from))?)?;
    let stderr = pipe::Receiver::from_owned_fd(take(child.stderr.take().map(OwnedFd::from))?)?;
    tokio::spawn(forward_stderr(stderr, label.to_string(), pid));
    Ok(Worker {
        pid,
        client: protocol::framing::client(stdout, stdin, protocol::framing::MAX_REPLY_BYTES),
        exit,
    })
}
