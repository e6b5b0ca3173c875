//! Secrets audit (issue 6): while several tasks run over a slow remote link, the command
//! line and environment of every process on the machine; afterwards every file of the
//! module but the `.pwd` files, every captured log, the output of every action, helper,
//! event handler, update step and `syncctl` verb, and every Redis value: none holds the
//! remote password, a wrong password an admin typed, or the vmail password, in any form
//! (raw, IMAP-quoted, `\u`-escaped, base64). The supervisor runs at its most verbose log
//! level. The `.pwd` files are 0600, owned by the module user, and hold the passwords.

use chrono::{FixedOffset, TimeZone};
use e2e::node::{BINARY_IMAGE, MAIL_AGENT};
use e2e::remote::Forwarder;
use e2e::secret_scan::{ProcessSweep, Secret, SecretScan};
use e2e::tasks::{list_tasks, status_time, task_input, wait_next_run, wait_synced};
use e2e::{ids, install, mail, wait_for, wait_until, ActionResult, Node, NodeOptions, Runagent};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use testkit::{Account, Personality};

/// Rig users: `user1`..`user5` are enabled local mailboxes, `user6` is the remote account.
const USERS: usize = 6;
/// The remote account every task reads.
const REMOTE_USER: &str = "user6";
/// Bytes per second each direction of each remote connection carries.
const RATE: u64 = 8_000;
/// Messages on the remote account, about 4 kB each: a run lasts about 12 s.
const MESSAGES: usize = 24;
/// Tasks created with `create-task`: id, local user, security, remote port.
const TASKS: [(&str, &str, &str, u16); 4] = [
    ("sec001", "user1", "tls", 143),
    ("sec002", "user2", "ssl", 993),
    ("sec003", "user3", "", 143),
    ("sec004", "user4", "tls", 143),
];
/// The task whose stored password is later made wrong, for a run whose login fails.
const FAILING: (&str, &str) = ("sec004", "user4");
/// The local user of the task `import-csv-tasks` creates (and of the imported NS7 account).
const CSV_USER: &str = "user5";
/// Sweeps of every process that must each see the supervisor and two running workers.
const SWEEPS: usize = 3;

/// The audited passwords.
struct Passwords {
    remote: String,
    wrong: String,
    vmail: String,
}

impl Passwords {
    /// Hard passwords (spaces, quotes, a backtick, a backslash, `$`, non-ASCII), each with a
    /// random core unique to this run.
    fn new(vmail: &str) -> (Passwords, Vec<Secret>) {
        let (core, wrong_core) = (ids::alphanumeric(12), ids::alphanumeric(12));
        let remote = format!("s p\"a'c\\e \u{fc}\u{20ac}\u{5bc6} `id` $HOME ;{core}");
        let wrong = format!("wr\"ong\\ t\u{e9}l\u{e9} '{wrong_core}' \u{1f511}");
        let secrets = vec![
            Secret::new("the remote password", &remote, &core),
            Secret::new("the wrong password", &wrong, &wrong_core),
            Secret::new("the vmail password", vmail, &vmail[..16]),
        ];
        let passwords = Passwords {
            remote,
            wrong,
            vmail: vmail.to_string(),
        };
        (passwords, secrets)
    }
}

/// Runs the module's entry points, searching what each prints and noting which ran.
struct Audit<'a> {
    node: &'a Node,
    scan: SecretScan,
    actions: BTreeSet<String>,
    helpers: BTreeSet<String>,
}

impl Audit<'_> {
    fn action(&mut self, name: &str, data: Value) -> ActionResult {
        let result = self.node.run(name, data);
        self.record(&result);
        result
    }

    fn record(&mut self, result: &ActionResult) {
        let name = &result.action;
        self.scan
            .text(&format!("{name} output"), &result.output.to_string());
        self.scan.text(&format!("{name} stderr"), &result.error);
        self.scan
            .text(&format!("{name} command pipe"), &result.commands.join("\n"));
        self.actions.insert(name.clone());
    }

    fn runagent(&mut self, command: &str, args: &[&str], stdin: &str) -> Runagent {
        let result = self.node.runagent(command, args, stdin);
        self.printed(&format!("runagent {command}"), &result);
        let name = Path::new(command).file_name().unwrap_or_default();
        self.helpers.insert(name.to_string_lossy().into_owned());
        result
    }

    fn syncctl(&mut self, args: &[&str]) -> Runagent {
        let result = self.node.syncctl(args);
        self.printed(&format!("syncctl {}", args.join(" ")), &result);
        result
    }

    fn printed(&mut self, place: &str, result: &Runagent) {
        self.scan.text(&format!("{place} stdout"), &result.stdout);
        self.scan.text(&format!("{place} stderr"), &result.stderr);
    }
}

/// A copy of the module's imageroot whose unit starts the supervisor with
/// `IMAPSYNC_LOG=trace` (its most verbose level).
fn imageroot_tracing() -> TempDir {
    let copy = install::copy_of_default_imageroot();
    let unit = copy.path().join("systemd/user/imapsync.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    let anchor = "    --env MAIL_HOST=${MAIL_HOST} \\\n";
    assert!(text.contains(anchor), "the unit passes MAIL_HOST:\n{text}");
    let traced = text.replace(
        anchor,
        &format!("{anchor}    --env IMAPSYNC_LOG=trace \\\n"),
    );
    std::fs::write(&unit, traced).unwrap();
    copy
}

/// Gives the rig's `user` the password `password` (hex-encoded in the passwd file, so
/// every character is allowed) and waits until Dovecot takes it.
fn set_remote_password(node: &Node, user: &str, password: &str) {
    let file = node.rig().dir().join("users.passwd");
    let text = std::fs::read_to_string(&file).unwrap();
    let hex: String = password.bytes().map(|b| format!("{b:02x}")).collect();
    let prefix = format!("{user}:");
    let edited: String = text
        .lines()
        .map(|line| match line.strip_prefix(&prefix) {
            Some(rest) => {
                let (_, fields) = rest.split_once(':').expect("a passwd-file line");
                format!("{user}:{{PLAIN.HEX}}{hex}:{fields}\n")
            }
            None => format!("{line}\n"),
        })
        .collect();
    assert_ne!(edited, text, "{user} is in the rig's passwd file");
    std::fs::write(&file, edited).unwrap();
    let rig = node.rig();
    let account = Account::new(
        &rig.host,
        rig.port(Personality::Main),
        Personality::Main,
        user,
        password,
    );
    wait_until(
        Duration::from_secs(10),
        "the remote account to accept the new password",
        || account.connect().is_ok(),
    );
}

/// Puts [`MESSAGES`] messages of about 4 kB into the remote account's INBOX.
fn fill_remote(node: &Node) {
    let mut imap = mail::connect(&node.account(REMOTE_USER));
    let body = "A line of text that makes the message weigh a few kilobytes.\r\n".repeat(64);
    let date = FixedOffset::east_opt(0)
        .and_then(|tz| tz.with_ymd_and_hms(2025, 3, 3, 10, 0, 0).single())
        .unwrap();
    for n in 1..=MESSAGES {
        let message = mail::message(&format!("audit {n}"), &body);
        imap.append("INBOX", &message, &[], date).unwrap();
    }
}

/// `create-task` input for a task reading the remote account through `forwarder`.
fn input(
    node: &Node,
    forwarder: &Forwarder,
    (task_id, localuser, security, port): (&str, &str, &str, u16),
    password: &str,
) -> Value {
    let mut input = task_input(node, task_id, localuser, REMOTE_USER);
    input["remotehostname"] = json!(forwarder.host());
    input["remoteport"] = json!(port);
    input["security"] = json!(security);
    input["remotepassword"] = json!(password);
    input
}

/// `<localuser>_<task_id>` of every task `list-tasks` shows.
fn task_names(node: &Node) -> Vec<String> {
    list_tasks(node)["user_properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}_{}",
                t["localuser"].as_str().unwrap(),
                t["task_id"].as_str().unwrap()
            )
        })
        .collect()
}

/// The worker pids in the `.pid` files of `names`.
fn worker_pids(node: &Node, names: &[String]) -> Vec<i32> {
    names
        .iter()
        .filter_map(|name| std::fs::read_to_string(node.task_file(name, "pid")).ok())
        .filter_map(|text| text.trim().parse().ok())
        .collect()
}

/// What the sweeps saw while the tasks ran.
#[derive(Debug, Default)]
struct Sweeps {
    /// Sweeps that read the supervisor and at least two of our running workers.
    complete: usize,
    /// Sweeps made.
    made: usize,
    /// Most of our workers read in one sweep.
    most_workers: usize,
    /// Processes read, summed over the sweeps.
    processes: usize,
    /// Processes of the module (`imapsync-module` steps) read.
    module_processes: usize,
    /// The supervisor's environment has `IMAPSYNC_LOG=trace`.
    supervisor_traces: bool,
    /// Files of processes outside the test that could not be read.
    unreadable: BTreeSet<String>,
}

/// `pid` is this test process or one of its descendants.
fn ours(pid: i32) -> bool {
    let me = std::process::id() as i32;
    let mut current = pid;
    for _ in 0..64 {
        if current == me {
            return true;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{current}/stat")) else {
            return false;
        };
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        match after_name
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
        {
            Some(parent) if parent > 0 => current = parent,
            _ => return false,
        }
    }
    false
}

/// Panics when a process of the test could not be read; notes the others.
fn note_unreadable(sweep: &ProcessSweep, unreadable: &mut BTreeSet<String>) {
    for (pid, comm, error) in &sweep.unreadable {
        assert!(
            !comm.starts_with("imapsync") && !ours(*pid),
            "the sweep could not read a process of the test: {error}"
        );
        unreadable.insert(format!("{error} ({comm})"));
    }
}

/// Processes of the module (`imapsync-module` action steps and helpers) a sweep read.
fn module_processes(sweep: &ProcessSweep) -> usize {
    sweep
        .read
        .values()
        .filter(|seen| seen.exe == "imapsync-module")
        .count()
}

/// Sweeps every process again and again while `work` runs on another thread; returns its
/// result, the sweeps made and the module processes they read.
fn sweep_during<T: Send>(
    scan: &mut SecretScan,
    unreadable: &mut BTreeSet<String>,
    work: impl FnOnce() -> T + Send,
) -> (T, usize, usize) {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let running = scope.spawn(|| {
            let result = work();
            done.store(true, Ordering::Relaxed);
            result
        });
        let (mut made, mut module) = (0, 0);
        while !done.load(Ordering::Relaxed) {
            let sweep = scan.processes();
            note_unreadable(&sweep, unreadable);
            made += 1;
            module += module_processes(&sweep);
            std::thread::sleep(Duration::from_millis(20));
        }
        (running.join().expect("the swept work"), made, module)
    })
}

/// Sweeps every process until [`SWEEPS`] sweeps saw the supervisor and two running workers
/// (or 40 s pass).
fn sweep_while_running(node: &Node, scan: &mut SecretScan, names: &[String]) -> Sweeps {
    let mut sweeps = Sweeps::default();
    let deadline = Instant::now() + Duration::from_secs(40);
    while sweeps.complete < SWEEPS + 2 && Instant::now() < deadline {
        let workers = worker_pids(node, names);
        if workers.len() < 2 {
            if sweeps.complete >= SWEEPS {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let supervisor = node.supervisor_pid().expect("the supervisor runs");
        let sweep = scan.processes();
        sweeps.made += 1;
        note_unreadable(&sweep, &mut sweeps.unreadable);
        sweeps.processes += sweep.read.len();
        sweeps.module_processes += module_processes(&sweep);
        let read_workers = workers
            .iter()
            .filter(|pid| {
                sweep
                    .read
                    .get(pid)
                    .is_some_and(|seen| seen.exe == "imapsync-worker")
            })
            .count();
        if let Some(seen) = sweep.read.get(&supervisor) {
            assert_eq!(
                seen.exe, "imapsync-supervisor",
                "pid {supervisor}: {seen:?}"
            );
            sweeps.supervisor_traces |= std::fs::read(format!("/proc/{supervisor}/environ"))
                .is_ok_and(|environ| {
                    environ
                        .split(|b| *b == 0)
                        .any(|pair| pair == b"IMAPSYNC_LOG=trace")
                });
            sweeps.most_workers = sweeps.most_workers.max(read_workers);
            if read_workers >= 2 {
                sweeps.complete += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(400));
    }
    sweeps
}

/// What the actions run during the sweeps returned.
#[derive(Default)]
struct LiveOutputs {
    actions: Vec<ActionResult>,
    syncctl: Vec<(String, Runagent)>,
    most_running: usize,
}

/// Reads the tasks while they run, as an admin watching the UI does: `list-tasks`,
/// `get-log`, `list-informations` and `syncctl validation` (which logs in on both sides).
fn watch(node: &Node, stop: &AtomicBool, outputs: &Mutex<LiveOutputs>) {
    let (task_id, localuser, _, _) = TASKS[0];
    let task = json!({"task_id": task_id, "localuser": localuser});
    let name = format!("{localuser}_{task_id}");
    while !stop.load(Ordering::Relaxed) {
        let listed = node.run("list-tasks", Value::Null);
        let running = listed.output["user_properties"]
            .as_array()
            .map_or(0, |tasks| {
                tasks
                    .iter()
                    .filter(|t| t["service_running"] == true)
                    .count()
            });
        let log = node.run("get-log", task.clone());
        let sizes = node.run("list-informations", task.clone());
        let checked = node.syncctl(&["validation", &name]);
        let mut outputs = outputs.lock().unwrap();
        outputs.most_running = outputs.most_running.max(running);
        outputs.actions.extend([listed, log, sizes]);
        outputs
            .syncctl
            .push((format!("syncctl validation {name}"), checked));
    }
}

/// Every NS7 getmail record of the export `import-module` reads: one IMAP account with the
/// remote password.
fn getmail_export(forwarder: &Forwarder, password: &str) -> Value {
    json!([{
        "name": "audit-imap",
        "type": "getmail",
        "props": {
            "Account": format!("{CSV_USER}@example.org"),
            "Delete": "-1",
            "FetchAll": "disabled",
            "Password": password,
            "Retriever": "SimpleIMAPRetriever",
            "Server": forwarder.host(),
            "Time": "60",
            "Username": REMOTE_USER,
            "VirusCheck": "disabled",
            "SpamCheck": "disabled",
            "status": "enabled",
        }
    }])
}

/// Names of the entries of `dir`.
fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|list| {
            list.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every action the module has, run once more after the tasks ran (the ones run during
/// setup and the sweeps are recorded too); the imported NS7 account is deleted at the end.
fn run_every_action(audit: &mut Audit, forwarder: &Forwarder, passwords: &Passwords) {
    let node = audit.node;
    let (task_id, localuser, _, _) = TASKS[0];
    let task = json!({"task_id": task_id, "localuser": localuser});
    let configuration = audit.action("get-configuration", Value::Null);
    configuration.expect_ok();
    let offered = configuration.output["mail_server_URL"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let (server, host) = offered.split_once(',').unwrap();
    audit
        .action(
            "configure-module",
            json!({"mail_server": server, "mail_host": host}),
        )
        .expect_ok();
    audit
        .action(
            "create-module",
            json!({"images": [BINARY_IMAGE], "volumes": {}}),
        )
        .expect_ok();
    audit.action("get-facts", Value::Null).expect_ok();
    audit.action("list-tasks", Value::Null).expect_ok();
    audit.action("list-informations", task.clone()).expect_ok();
    audit.action("get-log", task.clone()).expect_ok();
    audit.action("start-task", task.clone()).expect_ok();
    audit.action("stop-task", task.clone()).expect_ok();
    audit.action("start-all-tasks", Value::Null).expect_ok();
    audit.action("stop-all-tasks", Value::Null).expect_ok();
    audit
        .action(
            "restore-module",
            json!({"repository": "r1", "path": "imapsync/x", "snapshot": "latest",
                   "environment": {"MAIL_SERVER": node.mail_uuid(), "MAIL_HOST": "127.0.0.1",
                                   "MODULE_ID": "imapsync7"},
                   "replace": false}),
        )
        .expect_ok();

    let before: BTreeSet<String> = task_names(node).into_iter().collect();
    std::fs::write(
        node.state_dir().join("getmail.json"),
        getmail_export(forwarder, &passwords.remote).to_string(),
    )
    .unwrap();
    audit.action("import-module", Value::Null).expect_ok();
    let imported: Vec<String> = task_names(node)
        .into_iter()
        .filter(|name| !before.contains(name))
        .collect();
    assert_eq!(
        imported.len(),
        1,
        "one task per imported account: {imported:?}"
    );
    let imported_pwd = std::fs::read(node.task_file(&imported[0], "pwd")).unwrap();
    assert_eq!(
        imported_pwd,
        passwords.remote.as_bytes(),
        "the imported .pwd"
    );
    let (local, id) = imported[0].split_once('_').unwrap();
    audit
        .action("delete-task", json!({"task_id": id, "localuser": local}))
        .expect_ok();

    for helper in ["expand-cron", "reveal-master-secret"] {
        let result = audit.runagent(helper, &[], "");
        assert_eq!(result.code, 0, "{helper}: {}", result.stderr);
    }
    for script in entries(&node.install_dir().join("update-module.d")) {
        let path = node.install_dir().join("update-module.d").join(&script);
        let result = audit.runagent(path.to_str().unwrap(), &[], "");
        assert_eq!(
            result.code, 0,
            "update-module.d/{script}: {}",
            result.stderr
        );
    }
    let event = node.event(
        MAIL_AGENT,
        "mail-settings-changed",
        &json!({"reason": "configure-module", "module_id": "mail1", "node_id": 1,
                "module_uuid": node.mail_uuid()}),
    );
    assert_eq!(event.exit_code, 0, "{}", event.log);
    audit.scan.text("mail-settings-changed handler", &event.log);
    audit.helpers.insert(format!("event {}", event.name));

    let name = format!("{localuser}_{task_id}");
    wait_until(
        Duration::from_secs(30),
        "the control socket after the restarts",
        || node.syncctl(&["list"]).code == 0,
    );
    for args in [
        vec!["list"],
        vec!["--json", "list"],
        vec!["status", &name],
        vec!["logs", &name],
        vec!["list-informations", &name],
        vec!["validation", &name],
        vec!["reload"],
        vec!["start", "--wait", &name],
        vec!["stop", &name],
    ] {
        audit.syncctl(&args);
    }
}

/// Every `.pwd` file: 0600, owned by the module user, holding its password.
fn assert_password_files(node: &Node, passwords: &Passwords, names: &[String]) {
    let dir = node.state_dir().join("imapsync");
    let owner = std::fs::metadata(node.state_dir()).unwrap().uid();
    let failing = format!("{}_{}", FAILING.1, FAILING.0);
    let mut expected: BTreeMap<String, &str> = names
        .iter()
        .map(|name| (format!("{name}.pwd"), passwords.remote.as_str()))
        .collect();
    expected.insert(format!("{failing}.pwd"), &passwords.wrong);
    expected.insert("vmail.pwd".into(), &passwords.vmail);
    let found: BTreeSet<String> = entries(&dir)
        .into_iter()
        .filter(|name| name.ends_with(".pwd"))
        .collect();
    assert_eq!(
        found,
        expected.keys().cloned().collect(),
        "one .pwd per task, and vmail.pwd"
    );
    for (name, password) in expected {
        let path = dir.join(&name);
        let meta = std::fs::metadata(&path).unwrap();
        let mode = format!("{:04o}", meta.permissions().mode() & 0o7777);
        assert_eq!(mode, "0600", "{name} mode");
        assert_eq!(meta.uid(), owner, "{name} is owned by the module user");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            password.as_bytes(),
            "{name} holds its password"
        );
    }
}

/// Every Redis key with its values, as text to search.
fn redis_dump(node: &Node) -> Vec<(String, Vec<u8>)> {
    let mut admin = node.redis().admin();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut admin).unwrap();
    keys.into_iter()
        .map(|key| {
            let kind: String = redis::cmd("TYPE").arg(&key).query(&mut admin).unwrap();
            let command = match kind.as_str() {
                "string" => redis::cmd("GET").arg(&key).clone(),
                "hash" => redis::cmd("HGETALL").arg(&key).clone(),
                "set" => redis::cmd("SMEMBERS").arg(&key).clone(),
                "list" => redis::cmd("LRANGE").arg(&key).arg(0).arg(-1).clone(),
                "zset" => redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).clone(),
                "stream" => redis::cmd("XRANGE").arg(&key).arg("-").arg("+").clone(),
                other => panic!("Redis key {key} has an unexpected type {other}"),
            };
            let value: redis::Value = command.query(&mut admin).unwrap();
            let mut bytes = Vec::new();
            flatten(&value, &mut bytes);
            (key, bytes)
        })
        .collect()
}

/// The strings of a Redis reply, one per line.
fn flatten(value: &redis::Value, out: &mut Vec<u8>) {
    match value {
        redis::Value::BulkString(bytes) => out.extend_from_slice(bytes),
        redis::Value::SimpleString(text) => out.extend_from_slice(text.as_bytes()),
        redis::Value::Array(items) | redis::Value::Set(items) => {
            items.iter().for_each(|item| flatten(item, out));
        }
        redis::Value::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            flatten(k, out);
            flatten(v, out);
        }),
        other => out.extend_from_slice(format!("{other:?}").as_bytes()),
    }
    out.push(b'\n');
}

/// Everything that stays after the runs: the module's files (but `.pwd` and the installed
/// code), the stand-ins' logs, the agent journal, the api-server's calls and Redis.
fn scan_what_stays(scan: &mut SecretScan, node: &Node) -> usize {
    let (install, state) = (node.install_dir(), node.state_dir());
    let include = |path: &Path| {
        let ours = path.starts_with(&state) || !path.starts_with(&install);
        ours && path.extension().is_none_or(|ext| ext != "pwd")
    };
    let files = scan.tree(node.home(), &include) + scan.tree(node.redis().dir(), &|_| true);
    scan.text("the agent journal", &node.agent().journal());
    scan.text("the api-server calls", &format!("{:?}", node.api().calls()));
    for (key, value) in redis_dump(node) {
        scan.bytes(&format!("Redis key {key}"), &value);
    }
    files
}

#[test]
fn no_password_leaks_while_tasks_run_or_afterwards() {
    let begin = Instant::now();
    let imageroot = imageroot_tracing();
    let node = Node::start_with(NodeOptions {
        users: USERS,
        imageroot: imageroot.path().to_path_buf(),
        ..NodeOptions::default()
    });
    let (passwords, secrets) = Passwords::new(&node.rig().master_password);
    let mut audit = Audit {
        node: &node,
        scan: SecretScan::new(secrets),
        actions: BTreeSet::new(),
        helpers: BTreeSet::new(),
    };
    let configured = node.configure();
    configured.expect_ok();
    audit.record(&configured);
    fill_remote(&node);
    set_remote_password(&node, REMOTE_USER, &passwords.remote);
    let rig = node.rig();
    let forwarder = Forwarder::start_throttled(
        rig.port(Personality::Main),
        rig.tls_port(Personality::Main),
        RATE,
    );

    // A wrong password is refused by the credential check, and nothing is kept; the tasks
    // are created while every process is swept, so the actions' own processes are read.
    let csv_password = passwords.remote.replace('"', "\"\"");
    let csv = format!(
        "localusername,remoteusername,remotepassword,remotehostname,remoteport,security\n\
         {CSV_USER},{REMOTE_USER},\"{csv_password}\",{},143,tls\n",
        forwarder.host()
    );
    let mut unreadable = BTreeSet::new();
    let ((results, imported), creation_sweeps, module_processes) =
        sweep_during(&mut audit.scan, &mut unreadable, || {
            let wrong = ("badpw1", CSV_USER, "tls", 143);
            let mut results = vec![node.run(
                "create-task",
                input(&node, &forwarder, wrong, &passwords.wrong),
            )];
            for task in TASKS {
                let data = input(&node, &forwarder, task, &passwords.remote);
                results.push(node.run("create-task", data));
            }
            (results, node.runagent("import-csv-tasks", &[], &csv))
        });
    eprintln!(
        "{creation_sweeps} sweeps while the tasks were created read {module_processes} \
         processes of the module; unreadable elsewhere: {unreadable:?}"
    );
    assert!(module_processes > 0, "the sweeps caught an action running");
    for result in &results {
        audit.record(result);
    }
    let refused = &results[0];
    assert_eq!(refused.exit_code, 2, "{}", refused.error);
    assert!(
        refused.output.to_string().contains("bad_user_credentials"),
        "{}",
        refused.output
    );
    for created in &results[1..] {
        created.expect_ok();
    }
    audit.printed("runagent import-csv-tasks", &imported);
    audit.helpers.insert("import-csv-tasks".into());
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let names = task_names(&node);
    assert_eq!(names.len(), TASKS.len() + 1, "{names:?}");

    // While they run: every process, several times, with an admin watching the tasks.
    let stop = AtomicBool::new(false);
    let live = Mutex::new(LiveOutputs::default());
    let sweeps = std::thread::scope(|scope| {
        scope.spawn(|| watch(&node, &stop, &live));
        let sweeps = sweep_while_running(&node, &mut audit.scan, &names);
        stop.store(true, Ordering::Relaxed);
        sweeps
    });
    eprintln!("sweeps while running: {sweeps:?}");
    assert!(
        sweeps.complete >= SWEEPS,
        "only {} of {} sweeps saw the supervisor and two running workers: {sweeps:?}",
        sweeps.complete,
        sweeps.made
    );
    assert!(
        sweeps.supervisor_traces,
        "the supervisor runs with IMAPSYNC_LOG=trace"
    );
    let live = live.into_inner().unwrap();
    assert!(
        live.most_running >= 2,
        "list-tasks showed {} running tasks at most",
        live.most_running
    );
    for result in &live.actions {
        audit.record(result);
    }
    for (place, result) in &live.syncctl {
        audit.printed(place, result);
    }

    // Every run ends well: the hard password logged in with STARTTLS, TLS and plain text.
    for name in &names {
        let (local, id) = name.split_once('_').unwrap();
        let task = wait_synced(&node, id);
        assert_eq!(task["last_sync_exit_code"], 0, "{name}: {task}");
        assert_eq!(task["remotepassword"], "", "list-tasks never shows it");
        assert_eq!(mail::count(&node.account(local), "INBOX"), MESSAGES as u32);
    }

    // A run whose login fails (the remote password changed since).
    let (failing_id, failing_user) = FAILING;
    let failing_name = format!("{failing_user}_{failing_id}");
    std::fs::write(node.task_file(&failing_name, "pwd"), &passwords.wrong).unwrap();
    let before = status_time(&node, failing_id, failing_user);
    audit
        .action(
            "start-task",
            json!({"task_id": failing_id, "localuser": failing_user}),
        )
        .expect_ok();
    let failed = wait_next_run(&node, failing_id, failing_user, before);
    assert_ne!(failed["last_sync_exit_code"], 0, "{failed}");
    let failed_log = audit.action(
        "get-log",
        json!({"task_id": failing_id, "localuser": failing_user}),
    );
    assert!(
        failed_log
            .output
            .to_string()
            .contains("login as user6 failed"),
        "the log says why: {}",
        failed_log.output
    );

    run_every_action(&mut audit, &forwarder, &passwords);
    let shipped_actions = entries(&node.install_dir().join("actions"));
    let missed: Vec<&String> = shipped_actions.difference(&audit.actions).collect();
    assert!(missed.is_empty(), "actions never run: {missed:?}");
    let helpers: BTreeSet<String> = entries(&imageroot.path().join("bin"))
        .into_iter()
        .chain(entries(&imageroot.path().join("update-module.d")))
        .chain(
            entries(&imageroot.path().join("events"))
                .into_iter()
                .map(|e| format!("event {e}")),
        )
        .collect();
    let missed: Vec<&String> = helpers.difference(&audit.helpers).collect();
    assert!(missed.is_empty(), "helpers never run: {missed:?}");

    wait_for(Duration::from_secs(30), "every task to be idle", || {
        let idle = worker_pids(&node, &names).is_empty();
        idle.then_some(())
    });
    assert_password_files(&node, &passwords, &names);
    let files = scan_what_stays(&mut audit.scan, &node);
    let (places, bytes) = audit.scan.searched();
    eprintln!(
        "searched {places} places ({bytes} bytes, {files} files, {} sweeps of {} processes) \
         in {:?}",
        sweeps.made,
        sweeps.processes,
        begin.elapsed()
    );
    assert!(files > 20, "the module's files were read: {files}");
    audit.scan.assert_clean();
}
