//! Running one executable the way the agent runs a step: a clean environment, a working
//! directory, JSON on stdin, stdout and stderr captured, and optionally the command pipe on
//! fd 3. Streams still open after the process exited are reported as a leak: the Go agent
//! waits for them and would hang.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a process's streams may stay open after it exited, normally.
pub const STREAM_GRACE: Duration = Duration::from_secs(15);

/// What to run.
pub struct Spec<'a> {
    /// Executable path.
    pub program: &'a Path,
    /// `argv[0]` when it differs from `program` (as `execvp` by name gives).
    pub arg0: Option<&'a str>,
    /// Further arguments.
    pub args: &'a [String],
    /// The whole environment (later duplicates win).
    pub env: &'a [(String, String)],
    /// Working directory.
    pub cwd: &'a Path,
    /// Bytes written to stdin, which is then closed.
    pub stdin: &'a [u8],
    /// Whether fd 3 is the agent command pipe.
    pub comfd: bool,
    /// Kill the process group (SIGTERM, then SIGKILL) after this long.
    pub timeout: Option<Duration>,
    /// How long the streams may stay open after the exit before they count as leaked.
    pub grace: Duration,
}

/// What a finished process left.
#[derive(Debug)]
pub struct Outcome {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything written on stdout.
    pub stdout: Vec<u8>,
    /// Everything written on stderr.
    pub stderr: Vec<u8>,
    /// Lines written on fd 3.
    pub command_lines: Vec<String>,
    /// Streams that stayed open after the exit (inherited by a process that outlived it).
    pub leaked: Vec<&'static str>,
}

impl Outcome {
    /// The exit code as Go reports it (`-1` for a signal).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// The signal that killed the process, if one did.
    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }
}

/// A stream read to its end on a thread; the bytes so far stay visible.
struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Capture {
    fn start(mut stream: impl Read + Send + 'static) -> Capture {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let sink = bytes.clone();
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
            let _ = tx.send(());
        });
        Capture { bytes, done }
    }

    /// Waits for the end of the stream (bounded); `false` when it stayed open.
    fn finish(&self, grace: Duration) -> bool {
        self.done.recv_timeout(grace).is_ok()
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.bytes.lock().unwrap())
    }
}

/// `close_range` flag: mark the descriptors close-on-exec instead of closing them.
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;

/// Marks every descriptor from `first` on close-on-exec (between fork and exec), so the
/// new program gets none of them while the spawner's own exec-error pipe keeps working.
pub fn cloexec_from(first: libc::c_uint) {
    // SAFETY: close_range and fcntl only change descriptor flags.
    unsafe {
        let range = libc::syscall(
            libc::SYS_close_range,
            first,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        );
        if range != 0 {
            for fd in first..4096 {
                libc::fcntl(fd as libc::c_int, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
    }
}

/// Runs the process to its end; `Err` when it cannot be executed at all.
pub fn run(spec: &Spec<'_>) -> std::io::Result<Outcome> {
    let mut command = Command::new(spec.program);
    if let Some(arg0) = spec.arg0 {
        command.arg0(arg0);
    }
    command
        .args(spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(spec.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let command_pipe = if spec.comfd {
        Some(std::io::pipe()?)
    } else {
        None
    };
    let pipe_fd = command_pipe.as_ref().map(|(_, writer)| writer.as_raw_fd());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if let Some(raw) = pipe_fd {
                let result = if raw == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(raw, 3)
                };
                if result < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // Like Go's exec: nothing but stdio and the command pipe reaches the step.
            cloexec_from(if pipe_fd.is_some() { 4 } else { 3 });
            Ok(())
        });
    }
    let spawned = command.spawn();
    // The write end must close here, or the reader never sees the end.
    let command_reader = command_pipe.map(|(reader, writer)| {
        drop(writer);
        reader
    });
    let mut child = spawned?;
    let stdout = Capture::start(child.stdout.take().expect("stdout is piped"));
    let stderr = Capture::start(child.stderr.take().expect("stderr is piped"));
    let commands = command_reader.map(|reader| {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let sink = lines.clone();
        thread::spawn(move || {
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
            let _ = tx.send(());
        });
        (lines, done)
    });
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = spec.stdin.to_vec();
    let feeder = thread::spawn(move || {
        // A step that never reads its input closes the pipe: not an error.
        let _ = stdin.write_all(&input);
    });
    let status = match spec.timeout {
        None => child.wait()?,
        Some(limit) => wait_bounded(&mut child, limit)?,
    };
    let _ = feeder.join();
    let mut leaked = Vec::new();
    if !stdout.finish(spec.grace) {
        leaked.push("stdout");
    }
    if !stderr.finish(spec.grace) {
        leaked.push("stderr");
    }
    let command_lines = match commands {
        Some((lines, done)) => {
            if done.recv_timeout(spec.grace).is_err() {
                leaked.push("fd 3");
            }
            std::mem::take(&mut *lines.lock().unwrap())
        }
        None => Vec::new(),
    };
    Ok(Outcome {
        status,
        stdout: stdout.take(),
        stderr: stderr.take(),
        command_lines,
        leaked,
    })
}

/// Waits for the child; past `limit` its process group gets SIGTERM, 5 s later SIGKILL.
fn wait_bounded(child: &mut std::process::Child, limit: Duration) -> std::io::Result<ExitStatus> {
    let begin = std::time::Instant::now();
    let group = nix::unistd::Pid::from_raw(-(child.id() as i32));
    let mut signal = nix::sys::signal::Signal::SIGTERM;
    let mut deadline = limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if begin.elapsed() >= deadline {
            let _ = nix::sys::signal::kill(group, signal);
            signal = nix::sys::signal::Signal::SIGKILL;
            deadline += Duration::from_secs(5);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, comfd: bool) -> Outcome {
        let args = vec!["-c".to_string(), script.to_string()];
        let env = vec![("PATH".to_string(), "/usr/bin:/bin".to_string())];
        run(&Spec {
            program: Path::new("/bin/sh"),
            arg0: None,
            args: &args,
            env: &env,
            cwd: Path::new("/"),
            stdin: b"{\"a\":1}",
            comfd,
            timeout: Some(Duration::from_secs(30)),
            grace: STREAM_GRACE,
        })
        .unwrap()
    }

    #[test]
    fn streams_and_command_pipe_are_captured() {
        let out = sh("cat; echo err >&2; echo set-progress 5 >&3; exit 7", true);
        assert_eq!(out.code(), 7);
        assert_eq!(out.stdout, b"{\"a\":1}");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.command_lines, vec!["set-progress 5"]);
        assert!(out.leaked.is_empty());
    }

    #[test]
    fn without_comfd_fd3_is_closed() {
        let out = sh("echo x >&3 && echo open; true", false);
        assert_eq!(out.stdout, b"");
        assert!(out.command_lines.is_empty());
    }

    #[test]
    fn environment_is_exactly_the_given_one() {
        let out = sh("env | sort", false);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("PATH=/usr/bin:/bin"), "{text}");
        assert!(!text.contains("HOME="), "{text}");
    }

    #[test]
    fn missing_program_is_an_error() {
        let result = run(&Spec {
            program: Path::new("/nonexistent/step"),
            arg0: None,
            args: &[],
            env: &[],
            cwd: Path::new("/"),
            stdin: b"",
            comfd: true,
            timeout: None,
            grace: STREAM_GRACE,
        });
        assert!(result.is_err());
    }

    #[test]
    fn timeout_kills_the_process_group() {
        let args = vec!["-c".to_string(), "sleep 30 & sleep 30".to_string()];
        let begin = std::time::Instant::now();
        let out = run(&Spec {
            program: Path::new("/bin/sh"),
            arg0: None,
            args: &args,
            env: &[],
            cwd: Path::new("/"),
            stdin: b"",
            comfd: false,
            timeout: Some(Duration::from_millis(300)),
            grace: STREAM_GRACE,
        })
        .unwrap();
        assert_eq!(out.signal(), Some(15));
        assert!(out.leaked.is_empty(), "the background sleep was killed too");
        assert!(begin.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn streams_kept_by_a_surviving_child_are_reported() {
        let args = vec![
            "-c".to_string(),
            "sleep 3 & echo set-progress 1 >&3".to_string(),
        ];
        let out = run(&Spec {
            program: Path::new("/bin/sh"),
            arg0: None,
            args: &args,
            env: &[],
            cwd: Path::new("/"),
            stdin: b"",
            comfd: true,
            timeout: None,
            grace: Duration::from_millis(300),
        })
        .unwrap();
        assert_eq!(out.code(), 0);
        assert_eq!(out.leaked, vec!["stdout", "stderr", "fd 3"]);
        assert_eq!(out.command_lines, vec!["set-progress 1"]);
    }
}
