//! Hostile and malformed input: every action naming a task refuses path tricks, control
//! characters, huge strings and wrong types with a validation error and touches no file;
//! line breaks never reach the task files; quotes, backslashes and spaces survive intact
//! (behaviour §3.3, §3.4, §4, §14.16).

use e2e::login_recorder::LoginRecorder;
use e2e::tasks::{list_tasks, task_input, wait_synced};
use e2e::tree_snapshot;
use e2e::{env_file, install, mail, ActionResult, Node, NodeOptions};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;

/// The actions whose input names a task.
const TASK_ACTIONS: [&str; 6] = [
    "create-task",
    "delete-task",
    "start-task",
    "stop-task",
    "list-informations",
    "get-log",
];

/// The task every scenario keeps, and whose files no refused request may touch.
const KEPT_TASK: &str = "keep01";
const KEPT_USER: &str = "user2";

/// Which layer is expected to refuse.
#[derive(Clone, Copy, PartialEq)]
enum Checker {
    /// The agent, with the action's `validate-input.json`.
    Schema,
    /// The module's own checks (an install without input schemas).
    Module,
}

/// One hostile value: a label for messages and the value (`None` leaves the field out).
type Hostile = (String, Option<Value>);

fn hostile_values(field: &str) -> Vec<Hostile> {
    let mut values: Vec<Hostile> = [
        ("../etc", json!("../etc")),
        ("..", json!("..")),
        ("a/b", json!("a/b")),
        ("/abs", json!("/abs")),
        ("a newline", json!("keep01\nx")),
        ("a NUL", json!("keep01\u{0}x")),
        ("1 MB", json!("a".repeat(1 << 20))),
        ("a number", json!(42)),
        ("null", Value::Null),
        ("an array", json!([KEPT_TASK])),
    ]
    .into_iter()
    .map(|(label, value)| (label.to_string(), Some(value)))
    .collect();
    if field == "localuser" {
        // With task_id keep01 this names the kept task's own files.
        values.push((
            "../imapsync/user2".to_string(),
            Some(json!("../imapsync/user2")),
        ));
    }
    values.push(("missing".to_string(), None));
    values
}

/// A valid request of `action` for the kept task.
fn valid_request(node: &Node, action: &str) -> Value {
    match action {
        "create-task" => kept_task_input(node),
        _ => json!({"task_id": KEPT_TASK, "localuser": KEPT_USER}),
    }
}

fn kept_task_input(node: &Node) -> Value {
    let mut input = task_input(node, KEPT_TASK, KEPT_USER, "user3");
    input["foldersynchronization"] = json!("exclusion");
    input["exclude"] = json!(EXCLUDE);
    input
}

/// Folder regexes with a space, anchors, a backslash and both quotes.
const EXCLUDE: &str = r#"^Junk Mail$,Foo\.Bar,"quoted",'single'"#;

/// Panics unless `result` is a validation failure naming `field`.
fn assert_refused(result: &ActionResult, field: &str, checker: Checker, case: &str) {
    assert_eq!(
        (result.exit_code, result.status.as_str()),
        (10, "validation-failed"),
        "{case}: exit {} status {}\noutput {}\nerror {}",
        result.exit_code,
        result.status,
        result.output,
        result.error
    );
    assert_eq!(
        result.error.contains("Validation errors"),
        checker == Checker::Schema,
        "{case}: refused by the {} checks: {}",
        if checker == Checker::Schema {
            "schema"
        } else {
            "module's"
        },
        result.error
    );
    let named = result.output.as_array().is_some_and(|errors| {
        errors
            .iter()
            .any(|e| e["parameter"] == field || e["field"] == field)
    });
    assert!(named, "{case}: the errors name {field}: {}", result.output);
}

/// Every task action with every hostile task_id and localuser: refused, nothing touched.
fn hostile_ids_are_refused(node: &Node, checker: Checker) {
    let files = node.home_snapshot();
    let root = tree_snapshot::root_entries();
    for action in TASK_ACTIONS {
        for field in ["task_id", "localuser"] {
            for (label, value) in hostile_values(field) {
                let mut request = valid_request(node, action);
                match value {
                    Some(value) => request[field] = value,
                    None => {
                        request.as_object_mut().unwrap().remove(field);
                    }
                }
                let case = format!("{action} with {field} {label}");
                let result = node.run(action, request);
                assert_refused(&result, field, checker, &case);
                files.assert_unchanged(&case);
            }
        }
    }
    assert_eq!(tree_snapshot::root_entries(), root, "nothing appeared in /");
}

/// The `create-task` string fields with a line feed, a carriage return or a NUL, and a
/// schedule ending in a multi-byte character.
fn injection_cases(node: &Node) -> Vec<(&'static str, String)> {
    let host = node.remote_host();
    let mut cases = Vec::new();
    for (field, base) in [
        ("remoteusername", "user3".to_string()),
        ("remotehostname", host),
        ("exclude", "Junk".to_string()),
        ("cron", "5m".to_string()),
    ] {
        for tail in [
            "\nCRON=1m",
            "\r\n* * * * * root /bin/sh -c id",
            "\rSECURITY=",
            "\u{0}x",
        ] {
            cases.push((field, format!("{base}{tail}")));
        }
    }
    cases.push(("remotepassword", "pw\u{0}x".to_string()));
    cases.push(("cron", "5\u{e9}".to_string()));
    cases
}

/// Line breaks and NULs in create-task fields, for the kept task and for a new one: the
/// request is refused and every file stays as it was (so no line was injected).
fn line_breaks_never_reach_the_files(node: &Node, checker: Checker) {
    let files = node.home_snapshot();
    for (task_id, base) in [
        (KEPT_TASK, kept_task_input(node)),
        ("new001", task_input(node, "new001", KEPT_USER, "user3")),
    ] {
        for (field, value) in injection_cases(node) {
            let mut request = base.clone();
            request[field] = json!(value);
            let case = format!("create-task {task_id} with {field} {value:?}");
            let result = node.run("create-task", request);
            // The schema only constrains cron; the other fields reach the module's checks.
            let expected = if field == "cron" {
                checker
            } else {
                Checker::Module
            };
            assert_refused(&result, field, expected, &case);
            files.assert_unchanged(&case);
        }
        // IMAP LOGIN cannot carry a line break: such a password is a field error.
        for password in ["pw\nCRON=1m", "pw\r\na9 DELETE INBOX"] {
            let mut request = base.clone();
            request["remotepassword"] = json!(password);
            let case = format!("create-task {task_id} with remotepassword {password:?}");
            let result = node.run("create-task", request);
            assert_refused(&result, "remotepassword", Checker::Module, &case);
            files.assert_unchanged(&case);
        }
        // A 1 MB login or host name is a field error, not "cannot connect" after the remote
        // server dropped the connection; the value is not echoed back.
        for field in ["remoteusername", "remotepassword", "remotehostname"] {
            let mut request = base.clone();
            request[field] = json!("a".repeat(1 << 20));
            let case = format!("create-task {task_id} with a 1 MB {field}");
            let result = node.run("create-task", request);
            assert_refused(&result, field, Checker::Module, &case);
            assert!(
                result.output.to_string().len() + result.error.len() < 64 * 1024,
                "{case}: the answer repeats the value"
            );
            files.assert_unchanged(&case);
        }
    }
}

/// delete-task of an unknown task changes nothing; start-task of one fails naming it.
fn unknown_tasks(node: &Node) {
    let files = node.home_snapshot();
    let unknown = json!({"task_id": "nosuch", "localuser": KEPT_USER});
    let deleted = node.run("delete-task", unknown.clone());
    assert_eq!(deleted.exit_code, 0, "{}", deleted.error);
    files.assert_unchanged("delete-task of an unknown task");
    let started = node.run("start-task", unknown);
    assert_ne!(started.exit_code, 0, "{}", started.error);
    assert!(
        started.error.contains("user2_nosuch") || started.output.to_string().contains("nosuch"),
        "the error names the missing task: {}\n{}",
        started.output,
        started.error
    );
    files.assert_unchanged("start-task of an unknown task");
}

/// Creates the kept task and waits for its first run.
fn create_kept_task(node: &Node) -> Value {
    node.run("create-task", kept_task_input(node)).expect_ok();
    let task = wait_synced(node, KEPT_TASK);
    assert_eq!(task["last_sync_exit_code"], 0, "{task}");
    task
}

#[test]
fn the_shipped_actions_refuse_hostile_input_and_keep_strings_intact() {
    let node = Node::start();
    node.configure().expect_ok();
    let (remote, local) = (node.account("user3"), node.account("user2"));
    for folder in ["Junk Mail", "Junk Mail Old", "Foo.Bar", "FooXBar", "Keep"] {
        mail::append(&remote, folder, &format!("in {folder}"), 1, true);
    }
    let task = create_kept_task(&node);

    // The regexes reach the .env, list-tasks and the sync engine unchanged.
    let env = env_file::read(&node.task_file("user2_keep01", "env")).unwrap();
    assert_eq!(env["EXCLUDE"], format!(",{EXCLUDE}"));
    assert_eq!(task["exclude"], format!(",{EXCLUDE}"));
    for (folder, copied) in [
        ("Keep", 1),
        ("FooXBar", 1),
        ("Junk Mail Old", 1),
        ("Junk Mail", 0),
        ("Foo.Bar", 0),
    ] {
        assert_eq!(mail::count(&local, folder), copied, "{folder}");
    }

    hostile_ids_are_refused(&node, Checker::Schema);
    line_breaks_never_reach_the_files(&node, Checker::Schema);
    unknown_tasks(&node);
    a_tricky_password_reaches_the_server_byte_for_byte(&node);
}

/// The remote account's real password cannot hold these characters, so the edit points the
/// task at a recorder that holds the login: meanwhile the `.pwd` written before the
/// credential check and the password on the wire are compared with the input, then the
/// refusal must restore every file.
fn a_tricky_password_reaches_the_server_byte_for_byte(node: &Node) {
    let tricky = r#"sp ace "dq" 'sq' \b\\s $HOME `id` ;"#;
    let recorder = LoginRecorder::start();
    let files = node.home_snapshot();
    let mut edit = kept_task_input(node);
    edit["remotehostname"] = json!("127.0.0.1");
    edit["remoteport"] = json!(recorder.port());
    edit["security"] = json!("");
    edit["remotepassword"] = json!(tricky);
    let (login, written, refused) = std::thread::scope(|scope| {
        let pending = scope.spawn(|| node.run("create-task", edit.clone()));
        let login = recorder.next_login(Duration::from_secs(60));
        let written = std::fs::read(node.task_file("user2_keep01", "pwd")).ok();
        recorder.refuse();
        (login, written, pending.join().expect("create-task thread"))
    });
    let login = login.expect("the credential check logs in on the remote server");
    assert_eq!(login.user, b"user3");
    assert_eq!(
        String::from_utf8_lossy(&login.password),
        tricky,
        "the password on the wire"
    );
    assert_eq!(written.as_deref(), Some(tricky.as_bytes()), "the .pwd");
    assert_eq!(refused.exit_code, 2, "{}", refused.error);
    assert_eq!(
        refused.output,
        json!([{"field": "createTask", "parameter": "createTask",
                "value": "bad_user_credentials", "error": "bad_user_credentials"}])
    );
    files.assert_unchanged("a refused edit");
    node.assert_secret_hidden(tricky);
    let listed = list_tasks(node);
    assert_eq!(listed["user_properties"][0]["remotepassword"], "");
}

/// A copy of the module's imageroot without any `validate-input.json`.
fn imageroot_without_input_schemas() -> TempDir {
    let copy = install::copy_of_default_imageroot();
    let schemas: Vec<PathBuf> = std::fs::read_dir(copy.path().join("actions"))
        .unwrap()
        .flatten()
        .map(|action| action.path().join(e2e::agent::INPUT_SCHEMA))
        .filter(|schema| schema.exists())
        .collect();
    assert!(!schemas.is_empty(), "the imageroot ships input schemas");
    for schema in schemas {
        std::fs::remove_file(schema).unwrap();
    }
    copy
}

#[test]
fn the_module_refuses_hostile_input_without_the_schemas() {
    let imageroot = imageroot_without_input_schemas();
    let node = Node::start_with(NodeOptions {
        imageroot: imageroot.path().to_path_buf(),
        ..NodeOptions::default()
    });
    node.configure().expect_ok();
    create_kept_task(&node);
    hostile_ids_are_refused(&node, Checker::Module);
    line_breaks_never_reach_the_files(&node, Checker::Module);
    unknown_tasks(&node);
}
