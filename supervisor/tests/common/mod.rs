//! Test harness: a real `imapsync-supervisor` process with its own state, cron and socket
//! directories, real workers, tasks written with the module's `.env` format, `syncctl` runs,
//! and a silent IMAP server for timeout and stop tests.
#![allow(dead_code)]

use protocol::control::TaskStatus;
use protocol::last_run::LastSyncSummary;
use protocol::task::TaskEnv;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use testkit::{Personality, Rig};

/// The worker binary (built by another package of the workspace), placed where uid 65534 can
/// execute it whatever the checkout's location (a clone under `/root` is not traversable).
pub fn worker_binary() -> PathBuf {
    static PLACED: OnceLock<PathBuf> = OnceLock::new();
    PLACED
        .get_or_init(|| {
            let supervisor = PathBuf::from(env!("CARGO_BIN_EXE_imapsync-supervisor"));
            let built = supervisor.with_file_name("imapsync-worker");
            let meta = std::fs::metadata(&built).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}: build the workspace (cargo test --workspace builds it)",
                    built.display()
                )
            });
            let key = format!(
                "{}-{}",
                meta.len(),
                meta.modified()
                    .unwrap()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos()
            );
            let dir = std::env::temp_dir().join(format!("imapsync-test-worker-{key}"));
            let placed = dir.join("imapsync-worker");
            if !placed.is_file() {
                // Copies of earlier builds are not needed any more.
                for old in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
                    let name = old.file_name().to_string_lossy().into_owned();
                    if name.starts_with("imapsync-test-worker-") && old.path() != dir {
                        let _ = std::fs::remove_dir_all(old.path());
                    }
                }
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
                let partial = dir.join(format!(".partial{}", std::process::id()));
                if std::fs::hard_link(&built, &partial).is_err() {
                    std::fs::copy(&built, &partial).unwrap();
                }
                std::fs::rename(&partial, &placed).unwrap();
            }
            placed
        })
        .clone()
}

/// Supervisor settings a test may change.
pub struct Options {
    pub max_workers: u32,
    pub timeout_secs: u32,
    pub rescan_secs: u64,
    pub silence_secs: u64,
    /// Run the supervisor with every trace message on (to prove secrets stay out of it).
    pub trace: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_workers: 8,
            timeout_secs: 20,
            rescan_secs: 1,
            silence_secs: 900,
            trace: false,
        }
    }
}

/// A running supervisor and everything around it.
pub struct Supervisor {
    pub dir: tempfile::TempDir,
    pub state: PathBuf,
    pub cron: PathBuf,
    pub socket: PathBuf,
    pub mail_port: u16,
    child: Option<Child>,
    output: Arc<Mutex<String>>,
}

fn capture(stream: impl Read + Send + 'static, output: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut out = output.lock().unwrap();
            out.push_str(&line);
            out.push('\n');
        }
    });
}

/// What a `syncctl` call printed.
pub struct Syncctl {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Supervisor {
    /// Starts a supervisor whose local Dovecot is the rig's main personality.
    pub fn start(rig: &Rig, options: Options) -> Supervisor {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("imapsync");
        let cron = dir.path().join("cron");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::create_dir_all(&cron).unwrap();
        std::fs::write(state.join("vmail.pwd"), &rig.master_password).unwrap();
        let socket = dir.path().join("run/control.sock");
        let mut supervisor = Supervisor {
            mail_port: rig.port(Personality::Main),
            state,
            cron,
            socket,
            dir,
            child: None,
            output: Arc::new(Mutex::new(String::new())),
        };
        supervisor.spawn(&options);
        supervisor
    }

    /// (Re)starts the supervisor process on the same directories.
    pub fn spawn(&mut self, options: &Options) {
        let _ = std::fs::remove_file(&self.socket);
        let mut child = Command::new(env!("CARGO_BIN_EXE_imapsync-supervisor"))
            .env_clear()
            .env("MAIL_HOST", "127.0.0.1")
            .env("MAIL_PORT", self.mail_port.to_string())
            .env("IMAPSYNC_LOG", if options.trace { "trace" } else { "warn" })
            .arg("--state-dir")
            .arg(&self.state)
            .arg("--cron-dir")
            .arg(&self.cron)
            .arg("--socket")
            .arg(&self.socket)
            .arg("--worker-bin")
            .arg(worker_binary())
            .arg("--max-workers")
            .arg(options.max_workers.to_string())
            .arg("--timeout-secs")
            .arg(options.timeout_secs.to_string())
            .arg("--check-timeout-secs")
            .arg("5")
            .arg("--cron-rescan-secs")
            .arg(options.rescan_secs.to_string())
            .arg("--worker-silence-secs")
            .arg(options.silence_secs.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        capture(child.stdout.take().unwrap(), self.output.clone());
        capture(child.stderr.take().unwrap(), self.output.clone());
        self.child = Some(child);
        wait_for(Duration::from_secs(10), "the control socket", || {
            self.socket.exists()
        });
    }

    /// The supervisor's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Everything the supervisor printed (the container log).
    pub fn container_log(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Writes a task's `.env` and `.pwd` the way the module does; returns its name.
    pub fn add_task(&self, env: &TaskEnv, password: &str) -> String {
        let name = env.task_name();
        std::fs::write(
            self.state.join(format!("{name}.env")),
            env.render().unwrap(),
        )
        .unwrap();
        std::fs::write(self.state.join(format!("{name}.pwd")), password).unwrap();
        name
    }

    /// Path of a task file.
    pub fn file(&self, task: &str, ext: &str) -> PathBuf {
        self.state.join(format!("{task}.{ext}"))
    }

    /// Runs `syncctl` against this supervisor.
    pub fn syncctl(&self, args: &[&str]) -> Syncctl {
        let out = Command::new(env!("CARGO_BIN_EXE_syncctl"))
            .env_clear()
            .arg("--socket")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        Syncctl {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `syncctl status <task>`, trimmed.
    pub fn status(&self, task: &str) -> String {
        self.syncctl(&["status", task]).stdout.trim().to_string()
    }

    /// Waits until `task` is neither running nor queued.
    pub fn wait_stopped(&self, task: &str, limit: Duration) {
        wait_for(limit, &format!("{task} to stop"), || {
            self.status(task) == "Stopped"
        });
    }

    /// `syncctl --json status <task>`.
    pub fn task_status(&self, task: &str) -> TaskStatus {
        let out = self.syncctl(&["--json", "status", task]);
        assert_eq!(out.code, 0, "status {task}: {}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
    }

    /// SIGKILLs the supervisor (no cleanup at all) and reaps it.
    pub fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        child.wait().unwrap();
    }

    /// Sends SIGTERM and waits for the exit; returns the status and the time it took.
    pub fn terminate(&mut self) -> (ExitStatus, Duration) {
        let mut child = self.child.take().unwrap();
        let begin = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = child.wait().unwrap();
        (status, begin.elapsed())
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `done` until it holds or `limit` passes (then panics naming `what`).
pub fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let begin = Instant::now();
    while !done() {
        assert!(begin.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A task from the rig's `remote` user into `local`, as create-task writes it.
pub fn task_env(rig: &Rig, task_id: &str, remote: &str, local: &str) -> TaskEnv {
    TaskEnv {
        task_id: task_id.into(),
        localuser: local.into(),
        remoteusername: remote.into(),
        remotehostname: "127.0.0.1".into(),
        remoteport: rig.port(Personality::Main).to_string(),
        security: "--tls1".into(),
        sieve_enabled: Some(String::new()),
        cron: String::new(),
        foldersynchronization: "all".into(),
        ..TaskEnv::default()
    }
}

/// A TCP server that accepts connections and never says a word.
pub struct SilentServer {
    pub port: u16,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().map_while(Result::ok) {
                held.push(stream);
            }
        });
        SilentServer { port }
    }
}

/// A task whose remote server never answers.
pub fn silent_task(server: &SilentServer, task_id: &str) -> TaskEnv {
    TaskEnv {
        task_id: task_id.into(),
        localuser: "user2".into(),
        remoteusername: "user1".into(),
        remotehostname: "127.0.0.1".into(),
        remoteport: server.port.to_string(),
        foldersynchronization: "all".into(),
        ..TaskEnv::default()
    }
}

/// The pid in a task's `.pid` file.
pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Lines 1 and 2 of a `.status` file.
pub fn read_status(path: &Path) -> Option<(i64, i32)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    Some((lines.next()?.parse().ok()?, lines.next()?.parse().ok()?))
}

/// The run summary in a task's `.summary` file.
pub fn read_summary(path: &Path) -> Option<LastSyncSummary> {
    LastSyncSummary::parse(&std::fs::read_to_string(path).ok()?).ok()
}

/// True when nobody holds the `flock` of a task's `.lock` (taken and released at once).
pub fn lock_is_free(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return true;
    };
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).is_ok()
}

/// True while `pid` is a live process (a zombie counts as gone).
pub fn process_alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may hold spaces.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}
