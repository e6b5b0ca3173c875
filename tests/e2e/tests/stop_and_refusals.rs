//! Manual stop of a running task, and create-task refusals with their rollback
//! (behaviour §3.3, §3.5, §8; Robot 26 "Manual stop", "Stopping an already stopped task").

use e2e::tasks::{
    list_tasks, status_time, task_input, task_properties, wait_next_run, wait_synced,
};
use e2e::{wait_for, Node, SilentServer};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

#[test]
fn a_stopped_run_keeps_the_previous_status() {
    let node = Node::start();
    node.configure().expect_ok();
    node.run("create-task", task_input(&node, "stop01", "user2", "user3"))
        .expect_ok();
    let before = wait_synced(&node, "stop01");
    assert_eq!(before["last_sync_exit_code"], 0);

    // Point the task at a server that accepts and never answers, as the Robot suite
    // points it at 192.0.2.1.
    let silent = SilentServer::start();
    let env_file = node.task_file("user2_stop01", "env");
    let env = std::fs::read_to_string(&env_file).unwrap();
    let edited: String = env
        .lines()
        .map(|line| match line.split_once('=') {
            Some(("REMOTEHOSTNAME", _)) => "REMOTEHOSTNAME=127.0.0.1".to_string(),
            Some(("REMOTEPORT", _)) => format!("REMOTEPORT={}", silent.port()),
            _ => line.to_string(),
        })
        .map(|line| line + "\n")
        .collect();
    std::fs::write(&env_file, edited).unwrap();

    node.run(
        "start-task",
        json!({"task_id": "stop01", "localuser": "user2"}),
    )
    .expect_ok();
    let running = wait_for(Duration::from_secs(60), "service_running true", || {
        task_properties(&node, "stop01").filter(|t| t["service_running"] == true)
    });
    assert!(
        running["progress"].is_object(),
        "progress while running: {running}"
    );

    node.run(
        "stop-task",
        json!({"task_id": "stop01", "localuser": "user2"}),
    )
    .expect_ok();
    let stopped = wait_for(Duration::from_secs(60), "service_running false", || {
        task_properties(&node, "stop01").filter(|t| t["service_running"] == false)
    });
    assert_eq!(
        stopped["last_sync_timestamp"],
        before["last_sync_timestamp"]
    );
    assert_eq!(
        stopped["last_sync_exit_code"],
        before["last_sync_exit_code"]
    );
    assert!(before["last_sync_summary"].is_object(), "{before}");
    assert_eq!(stopped["last_sync_summary"], before["last_sync_summary"]);

    let again = node.run(
        "stop-task",
        json!({"task_id": "stop01", "localuser": "user2"}),
    );
    assert_eq!(
        again.exit_code, 0,
        "stopping a stopped task is harmless: {}",
        again.error
    );

    node.run("start-all-tasks", Value::Null).expect_ok();
    wait_for(
        Duration::from_secs(60),
        "start-all-tasks to start it",
        || task_properties(&node, "stop01").filter(|t| t["service_running"] == true),
    );
    node.run("stop-all-tasks", Value::Null).expect_ok();
    wait_for(Duration::from_secs(60), "stop-all-tasks to stop it", || {
        task_properties(&node, "stop01").filter(|t| t["service_running"] == false)
    });
}

fn snapshot(node: &Node, task: &str) -> Vec<Option<Vec<u8>>> {
    ["env", "pwd"]
        .iter()
        .map(|ext| std::fs::read(node.task_file(task, ext)).ok())
        .chain(std::iter::once(std::fs::read(node.cron_file(task)).ok()))
        .collect()
}

#[test]
fn refused_credentials_roll_back_and_an_empty_password_keeps_the_stored_one() {
    let node = Node::start();
    node.configure().expect_ok();

    let mut wrong = task_input(&node, "bad001", "user2", "user3");
    wrong["remotepassword"] = json!("not-the-password");
    wrong["cron"] = json!("5m");
    let refused = node.run("create-task", wrong);
    assert_eq!(
        (refused.exit_code, refused.status.as_str()),
        (2, "validation-failed"),
        "{}",
        refused.error
    );
    assert_eq!(
        refused.output,
        json!([{"field": "createTask", "parameter": "createTask",
                "value": "bad_user_credentials", "error": "bad_user_credentials"}])
    );
    assert!(
        refused
            .commands
            .iter()
            .any(|c| c == "set-weight 30Imapsync_validation 0"),
        "{:?}",
        refused.commands
    );
    assert_eq!(
        snapshot(&node, "user2_bad001"),
        vec![None, None, None],
        "a refused new task leaves nothing"
    );
    let rollbacks: Vec<String> = std::fs::read_dir(node.state_dir().join("imapsync"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("bad001"))
        .collect();
    assert!(rollbacks.is_empty(), "{rollbacks:?}");
    assert_eq!(list_tasks(&node)["user_properties"], json!([]));

    let mut good = task_input(&node, "edit01", "user2", "user3");
    good["cron"] = json!("5m");
    node.run("create-task", good.clone()).expect_ok();
    wait_synced(&node, "edit01");
    let kept = snapshot(&node, "user2_edit01");

    let mut bad_edit = good.clone();
    bad_edit["remotepassword"] = json!("not-the-password");
    bad_edit["cron"] = json!("10m");
    bad_edit["security"] = json!("");
    let refused = node.run("create-task", bad_edit);
    assert_eq!(refused.exit_code, 2, "{}", refused.error);
    assert_eq!(
        snapshot(&node, "user2_edit01"),
        kept,
        "the previous files are restored byte for byte"
    );

    let mut keep_password = good;
    keep_password["remotepassword"] = json!("");
    keep_password["cron"] = json!("10m");
    node.run("create-task", keep_password).expect_ok();
    assert_eq!(
        std::fs::read_to_string(node.task_file("user2_edit01", "pwd")).unwrap(),
        node.user_password(),
        "an empty remotepassword keeps the stored one"
    );
    assert!(std::fs::read_to_string(node.cron_file("user2_edit01"))
        .unwrap()
        .contains("*/10 * * * *"));
    let task = wait_synced(&node, "edit01");
    assert_eq!(task["cron"], "10m");
    assert_eq!(task["last_sync_exit_code"], 0);
    let mode = std::fs::metadata(node.task_file("user2_edit01", "pwd"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // The remote password changes after creation: the next run fails and says why.
    std::fs::write(node.task_file("user2_edit01", "pwd"), "changed-remotely").unwrap();
    let before = status_time(&node, "edit01", "user2");
    node.run(
        "start-task",
        json!({"task_id": "edit01", "localuser": "user2"}),
    )
    .expect_ok();
    let failed = wait_next_run(&node, "edit01", "user2", before);
    assert_eq!(failed["last_sync_exit_code"], 161, "{failed}");
    let summary = &failed["last_sync_summary"];
    assert_eq!(summary["transferred"], 0, "{failed}");
    let error = summary["error"].as_str().unwrap_or_default();
    assert!(error.contains("login as user3 failed"), "{failed}");
    assert!(!error.contains("changed-remotely"), "{error}");

    // Another create-task of this task is between its configure and validation steps (its
    // journal is fresh): a second edit is refused and touches nothing.
    let journal = node.task_file("user2_edit01", "journal.rollback");
    std::fs::write(
        &journal,
        "owner other-task\nenv present\npwd present\ncron present\n",
    )
    .unwrap();
    for kind in ["env", "pwd"] {
        std::fs::copy(
            node.task_file("user2_edit01", kind),
            node.task_file("user2_edit01", &format!("{kind}.rollback")),
        )
        .unwrap();
    }
    std::fs::copy(
        node.cron_file("user2_edit01"),
        node.task_file("user2_edit01", "cron.rollback"),
    )
    .unwrap();
    let current = snapshot(&node, "user2_edit01");
    let mut overlapping = task_input(&node, "edit01", "user2", "user3");
    overlapping["cron"] = json!("20m");
    let refused = node.run("create-task", overlapping.clone());
    assert_eq!(
        (refused.exit_code, &refused.output),
        (
            10,
            &json!([{"field": "createTask", "parameter": "createTask",
                     "value": "task_is_being_edited", "error": "task_is_being_edited"}])
        ),
        "{}",
        refused.error
    );
    assert_eq!(snapshot(&node, "user2_edit01"), current);

    // An edit left unfinished long ago (a cancelled action) is undone by the next one.
    std::fs::write(node.task_file("user2_edit01", "env"), "half-written").unwrap();
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    node.run("create-task", overlapping).expect_ok();
    assert!(!journal.exists());
    assert!(std::fs::read_to_string(node.cron_file("user2_edit01"))
        .unwrap()
        .contains("*/20 * * * *"));
    assert_eq!(wait_synced(&node, "edit01")["cron"], "20m");
}
