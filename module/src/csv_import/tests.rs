//! End-to-end runs of the import against a fake host: the messages, exit codes and the exact
//! `create-task` input the admin's file turns into.

use super::apply::TaskCreator;
use super::existing::ExistingTasks;
use super::host::Host;
use super::run;
use crate::random_id::random_task_id;
use ns8::api::TaskResult;
use protocol::task::TaskEnv;
use serde_json::{json, Value};
use std::collections::VecDeque;

const HEADER: &str =
    "localusername,remoteusername,remotepassword,remotehostname,remoteport,security\n";
const PASSWORD: &str = "Nethesis,1234";

#[derive(Default)]
struct FakeCreator {
    calls: Vec<Value>,
    answers: VecDeque<Result<TaskResult, String>>,
}

impl TaskCreator for FakeCreator {
    fn create_task(&mut self, data: &Value) -> Result<TaskResult, String> {
        self.calls.push(data.clone());
        self.answers.pop_front().unwrap_or(Ok(TaskResult {
            output: Value::String(String::new()),
            error: String::new(),
            exit_code: 0,
        }))
    }
}

#[derive(Default)]
struct FakeHost {
    input: Vec<u8>,
    input_read: bool,
    tasks: Vec<TaskEnv>,
    unreadable: Vec<String>,
    creator: FakeCreator,
    creator_error: Option<String>,
}

impl Host for FakeHost {
    fn module_id(&self) -> String {
        "imapsync1".into()
    }

    fn read_csv(&mut self) -> Result<Vec<u8>, String> {
        self.input_read = true;
        Ok(self.input.clone())
    }

    fn existing_tasks(&self) -> Result<ExistingTasks, String> {
        let mut existing = ExistingTasks::new(self.tasks.clone());
        existing.unreadable.clone_from(&self.unreadable);
        Ok(existing)
    }

    fn new_task_id(&mut self) -> Result<String, String> {
        random_task_id()
    }

    fn task_creator(&mut self) -> Result<&mut dyn TaskCreator, String> {
        match &self.creator_error {
            Some(error) => Err(error.clone()),
            None => Ok(&mut self.creator),
        }
    }
}

impl FakeHost {
    fn with_csv(csv: &str) -> FakeHost {
        FakeHost {
            input: csv.as_bytes().to_vec(),
            ..FakeHost::default()
        }
    }

    fn run(&mut self, args: &[&str]) -> (u8, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let code = run(&args, self, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains(PASSWORD), "the password was printed:\n{out}");
        (code, out)
    }

    fn calls(&self) -> &[Value] {
        &self.creator.calls
    }
}

fn refused(key: &str, exit_code: i32) -> Result<TaskResult, String> {
    Ok(TaskResult {
        output: json!([{"field": "createTask", "parameter": "createTask", "value": key, "error": key}]),
        error: String::new(),
        exit_code,
    })
}

fn stored_task() -> TaskEnv {
    TaskEnv {
        task_id: "old001".into(),
        localuser: "John.Doe".into(),
        remoteusername: "John@Example.org".into(),
        remotehostname: "imap.example.org".into(),
        remoteport: "143".into(),
        security: "--tls1".into(),
        cron: "5m".into(),
        foldersynchronization: "all".into(),
        ..TaskEnv::default()
    }
}

#[test]
fn two_rows_become_two_tasks_with_the_defaults() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}u1,user1@example.org,\"{PASSWORD}\",imap.example.org,143,tls\n\
         u1,user1@example.org,\"{PASSWORD}\",imap2.example.org,993,SSL\n"
    ));
    let (code, out) = host.run(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("📊 Summary: 2 created, 0 failed\n"), "{out}");
    assert!(out.contains("✓ All 6 required columns present"), "{out}");
    assert!(out.contains("✓ Found 2 data row(s)"), "{out}");
    let calls = host.calls();
    assert_eq!(calls.len(), 2);
    for (call, (port, security)) in calls.iter().zip([(143, "tls"), (993, "ssl")]) {
        let id = call["task_id"].as_str().unwrap();
        assert!(
            id.len() == 6
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(call["remoteport"], json!(port));
        assert_eq!(call["security"], json!(security));
        assert_eq!(call["remotepassword"], json!(PASSWORD));
        for (field, default) in [
            ("cron", json!("")),
            ("delete_local", json!(false)),
            ("delete_remote", json!(false)),
            ("delete_remote_older", json!(0)),
            ("exclude", json!("")),
            ("foldersynchronization", json!("all")),
            ("sieve_enabled", json!(false)),
        ] {
            assert_eq!(call[field], default, "{field}");
        }
    }
    assert_ne!(calls[0]["task_id"], calls[1]["task_id"]);
}

#[test]
fn passwords_reach_create_task_unchanged() {
    let passwords = [
        r#"a "quoted" pass"#,
        r"back\slash\\",
        "comma,inside, and spaces",
        "  leading and trailing  ",
        "tab\there'single'",
    ];
    let mut csv = String::from(HEADER);
    for (n, password) in passwords.iter().enumerate() {
        let quoted = password.replace('"', "\"\"");
        csv.push_str(&format!(
            "u{n},r@example.org,\"{quoted}\",h.example.org,993,ssl\n"
        ));
    }
    csv.push_str("u9,r@example.org,unquoted\\and\"inner,h.example.org,993,ssl\n");
    let mut host = FakeHost::with_csv(&csv);
    let (code, out) = host.run(&[]);
    assert_eq!(code, 0, "{out}");
    let sent: Vec<&str> = host
        .calls()
        .iter()
        .map(|call| call["remotepassword"].as_str().unwrap())
        .collect();
    assert_eq!(sent[..5], passwords);
    assert_eq!(sent[5], "unquoted\\and\"inner");
}

#[test]
fn a_refused_row_is_explained_and_the_next_one_still_runs() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}u1,user1@example.org,\"{PASSWORD}\",imap.example.org,143,tls\n\
         u2,user2@example.org,pw2,imap.example.org,143,\n"
    ));
    host.creator
        .answers
        .push_back(refused("bad_user_credentials", 2));
    let (code, out) = host.run(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("✗ Error for u1: the remote server refused the user or password\n  user1@example.org@imap.example.org:143 tls\n"), "{out}");
    assert!(out.contains("✓ Success: u2"), "{out}");
    assert!(out.contains("📊 Summary: 1 created, 1 failed\n"), "{out}");
    assert_eq!(host.calls().len(), 2);
}

#[test]
fn every_failure_shape_names_a_reason_and_the_endpoint() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}u1,r1,{PASSWORD:?},h1,143,\nu2,r2,p2,h2,993,ssl\nu3,r3,p3,h3,143,tls\nu4,r4,p4,h4,143,tls\n"
    ));
    host.creator.answers.extend([
        Err(format!("connection refused while sending {PASSWORD}")),
        refused("Check_hostname_or_tcp_port", 3),
        refused("something_new", 5),
        Ok(TaskResult {
            output: Value::Null,
            error: String::new(),
            exit_code: 7,
        }),
    ]);
    let (code, out) = host.run(&[]);
    assert_eq!(code, 1);
    for expected in [
        "✗ Error for u1: cannot run create-task: connection refused while sending ********\n  r1@h1:143 no encryption\n",
        "✗ Error for u2: cannot connect to the remote host/port\n  r2@h2:993 ssl\n",
        "✗ Error for u3: something_new\n  r3@h3:143 tls\n",
        "✗ Error for u4: create-task exited 7\n",
        "📊 Summary: 0 created, 4 failed\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

#[test]
fn a_missing_column_stops_before_anything_is_created() {
    let mut host = FakeHost::with_csv(
        "localusername,remoteusername,remotepassword,remotehostname,remoteport\nu1,r,p,h,143\n",
    );
    let (code, out) = host.run(&[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("✗ Missing 1 required column(s):\n   - security\n"),
        "{out}"
    );
    assert!(host.calls().is_empty());
}

#[test]
fn invalid_rows_fail_alone() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}u1,r,p,h,notaport,tls\nu2,,p,h,143,tls\nu3,r,p,h,143,starttls\n../x,r,p,h,143,\nu5,r,p,h,143,\n"
    ));
    let (code, out) = host.run(&[]);
    assert_eq!(code, 1);
    for expected in [
        "✗ Invalid value on row 2: Invalid port number: 'notaport'",
        "✗ Invalid value on row 3: Missing required value(s): remoteusername",
        "✗ Invalid value on row 4: Invalid security: 'starttls'",
        "✗ Invalid value on row 5: Invalid local user name: '../x'",
        "📊 Summary: 1 created, 4 failed\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert_eq!(host.calls().len(), 1);
    assert_eq!(host.calls()[0]["localuser"], json!("u5"));
}

#[test]
fn existing_accounts_are_skipped_even_in_another_case() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}JOHN.DOE,JOHN@EXAMPLE.ORG,{PASSWORD:?},IMAP.EXAMPLE.ORG,993,ssl\n"
    ));
    host.tasks.push(stored_task());
    let (code, out) = host.run(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("⊘ Skipped row 2: John.Doe already syncs John@Example.org@imap.example.org"),
        "{out}"
    );
    assert!(
        out.contains("📊 Summary: 0 created, 0 failed, 1 skipped\n"),
        "{out}"
    );
    assert!(host.calls().is_empty());
}

#[test]
fn update_reuses_the_stored_id_spelling_and_settings() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}john.doe,john@example.org,{PASSWORD:?},imap.example.org,993,ssl\n"
    ));
    host.tasks.push(stored_task());
    let (code, out) = host.run(&["--update"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Updating task for John.Doe (ID: old001)..."),
        "{out}"
    );
    assert!(
        out.contains("📊 Summary: 0 created, 0 failed, 1 updated\n"),
        "{out}"
    );
    let call = &host.calls()[0];
    assert_eq!(call["task_id"], json!("old001"));
    assert_eq!(call["localuser"], json!("John.Doe"));
    assert_eq!(call["remoteusername"], json!("John@Example.org"));
    assert_eq!(call["remoteport"], json!(993));
    assert_eq!(call["security"], json!("ssl"));
    assert_eq!(call["cron"], json!("5m"));
}

#[test]
fn a_refused_update_counts_as_failed() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}john.doe,john@example.org,wrong,imap.example.org,143,tls\n"
    ));
    host.tasks.push(stored_task());
    host.creator
        .answers
        .push_back(refused("bad_user_credentials", 2));
    let (code, out) = host.run(&["-u"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("📊 Summary: 0 created, 1 failed, 0 updated\n"),
        "{out}"
    );
}

#[test]
fn a_row_repeated_in_the_file_is_skipped() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}u1,r1,p,h,143,tls\n\nu1,R1,p2,H,993,ssl\n"
    ));
    let (code, out) = host.run(&[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("⊘ Skipped row 4: u1 with R1@H appears twice in this file (first on row 2)"),
        "{out}"
    );
    assert!(
        out.contains("📊 Summary: 1 created, 0 failed, 1 skipped\n"),
        "{out}"
    );
    assert_eq!(host.calls().len(), 1);
}

#[test]
fn check_mode_reports_without_creating() {
    let mut host = FakeHost::with_csv(&format!(
        "{HEADER}john.doe,john@example.org,p,imap.example.org,993,ssl\nu2,r2,\" p\",h,143,tls\n"
    ));
    host.tasks.push(stored_task());
    host.creator_error = Some("must not be asked".into());
    let (code, out) = host.run(&["-c"]);
    assert_eq!(code, 0, "{out}");
    for expected in [
        "🔍 Validating row data...",
        "⊘ Row 2: John.Doe already syncs John@Example.org@imap.example.org: it would be skipped (use --update to change it)",
        "⚠ Row 3: the password begins or ends with a space",
        "✓ Generated 1 unique task IDs",
        "run with --update to apply them",
        "✓ CSV file is valid. No tasks were created (check-only mode).",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    let (code, out) = host.run(&["--check", "--update"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("↻ Row 2: would update the task of John.Doe (ID: old001)"),
        "{out}"
    );
    assert!(host.calls().is_empty());
}

#[test]
fn check_mode_fails_on_invalid_rows() {
    let mut host = FakeHost::with_csv(&format!("{HEADER}u1,r,p,h,99999,tls\nu2,r,p,h,143,tls\n"));
    let (code, out) = host.run(&["--check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("  ✗ Row 2: Invalid port number: '99999'"),
        "{out}"
    );
    assert!(
        out.contains("✗ Validation failed: 1 row(s) with errors"),
        "{out}"
    );
    assert!(!out.contains("CSV file is valid"), "{out}");
}

#[test]
fn a_byte_order_mark_and_blank_rows_are_ignored() {
    let mut host = FakeHost::with_csv(&format!("\u{feff}{HEADER}\n,,,,,\nu1,r,p,h,143,tls\n \n"));
    let (code, out) = host.run(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("✓ Found 1 data row(s)"), "{out}");
    assert_eq!(host.calls().len(), 1);
}

#[test]
fn unreadable_input_creates_nothing() {
    let mut latin1 = format!("{HEADER}u1,r,p,h,143,tls\n").into_bytes();
    latin1.extend_from_slice(b"u2,r,caf\xe9,h,143,tls\n");
    let unclosed = format!("{HEADER}u1,r,\"p,h,143,tls\nu2,r,p,h,143,tls\n").into_bytes();
    for (input, expected) in [
        (latin1, "✗ Error: line 3 is not UTF-8 text"),
        (
            unclosed,
            "✗ Error: malformed CSV: the quoted value that starts on line 2 has no closing quote",
        ),
        (Vec::new(), "✗ Error: the CSV input is empty"),
    ] {
        let mut host = FakeHost {
            input,
            ..FakeHost::default()
        };
        let (code, out) = host.run(&[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
        assert!(host.calls().is_empty());
    }
}

#[test]
fn arguments_are_checked_before_reading_input() {
    let mut host = FakeHost::with_csv(HEADER);
    let (code, out) = host.run(&["users.csv"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("✗ Error: Unexpected arguments: users.csv\n"),
        "{out}"
    );
    assert!(out.contains("write '< users.csv'"), "{out}");
    assert!(
        out.contains("Usage: runagent -m imapsync1 import-csv-tasks"),
        "{out}"
    );
    let (code, out) = host.run(&["-h"]);
    assert_eq!(code, 0);
    assert!(out.contains("--update"), "{out}");
    assert!(!host.input_read);
}

#[test]
fn a_missing_api_client_stops_before_any_row() {
    let mut host = FakeHost::with_csv(&format!("{HEADER}u1,r,p,h,143,tls\n"));
    host.creator_error = Some("AGENT_ID is not set".into());
    let (code, out) = host.run(&[]);
    assert_eq!(code, 1);
    assert!(out.contains("✗ Error: AGENT_ID is not set"), "{out}");
}

#[test]
fn unreadable_task_files_are_warned_about() {
    let mut host = FakeHost::with_csv(&format!("{HEADER}u1,r,p,h,143,tls\n"));
    host.unreadable
        .push("imapsync/x_y.env: line 2: expected KEY=VALUE".into());
    let (code, out) = host.run(&[]);
    assert_eq!(code, 0);
    assert!(out.contains("⚠ Warning: imapsync/x_y.env: line 2"), "{out}");
}

#[test]
fn the_shipped_example_makes_a_tls_and_an_ssl_task() {
    let mut host = FakeHost::with_csv(include_str!("../../../imageroot/examples/users.csv"));
    let (code, out) = host.run(&[]);
    assert_eq!(code, 0, "{out}");
    let endpoints: Vec<(Value, Value)> = host
        .calls()
        .iter()
        .map(|call| (call["security"].clone(), call["remoteport"].clone()))
        .collect();
    assert_eq!(
        endpoints,
        [(json!("tls"), json!(143)), (json!("ssl"), json!(993))]
    );
}
