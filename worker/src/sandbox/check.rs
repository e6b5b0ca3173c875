//! `imapsync-worker --sandbox-check`: with the sandbox applied, tries what it must prevent
//! (reading a file, running a program, signalling another process of its uid) and reports the confinement the process ends up in,
//! read through prctl and capget since no file can be opened any more.

use caps::CapSet;
use nix::errno::Errno;
use nix::libc;
use serde::Serialize;
use std::io;
use std::process::Command;

/// A file that always exists and that the worker could read without the sandbox.
const PROBE_FILE: &str = "/proc/self/status";
/// A program that always exists and succeeds.
const PROBE_PROGRAM: &str = "/bin/sh";

/// What the check found; printed as one line of JSON.
#[derive(Debug, Serialize)]
pub struct Report {
    pub sandbox: &'static str,
    pub uid: u32,
    pub gid: u32,
    pub no_new_privs: bool,
    pub seccomp_mode: i32,
    pub cap_effective_empty: bool,
    /// `refused: <errno>`, `failed: <error>` or `allowed`.
    pub open: String,
    pub exec: String,
    /// SIGKILL to a child of the same uid (another worker would be one).
    pub signal_other: String,
}

impl Report {
    /// Both attempts were refused by the filter.
    pub fn confined(&self) -> bool {
        is_refusal(&self.open) && is_refusal(&self.exec) && is_refusal(&self.signal_other)
    }
}

/// Runs the attempts; call it once the sandbox is applied.
pub fn run() -> Report {
    Report {
        sandbox: "applied",
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
        no_new_privs: nix::sys::prctl::get_no_new_privs().unwrap_or(false),
        seccomp_mode: seccomp_mode(),
        cap_effective_empty: caps::read(None, CapSet::Effective).is_ok_and(|set| set.is_empty()),
        open: outcome(std::fs::File::open(PROBE_FILE).map(drop)),
        exec: outcome(
            Command::new(PROBE_PROGRAM)
                .args(["-c", "true"])
                .status()
                .map(drop),
        ),
        signal_other: signal_other(),
    }
}

/// Forks a child that ends by itself within a second (a kernel alarm, no system call needed),
/// tries to SIGKILL it, then waits for it.
fn signal_other() -> String {
    // SAFETY: the child only calls alarm and pause, both async-signal-safe, and never returns.
    match unsafe { nix::unistd::fork() } {
        Err(e) => format!("failed: fork: {e}"),
        Ok(nix::unistd::ForkResult::Child) => {
            // SAFETY: plain system calls; SIGALRM's default action ends the child.
            unsafe {
                libc::alarm(1);
                loop {
                    libc::pause();
                }
            }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            let attempt = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL)
                .map_err(io::Error::from);
            let _ = nix::sys::wait::waitpid(child, None);
            outcome(attempt)
        }
    }
}

/// 0 none, 1 strict, 2 filter; -1 when the kernel does not say.
fn seccomp_mode() -> i32 {
    // SAFETY: PR_GET_SECCOMP takes no pointer and only returns the calling thread's mode.
    unsafe { libc::prctl(libc::PR_GET_SECCOMP) }
}

/// Only the filter's own answer, EPERM, counts as a refusal.
fn outcome(attempt: io::Result<()>) -> String {
    match attempt {
        Ok(()) => "allowed".to_string(),
        Err(e) => match e.raw_os_error().map(Errno::from_raw) {
            Some(errno @ Errno::EPERM) => format!("refused: {errno}"),
            _ => format!("failed: {e}"),
        },
    }
}

fn is_refusal(outcome: &str) -> bool {
    outcome.starts_with("refused: ")
}
