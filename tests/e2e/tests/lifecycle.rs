//! The module's life cycle outside the task actions: the NS7 getmail migration
//! (`import-module`), the `create-module` grant and the `update-module.d` steps
//! (behaviour §2.4, §3.11, §3.13, §4).

use e2e::env_file;
use e2e::tasks::{list_tasks, wait_synced};
use e2e::{mail, Node};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;

/// `FOLDER_INBOX` as the reference writes it for inbox mode.
const FOLDER_INBOX: &str = r"--folder\ 'INBOX'";

/// One NS7 getmail account and what it must become.
struct Account {
    record: &'static str,
    account: &'static str,
    retriever: &'static str,
    delete: &'static str,
    time: &'static str,
    username: &'static str,
    password: String,
}

/// What the `.env` of an imported account must say.
struct Expected {
    localuser: &'static str,
    port: &'static str,
    security: &'static str,
    cron: &'static str,
    delete_remote: &'static str,
    expunge_remote: &'static str,
}

fn getmail_record(account: &Account, server: &str) -> Value {
    json!({
        "name": account.record,
        "type": "getmail",
        "props": {
            "Account": account.account,
            "Delete": account.delete,
            "FetchAll": "disabled",
            "Password": account.password,
            "Retriever": account.retriever,
            "Server": server,
            "Time": account.time,
            "Username": account.username,
            "VirusCheck": "disabled",
            "SpamCheck": "disabled",
            "status": "enabled",
        }
    })
}

/// The reference's `.env` text (first line empty, fixed key order, no `SIEVE_ENABLED`).
fn expected_env(task_id: &str, username: &str, server: &str, expected: &Expected) -> String {
    let pairs = [
        ("TASK_ID", task_id),
        ("LOCALUSER", expected.localuser),
        ("REMOTEUSERNAME", username),
        ("REMOTEHOSTNAME", server),
        ("REMOTEPORT", expected.port),
        ("SECURITY", expected.security),
        ("DELETE_LOCAL", ""),
        ("DELETEFOLDER", ""),
        ("EXCLUDE", ""),
        ("DELETE_REMOTE", expected.delete_remote),
        ("EXPUNGE_REMOTE", expected.expunge_remote),
        ("CRON", expected.cron),
        ("FOLDER_INBOX", FOLDER_INBOX),
        ("FOLDERSYNCHRONIZATION", "inbox"),
    ];
    let mut text = String::from("\n");
    for (key, value) in pairs {
        text.push_str(&format!("{key}={value}\n"));
    }
    text
}

/// The task files in `imapsync/` with extension `ext`, by task name.
fn task_files(node: &Node, ext: &str) -> BTreeMap<String, Vec<u8>> {
    let suffix = format!(".{ext}");
    std::fs::read_dir(node.state_dir().join("imapsync"))
        .expect("imapsync/ exists after the import")
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let task = name.strip_suffix(&suffix)?.to_string();
            Some((task, std::fs::read(entry.path()).expect("read a task file")))
        })
        .collect()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn ns7_getmail_accounts_become_inbox_tasks() {
    let node = Node::start();
    let server = node.remote_host();
    let accounts = [
        Account {
            record: "pop-plain",
            account: "user1@example.org",
            retriever: "SimplePOP3Retriever",
            delete: "-1",
            time: "5",
            username: "pop-plain",
            password: r#"s3cr"et \x$HOME 'q'"#.to_string(),
        },
        Account {
            record: "pop-ssl",
            account: "user1@example.org",
            retriever: "SimplePOP3SSLRetriever",
            delete: "0",
            time: "60",
            username: "pop-ssl",
            password: "pop-ssl-password".to_string(),
        },
        Account {
            record: "imap-plain",
            account: "user2@example.org",
            retriever: "SimpleIMAPRetriever",
            delete: "7",
            time: "5",
            username: "imap-plain",
            password: "imap-plain-password".to_string(),
        },
        Account {
            record: "imap-ssl",
            account: "user2@example.org",
            retriever: "SimpleIMAPSSLRetriever",
            delete: "-1",
            time: "60",
            username: "user3",
            password: node.user_password().to_string(),
        },
        Account {
            record: "no-password",
            account: "user3@example.org",
            retriever: "SimpleIMAPRetriever",
            delete: "-1",
            time: "5",
            username: "no-password",
            password: String::new(),
        },
        Account {
            record: "multidrop",
            account: "user3@example.org",
            retriever: "SimpleMultidropPOP3Retriever",
            delete: "-1",
            time: "5",
            username: "multidrop",
            password: "multidrop-password".to_string(),
        },
    ];
    let expectations = [
        (
            "pop-plain",
            Expected {
                localuser: "user1",
                port: "143",
                security: "--tls1",
                cron: "",
                delete_remote: "",
                expunge_remote: "",
            },
        ),
        (
            "pop-ssl",
            Expected {
                localuser: "user1",
                port: "993",
                security: "--ssl1",
                cron: "",
                delete_remote: "--delete1",
                expunge_remote: "--noexpungeaftereach",
            },
        ),
        (
            "imap-plain",
            Expected {
                localuser: "user2",
                port: "143",
                security: "--tls1",
                cron: "5m",
                delete_remote: "--delete1older=7",
                expunge_remote: "--noexpungeaftereach",
            },
        ),
        (
            "user3",
            Expected {
                localuser: "user2",
                port: "993",
                security: "--ssl1",
                cron: "1h",
                delete_remote: "",
                expunge_remote: "",
            },
        ),
    ];
    let mut export: Vec<Value> = accounts
        .iter()
        .map(|account| getmail_record(account, &server))
        .collect();
    let mut not_getmail = getmail_record(&accounts[2], &server);
    not_getmail["type"] = json!("configuration");
    not_getmail["name"] = json!("getmail");
    not_getmail["props"]["Username"] = json!("not-an-account");
    export.push(not_getmail);
    let export_file = node.state_dir().join("getmail.json");
    std::fs::write(&export_file, serde_json::to_vec_pretty(&export).unwrap()).unwrap();

    // Only the module's 40migration step is installed: the core's rsync steps are not.
    let imported = node.run("import-module", Value::Null);
    imported.expect_ok();
    assert!(!export_file.exists(), "getmail.json is removed at the end");
    for skipped in ["no-password", "multidrop"] {
        assert!(
            imported.error.contains(skipped),
            "the log says {skipped} was skipped:\n{}",
            imported.error
        );
    }

    // Every difference in the written files is listed at once, then the rest is checked.
    let mut differences = Vec::new();
    let envs = task_files(&node, "env");
    let passwords = task_files(&node, "pwd");
    assert_eq!(
        envs.len(),
        expectations.len(),
        "one task per importable account: {:?}",
        envs.keys()
    );
    assert_eq!(
        passwords.keys().collect::<Vec<_>>(),
        envs.keys().collect::<Vec<_>>()
    );
    let mut names = BTreeMap::new();
    for (task, bytes) in &envs {
        let text = String::from_utf8(bytes.clone()).expect("UTF-8 .env");
        let fields = env_file::parse(&text);
        let username = fields.get("REMOTEUSERNAME").cloned().unwrap_or_default();
        let task_id = fields.get("TASK_ID").cloned().unwrap_or_default();
        let (_, expected) = expectations
            .iter()
            .find(|(user, _)| *user == username)
            .unwrap_or_else(|| panic!("{task}.env is not from an importable account:\n{text}"));
        assert!(
            task_id.len() == 6
                && task_id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "TASK_ID {task_id:?} is 6 characters [a-z0-9]"
        );
        assert_eq!(task, &format!("{}_{task_id}", expected.localuser));
        let wanted = expected_env(&task_id, &username, &server, expected);
        if text != wanted {
            differences.push(format!(
                "{task}.env ({username}):\n  written  {text:?}\n  expected {wanted:?}"
            ));
        }
        let account = accounts
            .iter()
            .find(|a| a.username == username)
            .expect("the account of the task");
        assert_eq!(
            passwords[task],
            account.password.as_bytes(),
            "{task}.pwd holds the password byte for byte"
        );
        for ext in ["env", "pwd"] {
            assert_eq!(mode(&node.task_file(task, ext)), 0o600, "{task}.{ext} mode");
        }
        names.insert(username, (task.clone(), task_id));
    }

    // configure-module starts the service; its expand-cron writes the IMAP schedules.
    node.configure().expect_ok();
    let cron_dir = node.state_dir().join("cron");
    let cron_files: BTreeSet<String> = std::fs::read_dir(&cron_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let (imap_plain, _) = &names["imap-plain"];
    let (imap_ssl, imap_ssl_id) = &names["user3"];
    assert_eq!(
        cron_files,
        BTreeSet::from([format!("{imap_plain}.cron"), format!("{imap_ssl}.cron")]),
        "only the IMAP accounts are scheduled"
    );
    assert_eq!(
        std::fs::read_to_string(node.cron_file(imap_plain)).unwrap(),
        format!(
            "MAIL_HOST=127.0.0.1\n*/5 * * * * root /usr/local/bin/syncctl start {imap_plain}\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(node.cron_file(imap_ssl)).unwrap(),
        format!("MAIL_HOST=127.0.0.1\n1 */1 * * *  root /usr/local/bin/syncctl start {imap_ssl}\n")
    );

    let listed = list_tasks(&node);
    let items = listed["user_properties"].as_array().unwrap();
    assert_eq!(items.len(), expectations.len(), "{listed}");
    for (username, expected) in &expectations {
        let (_, task_id) = &names[*username];
        let item = items
            .iter()
            .find(|t| t["task_id"] == task_id.as_str())
            .unwrap_or_else(|| panic!("{task_id} is listed: {listed}"));
        let older = expected
            .delete_remote
            .strip_prefix("--delete1older=")
            .map_or(0, |days| days.parse::<u32>().unwrap());
        for (field, value) in [
            ("localuser", json!(expected.localuser)),
            ("remoteusername", json!(username)),
            ("remotehostname", json!(server)),
            ("remoteport", json!(expected.port)),
            (
                "security",
                json!(if expected.security == "--ssl1" {
                    "ssl"
                } else {
                    "tls"
                }),
            ),
            ("cron", json!(expected.cron)),
            ("delete_remote", json!(!expected.delete_remote.is_empty())),
            ("delete_remote_older", json!(older)),
            ("delete_local", json!(false)),
            ("foldersynchronization", json!("inbox")),
            ("folder_inbox", json!(FOLDER_INBOX)),
            ("sieve_enabled", json!(false)),
            ("remotepassword", json!("")),
        ] {
            if item[field] != value {
                differences.push(format!(
                    "list-tasks {username} {field}: {} instead of {value}",
                    item[field]
                ));
            }
        }
    }

    // The imported IMAPS account works: a run fetches the unseen remote mail.
    let (remote, local) = (node.account("user3"), node.account("user2"));
    mail::append(&remote, "INBOX", "From NS7", 2, false);
    node.run(
        "start-task",
        json!({"task_id": imap_ssl_id, "localuser": "user2"}),
    )
    .expect_ok();
    let run = wait_synced(&node, imap_ssl_id);
    assert_eq!(run["last_sync_exit_code"], 0, "{run}");
    assert_eq!(mail::count(&local, "INBOX"), 2);
    assert_eq!(mail::count(&remote, "INBOX"), 2, "Delete -1 keeps the mail");
    node.assert_secret_hidden(node.user_password());

    assert!(
        differences.is_empty(),
        "the import differs from the reference:\n{}",
        differences.join("\n")
    );
}

fn selfadm_actions(node: &Node) -> BTreeSet<String> {
    redis::cmd("SMEMBERS")
        .arg("module/imapsync1/roles/selfadm")
        .query(&mut node.redis().admin())
        .expect("SMEMBERS selfadm")
}

/// Runs an `update-module.d` script as the core's `50run_scriptdir` does.
fn run_update_script(node: &Node, script: &str) -> e2e::Runagent {
    let path = node.install_dir().join("update-module.d").join(script);
    node.runagent(path.to_str().unwrap(), &[], "")
}

/// The systemctl stand-in's log from the last line containing `marker`.
fn log_since_last(node: &Node, marker: &str) -> String {
    let log = node.systemctl_log();
    let start = log
        .rfind(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in the systemctl log:\n{log}"));
    log[start..].to_string()
}

#[test]
fn update_steps_regrant_and_restart_only_a_running_service() {
    let node = Node::start();
    let granted = BTreeSet::from(["configure-module".to_string(), "create-task".to_string()]);
    assert_eq!(
        selfadm_actions(&node),
        granted,
        "create-module lets the module's own credentials run create-task"
    );

    let _: i64 = redis::cmd("SREM")
        .arg("module/imapsync1/roles/selfadm")
        .arg("create-task")
        .query(&mut node.redis().admin())
        .unwrap();
    for round in 1..=2 {
        let grants = run_update_script(&node, "10grants");
        assert_eq!(grants.code, 0, "round {round}: {}", grants.stderr);
        assert_eq!(selfadm_actions(&node), granted, "round {round}");
    }

    node.configure().expect_ok();
    let before = node.supervisor_pid().expect("the service runs");
    let restart = run_update_script(&node, "20restart");
    assert_eq!(restart.code, 0, "{}", restart.stderr);
    let log = log_since_last(&node, "systemctl --user try-restart imapsync.service");
    assert!(log.contains("started supervisor pid"), "{log}");
    let after = node.supervisor_pid().expect("the service runs again");
    assert_ne!(before, after, "a new supervisor after the restart");

    let stop = node.runagent("systemctl", &["--user", "stop", "imapsync.service"], "");
    assert_eq!(stop.code, 0, "{}", stop.stderr);
    assert_eq!(node.supervisor_pid(), None);
    let restart = run_update_script(&node, "20restart");
    assert_eq!(restart.code, 0, "{}", restart.stderr);
    let log = log_since_last(&node, "systemctl --user try-restart imapsync.service");
    assert!(log.contains("exit 0"), "{log}");
    assert!(!log.contains("started supervisor"), "{log}");
    assert_eq!(
        node.supervisor_pid(),
        None,
        "a stopped service stays stopped"
    );
}
