//! Fuzzes the CSV importer end to end (`module::csv_import::run`): arbitrary bytes on standard
//! input, including non-UTF-8, with each combination of `--check` and `--update`, against two
//! stored tasks and a `create-task` stand-in that succeeds, refuses or is unreachable.
//!
//! Checks: no panic; exit code 0 or 1; nothing is submitted in check mode; every submitted
//! task is one `create-task` can store: a safe task file name, a port, single-line values that
//! the `.env` codec can write, and task ids never used twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use module::csv_import::apply::TaskCreator;
use module::csv_import::existing::ExistingTasks;
use module::csv_import::host::Host;
use module::csv_import::run;
use ns8::api::TaskResult;
use protocol::task::{validate_task_name, TaskEnv};
use serde_json::{json, Value};
use std::collections::HashSet;

/// How the `create-task` stand-in answers.
#[derive(Clone, Copy)]
enum Answer {
    Success,
    Refused,
    Unreachable,
    Crashed,
}

struct FakeCreator {
    answer: Answer,
    calls: Vec<Value>,
}

impl TaskCreator for FakeCreator {
    fn create_task(&mut self, data: &Value) -> Result<TaskResult, String> {
        self.calls.push(data.clone());
        let result = |output, error: &str, exit_code| TaskResult {
            output,
            error: error.into(),
            exit_code,
        };
        match self.answer {
            Answer::Success => Ok(result(Value::String(String::new()), "", 0)),
            Answer::Refused => Ok(result(
                json!([{"field": "remotepassword", "parameter": "remotepassword",
                        "value": data["remotepassword"], "error": "bad_user_credentials"}]),
                "",
                2,
            )),
            Answer::Unreachable => Err("cannot reach the api-server".into()),
            Answer::Crashed => Ok(result(json!("not a list"), "Traceback\nKeyError: x\n", 1)),
        }
    }
}

struct FakeHost {
    input: Vec<u8>,
    ids_drawn: u32,
    creator: FakeCreator,
}

/// Tasks already stored, one of them matching the documented example file.
fn stored_tasks() -> Vec<TaskEnv> {
    let task = |task_id: &str, localuser: &str, remote: &str, host: &str| TaskEnv {
        task_id: task_id.into(),
        localuser: localuser.into(),
        remoteusername: remote.into(),
        remotehostname: host.into(),
        remoteport: "143".into(),
        security: "--tls1".into(),
        delete_remote: "--delete1older=5".into(),
        exclude: ",Junk".into(),
        cron: "5m".into(),
        foldersynchronization: "exclusion".into(),
        ..TaskEnv::default()
    };
    vec![
        task(
            "old001",
            "john.doe",
            "John.Doe@Example.org",
            "imap.example.org",
        ),
        task("28ofi1", "u2", "u3", "10.5.4.1"),
    ]
}

impl Host for FakeHost {
    fn module_id(&self) -> String {
        "imapsync1".into()
    }

    fn read_csv(&mut self) -> Result<Vec<u8>, String> {
        Ok(std::mem::take(&mut self.input))
    }

    fn existing_tasks(&self) -> Result<ExistingTasks, String> {
        Ok(ExistingTasks::new(stored_tasks()))
    }

    /// Every other id is one a stored task already uses, so the importer must draw again.
    fn new_task_id(&mut self) -> Result<String, String> {
        self.ids_drawn += 1;
        Ok(if self.ids_drawn % 2 == 1 {
            "28ofi1".to_string()
        } else {
            format!("fz{:04}", self.ids_drawn)
        })
    }

    fn task_creator(&mut self) -> Result<&mut dyn TaskCreator, String> {
        Ok(&mut self.creator)
    }
}

/// The string field `key` of a `create-task` input.
fn field<'a>(call: &'a Value, key: &str) -> &'a str {
    call[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {call}"))
}

/// Checks one submitted `create-task` input.
fn check_call(call: &Value, task_ids: &mut HashSet<String>) {
    let task_id = field(call, "task_id");
    let localuser = field(call, "localuser");
    assert_eq!(
        validate_task_name(&format!("{localuser}_{task_id}")),
        Ok(()),
        "{call}"
    );
    let port = call["remoteport"].as_u64().expect("a numeric port");
    assert!((1..=65535).contains(&port), "{call}");
    let password = field(call, "remotepassword");
    assert!(!password.trim().is_empty() && !password.contains(['\n', '\r', '\0']));
    let env = TaskEnv {
        task_id: task_id.into(),
        localuser: localuser.into(),
        remoteusername: field(call, "remoteusername").into(),
        remotehostname: field(call, "remotehostname").into(),
        ..TaskEnv::default()
    };
    assert!(!env.remoteusername.is_empty() && !env.remotehostname.is_empty());
    assert!(env.render().is_ok(), "create-task could not store {call}");
    assert!(
        task_ids.insert(task_id.to_lowercase()),
        "task id {task_id} submitted twice"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((control, csv)) = data.split_first() else {
        return;
    };
    let check_only = control & 1 != 0;
    let update = control & 2 != 0;
    let answer = [
        Answer::Success,
        Answer::Refused,
        Answer::Unreachable,
        Answer::Crashed,
    ][usize::from((control >> 2) & 3)];
    let mut args = Vec::new();
    if check_only {
        args.push("--check".to_string());
    }
    if update {
        args.push("-u".to_string());
    }
    let mut host = FakeHost {
        input: csv.to_vec(),
        ids_drawn: 0,
        creator: FakeCreator {
            answer,
            calls: Vec::new(),
        },
    };
    let mut out = Vec::new();
    let code = run(&args, &mut host, &mut out).expect("writing to memory cannot fail");
    assert!(code <= 1, "exit code {code}");
    if check_only {
        assert!(host.creator.calls.is_empty());
    }
    let mut task_ids = HashSet::new();
    for call in &host.creator.calls {
        check_call(call, &mut task_ids);
    }
});
