//! The `systemctl --user` stand-in for `imapsync.service`: it reads the module's real unit
//! file, runs its `ExecStartPre=` lines (`runagent X` runs the module helper in the agent
//! environment) and, in place of the podman container, starts `imapsync-supervisor` as a
//! detached process with the container's paths mapped into the state directory.

use crate::agent::Agent;
use crate::env_file;
use crate::step::{self, Spec};
use crate::unit::{Specifiers, Unit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The unit the module ships.
pub const UNIT_NAME: &str = "imapsync.service";

/// systemd's default start timeout (`TimeoutStartSec=`).
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// podman's stop timeout in the unit (`podman stop -t 10`).
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a started supervisor may take to open its control socket.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(15);
/// The search path systemd uses for `Exec*=` programs given without a directory.
const SYSTEMD_EXEC_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin";

/// Everything the stand-in needs, written by the harness as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// `AGENT_INSTALL_DIR` (`%E`).
    pub install_dir: PathBuf,
    /// `AGENT_STATE_DIR`.
    pub state_dir: PathBuf,
    /// `XDG_RUNTIME_DIR` (`%t`).
    pub runtime_dir: PathBuf,
    /// `HOME` (`%h`).
    pub home: PathBuf,
    /// The agent's process environment (for `runagent`).
    pub agent_env: Vec<(String, String)>,
    /// `imapsync-supervisor`.
    pub supervisor_bin: PathBuf,
    /// `imapsync-worker`, where uid 65534 can execute it.
    pub worker_bin: PathBuf,
    /// Port of the local Dovecot's STARTTLS listener (`MAIL_PORT`).
    pub mail_port: u16,
    /// Extra supervisor arguments.
    pub supervisor_args: Vec<String>,
    /// Where every invocation and its outcome is logged.
    pub log_file: PathBuf,
    /// Where the supervisor's stdout and stderr go (the container log).
    pub container_log: PathBuf,
    /// Marker file of `systemctl enable`.
    pub enabled_marker: PathBuf,
    /// Lock serialising concurrent invocations.
    pub lock_file: PathBuf,
}

impl Config {
    /// `$XDG_RUNTIME_DIR/imapsync.pid`.
    pub fn pid_file(&self) -> PathBuf {
        self.runtime_dir.join("imapsync.pid")
    }

    /// `$XDG_RUNTIME_DIR/imapsync/control.sock`.
    pub fn socket(&self) -> PathBuf {
        self.runtime_dir.join("imapsync/control.sock")
    }

    /// The unit file.
    pub fn unit_file(&self) -> PathBuf {
        self.install_dir.join("systemd/user").join(UNIT_NAME)
    }

    /// The pid of the running supervisor, if one runs.
    pub fn running_pid(&self) -> Option<i32> {
        let pid: i32 = std::fs::read_to_string(self.pid_file())
            .ok()?
            .trim()
            .parse()
            .ok()?;
        process_alive(pid).then_some(pid)
    }
}

/// Whether `pid` is a live (not zombie) supervisor process.
pub fn process_alive(pid: i32) -> bool {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat,
        Err(_) => return false,
    };
    let state = stat
        .rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next());
    if matches!(state, Some('Z') | Some('X') | None) {
        return false;
    }
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).contains("imapsync-supervisor"))
        .unwrap_or(false)
}

/// Sends SIGTERM, waits up to `limit`, then SIGKILL; returns once the process is gone.
pub fn terminate(pid: i32, limit: Duration) {
    use nix::sys::signal::{kill, Signal};
    let target = nix::unistd::Pid::from_raw(pid);
    let _ = kill(target, Signal::SIGTERM);
    let begin = Instant::now();
    while process_alive(pid) {
        if begin.elapsed() > limit {
            let _ = kill(target, Signal::SIGKILL);
        }
        if begin.elapsed() > limit + Duration::from_secs(5) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A systemd time span (`90`, `90s`, `5min`, `500ms`, `1min 30s`); `None` for `infinity`.
pub fn parse_timespan(text: &str) -> Option<Duration> {
    if text.trim() == "infinity" {
        return None;
    }
    let mut total = Duration::ZERO;
    for part in text.split_whitespace() {
        let digits: String = part.chars().take_while(|c| c.is_ascii_digit()).collect();
        let value: u64 = digits.parse().unwrap_or(0);
        total += match &part[digits.len()..] {
            "ms" | "msec" => Duration::from_millis(value),
            "min" | "m" => Duration::from_secs(value * 60),
            "h" | "hr" => Duration::from_secs(value * 3600),
            _ => Duration::from_secs(value),
        };
    }
    Some(total)
}

/// One invocation: `systemctl <args>`; returns the exit code.
pub fn run(config: &Config, args: &[String]) -> i32 {
    let mut log = Log::open(&config.log_file);
    log.line(&format!("systemctl {}", args.join(" ")));
    let _lock = match lock(&config.lock_file) {
        Ok(lock) => lock,
        Err(e) => {
            return log.fail(
                1,
                &format!("cannot lock {}: {e}", config.lock_file.display()),
            )
        }
    };
    let mut user = false;
    let mut now = false;
    let mut words = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--user" => user = true,
            "--now" => now = true,
            "-q" | "--quiet" | "--no-block" | "--no-pager" => {}
            other if other.starts_with('-') => {
                return log.fail(1, &format!("systemctl: unrecognized option '{other}'"))
            }
            other => words.push(other.to_string()),
        }
    }
    if !user {
        return log.fail(
            1,
            "Failed to connect to bus: the module runs as an unprivileged user, use systemctl --user",
        );
    }
    let Some((verb, units)) = words.split_first() else {
        return log.fail(1, "systemctl: missing verb");
    };
    if verb == "daemon-reload" {
        return log.done(0);
    }
    if units.is_empty() {
        return log.fail(1, &format!("Too few arguments for {verb}."));
    }
    for unit in units {
        let name = if unit.contains('.') {
            unit.clone()
        } else {
            format!("{unit}.service")
        };
        if name != UNIT_NAME || !config.unit_file().is_file() {
            return log.fail(5, &format!("Unit {name} not found."));
        }
    }
    let mut service = Service {
        config,
        log: &mut log,
    };
    let code = match verb.as_str() {
        "start" => service.start(),
        "stop" => service.stop(),
        "restart" => service.restart(),
        "try-restart" => {
            if config.running_pid().is_some() {
                service.restart()
            } else {
                0
            }
        }
        "enable" => {
            let _ = std::fs::write(&config.enabled_marker, "");
            if now {
                service.start()
            } else {
                0
            }
        }
        "disable" => {
            let _ = std::fs::remove_file(&config.enabled_marker);
            if now {
                service.stop()
            } else {
                0
            }
        }
        "is-active" => {
            if config.running_pid().is_some() {
                println!("active");
                0
            } else {
                println!("inactive");
                3
            }
        }
        "is-enabled" => {
            if config.enabled_marker.exists() {
                println!("enabled");
                0
            } else {
                println!("disabled");
                1
            }
        }
        "status" => match config.running_pid() {
            Some(pid) => {
                println!("● {UNIT_NAME}\n     Active: active (running)\n   Main PID: {pid}");
                0
            }
            None => {
                println!("○ {UNIT_NAME}\n     Active: inactive (dead)");
                3
            }
        },
        other => {
            eprintln!("Unknown command verb '{other}'.");
            1
        }
    };
    service.log.done(code)
}

/// The invocation log.
struct Log {
    file: Option<std::fs::File>,
}

impl Log {
    fn open(path: &Path) -> Log {
        Log {
            file: OpenOptions::new().create(true).append(true).open(path).ok(),
        }
    }

    fn line(&mut self, text: &str) {
        if let Some(file) = self.file.as_mut() {
            let _ = writeln!(file, "{text}");
        }
    }

    fn fail(&mut self, code: i32, message: &str) -> i32 {
        eprintln!("{message}");
        self.line(&format!("  error: {message}"));
        self.done(code)
    }

    fn done(&mut self, code: i32) -> i32 {
        self.line(&format!("  exit {code}"));
        code
    }
}

/// An exclusive `flock`, released when the file closes.
fn lock(path: &Path) -> std::io::Result<std::fs::File> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(file)
}

struct Service<'a> {
    config: &'a Config,
    log: &'a mut Log,
}

impl Service<'_> {
    fn restart(&mut self) -> i32 {
        match self.stop() {
            0 => self.start(),
            code => code,
        }
    }

    fn stop(&mut self) -> i32 {
        if let Some(pid) = self.config.running_pid() {
            terminate(pid, STOP_TIMEOUT);
            self.log.line(&format!("  stopped supervisor pid {pid}"));
        }
        let _ = std::fs::remove_file(self.config.pid_file());
        0
    }

    fn start(&mut self) -> i32 {
        if self.config.running_pid().is_some() {
            return 0;
        }
        let text = match std::fs::read_to_string(self.config.unit_file()) {
            Ok(text) => text,
            Err(e) => {
                return self
                    .log
                    .fail(5, &format!("Unit {UNIT_NAME} not found: {e}"))
            }
        };
        let unit = Unit::parse(UNIT_NAME, &text);
        let specifiers = Specifiers {
            config_home: self.config.install_dir.display().to_string(),
            runtime_dir: self.config.runtime_dir.display().to_string(),
            home: self.config.home.display().to_string(),
            user: "imapsync1".into(),
            state_home: self.config.install_dir.display().to_string(),
        };
        let env = match self.unit_environment(&unit, &specifiers) {
            Ok(env) => env,
            Err(message) => return self.failed(&message),
        };
        let cwd = unit
            .value("WorkingDirectory")
            .map(|dir| {
                PathBuf::from(unit.expand_specifiers(dir.trim_start_matches('-'), &specifiers))
            })
            .unwrap_or_else(|| self.config.home.clone());
        let timeout = unit
            .value("TimeoutStartSec")
            .map(parse_timespan)
            .unwrap_or(Some(START_TIMEOUT))
            .unwrap_or(Duration::from_secs(24 * 3600));
        let deadline = Instant::now() + timeout;
        for value in unit.values("ExecStartPre") {
            let line = unit.exec_line(value, &specifiers, &env);
            let remaining = deadline.saturating_duration_since(Instant::now());
            let (code, output) = self.exec_pre(&line.argv, &env, &cwd, remaining);
            self.log
                .line(&format!("  ExecStartPre {} -> {code}", line.argv.join(" ")));
            for text in output.lines() {
                self.log.line(&format!("    | {text}"));
            }
            if code != 0 && !line.ignore_failure {
                return self.failed(&format!(
                    "ExecStartPre={} exited with {code}",
                    line.argv.join(" ")
                ));
            }
        }
        let Some(start) = unit.value("ExecStart") else {
            return self.failed("the unit has no ExecStart=");
        };
        let start = unit.exec_line(start, &specifiers, &env);
        self.log.line(&format!(
            "  ExecStart (replaced by the supervisor) {}",
            start.argv.join(" ")
        ));
        self.launch(&start.argv, &env)
    }

    fn failed(&mut self, reason: &str) -> i32 {
        self.log.line(&format!("  start failed: {reason}"));
        self.log.fail(
            1,
            &format!(
                "Job for {UNIT_NAME} failed because the control process exited with error code.\n\
                 See \"systemctl --user status {UNIT_NAME}\" and \"journalctl --user -xeu {UNIT_NAME}\" for details."
            ),
        )
    }

    /// The environment of the unit's processes: the user manager's, `Environment=`, then
    /// `EnvironmentFile=` (read now).
    fn unit_environment(
        &self,
        unit: &Unit,
        specifiers: &Specifiers,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut env = BTreeMap::new();
        env.insert("PATH".to_string(), SYSTEMD_EXEC_PATH.to_string());
        env.insert("HOME".to_string(), self.config.home.display().to_string());
        env.insert(
            "XDG_RUNTIME_DIR".to_string(),
            self.config.runtime_dir.display().to_string(),
        );
        env.insert("USER".to_string(), "imapsync1".to_string());
        for value in unit.values("Environment") {
            for word in crate::unit::split_words(&unit.expand_specifiers(value, specifiers)) {
                if let Some((k, v)) = word.split_once('=') {
                    env.insert(k.to_string(), v.to_string());
                }
            }
        }
        for value in unit.values("EnvironmentFile") {
            let optional = value.starts_with('-');
            let path = unit.expand_specifiers(value.trim_start_matches('-'), specifiers);
            match std::fs::read_to_string(&path) {
                Ok(text) => env.extend(env_file::parse(&text)),
                Err(_) if optional => {}
                Err(e) => return Err(format!("EnvironmentFile={path}: {e}")),
            }
        }
        Ok(env)
    }

    /// Runs one `ExecStartPre=` command; returns its exit code and output.
    fn exec_pre(
        &mut self,
        argv: &[String],
        env: &BTreeMap<String, String>,
        cwd: &Path,
        timeout: Duration,
    ) -> (i32, String) {
        let Some((program, args)) = argv.split_first() else {
            return (1, "empty command line".into());
        };
        if program == "runagent" {
            let agent = Agent::new(
                &self.config.install_dir,
                &self.config.state_dir,
                self.config.agent_env.clone(),
            );
            let Some((helper, helper_args)) = args.split_first() else {
                return (1, "runagent without a command".into());
            };
            let helper_args: Vec<&str> = helper_args.iter().map(String::as_str).collect();
            let result = agent.runagent_bounded(helper, &helper_args, "", Some(timeout));
            for violation in agent.take_violations() {
                self.log.line(&format!("HARNESS VIOLATION: {violation}"));
            }
            return (result.code, format!("{}{}", result.stdout, result.stderr));
        }
        let Some(path) = crate::agent::find_in_path(program, SYSTEMD_EXEC_PATH) else {
            return (203, format!("{program}: not found in {SYSTEMD_EXEC_PATH}"));
        };
        let env: Vec<(String, String)> = env.clone().into_iter().collect();
        let outcome = step::run(&Spec {
            program: &path,
            arg0: Some(program),
            args,
            env: &env,
            cwd,
            stdin: b"",
            comfd: false,
            timeout: Some(timeout),
            grace: step::STREAM_GRACE,
        });
        match outcome {
            Ok(outcome) => (
                outcome.code(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&outcome.stdout),
                    String::from_utf8_lossy(&outcome.stderr)
                ),
            ),
            Err(e) => (203, format!("{}: {e}", path.display())),
        }
    }

    /// Starts the supervisor in place of the container.
    fn launch(&mut self, podman_argv: &[String], env: &BTreeMap<String, String>) -> i32 {
        let mut container_env: BTreeMap<String, String> = BTreeMap::new();
        let mut words = podman_argv.iter();
        while let Some(word) = words.next() {
            let pair = if word == "--env" || word == "-e" {
                words.next().cloned()
            } else {
                word.strip_prefix("--env=").map(str::to_string)
            };
            if let Some((k, v)) = pair.as_deref().and_then(|p| p.split_once('=')) {
                container_env.insert(k.to_string(), v.to_string());
            }
        }
        let mail_host = container_env
            .get("MAIL_HOST")
            .or_else(|| env.get("MAIL_HOST"))
            .cloned()
            .unwrap_or_default();
        let output = match OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.config.container_log)
        {
            Ok(file) => file,
            Err(e) => return self.failed(&format!("container log: {e}")),
        };
        let errors = match output.try_clone() {
            Ok(file) => file,
            Err(e) => return self.failed(&format!("container log: {e}")),
        };
        let mut command = Command::new(&self.config.supervisor_bin);
        command
            .arg("--state-dir")
            .arg(self.config.state_dir.join("imapsync"))
            .arg("--cron-dir")
            .arg(self.config.state_dir.join("cron"))
            .arg("--socket")
            .arg(self.config.socket())
            .args(&self.config.supervisor_args)
            .env_clear()
            .envs(&container_env)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("MAIL_HOST", &mail_host)
            .env("MAIL_PORT", self.config.mail_port.to_string())
            .env("IMAPSYNC_WORKER_BIN", &self.config.worker_bin)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors);
        // SAFETY: setsid and flag changes only, between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::setsid();
                step::cloexec_from(3);
                Ok(())
            });
        }
        let _ = std::fs::remove_file(self.config.socket());
        let child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                return self.failed(&format!("{}: {e}", self.config.supervisor_bin.display()))
            }
        };
        let pid = child.id() as i32;
        if let Err(e) = std::fs::write(self.config.pid_file(), format!("{pid}\n")) {
            terminate(pid, STOP_TIMEOUT);
            return self.failed(&format!("pid file: {e}"));
        }
        self.log.line(&format!(
            "  started supervisor pid {pid} MAIL_HOST={mail_host} MAIL_PORT={}",
            self.config.mail_port
        ));
        let begin = Instant::now();
        while !self.config.socket().exists() {
            if !process_alive(pid) || begin.elapsed() > SOCKET_TIMEOUT {
                terminate(pid, STOP_TIMEOUT);
                let _ = std::fs::remove_file(self.config.pid_file());
                return self.failed("the supervisor exited or never opened its control socket");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("300"), Some(Duration::from_secs(300)));
        assert_eq!(parse_timespan("1min 30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_timespan("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timespan("infinity"), None);
    }
}
