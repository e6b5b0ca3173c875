//! The harness itself, checked against a tiny fake module (shell steps), independent of
//! the real module: agent protocol, api-server roles, the systemctl stand-in and events.

use e2e::{wait_until, Node, NodeOptions};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

const UNIT: &str = "[Unit]\nDescription=fake\n\n[Service]\n\
EnvironmentFile=%E/state/environment\nWorkingDirectory=%E/state\nTimeoutStartSec=30\n\
ExecStartPre=/bin/rm -f %t/imapsync.pid\n\
ExecStartPre=/bin/mkdir -p %E/state/imapsync %E/state/cron %t/imapsync\n\
ExecStartPre=runagent fake-helper\n\
ExecStart=/usr/bin/podman run --detach \\\n    --name=%N \\\n    --env MAIL_HOST=${MAIL_HOST} \\\n    ${IMAPSYNC_BINARY_IMAGE}\n\
Type=forking\n\n[Install]\nWantedBy=default.target\n";

/// Files of the fake module: (path, mode, content).
fn fake_files() -> Vec<(&'static str, u32, String)> {
    let sh = |body: &str| format!("#!/bin/sh\n{body}\n");
    vec![
        (
            "actions/create-module/10grants",
            0o755,
            sh("port=${REDIS_ADDRESS##*:}\n\
                REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p \"$port\" --user \"$REDIS_USER\" \
                SADD \"$AGENT_ID/roles/selfadm\" echo >&2"),
        ),
        (
            "actions/echo/validate-input.json",
            0o644,
            json!({"type": "object", "required": ["name"],
                   "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}})
            .to_string(),
        ),
        (
            "actions/echo/validate-output.json",
            0o644,
            json!({"type": "object", "required": ["input"]}).to_string(),
        ),
        (
            "actions/echo/10first",
            0o755,
            sh("echo 'set-weight 10first 0' >&3\necho 'set-progress 50' >&3\n\
                echo 'first ran' >&2\necho FROM_FIRST=1 >> environment"),
        ),
        (
            "actions/echo/20second",
            0o755,
            sh("printf '{\"input\":%s,\"from_first\":\"%s\",\"task_user\":\"%s\",\"comfd\":\"%s\",\"cwd\":\"%s\"}' \
                \"$(cat)\" \"$FROM_FIRST\" \"$AGENT_TASK_USER\" \"$AGENT_COMFD\" \"$PWD\""),
        ),
        ("actions/echo/30noexec", 0o644, sh("echo should not run")),
        (
            "actions/validate/10check",
            0o755,
            sh("echo 'set-status validation-failed' >&3\n\
                echo '[{\"field\":\"x\",\"parameter\":\"x\",\"value\":\"v\",\"error\":\"x_bad\"}]'\nexit 3"),
        ),
        ("actions/badcmd/10step", 0o755, sh("echo set-status >&3")),
        (
            "actions/badoutput/validate-output.json",
            0o644,
            json!({"type": "object", "required": ["input"]}).to_string(),
        ),
        ("actions/badoutput/10step", 0o755, sh("echo '{\"wrong\":1}'")),
        (
            "actions/start/80start",
            0o755,
            sh("exec 1>&2\necho MAIL_HOST=127.0.0.1 >> environment\n\
                systemctl --user enable imapsync.service && systemctl --user restart imapsync.service"),
        ),
        (
            "actions/stop/10stop",
            0o755,
            sh("systemctl --user stop imapsync.service >&2"),
        ),
        (
            "actions/try/10try",
            0o755,
            sh("systemctl --user try-restart imapsync.service >&2"),
        ),
        (
            "bin/fake-helper",
            0o755,
            sh("[ ! -e fail-helper ] || { echo helper refused >&2; exit 7; }\n\
                printf '%s %s %s %s' \"$0\" \"$AGENT_ID\" \"$PWD\" \"${AGENT_COMFD-unset}\" > imapsync/helper-ran"),
        ),
        (
            "events/ping-received/10handler",
            0o755,
            sh("cat > \"$AGENT_STATE_DIR/event-payload\"\necho \"$AGENT_EVENT_SOURCE $AGENT_EVENT_NAME $AGENT_COMFD\""),
        ),
        ("systemd/user/imapsync.service", 0o644, UNIT.to_string()),
    ]
}

fn fake_node() -> (Node, TempDir) {
    let root = tempfile::tempdir().unwrap();
    for (path, mode, content) in fake_files() {
        let file = root.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let node = Node::start_with(NodeOptions {
        imageroot: root.path().to_path_buf(),
        users: 2,
        ..NodeOptions::default()
    });
    (node, root)
}

#[test]
fn actions_follow_the_agent_protocol() {
    let (node, _root) = fake_node();

    let echo = node.run("echo", json!({"name": "abc", "b": [1, 2]}));
    echo.expect_ok();
    assert_eq!(echo.output["input"], json!({"b": [1, 2], "name": "abc"}));
    assert_eq!(
        echo.output["from_first"], "1",
        "environment re-read before each step"
    );
    assert_eq!(echo.output["comfd"], "3");
    assert_eq!(echo.output["task_user"], "");
    assert_eq!(
        Path::new(echo.output["cwd"].as_str().unwrap()),
        node.state_dir()
    );
    assert_eq!(
        echo.commands,
        vec!["set-weight 10first 0", "set-progress 50"]
    );
    assert_eq!(echo.skipped_steps, vec!["30noexec"]);
    assert!(echo.error.contains("first ran"));

    let invalid = node.run("echo", json!({"name": "ABC"}));
    assert_eq!(
        (invalid.exit_code, invalid.status.as_str()),
        (10, "validation-failed")
    );
    assert_eq!(invalid.output[0]["error"], "name_pattern");
    assert_eq!(invalid.output[0]["value"], "ABC");
    assert!(
        invalid.error.starts_with("Validation errors"),
        "{}",
        invalid.error
    );
    let null = node.run("echo", Value::Null);
    assert_eq!(null.exit_code, 10);

    let refused = node.run("validate", json!({}));
    assert_eq!(
        (refused.exit_code, refused.status.as_str()),
        (3, "validation-failed")
    );
    assert_eq!(refused.output[0]["error"], "x_bad");

    let bad_output = node.run("badoutput", json!({}));
    assert_eq!(
        (bad_output.exit_code, bad_output.status.as_str()),
        (1, "aborted")
    );
    assert!(bad_output.error.contains("Validation errors"));

    let missing = node.run("no-such-action", json!({}));
    assert_eq!((missing.exit_code, missing.status.as_str()), (8, "aborted"));

    node.agent().run("badcmd", json!({}));
    let violations = node.agent().take_violations();
    assert!(
        violations.iter().any(|v| v.contains("would crash")),
        "{violations:?}"
    );

    let mut anonymous = node.redis().anonymous();
    let mirrored: String = redis::cmd("HGET")
        .arg("module/imapsync1/environment")
        .arg("FROM_FIRST")
        .query(&mut anonymous)
        .unwrap();
    assert_eq!(mirrored, "1");
    let selfadm: Vec<String> = redis::cmd("SMEMBERS")
        .arg("module/imapsync1/roles/selfadm")
        .query(&mut node.redis().admin())
        .unwrap();
    assert!(selfadm.contains(&"echo".to_string()), "{selfadm:?}");
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn post(url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = http().post(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.send_json(body).unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_json().unwrap_or(Value::Null),
    )
}

fn task_result(endpoint: &str, token: &str, agent: &str, id: &str) -> Value {
    let url = format!("{endpoint}/api/{agent}/task/{id}/status");
    e2e::wait_for(Duration::from_secs(30), "the task result", || {
        let mut response = http()
            .get(&url)
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap();
        (response.status().as_u16() == 200)
            .then(|| response.body_mut().read_json::<Value>().unwrap()["data"].clone())
    })
}

#[test]
fn api_server_checks_credentials_and_roles() {
    let (node, _root) = fake_node();
    let endpoint = node.api().endpoint();
    let agent_env = std::fs::read_to_string(node.state_dir().join("agent.env")).unwrap();
    let password = agent_env
        .lines()
        .find_map(|l| l.strip_prefix("REDIS_PASSWORD="))
        .unwrap();
    let login = format!("{endpoint}/api/login");

    let (code, _) = post(
        &login,
        None,
        json!({"username": "module/imapsync1", "password": "wrong"}),
    );
    assert_eq!(code, 401);
    let (code, _) = post(
        &login,
        None,
        json!({"username": "default", "password": "x"}),
    );
    assert_eq!(code, 401);
    let (code, body) = post(
        &login,
        None,
        json!({"username": "module/imapsync1", "password": password}),
    );
    assert_eq!(code, 200);
    let token = body["token"].as_str().unwrap().to_string();

    let mail_tasks = format!("{endpoint}/api/module/mail1/tasks");
    let (code, _) = post(
        &mail_tasks,
        None,
        json!({"action": "list-user-mailboxes", "data": {}}),
    );
    assert_eq!(code, 401);
    let (code, _) = post(
        &mail_tasks,
        Some(&token),
        json!({"action": "configure-module", "data": {}}),
    );
    assert_eq!(code, 403);
    let (code, body) = post(
        &mail_tasks,
        Some(&token),
        json!({"action": "reveal-master-credentials", "data": {}, "parent": ""}),
    );
    assert_eq!(code, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap();
    let result = task_result(&endpoint, &token, "module/mail1", id);
    assert_eq!(result["exit_code"], 0);
    assert_eq!(
        result["output"]["password"],
        node.rig().master_password.as_str()
    );

    let (_, body) = post(
        &mail_tasks,
        Some(&token),
        json!({"action": "list-user-mailboxes", "data": {}}),
    );
    let listed = task_result(
        &endpoint,
        &token,
        "module/mail1",
        body["data"]["id"].as_str().unwrap(),
    );
    assert_eq!(
        listed["output"]["user_mailboxes"],
        json!([{"user": "user1"}, {"user": "user2", "enabled": false}])
    );

    node.api().set_agent_down("module/mail1", true);
    let (code, body) = post(
        &mail_tasks,
        Some(&token),
        json!({"action": "list-user-mailboxes", "data": {}}),
    );
    assert_eq!(
        (code, body["message"].as_str()),
        (404, Some("client idle check failed"))
    );
    node.api().set_agent_down("module/mail1", false);

    let (code, body) = post(
        &format!("{endpoint}/api/module/imapsync1/tasks"),
        Some(&token),
        json!({"action": "echo", "data": {"name": "self", "remotepassword": "hidden"}, "parent": "p1"}),
    );
    assert_eq!(code, 201, "{body}");
    let own = task_result(
        &endpoint,
        &token,
        "module/imapsync1",
        body["data"]["id"].as_str().unwrap(),
    );
    assert_eq!(own["exit_code"], 0, "{own}");
    assert_eq!(own["output"]["task_user"], "module/imapsync1");

    let calls = node.api().calls_to("module/imapsync1", "echo");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].data["remotepassword"], "XXX");
    assert_eq!(calls[0].parent, "p1");
    assert_eq!(
        node.api()
            .calls_to("module/mail1", "list-user-mailboxes")
            .iter()
            .map(|c| c.status)
            .collect::<Vec<_>>(),
        vec![401, 201, 404]
    );
}

#[test]
fn systemctl_standin_runs_the_unit_and_events_reach_handlers() {
    let (node, _root) = fake_node();
    assert_eq!(node.supervisor_pid(), None);
    node.run("start", json!({})).expect_ok();
    let first = node.supervisor_pid().expect("the supervisor runs");
    let helper = std::fs::read_to_string(node.state_dir().join("imapsync/helper-ran")).unwrap();
    // A script sees its resolved path as $0 (execvp then the kernel's interpreter rule).
    assert_eq!(
        helper,
        format!(
            "{}/bin/fake-helper module/imapsync1 {} unset",
            node.install_dir().display(),
            node.state_dir().display()
        )
    );
    let log = node.systemctl_log();
    assert!(
        log.contains("systemctl --user restart imapsync.service"),
        "{log}"
    );
    assert!(
        log.contains("ExecStartPre runagent fake-helper -> 0"),
        "{log}"
    );
    assert!(log.contains("MAIL_HOST=127.0.0.1 MAIL_PORT="), "{log}");
    let listed = node.syncctl(&["list"]);
    assert_eq!(listed.code, 0, "the control socket answers: {listed:?}");

    node.run("start", json!({})).expect_ok();
    let second = node.supervisor_pid().expect("restarted");
    assert_ne!(first, second);
    assert!(!e2e::systemctl::process_alive(first));

    node.run("stop", json!({})).expect_ok();
    assert_eq!(node.supervisor_pid(), None);
    assert!(!e2e::systemctl::process_alive(second));
    node.run("try", json!({})).expect_ok();
    assert_eq!(
        node.supervisor_pid(),
        None,
        "try-restart leaves a stopped service alone"
    );

    std::fs::write(node.state_dir().join("fail-helper"), "").unwrap();
    let failed = node.run("start", json!({}));
    assert_eq!(failed.exit_code, 1, "{}", failed.error);
    assert!(
        failed.error.contains("Job for imapsync.service failed"),
        "{}",
        failed.error
    );
    assert!(node.systemctl_log().contains("helper refused"));
    assert_eq!(node.supervisor_pid(), None);
    std::fs::remove_file(node.state_dir().join("fail-helper")).unwrap();
    node.run("start", json!({})).expect_ok();
    let third = node.supervisor_pid().expect("started again");

    let event = node.event("module/mail1", "ping-received", &json!({"a": 1}));
    assert_eq!(event.exit_code, 0);
    assert_eq!(event.log.trim(), "module/mail1 ping-received 2");
    let payload = std::fs::read_to_string(node.state_dir().join("event-payload")).unwrap();
    assert_eq!(payload, r#"{"a":1}"#);

    drop(node);
    wait_until(
        Duration::from_secs(15),
        "the supervisor to stop with the node",
        || !e2e::systemctl::process_alive(third),
    );
}
