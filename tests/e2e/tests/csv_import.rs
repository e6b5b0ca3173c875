//! `runagent import-csv-tasks` (behaviour §5.4; Robot 26 "CSV import"): tasks created
//! through the api-server with the module's own credentials, duplicates, updates, checks.

use e2e::tasks::{list_tasks, task_properties};
use e2e::{Node, Runagent};
use regex::Regex;
use serde_json::{json, Value};

const HEADER: &str =
    "localusername,remoteusername,remotepassword,remotehostname,remoteport,security";

fn import(node: &Node, args: &[&str], csv: &str) -> Runagent {
    node.runagent("import-csv-tasks", args, csv)
}

fn tasks(node: &Node) -> Vec<Value> {
    list_tasks(node)["user_properties"]
        .as_array()
        .unwrap()
        .clone()
}

fn task_of(node: &Node, localuser: &str) -> Value {
    tasks(node)
        .into_iter()
        .find(|t| t["localuser"] == localuser)
        .unwrap_or_else(|| panic!("no task for {localuser}"))
}

fn printed(result: &Runagent) -> String {
    format!("{}{}", result.stdout, result.stderr)
}

#[test]
fn csv_import_creates_skips_updates_and_checks() {
    let node = Node::start();
    node.configure().expect_ok();
    let host = node.remote_host();
    let password = node.user_password().to_string();
    let summary = Regex::new(r"Summary: \d+ created, \d+ failed").unwrap();

    let two_rows = format!(
        "{HEADER}\nuser1,user3,{password},{host},993,ssl\nuser2,user3,{password},{host},143,tls\n"
    );
    let created = import(&node, &[], &two_rows);
    let text = printed(&created);
    assert_eq!(created.code, 0, "{text}");
    assert!(text.contains("2 created"), "{text}");
    assert!(summary.is_match(&text), "{text}");
    let id = Regex::new("^[a-z0-9]{6}$").unwrap();
    let listed = tasks(&node);
    assert_eq!(listed.len(), 2);
    for (local, port, security) in [("user1", "993", "ssl"), ("user2", "143", "tls")] {
        let task = task_of(&node, local);
        assert!(id.is_match(task["task_id"].as_str().unwrap()), "{task}");
        assert_eq!(task["remoteport"], port);
        assert_eq!(task["security"], security);
        for (field, default) in [
            ("cron", json!("")),
            ("delete_local", json!(false)),
            ("delete_remote", json!(false)),
            ("delete_remote_older", json!(0)),
            ("exclude", json!("")),
            ("foldersynchronization", json!("all")),
            ("sieve_enabled", json!(false)),
        ] {
            assert_eq!(task[field], default, "{field} of {task}");
        }
    }
    let submissions = node.api().calls_to("module/imapsync1", "create-task");
    assert_eq!(submissions.len(), 2);
    assert!(submissions
        .iter()
        .all(|c| c.status == 201 && c.user == "module/imapsync1"));
    assert!(submissions
        .iter()
        .all(|c| c.data["remotepassword"] == "XXX"));

    let wrong = format!("{HEADER}\nuser3,user2,wrong-password,{host},143,tls\n");
    let refused = import(&node, &[], &wrong);
    let text = printed(&refused);
    assert_eq!(refused.code, 1, "{text}");
    assert!(text.contains("refused the user or password"), "{text}");
    assert!(text.contains(&format!("user2@{host}:143")), "{text}");
    assert!(summary.is_match(&text), "{text}");
    assert_eq!(tasks(&node).len(), 2, "a refused row creates nothing");

    let missing_column = import(&node, &[], "localusername,remoteusername\nuser1,user3\n");
    assert_eq!(missing_column.code, 1);
    assert!(
        printed(&missing_column).contains("Missing"),
        "{}",
        printed(&missing_column)
    );
    let bad_port = import(
        &node,
        &[],
        &format!("{HEADER}\nuser3,user1,{password},{host},abc,tls\n"),
    );
    assert_eq!(bad_port.code, 1);
    assert!(
        printed(&bad_port).contains("Invalid port number"),
        "{}",
        printed(&bad_port)
    );

    let rerun = import(&node, &[], &two_rows);
    let text = printed(&rerun);
    assert_eq!(rerun.code, 0, "skips are not errors: {text}");
    assert_eq!(text.matches("Skipped").count(), 2, "{text}");
    let shouting = format!(
        "{HEADER}\nUSER1,USER3,{password},{},993,ssl\n",
        host.to_uppercase()
    );
    let text = printed(&import(&node, &[], &shouting));
    assert!(text.contains("Skipped"), "{text}");
    assert_eq!(tasks(&node).len(), 2);

    let before = task_of(&node, "user2");
    let update = format!("{HEADER}\nUSER2,User3,{password},{host},993,ssl\n");
    let updated = import(&node, &["--update"], &update);
    let text = printed(&updated);
    assert_eq!(updated.code, 0, "{text}");
    assert!(text.contains("updated"), "{text}");
    let after = task_properties(&node, before["task_id"].as_str().unwrap()).expect("same task id");
    assert_eq!(after["remoteport"], "993");
    assert_eq!(after["security"], "ssl");
    assert_eq!(after["localuser"], "user2", "the stored spelling is kept");
    assert_eq!(
        after["remoteusername"], "user3",
        "the stored spelling is kept"
    );
    assert_eq!(tasks(&node).len(), 2);

    let task_name = format!("user2_{}", before["task_id"].as_str().unwrap());
    let stored_password = std::fs::read(node.task_file(&task_name, "pwd")).unwrap();
    let refused_update = format!("{HEADER}\nuser2,user3,wrong-password,{host},143,tls\n");
    let result = import(&node, &["--update"], &refused_update);
    assert_eq!(result.code, 1, "{}", printed(&result));
    assert_eq!(
        std::fs::read(node.task_file(&task_name, "pwd")).unwrap(),
        stored_password
    );
    assert_eq!(task_of(&node, "user2")["remoteport"], "993");

    let twice = format!(
        "{HEADER}\nuser3,user1,{password},{host},143,tls\nuser3,USER1,{password},{host},143,tls\n"
    );
    let text = printed(&import(&node, &[], &twice));
    assert!(text.contains("appears twice in this file"), "{text}");

    let check = import(&node, &["--check"], &two_rows);
    let text = printed(&check);
    assert!(text.contains("already syncs"), "{text}");
    assert!(text.contains("--update"), "{text}");
    let count = tasks(&node).len();
    let only_check = import(
        &node,
        &["--check"],
        &format!("{HEADER}\nuser4,user1,{password},{host},143,tls\n"),
    );
    assert_eq!(only_check.code, 0, "{}", printed(&only_check));
    assert_eq!(tasks(&node).len(), count, "--check creates nothing");

    node.assert_secret_hidden(&password);
    node.assert_secret_hidden(&node.rig().master_password);

    let unexpected = import(&node, &["--bogus"], &two_rows);
    assert_eq!(unexpected.code, 1);
    assert!(
        printed(&unexpected).contains("Unexpected arguments"),
        "{}",
        printed(&unexpected)
    );
}
