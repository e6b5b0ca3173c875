//! Shared helpers for the engine tests: endpoints on the rig, a run with a collecting sink,
//! snapshots with readable assertion messages, the worker binary driven over JSON-RPC.
#![allow(dead_code)]

use protocol::rpc::{LogLevel, Progress, RunSummary};
use protocol::secret::Secret;
use protocol::spec::{Actions, Endpoint, Security, Selection, SyncSpec};
use protocol::state::{StateChange, SyncState};
use std::process::Stdio;
use std::sync::Mutex;
use testkit::{seed, Corpus, Personality, Rig, Snapshot};
use worker::engine::{self, CancelToken, EventSink};

/// A fresh rig whose main `user1` holds `corpus`.
pub fn rig_with(corpus: &Corpus) -> Rig {
    let rig = Rig::start().unwrap();
    seed(&rig.account(Personality::Main, "user1"), corpus).unwrap();
    rig
}

/// host1 = `user` logged in with its own password on the plain port of `personality`.
pub fn host1(rig: &Rig, personality: Personality, user: &str) -> Endpoint {
    Endpoint {
        host: rig.host.clone(),
        port: rig.port(personality),
        security: Security::Plain,
        verify_tls: false,
        user: user.to_string(),
        auth_user: None,
        password: Secret::new(rig.user_password.clone()),
        timeout_secs: 20,
        addresses: Vec::new(),
    }
}

/// host2 = `user*vmail` over STARTTLS, as NS8 logs in to its own Dovecot.
pub fn host2(rig: &Rig, personality: Personality, user: &str) -> Endpoint {
    Endpoint {
        host: rig.host.clone(),
        port: rig.port(personality),
        security: Security::Starttls,
        verify_tls: false,
        user: format!("{user}{}{}", rig.master_separator, rig.master_user),
        auth_user: None,
        password: Secret::new(rig.master_password.clone()),
        timeout_secs: 20,
        addresses: Vec::new(),
    }
}

/// A spec from `user1` to `user2` on the main personality.
pub fn spec(rig: &Rig) -> SyncSpec {
    SyncSpec {
        host1: host1(rig, Personality::Main, "user1"),
        host2: host2(rig, Personality::Main, "user2"),
        select: Selection::default(),
        actions: Actions::default(),
        connections: 3,
    }
}

/// Records everything a run reports and keeps the map up to date.
#[derive(Default)]
pub struct Recorder {
    pub logs: Mutex<Vec<String>>,
    pub state: Mutex<SyncState>,
    pub progress: Mutex<Vec<Progress>>,
}

impl EventSink for Recorder {
    fn log(&self, _level: LogLevel, line: &str) {
        self.logs.lock().unwrap().push(line.to_string());
    }

    fn progress(&self, progress: &Progress) {
        self.progress.lock().unwrap().push(progress.clone());
    }

    fn state(&self, changes: Vec<StateChange>) {
        let mut state = self.state.lock().unwrap();
        for change in changes {
            state.apply(change);
        }
    }
}

/// Runs `spec` from `state`; returns the summary, the updated map and the log lines.
pub fn run(spec: &SyncSpec, state: &SyncState) -> (RunSummary, SyncState, Vec<String>) {
    let recorder = Recorder {
        state: Mutex::new(state.clone()),
        ..Recorder::default()
    };
    let summary = engine::run(spec, state.clone(), &recorder, &CancelToken::default());
    let logs = recorder.logs.into_inner().unwrap();
    // Shown by the test harness only when the test fails.
    eprintln!(
        "run {} -> {}: {summary:?}\n  {}",
        spec.host1.user,
        spec.host2.user,
        logs.join("\n  ")
    );
    (summary, recorder.state.into_inner().unwrap(), logs)
}

/// Asserts a clean run and returns it.
pub fn run_ok(spec: &SyncSpec, state: &SyncState) -> (RunSummary, SyncState, Vec<String>) {
    let out = run(spec, state);
    assert_eq!(
        out.0.exit_code,
        0,
        "run failed: {:?}\nlog:\n{}",
        out.0,
        out.2.join("\n")
    );
    out
}

pub fn snapshot(rig: &Rig, personality: Personality, user: &str) -> Snapshot {
    Snapshot::take(&rig.account(personality, user)).expect("snapshot")
}

/// Asserts two accounts hold the same folders, messages, flags and dates.
pub fn assert_same(left: &Snapshot, right: &Snapshot) {
    let diff = left.diff(right);
    assert!(diff.is_empty(), "accounts differ:\n{diff}");
}

/// An `imapsync-worker` process and a JSON-RPC client on its stdin/stdout.
pub struct WorkerProcess {
    pub child: tokio::process::Child,
    pub client: protocol::framing::LineClient,
}

/// Starts the worker binary with an empty environment, as the supervisor does.
pub fn spawn_worker() -> WorkerProcess {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapsync-worker"))
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    WorkerProcess {
        client: protocol::framing::client(stdout, stdin, protocol::framing::MAX_REPLY_BYTES),
        child,
    }
}

/// Renames both hosts of `spec` to an unresolvable name and gives their real address (after
/// `before`, tried first) as pre-resolved addresses.
pub fn behind_unresolvable_name(spec: &mut SyncSpec, before: &[u16]) {
    for endpoint in [&mut spec.host1, &mut spec.host2] {
        let ip: std::net::IpAddr = endpoint
            .host
            .parse()
            .expect("the rig listens on an IP address");
        endpoint.addresses = before
            .iter()
            .chain([&endpoint.port])
            .map(|port| std::net::SocketAddr::new(ip, *port))
            .collect();
        endpoint.host = "mail.invalid".into();
    }
}
