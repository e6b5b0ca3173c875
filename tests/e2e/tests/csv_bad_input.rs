//! `import-csv-tasks` with hostile and malformed CSV (issue 6, behaviour §5.4): every unusable
//! file or row is refused with a message naming its line and field, writes nothing anywhere
//! and leaves the task created before byte-identical; passwords full of quotes, backslashes,
//! spaces and shell characters reach the `.pwd` and the remote server unchanged and sync.
//! The CSV has no folder column: the exclusion regexes of an updated task must survive as
//! stored.

use e2e::agent::{find_in_path, last_value};
use e2e::login_recorder::LoginRecorder;
use e2e::step::{self, Spec};
use e2e::tasks::{
    list_tasks, status_time, task_input, task_properties, wait_next_run, wait_synced,
};
use e2e::tree_snapshot::{self, TreeSnapshot};
use e2e::{env_file, mail, wait_until, Node, NodeOptions};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

const HEADER: &str =
    "localusername,remoteusername,remotepassword,remotehostname,remoteport,security";

/// The task every scenario creates first, whose files nothing may touch.
const KEPT_TASK: &str = "keep01";

/// Printed output above this size is not a message an admin can read.
const MAX_OUTPUT_BYTES: usize = 16 * 1024;

/// One run of the import: exit code and everything it printed.
struct Import {
    code: i32,
    printed: String,
}

/// Runs `import-csv-tasks` as `runagent -m imapsync1 import-csv-tasks <args> < csv` does,
/// with `csv` as raw bytes (the harness's `runagent` only takes text).
fn import(node: &Node, args: &[&str], csv: &[u8]) -> Import {
    let env = node.agent().runagent_env();
    let path_var = last_value(&env, "PATH").unwrap_or_default();
    let program = find_in_path("import-csv-tasks", &path_var).expect("import-csv-tasks in PATH");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let outcome = step::run(&Spec {
        program: &program,
        arg0: Some("import-csv-tasks"),
        args: &args,
        env: &env,
        cwd: &node.state_dir(),
        stdin: csv,
        comfd: false,
        timeout: None,
        grace: step::STREAM_GRACE,
    })
    .expect("run import-csv-tasks");
    assert!(outcome.leaked.is_empty(), "leaked {:?}", outcome.leaked);
    node.assert_protocol_respected();
    Import {
        code: outcome.code(),
        printed: format!(
            "{}{}",
            String::from_utf8_lossy(&outcome.stdout),
            String::from_utf8_lossy(&outcome.stderr)
        ),
    }
}

/// The start of an output, for assertion messages.
fn excerpt(printed: &str) -> String {
    printed.chars().take(4000).collect()
}

/// Every file of a task (`state/imapsync/<task>.*`, `state/cron/<task>.cron`) and its bytes.
fn task_files(node: &Node, task: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    let prefix = format!("{task}.");
    let mut files = BTreeMap::new();
    for dir in [
        node.state_dir().join("imapsync"),
        node.state_dir().join("cron"),
    ] {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                files.insert(entry.path(), std::fs::read(entry.path()).unwrap());
            }
        }
    }
    files
}

fn csv(rows: &[String]) -> Vec<u8> {
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text.into_bytes()
}

/// One malformed input: its label, the bytes, the exit code and what the output must say.
struct Case {
    label: String,
    args: Vec<&'static str>,
    csv: Vec<u8>,
    code: i32,
    says: Vec<String>,
}

fn case(label: impl Into<String>, csv: Vec<u8>, says: &[&str]) -> Case {
    Case {
        label: label.into(),
        args: Vec::new(),
        csv,
        code: 1,
        says: says.iter().map(|s| s.to_string()).collect(),
    }
}

/// Row 2 with `value` in the column at `index` of an otherwise valid row.
fn row_with(valid: &[String; 6], index: usize, value: &str) -> String {
    let mut values = valid.clone();
    values[index] = value.to_string();
    values.join(",")
}

fn column_name(index: usize) -> &'static str {
    HEADER.split(',').nth(index).unwrap()
}

/// Files that cannot be read as a CSV table at all.
fn unreadable_files(valid: &str) -> Vec<Case> {
    let mut latin1_password = format!("{HEADER}\n").into_bytes();
    latin1_password.extend_from_slice(b"user1,user3,caf\xe9,h,143,tls\n");
    let mut latin1_user = csv(&[valid.to_string()]);
    latin1_user.extend_from_slice(b"J\xf6rg,user3,pw,h,143,tls\n");
    let mut bad_header = csv(&[valid.to_string()]);
    bad_header[HEADER.find("username,remotepassword").unwrap()] = 0xff;
    vec![
        case(
            "Latin-1 password",
            latin1_password,
            &["line 2 is not UTF-8", "CSV UTF-8"],
        ),
        case(
            "Latin-1 user name on line 3",
            latin1_user,
            &["line 3 is not UTF-8"],
        ),
        case(
            "invalid UTF-8 in the header",
            bad_header,
            &["line 1 is not UTF-8"],
        ),
        case("an empty file", Vec::new(), &["the CSV input is empty"]),
        case(
            "only a byte-order mark and blank lines",
            b"\xef\xbb\xbf\n\n".to_vec(),
            &["the CSV input is empty"],
        ),
        case(
            "NUL bytes only",
            b"\0\0\0\n".to_vec(),
            &["Missing 6 required column(s)", "- localusername"],
        ),
        case(
            "an unclosed quote",
            csv(&[
                valid.to_string(),
                "user1,user3,\"pw,h,143,tls".into(),
                valid.to_string(),
            ]),
            &["line 3", "no closing quote"],
        ),
        case(
            "a missing column",
            format!(
                "{}\nuser1,user3,pw,h,143\n",
                &HEADER[..HEADER.len() - ",security".len()]
            )
            .into_bytes(),
            &["Missing 1 required column(s)", "- security"],
        ),
        case(
            "a misspelt column",
            format!(
                "{}\n{valid}\n",
                HEADER.replace("localusername", "LocalUserName")
            )
            .into_bytes(),
            &[
                "Missing 1 required column(s)",
                "- localusername",
                "case-sensitive",
            ],
        ),
        case(
            "a column named twice",
            format!("{HEADER},security\n{valid},tls\n").into_bytes(),
            &["names the column security more than once"],
        ),
    ]
}

/// Rows with a wrong shape or a wrong value in some column.
fn refused_rows(valid: &[String; 6]) -> Vec<Case> {
    let joined = valid.join(",");
    let invalid_row = "✗ Invalid value on row";
    let mut cases = vec![
        case(
            "seven values",
            csv(&[format!("{joined},extra")]),
            &[invalid_row, "row 2: found 7 value(s) but the header has 6"],
        ),
        case(
            "five values",
            csv(&[valid[..5].join(",")]),
            &["row 2: found 5 value(s) but the header has 6"],
        ),
        case(
            "a blank password",
            csv(&[row_with(valid, 2, "   ")]),
            &["row 2: Missing required value(s): remotepassword"],
        ),
        case(
            "an empty port",
            csv(&[row_with(valid, 4, "")]),
            &["row 2: Missing required value(s): remoteport"],
        ),
    ];
    for user in [
        "../etc",
        "..",
        ".",
        "/etc/passwd",
        "a/b",
        "../imapsync/user2",
        "user2/../../x",
        "J\u{f6}rg",
        "-rf",
    ] {
        cases.push(case(
            format!("local user {user:?}"),
            csv(&[row_with(valid, 0, user)]),
            &[&format!("row 2: Invalid local user name: '{user}'")],
        ));
    }
    for port in [
        "abc",
        "0",
        "65536",
        "-1",
        "1e3",
        "143.0",
        "99999999999999999999",
    ] {
        cases.push(case(
            format!("port {port:?}"),
            csv(&[row_with(valid, 4, port)]),
            &[&format!("row 2: Invalid port number: '{port}'")],
        ));
    }
    for security in ["starttls", "none", "ssl;id", "true"] {
        cases.push(case(
            format!("security {security:?}"),
            csv(&[row_with(valid, 5, security)]),
            &[&format!("row 2: Invalid security: '{security}'")],
        ));
    }
    cases.extend(control_characters(valid));
    cases
}

/// A NUL, an escape sequence and line breaks inside a quoted value, in every column.
fn control_characters(valid: &[String; 6]) -> Vec<Case> {
    let mut cases = Vec::new();
    for index in 0..6 {
        let field = column_name(index);
        let named = format!("Line breaks and control characters are not allowed in: {field}");
        let mut tails = vec![("a NUL", "\0x"), ("an LF", "\nCRON=1m"), ("a CR", "\rX=1")];
        tails.push(("a CRLF", "\r\n* * * * * root id"));
        if field != "remotepassword" {
            tails.push(("an escape sequence", "\u{1b}[2J"));
        }
        for (what, tail) in tails {
            let value = format!("\"{}{tail}\"", valid[index]);
            let line_breaks = tail.matches('\n').count();
            // A refused row before and after: the later one keeps the file's line count.
            let rows = [
                row_with(valid, 4, "x"),
                row_with(valid, index, &value),
                row_with(valid, 5, "bad"),
            ];
            let after = 4 + line_breaks;
            cases.push(case(
                format!("{what} in {field}"),
                csv(&rows),
                &[
                    "row 2: Invalid port number: 'x'",
                    &format!("row 3: {named}"),
                    &format!("row {after}: Invalid security: 'bad'"),
                    "0 created, 3 failed",
                ],
            ));
        }
    }
    cases
}

/// 1 MB in each column: refused by the importer or by create-task, with a short message.
fn megabyte_values(valid: &[String; 6]) -> Vec<Case> {
    let huge = "a".repeat(1 << 20);
    let says: [&[&str]; 6] = [
        &["row 2: Invalid local user name: 'aaaa"],
        &["row 2: Longer than 1000 characters, too long for an IMAP login: remoteusername"],
        &["row 2: Longer than 1000 characters, too long for an IMAP login: remotepassword"],
        &[
            "row 2: Invalid remote host name: 'aaaa",
            "at most 253 characters",
        ],
        &["row 2: Invalid port number: 'aaaa"],
        &["row 2: Invalid security: 'aaaa"],
    ];
    (0..6)
        .map(|index| {
            case(
                format!("1 MB in {}", column_name(index)),
                csv(&[row_with(valid, index, &huge)]),
                says[index],
            )
        })
        .collect()
}

/// Rows for the kept task's own account: skipped, or refused with --update.
fn kept_account_rows(valid: &[String; 6]) -> Vec<Case> {
    let mut again = case(
        "the kept task's account again",
        csv(&[valid.join(",")]),
        &[
            "Skipped row 2: user2 already syncs user3@",
            "0 failed, 1 skipped",
        ],
    );
    again.code = 0;
    let mut wrong_password = case(
        "--update of the kept task with a wrong password",
        csv(&[row_with(valid, 2, "wrong \"pass\"")]),
        &[
            "Updating task for user2 (ID: keep01)",
            "refused the user or password",
        ],
    );
    wrong_password.args = vec!["--update"];
    let mut nul_password = case(
        "--update of the kept task with a NUL in the password",
        csv(&[row_with(valid, 2, "\"pw\0x\"")]),
        &["row 2: Line breaks and control characters are not allowed in: remotepassword"],
    );
    nul_password.args = vec!["--update"];
    let mut blank_rows = case(
        "a header and blank rows only",
        format!("{HEADER}\n\n , , ,,,\n").into_bytes(),
        &["Found 0 data row(s)", "0 created, 0 failed"],
    );
    blank_rows.code = 0;
    vec![again, wrong_password, nul_password, blank_rows]
}

#[test]
fn unusable_csv_is_refused_naming_the_line_and_field_and_touches_nothing() {
    let node = Node::start();
    node.configure().expect_ok();
    node.run(
        "create-task",
        task_input(&node, KEPT_TASK, "user2", "user3"),
    )
    .expect_ok();
    let kept = wait_synced(&node, KEPT_TASK);
    let host = node.remote_host();
    let password = node.user_password().to_string();
    let valid: [String; 6] = [
        "user2".into(),
        "user3".into(),
        password.clone(),
        host.clone(),
        "143".into(),
        "tls".into(),
    ];
    let mut other_user = valid.clone();
    other_user[0] = "user1".into();

    let files = node.home_snapshot();
    let root = tree_snapshot::root_entries();
    let mut cases = unreadable_files(&other_user.join(","));
    cases.extend(refused_rows(&other_user));
    cases.extend(megabyte_values(&other_user));
    cases.extend(kept_account_rows(&valid));
    for case in &cases {
        let result = import(&node, &case.args, &case.csv);
        let label = &case.label;
        let shown = excerpt(&result.printed);
        assert_eq!(result.code, case.code, "{label}: {shown}");
        for words in &case.says {
            assert!(
                result.printed.contains(words.as_str()),
                "{label}: the output should say {words:?}:\n{shown}"
            );
        }
        assert!(
            result.printed.len() < MAX_OUTPUT_BYTES,
            "{label}: {} bytes of output",
            result.printed.len()
        );
        assert!(
            !result.printed.contains(&password),
            "{label}: password shown"
        );
        files.assert_unchanged(label);
    }
    a_password_with_control_characters_reaches_the_server(&node);
    files.assert_unchanged("a refused row with control characters in the password");
    assert_eq!(tree_snapshot::root_entries(), root, "nothing appeared in /");
    assert_eq!(task_properties(&node, KEPT_TASK), Some(kept));
    node.assert_secret_hidden(&password);
}

/// A tab, a SOH and a DEL are allowed in a password (Dovecot refuses such passwords, so a
/// recorder holds the login): the `.pwd` written before the credential check and the
/// password on the wire are the CSV's bytes; the refusal then removes the new task.
fn a_password_with_control_characters_reaches_the_server(node: &Node) {
    let password = "tab\tq10\u{1}\u{7f} end";
    let recorder = LoginRecorder::start();
    let row = format!("user1,user3,{password},127.0.0.1,{},", recorder.port());
    let (login, written, result) = std::thread::scope(|scope| {
        let pending = scope.spawn(|| import(node, &[], &csv(&[row])));
        let login = recorder.next_login(Duration::from_secs(60));
        let written = new_password_files(node);
        recorder.refuse();
        (login, written, pending.join().expect("import thread"))
    });
    let login = login.expect("the credential check logs in on the remote server");
    assert_eq!(login.user, b"user3");
    assert_eq!(
        login.password,
        password.as_bytes(),
        "the password on the wire"
    );
    assert_eq!(written, vec![password.as_bytes().to_vec()], "the .pwd");
    assert_eq!(result.code, 1, "{}", excerpt(&result.printed));
    assert!(
        result.printed.contains("refused the user or password"),
        "{}",
        excerpt(&result.printed)
    );
    node.assert_secret_hidden(password);
}

/// The contents of the `.pwd` files of `user1` tasks.
fn new_password_files(node: &Node) -> Vec<Vec<u8>> {
    std::fs::read_dir(node.state_dir().join("imapsync"))
        .unwrap()
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with("user1_") && name.ends_with(".pwd")
        })
        .map(|entry| std::fs::read(entry.path()).unwrap())
        .collect()
}

/// Passwords an admin may well have: every one must reach the server as written.
const HARD_PASSWORDS: [(&str, &str); 11] = [
    ("  Lead and trail spaces  ", "  Lead and trail spaces  "),
    ("\" quoted, spaced \"", " quoted, spaced "),
    ("\"say \"\"hi\"\" q2\"", "say \"hi\" q2"),
    ("it's q3's", "it's q3's"),
    ("back\\slash\\\\q4\\", "back\\slash\\\\q4\\"),
    ("$HOME$(id)${IFS}q5", "$HOME$(id)${IFS}q5"),
    ("`id`q6`", "`id`q6`"),
    ("semi;colon#hash=eq q7", "semi;colon#hash=eq q7"),
    ("#leading-hash q8", "#leading-hash q8"),
    (
        "p\u{e4}ssw\u{f6}rd\u{20ac}q9",
        "p\u{e4}ssw\u{f6}rd\u{20ac}q9",
    ),
    ("pa\"ss q10 %s%n{0}", "pa\"ss q10 %s%n{0}"),
];

/// Folder regexes with a space, anchors, a backslash and both quotes (stored on a task the
/// import updates: the CSV has no column for them).
const EXCLUDE: &str = r#"^Junk Mail$,Foo\.Bar,"quoted",'single'"#;

/// Sets the rig password of each `(user, password)` in one rewrite of the passwd-file
/// (hex-encoded, so any byte is allowed; a new inode, so Dovecot re-reads it).
fn set_remote_passwords(node: &Node, passwords: &BTreeMap<String, String>) {
    let file = node.rig().dir().join("users.passwd");
    let text = std::fs::read_to_string(&file).expect("read users.passwd");
    let mut lines = String::new();
    for line in text.lines() {
        let (user, rest) = line.split_once(':').expect("passwd-file fields");
        match passwords.get(user) {
            Some(password) => {
                let (_, tail) = rest.split_once(':').expect("passwd-file fields");
                let hex: String = password.bytes().map(|b| format!("{b:02x}")).collect();
                lines.push_str(&format!("{user}:{{PLAIN.HEX}}{hex}:{tail}\n"));
            }
            None => lines.push_str(&format!("{line}\n")),
        }
    }
    let meta = std::fs::metadata(&file).expect("users.passwd metadata");
    let replacement = file.with_extension("new");
    std::fs::write(&replacement, lines).expect("write users.passwd");
    std::fs::set_permissions(&replacement, meta.permissions()).expect("chmod users.passwd");
    std::os::unix::fs::chown(&replacement, Some(meta.uid()), Some(meta.gid()))
        .expect("chown users.passwd");
    std::fs::rename(&replacement, &file).expect("replace users.passwd");
}

/// Waits until a login of `user` with `password` succeeds on the remote server (Dovecot
/// looks at the passwd-file at most once a second).
fn wait_login(node: &Node, user: &str, password: &str) {
    let mut account = node.account(user);
    account.password = password.to_string();
    wait_until(
        Duration::from_secs(10),
        &format!("a login as {user} with {password:?}"),
        || account.connect().is_ok(),
    );
}

/// Panics unless every file added or changed in the module home since `before` belongs to
/// one of the tasks `names` (`state/imapsync/<name>.*`).
fn only_these_tasks_changed(node: &Node, before: &TreeSnapshot, names: &[String]) {
    let tasks_dir = node.state_dir().join("imapsync");
    let tasks_dir = tasks_dir.strip_prefix(node.home()).unwrap();
    let prefixes: Vec<String> = names
        .iter()
        .map(|name| format!("{}/{name}.", tasks_dir.display()))
        .collect();
    for change in before.changes(&node.home_snapshot()) {
        let path = change.split_once(' ').map_or("", |(_, rest)| rest);
        assert!(
            prefixes
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str())),
            "only the imported tasks' files may change: {change}"
        );
    }
}

fn task_of(node: &Node, localuser: &str) -> Value {
    list_tasks(node)["user_properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["localuser"] == localuser)
        .cloned()
        .unwrap_or_else(|| panic!("no task for {localuser}"))
}

/// The import file: a byte-order mark, CRLF line endings, a blank line, an extra column
/// holding line breaks and `.env`/crontab lines (ignored), one row per hard password
/// (remote `user<count+i>` into `user<i>`), the update row and a repeated row.
fn hard_passwords_csv(node: &Node, updated: (&str, &str)) -> String {
    let count = HARD_PASSWORDS.len();
    let host = node.remote_host();
    let securities = [("143", "tls"), ("993", "ssl"), ("143", "")];
    let mut text = String::from(
        "\u{feff}localusername,remoteusername,note,remotepassword,remotehostname,remoteport,security\r\n\r\n",
    );
    for (index, (written, _)) in HARD_PASSWORDS.iter().enumerate() {
        let (local, remote) = (
            format!("user{}", index + 1),
            format!("user{}", count + index + 1),
        );
        let (port, security) = securities[index % securities.len()];
        text.push_str(&format!(
            "{local},{remote},\"\nCRON=1m\r\n* * * * * root id\",{written},{host},{port},{security}\r\n"
        ));
    }
    let (updated_local, updated_remote) = updated;
    let written = UPDATE_PASSWORD.0;
    text.push_str(&format!(
        "{updated_local},{updated_remote},,{written},{host},993,ssl\r\n"
    ));
    text.push_str(&format!("USER1,user{},,x,{host},143,tls\r\n", count + 1));
    text
}

/// The new password of the updated task, as written in the CSV and as meant.
const UPDATE_PASSWORD: (&str, &str) = (r#""q"" \"" ,;'x""#, r#"q" \" ,;'x"#);

#[test]
fn hard_passwords_survive_byte_for_byte_and_sync() {
    let count = HARD_PASSWORDS.len();
    let node = Node::start_with(NodeOptions {
        users: 2 * count + 5,
        ..NodeOptions::default()
    });
    node.configure().expect_ok();
    let user = |n: usize| format!("user{n}");
    let (kept_local, kept_remote) = (user(2 * count + 1), user(2 * count + 2));
    let (updated_local, updated_remote) = (user(2 * count + 3), user(2 * count + 4));
    node.run(
        "create-task",
        task_input(&node, KEPT_TASK, &kept_local, &kept_remote),
    )
    .expect_ok();
    let mut with_regexes = task_input(&node, "upd001", &updated_local, &updated_remote);
    with_regexes["foldersynchronization"] = json!("exclusion");
    with_regexes["exclude"] = json!(EXCLUDE);
    node.run("create-task", with_regexes).expect_ok();
    wait_synced(&node, KEPT_TASK);
    wait_synced(&node, "upd001");
    let kept_name = format!("{kept_local}_{KEPT_TASK}");
    let updated_name = format!("{updated_local}_upd001");
    let kept_files = task_files(&node, &kept_name);
    let stored_env = env_file::read(&node.task_file(&updated_name, "env")).unwrap();
    let updated_run = status_time(&node, "upd001", &updated_local);
    let root = tree_snapshot::root_entries();

    let mut passwords = BTreeMap::new();
    for (index, (_, password)) in HARD_PASSWORDS.iter().enumerate() {
        let remote = user(count + index + 1);
        mail::append(
            &node.account(&remote),
            "INBOX",
            &format!("from {remote}"),
            1,
            false,
        );
        passwords.insert(remote, password.to_string());
    }
    passwords.insert(updated_remote.clone(), UPDATE_PASSWORD.1.to_string());
    set_remote_passwords(&node, &passwords);
    for (remote, password) in &passwords {
        wait_login(&node, remote, password);
    }

    let before = node.home_snapshot();
    let text = hard_passwords_csv(&node, (&updated_local, &updated_remote));
    let result = import(&node, &["--update"], text.as_bytes());
    let printed = &result.printed;
    assert_eq!(result.code, 0, "{printed}");
    let summary = format!("{count} created, 0 failed, 1 updated, 1 skipped");
    assert!(printed.contains(&summary), "{printed}");
    assert!(printed.contains("appears twice in this file"), "{printed}");

    let kept_keys: BTreeSet<String> = env_file::read(&node.task_file(&kept_name, "env"))
        .unwrap()
        .into_keys()
        .collect();
    let mut names = Vec::new();
    for (index, (_, password)) in HARD_PASSWORDS.iter().enumerate() {
        let local = user(index + 1);
        let task_id = task_of(&node, &local)["task_id"]
            .as_str()
            .unwrap()
            .to_string();
        let name = format!("{local}_{task_id}");
        let written = std::fs::read(node.task_file(&name, "pwd")).unwrap();
        assert_eq!(written, password.as_bytes(), "the .pwd of {local}");
        let env = env_file::read(&node.task_file(&name, "env")).unwrap();
        let keys: BTreeSet<String> = env.keys().cloned().collect();
        assert_eq!(keys, kept_keys, "the .env keys of {local}");
        assert_eq!(env["CRON"], "", "{local}");
        assert!(!node.cron_file(&name).exists(), "{local} has no schedule");
        let synced = wait_synced(&node, &task_id);
        assert_eq!(synced["last_sync_exit_code"], 0, "{local}: {synced}");
        assert_eq!(mail::count(&node.account(&local), "INBOX"), 1, "{local}");
        node.assert_secret_hidden(password);
        names.push(name);
    }

    let updated = wait_next_run(&node, "upd001", &updated_local, updated_run);
    assert_eq!(updated["last_sync_exit_code"], 0, "{updated}");
    assert_eq!(updated["remoteport"], "993");
    assert_eq!(updated["security"], "ssl");
    let written = std::fs::read(node.task_file(&updated_name, "pwd")).unwrap();
    assert_eq!(written, UPDATE_PASSWORD.1.as_bytes(), "the updated .pwd");
    let env = env_file::read(&node.task_file(&updated_name, "env")).unwrap();
    assert_eq!(env["EXCLUDE"], format!(",{EXCLUDE}"), "the regexes survive");
    assert_eq!(env["EXCLUDE"], stored_env["EXCLUDE"]);
    assert_eq!(
        env["FOLDERSYNCHRONIZATION"],
        stored_env["FOLDERSYNCHRONIZATION"]
    );
    node.assert_secret_hidden(UPDATE_PASSWORD.1);

    names.push(updated_name);
    only_these_tasks_changed(&node, &before, &names);
    assert_eq!(task_files(&node, &kept_name), kept_files, "the kept task");
    assert_eq!(tree_snapshot::root_entries(), root, "nothing appeared in /");
}
