//! `syncctl`: the admin's command line for the supervisor, with the verbs of the shell module
//! (`start|stop|status|validation|list-informations <task>`) plus `list`, `progress`, `logs`
//! and `reload`; human-readable by default, JSON with `--json`.

pub mod client;
pub mod progress_bar;

use client::{Control, Failure};
use jsonrpsee::rpc_params;
use protocol::control::{
    LogChunk, LogParams, ReloadReport, RunState, StartOutcome, StopOutcome, TaskParams, TaskStatus,
    METHOD_LIST, METHOD_LOG, METHOD_RELOAD, METHOD_SIZES, METHOD_START, METHOD_STATUS, METHOD_STOP,
    METHOD_VALIDATE,
};
use protocol::exit::ExitCode;
use protocol::rpc::{LoginOutcome, LoginReport, SizesReport};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// How often `progress` and `logs -f` ask again.
const POLL: Duration = Duration::from_millis(500);

/// Command line of `syncctl`.
#[derive(Debug, clap::Parser)]
#[command(name = "syncctl", version, about = "Control imapsync tasks")]
pub struct Cli {
    /// The supervisor's control socket [default: /run/imapsync/control.sock in the container,
    /// $XDG_RUNTIME_DIR/imapsync/control.sock on the host, where the unit bind-mounts it]
    #[arg(long, global = true, env = "IMAPSYNC_CONTROL_SOCKET")]
    pub socket: Option<PathBuf>,
    /// Print the supervisor's answer as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Verb,
}

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub enum Verb {
    /// Start a task now (queued when every worker slot is busy).
    Start {
        /// Wait for the run to end and exit with its exit code (143 when it was stopped), as
        /// the shell module's `syncctl start` did.
        #[arg(long)]
        wait: bool,
        task: String,
    },
    /// Stop a running or queued task; succeeds when it is not running.
    Stop { task: String },
    /// Print Running, Queued or Stopped.
    Status { task: String },
    /// Log in on both sides with the task's settings.
    Validation { task: String },
    /// Folders, messages and bytes on both sides, within the task's scope.
    ListInformations { task: String },
    /// Every task with its state and last result.
    List,
    /// Follow a running task's progress.
    Progress { task: String },
    /// Print a task's last log; with -f, follow it until the run ends.
    Logs {
        #[arg(short, long)]
        follow: bool,
        task: String,
    },
    /// Re-read the cron files now.
    Reload,
}

/// The socket to use: the one given, the container's, or the one the unit bind-mounts into
/// the module user's runtime directory on the host.
fn socket_path(given: Option<&std::path::Path>) -> PathBuf {
    if let Some(path) = given {
        return path.to_path_buf();
    }
    let in_container = PathBuf::from(protocol::control::CONTAINER_SOCKET);
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) if !in_container.exists() => {
            PathBuf::from(dir).join(protocol::control::HOST_SOCKET_IN_RUNTIME_DIR)
        }
        _ => in_container,
    }
}

fn task(name: &str) -> TaskParams {
    TaskParams {
        task: name.to_string(),
    }
}

fn print_json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    );
}

/// Runs `cli`; `Ok(code)` is the process exit code.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    let control = Control::connect(&socket_path(cli.socket.as_deref())).await?;
    let json = cli.json;
    match cli.command {
        Verb::Start { wait, task: name } => {
            let before: TaskStatus = control
                .call(METHOD_STATUS, rpc_params![task(&name)])
                .await?;
            let outcome: StartOutcome =
                control.call(METHOD_START, rpc_params![task(&name)]).await?;
            if json {
                print_json(&outcome);
            }
            let code = match outcome {
                StartOutcome::Started => say(json, "Started", 0),
                StartOutcome::Queued => say(json, "Queued: every worker slot is busy", 0),
                StartOutcome::AlreadyRunning => {
                    eprintln!("{name}: already running");
                    1
                }
            };
            if wait && code == 0 {
                return wait_for_end(&control, &name, before.last_sync_timestamp).await;
            }
            Ok(code)
        }
        Verb::Stop { task: name } => {
            let outcome: StopOutcome = control.call(METHOD_STOP, rpc_params![task(&name)]).await?;
            if json {
                print_json(&outcome);
                return Ok(0);
            }
            println!(
                "{}",
                match outcome {
                    StopOutcome::Stopped => "Stopped",
                    StopOutcome::Dequeued => "Removed from the queue",
                    StopOutcome::NotRunning => "Not Running",
                }
            );
            Ok(0)
        }
        Verb::Status { task: name } => {
            let status: TaskStatus = control
                .call(METHOD_STATUS, rpc_params![task(&name)])
                .await?;
            if json {
                print_json(&status);
            } else {
                println!("{}", state_word(status.state));
            }
            Ok(0)
        }
        Verb::Validation { task: name } => {
            let report: LoginReport = control
                .call(METHOD_VALIDATE, rpc_params![task(&name)])
                .await?;
            if json {
                print_json(&report);
            } else {
                print_login("Host1", &report.host1);
                print_login("Host2", &report.host2);
                print_exit(report.exit_code);
            }
            Ok(exit_byte(report.exit_code))
        }
        Verb::ListInformations { task: name } => {
            let report: SizesReport = control.call(METHOD_SIZES, rpc_params![task(&name)]).await?;
            if json {
                print_json(&report);
            } else {
                print_sizes(&report);
            }
            Ok(exit_byte(report.exit_code))
        }
        Verb::List => {
            let all: Vec<TaskStatus> = control.call(METHOD_LIST, rpc_params![]).await?;
            if json {
                print_json(&all);
            } else {
                print_list(&all);
            }
            Ok(0)
        }
        Verb::Progress { task: name } => follow_progress(&control, &name, json).await,
        Verb::Logs { follow, task: name } => print_logs(&control, &name, follow).await,
        Verb::Reload => {
            let report: ReloadReport = control.call(METHOD_RELOAD, rpc_params![]).await?;
            if json {
                print_json(&report);
            } else {
                println!("{} file(s), {} entries", report.files, report.entries);
                for error in &report.errors {
                    println!("error: {error}");
                }
            }
            Ok(if report.errors.is_empty() { 0 } else { 1 })
        }
    }
}

fn say(json: bool, text: &str, code: u8) -> u8 {
    if !json {
        println!("{text}");
    }
    code
}

fn exit_byte(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

fn state_word(state: RunState) -> &'static str {
    match state {
        RunState::Running => "Running",
        RunState::Queued => "Queued",
        RunState::Stopped => "Stopped",
    }
}

fn print_login(side: &str, outcome: &LoginOutcome) {
    if outcome.ok {
        println!("{side}: login ok");
        return;
    }
    let kind = outcome
        .kind
        .and_then(|k| serde_json::to_value(k).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "not checked".into());
    println!(
        "{side}: login failed ({kind}): {}",
        outcome.message.as_deref().unwrap_or("")
    );
}

fn print_exit(code: i32) {
    let name = ExitCode::from_code(code)
        .map(|c| c.name())
        .unwrap_or("EXIT_CATCH_ALL");
    println!("Exiting with return value {code} ({name})");
}

fn print_sizes(report: &SizesReport) {
    for (side, folders) in [("Host1", &report.host1), ("Host2", &report.host2)] {
        for folder in folders {
            println!(
                "{side} folder {:<40} {:>8} messages {:>14} bytes{}",
                format!("[{}]", folder.name),
                folder.messages,
                folder.bytes,
                if folder.exists { "" } else { " (missing)" }
            );
        }
    }
    for (side, totals) in [
        ("Host1", report.host1_totals),
        ("Host2", report.host2_totals),
    ] {
        println!("{side} Nb folders: {} folders", totals.folders);
        println!("{side} Nb messages: {} messages", totals.messages);
        println!(
            "{side} Total size: {} bytes ({})",
            totals.bytes,
            progress_bar::bytes(totals.bytes)
        );
    }
    if let Some(error) = &report.error {
        println!("Error: {error}");
    }
    print_exit(report.exit_code);
}

fn print_list(all: &[TaskStatus]) {
    println!(
        "{:<32} {:<8} {:<20} {:>4}  PROGRESS",
        "TASK", "STATE", "LAST SYNC", "EXIT"
    );
    for status in all {
        let last = status
            .last_sync_timestamp
            .and_then(|ts| chrono::DateTime::from_timestamp(ts, 0))
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|| "-".into());
        let exit = status
            .last_sync_exit_code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let progress = status
            .progress
            .as_ref()
            .map(|p| {
                format!(
                    "{}/{} msgs, {}",
                    p.messages_done,
                    p.messages_total,
                    progress_bar::bytes(p.bytes_done)
                )
            })
            .unwrap_or_default();
        println!(
            "{:<32} {:<8} {:<20} {:>4}  {progress}",
            status.task,
            state_word(status.state),
            last,
            exit
        );
    }
}

/// Waits until `name` has stopped; its recorded exit code, or 143 when the run was stopped
/// (a stop is not recorded, so the status still holds `previous`).
async fn wait_for_end(control: &Control, name: &str, previous: Option<i64>) -> Result<u8, Failure> {
    loop {
        let status: TaskStatus = control.call(METHOD_STATUS, rpc_params![task(name)]).await?;
        if status.state == RunState::Stopped {
            if status.last_sync_timestamp == previous {
                return Ok(143);
            }
            return Ok(status.last_sync_exit_code.map_or(1, exit_byte));
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn follow_progress(control: &Control, name: &str, json: bool) -> Result<u8, Failure> {
    let tty = std::io::stdout().is_terminal() && !json;
    let mut last_line = String::new();
    loop {
        let status: TaskStatus = control.call(METHOD_STATUS, rpc_params![task(name)]).await?;
        if json {
            println!("{}", serde_json::to_string(&status).unwrap_or_default());
        }
        if status.state != RunState::Running {
            if tty {
                println!();
            }
            if !json {
                let exit = status
                    .last_sync_exit_code
                    .map(|c| format!(", last exit code {c}"))
                    .unwrap_or_default();
                println!("{}{exit}", state_word(status.state));
            }
            return Ok(0);
        }
        if !json {
            let elapsed = status
                .started_at
                .map(|t| (chrono::Utc::now().timestamp() - t).max(0) as f64)
                .unwrap_or(0.0);
            let line = match &status.progress {
                Some(progress) => progress_bar::line(progress, elapsed, 30),
                None => "connecting...".to_string(),
            };
            if tty {
                print!("\r\x1b[2K{line}");
                let _ = std::io::stdout().flush();
            } else if line != last_line {
                println!("{line}");
            }
            last_line = line;
        }
        tokio::time::sleep(if tty { POLL } else { POLL * 4 }).await;
    }
}

async fn print_logs(control: &Control, name: &str, follow: bool) -> Result<u8, Failure> {
    let mut offset = 0;
    let mut out = std::io::stdout();
    loop {
        let chunk: LogChunk = control
            .call(
                METHOD_LOG,
                rpc_params![LogParams {
                    task: name.to_string(),
                    offset
                }],
            )
            .await?;
        if chunk.restarted && offset > 0 {
            let _ = writeln!(out, "---- a new run started ----");
        }
        let _ = out.write_all(chunk.data.as_bytes());
        let _ = out.flush();
        let read_something = chunk.offset != offset;
        offset = chunk.offset;
        if read_something {
            continue;
        }
        if !follow || !chunk.running {
            return Ok(0);
        }
        tokio::time::sleep(POLL).await;
    }
}
