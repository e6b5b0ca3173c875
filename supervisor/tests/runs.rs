//! Task runs through a real supervisor, real sandboxed workers and a real Dovecot: the
//! destination mailbox, every task file, the container-log lines, overlapping starts, stop,
//! the queue, timeouts, a killed worker, and shutdown.

mod common;

use common::*;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use testkit::{seed, Corpus, Personality, Rig, Snapshot};

const RUN_LIMIT: Duration = Duration::from_secs(120);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn snapshot(rig: &Rig, user: &str) -> Snapshot {
    Snapshot::take(&rig.account(Personality::Main, user)).unwrap()
}

fn assert_same(left: &Snapshot, right: &Snapshot) {
    let diff = left.diff(right);
    assert!(diff.is_empty(), "accounts differ:\n{diff}");
}

fn transferred(log: &str) -> Option<u64> {
    log.lines()
        .find(|l| l.starts_with("Messages transferred"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
}

#[test]
fn a_run_migrates_the_mailbox_and_writes_the_module_files() {
    let rig = Rig::start_with_users(2).unwrap();
    let corpus = Corpus::edge_cases();
    seed(&rig.account(Personality::Main, "user1"), &corpus).unwrap();
    let sup = Supervisor::start(
        &rig,
        Options {
            trace: true,
            ..Options::default()
        },
    );
    let task = sup.add_task(
        &task_env(&rig, "abc123", "user1", "user2"),
        &rig.user_password,
    );
    assert_eq!(task, "user2_abc123");
    assert_eq!(sup.syncctl(&["validation", &task]).code, 0);

    let before = now();
    let start = sup.syncctl(&["start", &task]);
    assert_eq!((start.code, start.stdout.trim()), (0, "Started"));
    sup.wait_stopped(&task, RUN_LIMIT);
    let after = now();

    assert_same(&snapshot(&rig, "user1"), &snapshot(&rig, "user2"));
    let status = std::fs::read_to_string(sup.file(&task, "status")).unwrap();
    let (ts, code) = read_status(&sup.file(&task, "status")).unwrap();
    assert_eq!(status, format!("{ts}\n0\n"));
    assert_eq!(code, 0);
    assert!(
        (before..=after).contains(&ts),
        "{before} <= {ts} <= {after}"
    );
    let timestamp = sup.file(&task, "timestamp");
    assert_eq!(std::fs::read_to_string(&timestamp).unwrap(), "all");
    assert_eq!(std::fs::metadata(&timestamp).unwrap().mtime(), ts);
    assert!(!sup.file(&task, "pid").exists());
    assert!(sup.file(&task, "lock").exists());
    assert!(sup.file(&task, "state").exists());
    let summary = read_summary(&sup.file(&task, "summary")).unwrap();
    assert_eq!((summary.started_at, summary.exit_code), (ts, 0));
    assert_eq!(summary.transferred, corpus.len() as u64, "{summary:?}");
    assert_eq!((summary.errors, summary.error.as_deref()), (0, None));
    assert!(summary.bytes_transferred > 0 && summary.duration_ms > 0);
    let log = std::fs::read_to_string(sup.file(&task, "log")).unwrap();
    assert_eq!(transferred(&log), Some(corpus.len() as u64), "{log}");
    assert!(log.contains("Excluding folders matching pattern ^Shared(/.*)?$|^Public(/.*)?$"));
    assert!(log
        .lines()
        .last()
        .unwrap()
        .starts_with("Exiting with return value 0 (EX_OK: successful termination)"));
    let container = sup.container_log();
    let excerpt = format!(
        "task {task}: tx={}, msg=Exiting with return value 0 (EX_OK",
        corpus.len()
    );
    assert!(container.contains(&excerpt), "{container}");
    assert!(!container.contains(&rig.user_password));
    assert!(!container.contains(&rig.master_password));
    assert!(!log.contains(&rig.user_password) && !log.contains(&rig.master_password));

    let sizes = sup.syncctl(&["list-informations", &task]);
    assert_eq!(sizes.code, 0, "{}{}", sizes.stdout, sizes.stderr);
    let expected = format!("Host1 Nb messages: {} messages", corpus.len());
    assert!(sizes.stdout.contains(&expected), "{}", sizes.stdout);
    assert!(sizes
        .stdout
        .contains(&format!("Host2 Nb messages: {} messages", corpus.len())));

    // The UID map makes the second run a no-op.
    assert_eq!(sup.syncctl(&["start", &task]).code, 0);
    sup.wait_stopped(&task, RUN_LIMIT);
    let log = std::fs::read_to_string(sup.file(&task, "log")).unwrap();
    assert_eq!(transferred(&log), Some(0), "{log}");
    assert_same(&snapshot(&rig, "user1"), &snapshot(&rig, "user2"));

    let list = sup.syncctl(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(list[0]["task"], "user2_abc123");
    assert_eq!(list[0]["state"], "stopped");
    assert_eq!(list[0]["last_sync_exit_code"], 0);
    let summary = &list[0]["last_sync_summary"];
    assert_eq!(summary["started_at"], list[0]["last_sync_timestamp"]);
    assert_eq!(summary["transferred"], 0, "{summary}");
    assert_eq!(summary["skipped"], corpus.len(), "{summary}");
}

#[test]
fn an_overlapping_start_touches_nothing_and_stop_is_prompt() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let sup = Supervisor::start(&rig, Options::default());
    let task = sup.add_task(&silent_task(&server, "hang01"), "secret-remote");
    std::fs::write(sup.file(&task, "status"), "123\n0\n").unwrap();
    let earlier = "{\"started_at\":123,\"exit_code\":0,\"transferred\":4,\"skipped\":0,\
                   \"errors\":0,\"bytes_transferred\":99,\"duration_ms\":7,\"error\":null}\n";
    std::fs::write(sup.file(&task, "summary"), earlier).unwrap();
    std::fs::write(sup.file(&task, "timestamp"), "all").unwrap();

    assert_eq!(sup.syncctl(&["start", &task]).stdout.trim(), "Started");
    wait_for(Duration::from_secs(10), "the worker pid", || {
        sup.file(&task, "pid").exists()
    });
    assert_eq!(sup.status(&task), "Running");
    let log_before = std::fs::read_to_string(sup.file(&task, "log")).unwrap();

    let again = sup.syncctl(&["start", &task]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already running"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(sup.file(&task, "log")).unwrap(),
        log_before
    );
    assert_eq!(
        std::fs::read_to_string(sup.file(&task, "status")).unwrap(),
        "123\n0\n"
    );

    // The live worker is sandboxed, seen from outside.
    let pid = read_pid(&sup.file(&task, "pid")).unwrap();
    let proc_status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        proc_status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap()
    };
    assert_eq!(field("Uid"), "65534 65534 65534 65534");
    assert_eq!(field("Gid"), "65534 65534 65534 65534");
    assert_eq!(field("Groups"), "");
    assert_eq!(field("CapEff"), "0000000000000000");
    assert_eq!(field("CapPrm"), "0000000000000000");
    assert_eq!(field("NoNewPrivs"), "1");
    assert_eq!(field("Seccomp"), "2");
    assert!(std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap()
        .is_empty());
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains("secret-remote"));
    for fd in 0..3 {
        let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        assert!(target.to_string_lossy().starts_with("pipe:"), "{target:?}");
    }
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
        let target = std::fs::read_link(entry.unwrap().path()).unwrap();
        let target = target.to_string_lossy();
        assert!(
            ["pipe:", "socket:", "anon_inode:"]
                .iter()
                .any(|kind| target.starts_with(kind)),
            "the worker holds {target}"
        );
    }
    let pgid = nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid))).unwrap();
    assert_eq!(pgid.as_raw(), pid, "the worker leads its own process group");

    let begin = Instant::now();
    let stop = sup.syncctl(&["stop", &task]);
    assert_eq!((stop.code, stop.stdout.trim()), (0, "Stopped"));
    assert!(
        begin.elapsed() < Duration::from_secs(5),
        "{:?}",
        begin.elapsed()
    );
    assert_eq!(sup.status(&task), "Stopped");
    assert!(!sup.file(&task, "pid").exists());
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert_eq!(
        std::fs::read_to_string(sup.file(&task, "status")).unwrap(),
        "123\n0\n",
        "a manual stop is not recorded"
    );
    assert_eq!(
        std::fs::read_to_string(sup.file(&task, "summary")).unwrap(),
        earlier
    );
    let list = sup.syncctl(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(list[0]["last_sync_summary"]["transferred"], 4, "{list}");
    assert!(!sup.file(&task, "timestamp").exists());
    let log = std::fs::read_to_string(sup.file(&task, "log")).unwrap();
    assert!(log.contains("Exiting with return value 143"), "{log}");
    assert!(sup
        .container_log()
        .contains(&format!("task {task}: imapsync error: 143")));

    let again = sup.syncctl(&["stop", &task]);
    assert_eq!((again.code, again.stdout.trim()), (0, "Not Running"));
}

#[test]
fn a_silent_server_is_detected_by_the_timeout() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let sup = Supervisor::start(
        &rig,
        Options {
            timeout_secs: 2,
            ..Options::default()
        },
    );
    let task = sup.add_task(&silent_task(&server, "tmo001"), "pw");
    let begin = Instant::now();
    assert_eq!(sup.syncctl(&["start", &task]).code, 0);
    sup.wait_stopped(&task, Duration::from_secs(60));
    let (_, code) = read_status(&sup.file(&task, "status")).unwrap();
    assert_eq!(code, 101, "connection failure on host1");
    assert!(begin.elapsed() < Duration::from_secs(30));
    let log = std::fs::read_to_string(sup.file(&task, "log")).unwrap();
    assert!(log.contains("Host1: no IMAP greeting: timed out"), "{log}");
    let summary = read_summary(&sup.file(&task, "summary")).unwrap();
    assert_eq!(summary.exit_code, 101);
    let error = summary.error.unwrap_or_default();
    assert!(error.contains("no IMAP greeting"), "{error}");
}

#[test]
fn the_queue_holds_starts_beyond_the_worker_limit() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let sup = Supervisor::start(
        &rig,
        Options {
            max_workers: 1,
            ..Options::default()
        },
    );
    let first = sup.add_task(&silent_task(&server, "queue1"), "pw");
    let second = sup.add_task(&silent_task(&server, "queue2"), "pw");
    assert_eq!(sup.syncctl(&["start", &first]).stdout.trim(), "Started");
    let queued = sup.syncctl(&["start", &second]);
    assert!(queued.stdout.starts_with("Queued"), "{}", queued.stdout);
    assert_eq!(sup.status(&second), "Queued");
    assert_eq!(sup.syncctl(&["start", &second]).code, 1);
    assert_eq!(
        sup.syncctl(&["stop", &second]).stdout.trim(),
        "Removed from the queue"
    );
    assert_eq!(sup.status(&second), "Stopped");
    assert!(
        !sup.file(&second, "log").exists(),
        "a dequeued task never ran"
    );

    assert!(sup
        .syncctl(&["start", &second])
        .stdout
        .starts_with("Queued"));
    assert_eq!(sup.syncctl(&["stop", &first]).stdout.trim(), "Stopped");
    wait_for(Duration::from_secs(10), "the queued task to start", || {
        sup.status(&second) == "Running"
    });
    assert_eq!(sup.syncctl(&["stop", &second]).stdout.trim(), "Stopped");
}

#[test]
fn a_killed_worker_fails_alone_and_its_task_runs_again() {
    let rig = Rig::start_with_users(6).unwrap();
    for (n, user) in ["user1", "user2", "user3"].iter().enumerate() {
        let corpus = Corpus::bulk(n as u64 + 1, 300, 0.05);
        seed(&rig.account(Personality::Main, user), &corpus).unwrap();
    }
    let sup = Supervisor::start(&rig, Options::default());
    let tasks: Vec<String> = [
        ("kill01", "user1", "user4"),
        ("kill02", "user2", "user5"),
        ("kill03", "user3", "user6"),
    ]
    .iter()
    .map(|(id, remote, local)| sup.add_task(&task_env(&rig, id, remote, local), &rig.user_password))
    .collect();
    for task in &tasks {
        assert_eq!(sup.syncctl(&["start", task]).code, 0);
    }
    let victim = &tasks[1];
    wait_for(Duration::from_secs(30), "the victim's worker", || {
        sup.file(victim, "pid").exists()
    });
    let pid = read_pid(&sup.file(victim, "pid")).unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    for task in &tasks {
        sup.wait_stopped(task, RUN_LIMIT);
    }
    assert_same(&snapshot(&rig, "user1"), &snapshot(&rig, "user4"));
    assert_same(&snapshot(&rig, "user3"), &snapshot(&rig, "user6"));
    for task in [&tasks[0], &tasks[2]] {
        assert_eq!(read_status(&sup.file(task, "status")).unwrap().1, 0);
    }
    assert_eq!(
        read_status(&sup.file(victim, "status")).unwrap().1,
        6,
        "EXIT_BY_SIGNAL"
    );
    let log = std::fs::read_to_string(sup.file(victim, "log")).unwrap();
    assert!(log.contains("signal SIGKILL"), "{log}");
    assert!(sup
        .container_log()
        .contains(&format!("task {victim}: imapsync error: 6")));

    assert_eq!(sup.syncctl(&["start", victim]).stdout.trim(), "Started");
    sup.wait_stopped(victim, RUN_LIMIT);
    assert_eq!(read_status(&sup.file(victim, "status")).unwrap().1, 0);
    assert_same(&snapshot(&rig, "user2"), &snapshot(&rig, "user5"));
}

#[test]
fn sigterm_stops_every_run_and_exits_cleanly() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let mut sup = Supervisor::start(&rig, Options::default());
    let tasks: Vec<String> = ["term01", "term02"]
        .iter()
        .map(|id| sup.add_task(&silent_task(&server, id), "pw"))
        .collect();
    let mut pids = Vec::new();
    for task in &tasks {
        assert_eq!(sup.syncctl(&["start", task]).code, 0);
        wait_for(Duration::from_secs(10), "a worker pid", || {
            sup.file(task, "pid").exists()
        });
        pids.push(read_pid(&sup.file(task, "pid")).unwrap());
    }
    let socket = sup.socket.clone();
    let (status, took) = sup.terminate();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    for pid in pids {
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }
    for task in &tasks {
        assert!(!sup.file(task, "pid").exists());
        assert!(!sup.file(task, "status").exists(), "a stop is not recorded");
        assert!(!sup.file(task, "summary").exists());
    }
    assert!(!socket.exists());
    let down = sup.syncctl(&["status", &tasks[0]]);
    assert_eq!(down.code, 69);
    assert!(down.stderr.contains("cannot reach the imapsync supervisor"));
}

#[test]
fn a_supervisor_killed_mid_run_restarts_clean() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let mut sup = Supervisor::start(&rig, Options::default());
    let task = sup.add_task(&silent_task(&server, "crash1"), "pw");
    assert_eq!(sup.syncctl(&["start", &task]).code, 0);
    wait_for(Duration::from_secs(10), "a worker pid", || {
        sup.file(&task, "pid").exists()
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(sup.pid() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_for(Duration::from_secs(5), "the supervisor to die", || {
        nix::sys::wait::waitpid(
            nix::unistd::Pid::from_raw(sup.pid() as i32),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        )
        .is_ok_and(|s| s != nix::sys::wait::WaitStatus::StillAlive)
    });
    sup.spawn(&Options::default());
    assert_eq!(sup.status(&task), "Stopped");
    assert!(!sup.file(&task, "pid").exists(), "stale pid file removed");
    assert_eq!(sup.syncctl(&["start", &task]).stdout.trim(), "Started");
    assert_eq!(sup.syncctl(&["stop", &task]).stdout.trim(), "Stopped");
}

#[test]
fn a_worker_killed_the_old_way_counts_as_a_stop() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let sup = Supervisor::start(&rig, Options::default());
    let task = sup.add_task(&silent_task(&server, "oldkl1"), "pw");
    std::fs::write(sup.file(&task, "status"), "123\n0\n").unwrap();
    assert_eq!(sup.syncctl(&["start", &task]).code, 0);
    wait_for(Duration::from_secs(10), "a worker pid", || {
        sup.file(&task, "pid").exists()
    });
    // The shell module's `syncctl stop` did `kill <pid>`.
    let pid = read_pid(&sup.file(&task, "pid")).unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    sup.wait_stopped(&task, Duration::from_secs(10));
    assert_eq!(
        std::fs::read_to_string(sup.file(&task, "status")).unwrap(),
        "123\n0\n"
    );
    let log = std::fs::read_to_string(sup.file(&task, "log")).unwrap();
    assert!(log.contains("Exiting with return value 143"), "{log}");
}

#[test]
fn a_lock_held_elsewhere_refuses_the_start() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let sup = Supervisor::start(&rig, Options::default());
    let task = sup.add_task(&silent_task(&server, "extlk1"), "pw");
    let holder = std::fs::File::create(sup.file(&task, "lock")).unwrap();
    let held = nix::fcntl::Flock::lock(holder, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let start = sup.syncctl(&["start", &task]);
    assert_eq!(start.code, 1, "{}", start.stdout);
    assert!(start.stderr.contains("already running"));
    assert!(!sup.file(&task, "log").exists());
    drop(held);
    assert_eq!(sup.syncctl(&["start", &task]).stdout.trim(), "Started");
    assert_eq!(sup.syncctl(&["stop", &task]).stdout.trim(), "Stopped");
}

#[test]
fn a_silent_worker_is_killed_by_the_watchdog() {
    let rig = Rig::start().unwrap();
    let server = SilentServer::start();
    let sup = Supervisor::start(
        &rig,
        Options {
            timeout_secs: 60,
            silence_secs: 2,
            ..Options::default()
        },
    );
    let task = sup.add_task(&silent_task(&server, "wdog01"), "pw");
    let begin = Instant::now();
    assert_eq!(sup.syncctl(&["start", &task]).code, 0);
    sup.wait_stopped(&task, Duration::from_secs(30));
    assert!(begin.elapsed() < Duration::from_secs(20));
    let log = std::fs::read_to_string(sup.file(&task, "log")).unwrap();
    assert!(
        log.contains("the worker said nothing for 2 s and is killed"),
        "{log}"
    );
    let (started_at, code) = read_status(&sup.file(&task, "status")).unwrap();
    assert_eq!(code, 6);
    let summary = read_summary(&sup.file(&task, "summary")).unwrap();
    assert_eq!((summary.started_at, summary.exit_code), (started_at, 6));
    assert_eq!((summary.transferred, summary.errors), (0, 0));
    assert!(summary.duration_ms >= 2000, "{summary:?}");
    let error = summary.error.unwrap_or_default();
    assert!(
        error.starts_with("the worker ended without a result"),
        "{error}"
    );
}
