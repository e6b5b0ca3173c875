//! `import-module/40migration`: turns the NS7 getmail accounts (`getmail.json`, pushed by the
//! NS7 migration tool) into inbox-mode tasks. Cron files are not written here: the service
//! start that follows regenerates them.

use crate::layout::StateDir;
use crate::random_id::random_task_id;
use crate::schedule::Schedule;
use crate::step::{Step, StepError, StepResult};
use crate::task_fields::FOLDER_INBOX_FLAG;
use crate::task_ids::valid_localuser;
use protocol::task::TaskEnv;
use serde_json::Value;

/// The NS7 export, in the state directory.
const EXPORT: &str = "getmail.json";

/// `import-module/40migration`.
pub fn migrate(step: &mut Step) -> StepResult {
    let state = &step.state;
    let path = state.root().join(EXPORT);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| StepError::failed(format!("cannot read {}: {e}", path.display())))?;
    let records: Vec<Value> = serde_json::from_str(&text)
        .map_err(|e| StepError::failed(format!("{} is not a JSON list: {e}", path.display())))?;
    state
        .ensure_dirs()
        .map_err(|e| StepError::failed(format!("cannot create the task directories: {e}")))?;
    let mut imported = 0;
    for record in records.iter().filter(|r| r["type"] == "getmail") {
        let name = record["name"].as_str().unwrap_or("?");
        match import_account(state, &record["props"]) {
            Ok(task) => {
                imported += 1;
                ns8::log::info(format!("getmail account {name}: task {task}"));
            }
            Err(reason) => ns8::log::warning(format!("getmail account {name} skipped: {reason}")),
        }
    }
    ns8::log::info(format!("{imported} getmail account(s) imported"));
    std::fs::remove_file(&path)
        .map_err(|e| StepError::failed(format!("cannot remove {}: {e}", path.display())))?;
    Ok(None)
}

/// The `CRON` value of a getmail check interval in minutes: whole hours as `<N>h` (`60` is
/// `1h`, as the reference writes it). An interval this module cannot schedule leaves the task
/// unscheduled, with a warning, rather than losing the account.
fn ns7_schedule(minutes: &str) -> String {
    let value = match minutes.parse::<u32>() {
        Ok(0) | Err(_) if minutes.is_empty() => return String::new(),
        Ok(n) if n >= 60 && n % 60 == 0 => format!("{}h", n / 60),
        _ => format!("{minutes}m"),
    };
    match Schedule::parse(&value) {
        Ok(_) => value,
        Err(e) => {
            ns8::log::warning(format!(
                "getmail interval of {minutes} minutes: {e}; the task is not scheduled"
            ));
            String::new()
        }
    }
}

fn prop<'a>(props: &'a Value, key: &str) -> &'a str {
    props.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Writes one task; the reason when the account cannot become one.
fn import_account(state: &StateDir, props: &Value) -> Result<String, String> {
    for key in ["Account", "Password", "Server", "Username", "Retriever"] {
        if prop(props, key).is_empty() {
            return Err(format!("{key} is empty"));
        }
    }
    let localuser = prop(props, "Account").split('@').next().unwrap_or("");
    if !valid_localuser(localuser) {
        return Err(format!("{localuser:?} is not a valid local user"));
    }
    let (port, security, scheduled) = match prop(props, "Retriever") {
        "SimplePOP3Retriever" => ("143", "--tls1", false),
        "SimplePOP3SSLRetriever" => ("993", "--ssl1", false),
        "SimpleIMAPRetriever" => ("143", "--tls1", true),
        "SimpleIMAPSSLRetriever" => ("993", "--ssl1", true),
        other => return Err(format!("unknown retriever {other:?}")),
    };
    let cron = if scheduled {
        ns7_schedule(prop(props, "Time"))
    } else {
        String::new()
    };
    // NS7 keeps messages on the server for `Delete` days (-1: forever, 0: delete at once).
    let (delete_remote, expunge_remote) = match prop(props, "Delete").trim() {
        "-1" | "" => (String::new(), String::new()),
        "0" => ("--delete1".to_string(), "--noexpungeaftereach".to_string()),
        days => match days.parse::<u32>() {
            Ok(days) => (
                format!("--delete1older={days}"),
                "--noexpungeaftereach".to_string(),
            ),
            Err(_) => return Err(format!("Delete {days:?} is not a number of days")),
        },
    };
    let task_id = (0..100)
        .filter_map(|_| random_task_id().ok())
        .find(|id| {
            !state
                .task_file(&format!("{localuser}_{id}"), "env")
                .exists()
        })
        .ok_or("no free task id")?;
    let env = TaskEnv {
        task_id,
        localuser: localuser.to_string(),
        remoteusername: prop(props, "Username").to_string(),
        remotehostname: prop(props, "Server").to_string(),
        remoteport: port.to_string(),
        security: security.to_string(),
        delete_remote,
        expunge_remote,
        cron,
        folder_inbox: FOLDER_INBOX_FLAG.to_string(),
        foldersynchronization: "inbox".to_string(),
        ..TaskEnv::default()
    };
    let name = env.task_name();
    let content = env.render().map_err(|e| e.to_string())?;
    protocol::atomic_file::write(
        &state.task_file(&name, "pwd"),
        prop(props, "Password").as_bytes(),
    )
    .and_then(|()| protocol::atomic_file::write(&state.task_file(&name, "env"), content.as_bytes()))
    .map_err(|e| format!("cannot write the task files: {e}"))?;
    Ok(name)
}
