//! Robot's 25_imapsync_options and the counters of 26: inbox mode with `\Seen` marking,
//! remote retention, the Sieve filter, get-facts and the cron files (behaviour §3.10, §6,
//! §7).

use e2e::tasks::{log_of, status_time, task_input, task_properties, wait_next_run, wait_synced};
use e2e::{mail, Node};
use serde_json::json;

#[test]
fn inbox_mode_takes_only_unseen_mail_and_marks_it_seen() {
    let node = Node::start();
    node.configure().expect_ok();
    let (remote, local) = (node.account("user3"), node.account("user2"));
    mail::append(&remote, "INBOX", "already read", 2, true);
    mail::append(&remote, "INBOX", "fresh", 3, false);
    mail::append(&remote, "Archive", "archived", 2, false);

    let mut input = task_input(&node, "inbox1", "user2", "user3");
    input["foldersynchronization"] = json!("inbox");
    node.run("create-task", input).expect_ok();
    let task = wait_synced(&node, "inbox1");
    assert_eq!(
        task["last_sync_exit_code"],
        0,
        "{}",
        log_of(&node, "inbox1", "user2")
    );
    assert_eq!(task["foldersynchronization"], "inbox");

    assert_eq!(mail::count(&local, "INBOX"), 3, "only the unseen messages");
    assert_eq!(mail::count(&local, "Archive"), 0, "only INBOX");
    assert_eq!(
        mail::unseen(&remote, "INBOX"),
        0,
        "the copied messages are \\Seen remotely"
    );
    assert_eq!(mail::count(&remote, "INBOX"), 5, "nothing deleted remotely");

    let before = status_time(&node, "inbox1", "user2");
    node.run(
        "start-task",
        json!({"task_id": "inbox1", "localuser": "user2"}),
    )
    .expect_ok();
    let again = wait_next_run(&node, "inbox1", "user2", before);
    assert_eq!(again["last_sync_exit_code"], 0);
    assert_eq!(
        mail::count(&local, "INBOX"),
        3,
        "a second run copies nothing"
    );
}

#[test]
fn remote_retention_is_stored_and_listed() {
    let node = Node::start();
    node.configure().expect_ok();
    let mut input = task_input(&node, "older5", "user2", "user3");
    input["delete_remote"] = json!(true);
    input["delete_remote_older"] = json!(5);
    node.run("create-task", input).expect_ok();
    let task = task_properties(&node, "older5").expect("listed");
    assert_eq!(task["delete_remote"], true);
    assert_eq!(task["delete_remote_older"], 5);
    let env = std::fs::read_to_string(node.task_file("user2_older5", "env")).unwrap();
    assert!(
        env.lines().any(|l| l == "DELETE_REMOTE=--delete1older=5"),
        "{env}"
    );
    assert!(
        env.lines()
            .any(|l| l == "EXPUNGE_REMOTE=--noexpungeaftereach"),
        "{env}"
    );
}

#[test]
fn sieve_filter_files_marked_messages_in_inbox_mode() {
    let node = Node::start();
    node.configure().expect_ok();
    node.rig()
        .install_sieve(
            "user2",
            "require [\"fileinto\", \"mailbox\"];\n\
             if header :contains \"subject\" \"SIEVE-MARK\" { fileinto :create \"SieveTest\"; }\n",
        )
        .unwrap();
    let (remote, local) = (node.account("user3"), node.account("user2"));
    mail::append(&remote, "INBOX", "SIEVE-MARK filtered", 2, false);
    mail::append(&remote, "INBOX", "plain", 2, false);

    let mut input = task_input(&node, "sieve1", "user2", "user3");
    input["foldersynchronization"] = json!("inbox");
    input["sieve_enabled"] = json!(true);
    node.run("create-task", input).expect_ok();
    let task = wait_synced(&node, "sieve1");
    let log = log_of(&node, "sieve1", "user2");
    assert_eq!(task["last_sync_exit_code"], 0, "{log}");
    assert_eq!(task["sieve_enabled"], true);
    assert!(log.contains("FILTER SIEVE DELIVERY UID"), "{log}");
    assert_eq!(mail::count(&local, "SieveTest"), 2);
    assert_eq!(mail::count(&local, "INBOX"), 2);
}

#[test]
fn get_facts_counts_task_shapes() {
    let node = Node::start();
    node.configure().expect_ok();
    let mut plain = task_input(&node, "facta1", "user2", "user3");
    plain["cron"] = json!("5m");
    let mut inbox_delete = task_input(&node, "factb1", "user1", "user3");
    inbox_delete["foldersynchronization"] = json!("inbox");
    inbox_delete["delete_remote"] = json!(true);
    inbox_delete["sieve_enabled"] = json!(true);
    let mut inbox_older = task_input(&node, "factc1", "user3", "user1");
    inbox_older["foldersynchronization"] = json!("inbox");
    inbox_older["delete_remote"] = json!(true);
    inbox_older["delete_remote_older"] = json!(3);
    inbox_older["cron"] = json!("1h");
    for input in [plain, inbox_delete, inbox_older] {
        node.run("create-task", input).expect_ok();
    }
    let facts = node.run("get-facts", serde_json::Value::Null);
    facts.expect_ok();
    assert_eq!(
        facts.output,
        json!({
            "tasks_total_count": 3,
            "tasks_delete_count": 2,
            "tasks_delete_older_count": 1,
            "tasks_inbox_count": 2,
            "tasks_inbox_and_delete_count": 2,
            "tasks_cron_enabled_count": 2,
            "tasks_sieve_enabled_count": 1,
        })
    );
}

#[test]
fn cron_files_follow_the_schedule_and_survive_a_restart() {
    let node = Node::start();
    node.configure().expect_ok();
    let mut input = task_input(&node, "facta1", "user2", "user3");
    input["cron"] = json!("5m");
    node.run("create-task", input.clone()).expect_ok();
    let cron = node.cron_file("user2_facta1");
    assert_eq!(
        std::fs::read_to_string(&cron).unwrap(),
        "MAIL_HOST=127.0.0.1\n*/5 * * * * root /usr/local/bin/syncctl start user2_facta1\n"
    );

    input["cron"] = json!("2h");
    input["remotepassword"] = json!("");
    wait_synced(&node, "facta1");
    node.run("create-task", input.clone()).expect_ok();
    let two_hours =
        "MAIL_HOST=127.0.0.1\n1 */2 * * *  root /usr/local/bin/syncctl start user2_facta1\n";
    assert_eq!(std::fs::read_to_string(&cron).unwrap(), two_hours);

    // A service start regenerates every cron file (expand-cron), 2h included.
    node.configure().expect_ok();
    assert_eq!(std::fs::read_to_string(&cron).unwrap(), two_hours);

    input["cron"] = json!("");
    wait_synced(&node, "facta1");
    node.run("create-task", input).expect_ok();
    assert!(!cron.exists(), "no schedule, no cron file");
    assert_eq!(task_properties(&node, "facta1").unwrap()["cron"], "");
}
