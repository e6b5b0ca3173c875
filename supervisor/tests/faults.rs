//! Reliability under faults, through a real supervisor, real workers and a real Dovecot: runs
//! whose remote connection is dropped, stalled or cut at seeded random points (each one must
//! fail with a recorded exit code and free its lock, and a clean run must then complete the
//! copy without a duplicate or a loss); a link that breaks every 600 KB, over which each run
//! must still copy some messages; a supervisor SIGKILLed in the middle of a copy; and SIGTERM
//! with five copies running.
//!
//! `FAULTY_RUNS` sets the number of faulty runs (default [`DEFAULT_FAULTY_RUNS`]) and
//! `FAULT_SEED` the seed of the first one (the next runs count up from it).

mod common;

use common::*;
use protocol::last_run::LastSyncSummary;
use protocol::task::TaskEnv;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use testkit::{seed, Corpus, FaultKind, FaultProxy, Personality, Rig, Snapshot};

/// Faulty runs when `FAULTY_RUNS` is not set.
const DEFAULT_FAULTY_RUNS: u64 = 100;
/// Faulty runs on the local side when `LOCAL_FAULTY_RUNS` is not set.
const DEFAULT_LOCAL_FAULTY_RUNS: u64 = 30;
/// Seed of the first faulty run when `FAULT_SEED` is not set.
const DEFAULT_FAULT_SEED: u64 = 0x6a09_e667;
/// The supervisor's IMAP timeout during faulty runs: a stall costs this much.
const FAULT_TIMEOUT_SECS: u32 = 2;
/// Fewer server bytes than any run sends before its LOGOUT (greeting, login, folder list and
/// one STATUS per folder), so the first fault of a run always fires.
const RUN_BYTES_FLOOR: u64 = 1_500;
/// Time a stalled connection is held when its client does not give up.
const STALL_LIMIT: Duration = Duration::from_secs(30);
const RUN_LIMIT: Duration = Duration::from_secs(300);
/// Server bytes a connection of the flaky link carries before it breaks: less than a full
/// fetch batch (1 MB).
const FLAKY_LINK_BYTES: u64 = 600_000;

/// The three scenarios load both cores; they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn start_proxy(rig: &Rig) -> FaultProxy {
    let target = format!("{}:{}", rig.host, rig.port(Personality::Main));
    FaultProxy::start(target.parse().unwrap(), STALL_LIMIT).unwrap()
}

/// A task from `remote` into `local` whose remote server is reached through `proxy`, in plain
/// IMAP so that every fault lands in the IMAP stream itself.
fn proxied_task(proxy: &FaultProxy, task_id: &str, remote: &str, local: &str) -> TaskEnv {
    TaskEnv {
        task_id: task_id.into(),
        localuser: local.into(),
        remoteusername: remote.into(),
        remotehostname: "127.0.0.1".into(),
        remoteport: proxy.port().to_string(),
        foldersynchronization: "all".into(),
        ..TaskEnv::default()
    }
}

/// [`proxied_task`] over STARTTLS: faults land in the TLS handshake and records.
fn proxied_tls_task(proxy: &FaultProxy, task_id: &str, remote: &str, local: &str) -> TaskEnv {
    TaskEnv {
        security: "--tls1".into(),
        ..proxied_task(proxy, task_id, remote, local)
    }
}

fn snapshot(rig: &Rig, user: &str) -> Snapshot {
    Snapshot::take(&rig.account(Personality::Main, user)).unwrap()
}

/// `local` holds exactly the messages of `corpus`: every folder, message, flag and date, each
/// message once (its Message-ID counted over all folders).
fn assert_exact_copy(rig: &Rig, corpus: &Corpus, local: &str) {
    let copy = snapshot(rig, local);
    let diff = snapshot(rig, "user1").diff(&copy);
    assert!(diff.is_empty(), "{local} differs from its source:\n{diff}");
    let id_of: BTreeMap<String, String> = corpus
        .messages
        .iter()
        .map(|m| (testkit::snapshot::sha256_hex(&m.raw), message_id(&m.raw)))
        .collect();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for record in copy.folders.values().flatten() {
        let id = id_of
            .get(&record.content_digest)
            .map_or("(not from the corpus)", String::as_str);
        *seen.entry(id).or_default() += 1;
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "duplicates in {local}: {duplicated:?}"
    );
    assert_eq!(seen.len(), corpus.len(), "messages in {local}");
}

fn message_id(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or("(none)")
        .trim()
        .to_string()
}

/// Starts `task` and waits for its run to end.
fn run_once(sup: &Supervisor, task: &str) {
    let start = sup.syncctl(&["start", task]);
    assert_eq!(start.stdout.trim(), "Started", "{}", start.stderr);
    sup.wait_stopped(task, RUN_LIMIT);
}

/// Runs `task` once with a fault drawn from `seed` within `span` server bytes, checks that the
/// fault fired and that the run ended cleanly with `expected_code` (`.status`, a matching
/// `.summary`, the log's last line, no `.pid`, the lock free), and returns its summary.
fn faulty_run(
    sup: &Supervisor,
    task: &str,
    proxy: &FaultProxy,
    seed: u64,
    span: u64,
    expected_code: i32,
) -> LastSyncSummary {
    let context = format!("faulty run with seed {seed}");
    let number = proxy.begin_faulty_run(seed, span);
    let before = now();
    run_once(sup, task);
    assert!(
        proxy.events().iter().any(|e| e.run == number && e.first),
        "{context}: its fault never fired (offset, server bytes): {:?}",
        proxy.run_progress()
    );
    let (started_at, code) = read_status(&sup.file(task, "status")).unwrap();
    assert!(started_at >= before, "{context}: .status not written");
    assert!(
        code == expected_code,
        "{context} ended with {code}:\n{}",
        whole_log(sup, task)
    );
    let summary = read_summary(&sup.file(task, "summary")).unwrap();
    assert_eq!((summary.started_at, summary.exit_code), (started_at, code));
    let last_line = last_log_line(sup, task);
    assert!(
        last_line.starts_with(&format!("Exiting with return value {code} ")),
        "{context}: {last_line}"
    );
    assert!(!sup.file(task, "pid").exists(), "{context}: .pid left");
    assert!(
        lock_is_free(&sup.file(task, "lock")),
        "{context}: lock held"
    );
    summary
}

/// Runs `task` once on a clean link and returns its summary; a run that does not end with 0
/// fails the test with its whole log.
fn clean_run(sup: &Supervisor, task: &str) -> LastSyncSummary {
    run_once(sup, task);
    let (_, code) = read_status(&sup.file(task, "status")).unwrap();
    assert_eq!(code, 0, "{}", whole_log(sup, task));
    read_summary(&sup.file(task, "summary")).unwrap()
}

/// The last line of a task's log.
fn last_log_line(sup: &Supervisor, task: &str) -> String {
    whole_log(sup, task)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// A task's whole log: what a clean run that failed prints, so the cause is named.
fn whole_log(sup: &Supervisor, task: &str) -> String {
    std::fs::read_to_string(sup.file(task, "log")).unwrap()
}

/// Waits until `task`'s worker has appended at least `messages` messages.
fn wait_for_progress(sup: &Supervisor, task: &str, messages: u64) {
    wait_for(Duration::from_secs(120), "the copy to get going", || {
        sup.task_status(task)
            .progress
            .is_some_and(|p| p.messages_done >= messages)
    });
}

#[test]
fn faulty_runs_fail_cleanly_and_a_clean_run_then_completes_the_copy() {
    let _serial = serial();
    let runs = env_number("FAULTY_RUNS", DEFAULT_FAULTY_RUNS);
    let first_seed = env_number("FAULT_SEED", DEFAULT_FAULT_SEED);
    let rig = Rig::start_with_users(2).unwrap();
    let corpus = Corpus::bulk(61, 2_000, 0.0);
    seed(&rig.account(Personality::Main, "user1"), &corpus).unwrap();
    let proxy = start_proxy(&rig);
    let mut sup = Supervisor::start(
        &rig,
        Options {
            timeout_secs: FAULT_TIMEOUT_SECS,
            ..Options::default()
        },
    );
    let plain = proxied_task(&proxy, "fault1", "user1", "user2");
    let tls = proxied_tls_task(&proxy, "fault1", "user1", "user2");
    let task = plain.task_name();
    let corpus_bytes = corpus.total_bytes();
    // Each run may fault anywhere in its share of what is left to copy; the shares add up to
    // more than the corpus, but a fault lands on average halfway into its share: the clean
    // run has work left too.
    let reach = corpus_bytes * 12 / (10 * runs.max(1));
    let (mut copied, mut copied_bytes) = (0u64, 0u64);
    let mut codes: BTreeMap<i32, u64> = BTreeMap::new();
    let began = Instant::now();
    for run in 0..runs {
        let left = corpus_bytes.saturating_sub(copied_bytes);
        let span = RUN_BYTES_FLOOR + (left * 9 / 10).min(reach);
        // Every other run goes over STARTTLS, as an admin may change the task between runs.
        sup.add_task(if run % 2 == 0 { &plain } else { &tls }, &rig.user_password);
        // Every fault is on the remote side's connection: EXIT_CONNECTION_FAILURE_HOST1.
        let summary = faulty_run(&sup, &task, &proxy, first_seed + run, span, 101);
        copied += summary.transferred;
        copied_bytes += summary.bytes_transferred;
        *codes.entry(summary.exit_code).or_default() += 1;
    }
    let faulty_time = began.elapsed();

    proxy.clean();
    assert!(sup.terminate().0.success());
    sup.spawn(&Options::default());
    sup.add_task(&plain, &rig.user_password);
    let summary = clean_run(&sup, &task);
    assert_eq!(
        copied + summary.transferred,
        corpus.len() as u64,
        "messages appended over all runs ({copied} by the faulty ones)"
    );
    assert_exact_copy(&rig, &corpus, "user2");

    let events = proxy.events();
    let mut kinds: BTreeMap<(bool, FaultKind), u64> = BTreeMap::new();
    for event in &events {
        *kinds.entry((event.first, event.kind)).or_default() += 1;
    }
    let count = |first, kind| kinds.get(&(first, kind)).copied().unwrap_or(0);
    println!(
        "fault report: {runs} faulty runs in {:.1} s ({:.2} s each), then a clean run copying {} \
         of {} messages; first faults: {} drop, {} stall, {} cut; outage faults: {} drop, {} \
         stall, {} cut; exit codes {codes:?}",
        faulty_time.as_secs_f64(),
        faulty_time.as_secs_f64() / runs.max(1) as f64,
        summary.transferred,
        corpus.len(),
        count(true, FaultKind::Drop),
        count(true, FaultKind::Stall),
        count(true, FaultKind::Cut),
        count(false, FaultKind::Drop),
        count(false, FaultKind::Stall),
        count(false, FaultKind::Cut),
    );
}

#[test]
fn faulty_runs_on_the_local_side_then_a_clean_run_leave_no_duplicate() {
    let _serial = serial();
    let runs = env_number("LOCAL_FAULTY_RUNS", DEFAULT_LOCAL_FAULTY_RUNS);
    let first_seed = env_number("FAULT_SEED", DEFAULT_FAULT_SEED);
    let rig = Rig::start_with_users(3).unwrap();
    let corpus = Corpus::bulk(63, 1_000, 0.0);
    seed(&rig.account(Personality::Main, "user1"), &corpus).unwrap();
    let proxy = start_proxy(&rig);
    let options = Options {
        timeout_secs: FAULT_TIMEOUT_SECS,
        ..Options::default()
    };
    // The remote account is reached directly, the local one (Mail) through the proxy.
    let mut sup = Supervisor::start(&rig, Options::default());
    assert!(sup.terminate().0.success());
    sup.mail_port = proxy.port();
    sup.spawn(&options);
    let direct = |task_id: &str, local: &str| TaskEnv {
        task_id: task_id.into(),
        localuser: local.into(),
        remoteusername: "user1".into(),
        remotehostname: "127.0.0.1".into(),
        remoteport: rig.port(Personality::Main).to_string(),
        foldersynchronization: "all".into(),
        ..TaskEnv::default()
    };

    // A whole copy into another account, then a run with nothing to copy, measure the local
    // server's bytes (the runs that measure never fault).
    let measure = sup.add_task(&direct("measur", "user3"), &rig.user_password);
    let mut measured = Vec::new();
    for _ in 0..2 {
        proxy.begin_faulty_run(first_seed, u64::MAX);
        run_once(&sup, &measure);
        assert_eq!(read_status(&sup.file(&measure, "status")).unwrap().1, 0);
        measured.push(proxy.run_progress().unwrap().1);
    }
    let (whole_copy_bytes, overhead_bytes) = (measured[0], measured[1]);
    let copy_bytes = whole_copy_bytes.saturating_sub(overhead_bytes);

    // Each run faults anywhere in the bytes a run would take now: the answers to the login and
    // folder list, and to the appends still to make.
    let task = sup.add_task(&direct("local1", "user2"), &rig.user_password);
    let mut copied = 0u64;
    let mut codes: BTreeMap<i32, u64> = BTreeMap::new();
    for run in 0..runs {
        let left = corpus.len() as u64 - copied.min(corpus.len() as u64);
        let span = RUN_BYTES_FLOOR
            .max((overhead_bytes + copy_bytes * left / corpus.len() as u64) * 9 / 10);
        // Every fault is on the local side's connection: EXIT_CONNECTION_FAILURE_HOST2.
        let summary = faulty_run(&sup, &task, &proxy, first_seed + run, span, 102);
        copied += summary.transferred;
        *codes.entry(summary.exit_code).or_default() += 1;
    }
    proxy.clean();
    let clean = clean_run(&sup, &task);
    assert_exact_copy(&rig, &corpus, "user2");
    // An append whose answer was lost is in the mailbox without being counted.
    assert!(copied + clean.transferred <= corpus.len() as u64);
    println!(
        "local fault report: {runs} faulty runs on the local side ({whole_copy_bytes} server \
         bytes for a whole copy, {overhead_bytes} for a run with nothing to copy), then a clean \
         run copying {} of {} messages ({} counted by the faulty runs); exit codes {codes:?}",
        clean.transferred,
        corpus.len(),
        copied
    );
}

#[test]
fn a_link_breaking_every_600_kb_still_copies_some_messages_on_every_run() {
    let _serial = serial();
    let rig = Rig::start_with_users(2).unwrap();
    // One folder, so fetch batches are full (1 MB): each is bigger than a connection lives.
    let mut corpus = Corpus::bulk(67, 400, 0.0);
    corpus
        .messages
        .iter_mut()
        .for_each(|m| m.folder = "INBOX".into());
    seed(&rig.account(Personality::Main, "user1"), &corpus).unwrap();
    let proxy = start_proxy(&rig);
    let sup = Supervisor::start(
        &rig,
        Options {
            timeout_secs: FAULT_TIMEOUT_SECS,
            ..Options::default()
        },
    );
    let task_env = proxied_task(&proxy, "flaky1", "user1", "user2");
    let task = task_env.task_name();
    sup.add_task(&task_env, &rig.user_password);
    let kinds = [FaultKind::Drop, FaultKind::Stall, FaultKind::Cut];
    let mut transferred_per_run = Vec::new();
    for run in 0.. {
        assert!(
            run < 30,
            "no complete copy after 30 runs: {transferred_per_run:?}"
        );
        proxy.begin_flaky_run(kinds[run % kinds.len()], FLAKY_LINK_BYTES);
        run_once(&sup, &task);
        let (_, code) = read_status(&sup.file(&task, "status")).unwrap();
        let summary = read_summary(&sup.file(&task, "summary")).unwrap();
        transferred_per_run.push(summary.transferred);
        if code == 0 {
            break;
        }
        assert_eq!(code, 101, "run {run}: {}", last_log_line(&sup, &task));
        assert!(
            summary.transferred > 0,
            "run {run} ({:?}) copied nothing: {transferred_per_run:?}",
            kinds[run % kinds.len()]
        );
    }
    assert_eq!(
        transferred_per_run.iter().sum::<u64>(),
        corpus.len() as u64,
        "messages appended over all runs: {transferred_per_run:?}"
    );
    assert_exact_copy(&rig, &corpus, "user2");
    println!(
        "flaky link report: {} messages ({} bytes) over a link breaking every {FLAKY_LINK_BYTES} \
         bytes, copied in {} runs: {transferred_per_run:?}",
        corpus.len(),
        corpus.total_bytes(),
        transferred_per_run.len()
    );
}

#[test]
fn a_supervisor_killed_mid_copy_leaves_no_worker_and_the_next_run_completes() {
    let _serial = serial();
    let rig = Rig::start_with_users(2).unwrap();
    let corpus = Corpus::bulk(62, 800, 0.0);
    seed(&rig.account(Personality::Main, "user1"), &corpus).unwrap();
    let proxy = start_proxy(&rig);
    proxy.throttle(1 << 20);
    let mut sup = Supervisor::start(&rig, Options::default());
    let task = sup.add_task(
        &proxied_task(&proxy, "kill01", "user1", "user2"),
        &rig.user_password,
    );
    assert_eq!(sup.syncctl(&["start", &task]).stdout.trim(), "Started");
    wait_for_progress(&sup, &task, 100);
    let worker = read_pid(&sup.file(&task, "pid")).unwrap();
    sup.kill();
    let killed = Instant::now();
    wait_for(
        Duration::from_secs(10),
        "the orphaned worker to end",
        || !process_alive(worker),
    );
    println!(
        "kill report: the orphaned worker ended {:.2} s after the supervisor was SIGKILLed",
        killed.elapsed().as_secs_f64()
    );
    assert!(lock_is_free(&sup.file(&task, "lock")));

    proxy.clean();
    sup.spawn(&Options::default());
    assert_eq!(sup.status(&task), "Stopped");
    assert!(!sup.file(&task, "pid").exists());
    clean_run(&sup, &task);
    assert_exact_copy(&rig, &corpus, "user2");
}

#[test]
fn sigterm_with_five_copies_running_stops_every_worker_and_the_next_start_completes() {
    let _serial = serial();
    let rig = Rig::start_with_users(6).unwrap();
    let corpus = Corpus::bulk(63, 300, 0.0);
    seed(&rig.account(Personality::Main, "user1"), &corpus).unwrap();
    let proxy = start_proxy(&rig);
    proxy.throttle(256 << 10);
    let mut sup = Supervisor::start(&rig, Options::default());
    let tasks: Vec<String> = (2..=6)
        .map(|n| {
            let env = proxied_task(&proxy, &format!("term0{n}"), "user1", &format!("user{n}"));
            sup.add_task(&env, &rig.user_password)
        })
        .collect();
    // An earlier result on two of them must survive the shutdown untouched.
    let earlier_status = "123\n0\n";
    for task in &tasks[..2] {
        std::fs::write(sup.file(task, "status"), earlier_status).unwrap();
    }
    for task in &tasks {
        assert_eq!(sup.syncctl(&["start", task]).stdout.trim(), "Started");
    }
    for task in &tasks {
        wait_for_progress(&sup, task, 1);
    }
    let workers: Vec<i32> = tasks
        .iter()
        .map(|task| read_pid(&sup.file(task, "pid")).unwrap())
        .collect();
    let (status, took) = sup.terminate();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    println!(
        "sigterm report: the supervisor and its 5 workers ended {:.2} s after SIGTERM",
        took.as_secs_f64()
    );
    for (task, worker) in tasks.iter().zip(&workers) {
        assert!(!process_alive(*worker), "{task}: worker {worker} survived");
        assert!(!sup.file(task, "pid").exists(), "{task}: .pid left");
        assert!(lock_is_free(&sup.file(task, "lock")), "{task}: lock held");
        let status = std::fs::read_to_string(sup.file(task, "status")).ok();
        let expected = tasks[..2]
            .contains(task)
            .then(|| earlier_status.to_string());
        assert_eq!(status, expected, "{task}: a stop is not recorded");
        assert!(!sup.file(task, "summary").exists(), "{task}");
        let map = protocol::state_file::load(&sup.file(task, "state"))
            .unwrap_or_else(|e| panic!("{task}: {e}"));
        let mapped: usize = map.folders.values().map(|f| f.pairs.len()).sum();
        assert!(mapped >= 1, "{task}: the UID map lost the copied messages");
        let local = format!("user{}", 2 + tasks.iter().position(|t| t == task).unwrap());
        let present = snapshot(&rig, &local).message_count();
        assert!(
            mapped <= present,
            "{task}: {mapped} mapped, {present} on {local}"
        );
        let last_line = last_log_line(&sup, task);
        assert!(
            last_line.starts_with("Exiting with return value 143 "),
            "{task}: {last_line}"
        );
    }

    proxy.clean();
    sup.spawn(&Options::default());
    for task in &tasks {
        assert_eq!(sup.syncctl(&["start", task]).stdout.trim(), "Started");
    }
    for (n, task) in (2..=6).zip(&tasks) {
        sup.wait_stopped(task, RUN_LIMIT);
        let (_, code) = read_status(&sup.file(task, "status")).unwrap();
        assert_eq!(code, 0, "{task}: {}", whole_log(&sup, task));
        assert_exact_copy(&rig, &corpus, &format!("user{n}"));
    }
}
