//! configure-module, get-configuration, the mail-settings-changed event and the master
//! password helper (behaviour §2, §3.1, §3.2, §5.3; Robot 20_imapsync setup).

use e2e::{wait_until, Mailboxes, Node, NodeOptions};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

#[test]
fn get_configuration_offers_every_mail_server_nearest_first() {
    let node = Node::start();
    let result = node.run("get-configuration", Value::Null);
    result.expect_ok();
    assert_eq!(result.output["mail_server"], "");
    assert_eq!(result.output["mail_host"], "");
    assert_eq!(
        result.output["mail_server_URL"],
        json!([
            {"name": "mail1", "label": "mail1 (mail.example.org)",
             "value": format!("{},127.0.0.1", node.mail_uuid())},
            {"name": "mail2", "label": "mail2 (mail2.example.org)",
             "value": format!("{},127.0.0.2", node.mail2_uuid())},
        ])
    );
}

#[test]
fn configure_module_stores_the_server_and_starts_the_service() {
    let node = Node::start();
    node.configure().expect_ok();

    let environment = node.environment();
    assert_eq!(
        environment.get("MAIL_SERVER").map(String::as_str),
        Some(node.mail_uuid())
    );
    assert_eq!(
        environment.get("MAIL_HOST").map(String::as_str),
        Some("127.0.0.1")
    );
    let configuration = node.run("get-configuration", Value::Null);
    assert_eq!(configuration.output["mail_server"], node.mail_uuid());
    assert_eq!(configuration.output["mail_host"], "127.0.0.1");

    assert!(node.supervisor_pid().is_some(), "{}", node.systemctl_log());
    let log = node.systemctl_log();
    assert!(
        log.contains("systemctl --user enable imapsync.service"),
        "{log}"
    );
    assert!(
        log.contains("systemctl --user restart imapsync.service"),
        "{log}"
    );

    let vmail = node.state_dir().join("imapsync/vmail.pwd");
    assert_eq!(
        std::fs::read_to_string(&vmail).unwrap(),
        node.rig().master_password
    );
    let mode = std::fs::metadata(&vmail).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // The agent's end-of-task copy of the environment is world-readable in Redis.
    let mirrored: Option<String> = redis::cmd("HGET")
        .arg("module/imapsync1/environment")
        .arg("MAIL_SERVER")
        .query(&mut node.redis().anonymous())
        .unwrap();
    assert_eq!(mirrored.as_deref(), Some(node.mail_uuid()));
}

#[test]
fn configure_module_refuses_an_unknown_mail_server() {
    let node = Node::start();
    let bogus = e2e::ids::uuid4();
    let result = node.run(
        "configure-module",
        json!({"mail_server": bogus, "mail_host": "127.0.0.1"}),
    );
    assert_eq!(
        (result.exit_code, result.status.as_str()),
        (3, "validation-failed"),
        "{}",
        result.error
    );
    assert_eq!(
        result.output,
        json!([{"field": "mail_server", "parameter": "mail_server", "value": bogus,
                "error": "mail_server_is_not_valid"}])
    );
    assert!(
        result
            .commands
            .iter()
            .any(|c| c == "set-weight 02validate-mail-server 0"),
        "{:?}",
        result.commands
    );
    assert!(!node.environment().contains_key("MAIL_SERVER"));
    assert_eq!(node.supervisor_pid(), None);

    let no_dot = node.run(
        "configure-module",
        json!({"mail_server": node.mail_uuid(), "mail_host": "localhost"}),
    );
    assert_eq!(no_dot.exit_code, 10);
    assert!(
        no_dot.error.contains("Validation errors"),
        "{}",
        no_dot.error
    );
}

#[test]
fn mail_settings_changed_refreshes_the_host_only_for_our_server() {
    let node = Node::start();
    node.configure().expect_ok();
    let first = node
        .supervisor_pid()
        .expect("running after configure-module");

    let other = node.event(
        "module/mail2",
        "mail-settings-changed",
        &json!({"reason": "configure-module", "module_id": "mail2", "node_id": 2,
                "module_uuid": node.mail2_uuid()}),
    );
    assert_eq!(other.exit_code, 0, "{}", other.log);
    assert_eq!(node.supervisor_pid(), Some(first));
    let garbage = node.event(
        "module/mail1",
        "mail-settings-changed",
        &json!("not an object"),
    );
    assert_eq!(garbage.exit_code, 0, "{}", garbage.log);
    assert_eq!(node.supervisor_pid(), Some(first));

    redis::cmd("HSET")
        .arg("module/mail1/srv/tcp/imap")
        .arg("host")
        .arg("127.0.0.9")
        .exec(&mut node.redis().admin())
        .unwrap();
    let ours = node.event(
        "module/mail1",
        "mail-settings-changed",
        &json!({"reason": "configure-module", "module_id": "mail1", "node_id": 1,
                "module_uuid": node.mail_uuid()}),
    );
    assert_eq!(ours.exit_code, 0, "{}", ours.log);
    assert_eq!(
        node.environment().get("MAIL_HOST").map(String::as_str),
        Some("127.0.0.9")
    );
    let second = node.supervisor_pid().expect("restarted");
    assert_ne!(second, first);
    let log = node.systemctl_log();
    assert!(
        log.contains("systemctl --user try-restart imapsync.service"),
        "{log}"
    );
    assert!(log.contains("MAIL_HOST=127.0.0.9"), "{log}");
}

#[test]
fn reveal_master_secret_waits_for_the_mail_agent() {
    let node = Node::start();
    node.configure().expect_ok();
    let vmail = node.state_dir().join("imapsync/vmail.pwd");
    std::fs::remove_file(&vmail).unwrap();
    node.api().set_agent_down("module/mail1", true);
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| node.runagent("reveal-master-secret", &[], ""));
        wait_until(
            Duration::from_secs(60),
            "a refused reveal-master-credentials",
            || {
                node.api()
                    .calls_to("module/mail1", "reveal-master-credentials")
                    .iter()
                    .any(|c| c.status == 404)
            },
        );
        assert!(!vmail.exists());
        node.api().set_agent_down("module/mail1", false);
        let result = helper.join().unwrap();
        assert_eq!(result.code, 0, "{}", result.stderr);
    });
    assert_eq!(
        std::fs::read_to_string(&vmail).unwrap(),
        node.rig().master_password
    );
    let mode = std::fs::metadata(&vmail).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let calls = node
        .api()
        .calls_to("module/mail1", "reveal-master-credentials");
    assert_eq!(calls.last().map(|c| c.status), Some(201));
    let users: Vec<(u16, &str)> = calls.iter().map(|c| (c.status, c.user.as_str())).collect();
    assert!(
        users
            .iter()
            .all(|(status, user)| *status == 401 || *user == "module/imapsync1"),
        "{users:?}"
    );
}

#[test]
fn list_tasks_copes_without_a_mail_server_or_mailboxes() {
    let node = Node::start_with(NodeOptions {
        mailboxes: Some(Mailboxes::NotConfigured),
        ..NodeOptions::default()
    });
    let before = node.run("list-tasks", Value::Null);
    before.expect_ok();
    assert_eq!(
        before.output,
        json!({"user_properties": [], "enabled_mailboxes": []})
    );
    assert!(node
        .api()
        .calls_to("module/mail1", "list-user-mailboxes")
        .is_empty());

    node.configure().expect_ok();
    let after = node.run("list-tasks", Value::Null);
    after.expect_ok();
    assert_eq!(
        after.output["enabled_mailboxes"],
        json!([]),
        "Mail answered []"
    );
    assert_eq!(
        node.api()
            .calls_to("module/mail1", "list-user-mailboxes")
            .len(),
        1
    );
}

#[test]
fn restore_module_copies_the_mail_server_and_starts_the_service() {
    let node = Node::start();
    let environment = json!({
        "MAIL_SERVER": node.mail_uuid(),
        "MAIL_HOST": "127.0.0.1",
        "MODULE_ID": "imapsync7",
        "IMAPSYNC_BINARY_IMAGE": "ghcr.io/nethserver/imapsync-binary:old",
    });
    let restored = node.run(
        "restore-module",
        json!({"repository": "r1", "path": "imapsync/x", "snapshot": "latest",
               "environment": environment, "replace": false}),
    );
    restored.expect_ok();
    let now = node.environment();
    assert_eq!(
        now.get("MAIL_SERVER").map(String::as_str),
        Some(node.mail_uuid())
    );
    assert_eq!(now.get("MAIL_HOST").map(String::as_str), Some("127.0.0.1"));
    assert_eq!(
        now.get("MODULE_ID").map(String::as_str),
        Some("imapsync1"),
        "only the mail settings are copied"
    );
    assert!(node.supervisor_pid().is_some(), "{}", node.systemctl_log());
    assert!(node.state_dir().join("imapsync/vmail.pwd").is_file());
}
