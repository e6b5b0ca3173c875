//! The main flow of Robot's 20_imapsync and the folder scope of 26_imapsync_helpers:
//! create-task, list-tasks, a real migration, list-informations, get-log, delete-task,
//! exclusion mode and the Public/Shared exclusion (behaviour §3.3–§3.9, §6.2, §7).

use e2e::tasks::{list_tasks, log_of, task_input, wait_synced};
use e2e::{mail, wait_until, Node};
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn five_messages_move_from_user3_to_user2() {
    let node = Node::start();
    node.configure().expect_ok();
    let (remote, local) = (node.account("user3"), node.account("user2"));
    mail::append(&remote, "INBOX", "Robot message", 5, false);

    let mut input = task_input(&node, "28ofi1", "user2", "user3");
    input["cron"] = json!("5m");
    input["delete_remote"] = json!(true);
    node.run("create-task", input).expect_ok();

    let listed = list_tasks(&node);
    let enabled: Vec<&str> = listed["enabled_mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        enabled,
        vec!["user1", "user2", "user3"],
        "user4 is disabled"
    );
    assert_eq!(
        listed["enabled_mailboxes"][0],
        json!({"name": "user1", "label": "user1", "value": "user1"})
    );
    let task = &listed["user_properties"][0];
    for (field, expected) in [
        ("task_id", json!("28ofi1")),
        ("localuser", json!("user2")),
        ("remoteusername", json!("user3")),
        ("remotehostname", json!(node.remote_host())),
        ("remoteport", json!("143")),
        ("security", json!("tls")),
        ("cron", json!("5m")),
        ("delete_remote", json!(true)),
        ("delete_remote_older", json!(0)),
        ("delete_local", json!(false)),
        ("foldersynchronization", json!("all")),
        ("sieve_enabled", json!(false)),
        ("remotepassword", json!("")),
        ("exclude", json!("")),
    ] {
        assert_eq!(task[field], expected, "list-tasks field {field}: {task}");
    }

    wait_until(
        Duration::from_secs(90),
        "5 messages in user2 and none left in user3",
        || mail::count(&local, "INBOX") == 5 && mail::count(&remote, "INBOX") == 0,
    );
    let task = wait_synced(&node, "28ofi1");
    assert!(task["last_sync_timestamp"].as_i64().unwrap() > 0);
    assert_eq!(task["last_sync_exit_code"], 0);
    assert_eq!(task["has_log"], true);
    let summary = &task["last_sync_summary"];
    assert_eq!(summary["transferred"], 5, "{task}");
    assert_eq!(summary["errors"], 0, "{task}");
    assert_eq!(summary["error"], Value::Null, "{task}");
    assert!(summary["duration_ms"].as_u64().unwrap() > 0, "{task}");
    assert!(
        summary["bytes_transferred"].as_u64().unwrap() > 1000,
        "{task}"
    );

    let sizes = node.run(
        "list-informations",
        json!({"task_id": "28ofi1", "localuser": "user2"}),
    );
    sizes.expect_ok();
    let info = &sizes.output;
    assert_eq!(info["status"], true, "{info}");
    for key in [
        "host1Folders",
        "host2Folders",
        "host1Messages",
        "host2Messages",
        "host1Sizes",
        "host2Sizes",
    ] {
        assert!(
            info[key].is_i64() || info[key].is_u64(),
            "{key} is not an integer: {info}"
        );
    }
    assert_eq!(info["host1Messages"], 0);
    assert_eq!(info["host1Sizes"], 0);
    assert_eq!(info["host2Messages"], 5);
    assert!(info["host2Sizes"].as_u64().unwrap() > 1000, "{info}");
    assert_eq!(info["host1Folders"], info["host2Folders"]);

    let log = node.run(
        "get-log",
        json!({"task_id": "28ofi1", "localuser": "user2"}),
    );
    log.expect_ok();
    assert!(!log.output["log_content"].as_str().unwrap().is_empty());
    assert_eq!(log.output["truncated"], false);

    let cron = std::fs::read_to_string(node.cron_file("user2_28ofi1")).unwrap();
    assert_eq!(
        cron.lines().collect::<Vec<_>>(),
        vec![
            "MAIL_HOST=127.0.0.1",
            "*/5 * * * * root /usr/local/bin/syncctl start user2_28ofi1"
        ]
    );

    node.assert_secret_hidden(node.user_password());
    node.assert_secret_hidden(&node.rig().master_password);

    node.run(
        "delete-task",
        json!({"task_id": "28ofi1", "localuser": "user2"}),
    )
    .expect_ok();
    assert_eq!(list_tasks(&node)["user_properties"], json!([]));
    for dir in ["imapsync", "cron"] {
        let left: Vec<String> = std::fs::read_dir(node.state_dir().join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("user2_28ofi1"))
            .collect();
        assert!(left.is_empty(), "files left in {dir}: {left:?}");
    }
}

#[test]
fn get_log_returns_the_tail_and_validates_its_input() {
    let node = Node::start();
    node.configure().expect_ok();
    let imapsync = node.state_dir().join("imapsync");
    let line = "Host1: some folder line that is long enough to fill the log quickly\n";
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 200 * 1024 {
        text.push_str(&format!("{n:06} {line}"));
        n += 1;
    }
    text.push_str("LAST LINE\n");
    std::fs::write(imapsync.join("user2_big001.log"), &text).unwrap();

    let big = node.run(
        "get-log",
        json!({"task_id": "big001", "localuser": "user2"}),
    );
    big.expect_ok();
    let content = big.output["log_content"].as_str().unwrap();
    assert_eq!(big.output["truncated"], true);
    assert!(
        content.chars().count() <= 102_400,
        "{} chars",
        content.chars().count()
    );
    assert!(content.ends_with("LAST LINE\n"));
    assert!(
        content.starts_with(|c: char| c.is_ascii_digit()),
        "cut at a line boundary"
    );

    let missing = node.run(
        "get-log",
        json!({"task_id": "nolog1", "localuser": "user2"}),
    );
    missing.expect_ok();
    assert_eq!(
        missing.output,
        json!({"log_content": "", "truncated": false})
    );

    for (task_id, localuser) in [
        ("invalid_task", "user2"),
        ("../etc", "user2"),
        ("abc123", "invalid@user"),
    ] {
        let refused = node.run(
            "get-log",
            json!({"task_id": task_id, "localuser": localuser}),
        );
        assert_eq!(refused.exit_code, 10, "{task_id}/{localuser}");
        assert_eq!(refused.status, "validation-failed");
        assert!(
            refused.error.contains("Validation errors"),
            "{}",
            refused.error
        );
    }
}

#[test]
fn exclusion_mode_and_shared_folders_are_left_out() {
    let node = Node::start();
    node.configure().expect_ok();
    let (remote, local) = (node.account("user3"), node.account("user2"));
    for folder in [
        "Keep",
        "Public",
        "Public/Sub",
        "Shared",
        "Shared/user1/INBOX",
        "Junk",
        "Drafts",
        "JunkMail",
    ] {
        mail::append(&remote, folder, &format!("in {folder}"), 2, true);
    }
    mail::append(&remote, "INBOX", "inbox", 1, true);

    let mut input = task_input(&node, "excl01", "user2", "user3");
    input["foldersynchronization"] = json!("exclusion");
    input["exclude"] = json!("Junk,Drafts");
    node.run("create-task", input).expect_ok();
    let task = wait_synced(&node, "excl01");
    assert_eq!(task["exclude"], ",Junk,Drafts");
    assert_eq!(task["foldersynchronization"], "exclusion");
    assert_eq!(
        task["last_sync_exit_code"],
        0,
        "{}",
        log_of(&node, "excl01", "user2")
    );

    assert_eq!(mail::count(&local, "Keep"), 2);
    assert_eq!(mail::count(&local, "INBOX"), 1);
    for folder in ["Junk", "Drafts", "JunkMail"] {
        assert_eq!(mail::count(&local, folder), 0, "{folder} is excluded");
    }
    let folders = mail::folders(&local);
    assert!(
        !folders
            .iter()
            .any(|f| f.starts_with("Public") || f.starts_with("Shared")),
        "{folders:?}"
    );
    let log = log_of(&node, "excl01", "user2");
    assert!(
        log.contains(
            "Excluding folders matching pattern ^Shared(/.*)?$|^Public(/.*)?$|Junk|Drafts"
        ),
        "{log}"
    );
    assert!(
        !log.contains("NOPERM") && !log.contains("Could not select"),
        "{log}"
    );

    let sizes = node.run(
        "list-informations",
        json!({"task_id": "excl01", "localuser": "user2"}),
    );
    sizes.expect_ok();
    assert_eq!(sizes.output["status"], true, "{}", sizes.output);
    assert_eq!(
        sizes.output["host1Messages"], 3,
        "Keep and INBOX only: {}",
        sizes.output
    );
    assert_eq!(sizes.output["host1Messages"], sizes.output["host2Messages"]);
}
