//! The `imapsync` compatibility command: imapsync-style flags in, imapsync-style output and
//! exit codes out, the engine in between. This is how an admin's custom cron line (and a
//! newcomer) runs a sync without the supervisor.

pub mod args;

use crate::engine::{self, CancelToken, EventSink};
use args::Args;
use clap::Parser;
use nix::sys::signal::{SigSet, Signal};
use protocol::exit::ExitCode;
use protocol::report;
use protocol::rpc::{LogLevel, Progress, RunSummary};
use protocol::state::{StateChange, SyncState};
use protocol::state_file;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the UID map is written while a run goes on.
const STATE_SAVE_INTERVAL: Duration = Duration::from_secs(1);

/// Prints log lines to stdout and keeps the `--state` file up to date.
struct CliSink {
    state: Mutex<StateKeeper>,
}

struct StateKeeper {
    path: Option<PathBuf>,
    state: SyncState,
    last_save: Instant,
    dirty: bool,
}

impl StateKeeper {
    fn save(&mut self) {
        if let (Some(path), true) = (&self.path, self.dirty) {
            if let Err(e) = state_file::save(path, &self.state) {
                eprintln!("cannot save state {}: {e}", path.display());
            }
            self.dirty = false;
            self.last_save = Instant::now();
        }
    }
}

impl EventSink for CliSink {
    fn log(&self, level: LogLevel, line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = match level {
            LogLevel::Info => writeln!(out, "{line}"),
            LogLevel::Warn => writeln!(out, "Warning: {line}"),
            LogLevel::Error => writeln!(out, "Error: {line}"),
        };
    }

    fn progress(&self, _progress: &Progress) {}

    fn state(&self, changes: Vec<StateChange>) {
        let mut keeper = engine::context::lock(&self.state);
        for change in changes {
            keeper.state.apply(change);
        }
        keeper.dirty = true;
        if keeper.last_save.elapsed() >= STATE_SAVE_INTERVAL {
            keeper.save();
        }
    }
}

/// Cancels `token` on SIGTERM, SIGINT or SIGHUP (the run stops at a message boundary).
fn cancel_on_signals(token: CancelToken) {
    let mut set = SigSet::empty();
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        set.add(sig);
    }
    if set.thread_block().is_err() {
        return;
    }
    std::thread::spawn(move || {
        if set.wait().is_ok() {
            token.cancel();
        }
    });
}

/// Runs the command; returns the process exit status.
pub fn main_with(argv: Vec<String>) -> i32 {
    let args = match Args::try_parse_from(args::normalise_dashes(argv)) {
        Ok(args) => args,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!(
                "Exiting with return value {} (EX_USAGE: misspelled or unknown options)",
                ExitCode::Usage.code()
            );
            return ExitCode::Usage.code();
        }
    };
    let spec = match args.to_spec() {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("imapsync: {e}");
            return ExitCode::Usage.code();
        }
    };
    let pid = std::process::id();
    if let Some(pidfile) = &args.pidfile {
        if let Err(e) = std::fs::write(pidfile, format!("{pid}\n")) {
            eprintln!("cannot write pidfile {}: {e}", pidfile.display());
            return 8;
        }
    }
    let code = if args.justlogin {
        just_login(&spec)
    } else if args.justfoldersizes {
        just_folder_sizes(&spec)
    } else {
        sync(&args, &spec, pid)
    };
    if let Some(pidfile) = &args.pidfile {
        let _ = std::fs::remove_file(pidfile);
    }
    code
}

fn just_login(spec: &protocol::spec::SyncSpec) -> i32 {
    let report = engine::check_login(&spec.host1, &spec.host2);
    for (label, endpoint, outcome) in [
        ("Host1", &spec.host1, &report.host1),
        ("Host2", &spec.host2, &report.host2),
    ] {
        if outcome.ok {
            println!(
                "{label}: success login on [{}] with user [{}]",
                endpoint.host, endpoint.user
            );
        } else {
            println!(
                "{label}: {}",
                outcome.message.as_deref().unwrap_or("login failed")
            );
        }
    }
    let code = ExitCode::from_code(report.exit_code).unwrap_or(ExitCode::CatchAll);
    println!(
        "{}",
        report::exit_line(code, u64::from(code != ExitCode::Ok), std::process::id())
    );
    report.exit_code
}

fn just_folder_sizes(spec: &protocol::spec::SyncSpec) -> i32 {
    let report = engine::folder_sizes(spec);
    for (f1, f2) in report.host1.iter().zip(&report.host2) {
        println!(
            "Host1 folder [{}] Size: {} Messages: {}",
            f1.name, f1.bytes, f1.messages
        );
        if f2.exists {
            println!(
                "Host2 folder [{}] Size: {} Messages: {}",
                f2.name, f2.bytes, f2.messages
            );
        } else {
            println!("Host2 folder [{}] does not exist yet", f2.name);
        }
    }
    for (label, t) in [
        ("Host1", &report.host1_totals),
        ("Host2", &report.host2_totals),
    ] {
        println!("{label} Nb folders: {} folders", t.folders);
        println!("{label} Nb messages: {} messages", t.messages);
        println!("{label} Total size: {} bytes", t.bytes);
    }
    if let Some(error) = &report.error {
        println!("Error: {error}");
    }
    let code = ExitCode::from_code(report.exit_code).unwrap_or(ExitCode::CatchAll);
    println!(
        "{}",
        report::exit_line(code, u64::from(code != ExitCode::Ok), std::process::id())
    );
    report.exit_code
}

fn sync(args: &Args, spec: &protocol::spec::SyncSpec, pid: u32) -> i32 {
    let state = match args.state.as_deref().map(state_file::load).transpose() {
        Ok(state) => state.unwrap_or_default(),
        Err(e) => {
            eprintln!("imapsync: cannot read --state: {e}");
            return ExitCode::NoInput.code();
        }
    };
    let sink = CliSink {
        state: Mutex::new(StateKeeper {
            path: args.state.clone(),
            state: state.clone(),
            last_save: Instant::now(),
            dirty: false,
        }),
    };
    let cancel = CancelToken::default();
    cancel_on_signals(cancel.clone());
    let summary: RunSummary = engine::run(spec, state, &sink, &cancel);
    engine::context::lock(&sink.state).save();
    for line in report::summary_lines(&summary, pid) {
        println!("{line}");
    }
    summary.exit_code
}
