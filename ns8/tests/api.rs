//! `ApiClient::run` against a small stand-in of the NS8 api-server (ns8-runtime §2.3): JWT checks
//! with 401 on a stale token, `/api/login` with the module credentials, task submission with its
//! 201/403/404/429/5xx answers, and the status endpoint answering 400 until the task is done.

use std::collections::VecDeque;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ns8::api::{ApiClient, ApiError, TaskResult};
use ns8::redis_conn::Password;
use serde_json::{json, Value};

const USER: &str = "module/imapsync1";
const PASSWORD: &str = "7d1c-module-password";
const VALID_TOKEN: &str = "jwt.valid.token";
const PARENT_TASK: &str = "0b5e-parent-task";

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
}

/// What the stand-in answers.
struct Script {
    connected_agents: Vec<String>,
    forbidden_actions: Vec<String>,
    /// Statuses answered to task submissions before one is accepted.
    submit_failures: VecDeque<u16>,
    /// 400 answers to status polls before the result.
    pending_polls: usize,
    /// Answer 401 to the first status poll (the token expires while the task runs).
    expire_token_at_first_poll: bool,
    result: Value,
    seen: Vec<Seen>,
    next_task: u32,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            connected_agents: vec!["module/mail1".into()],
            forbidden_actions: Vec::new(),
            submit_failures: VecDeque::new(),
            pending_polls: 0,
            expire_token_at_first_poll: false,
            result: json!({"output": {"username": "vmail", "password": "vmail-pass"}, "error": "", "exit_code": 0}),
            seen: Vec::new(),
            next_task: 0,
        }
    }
}

struct ApiServer {
    url: String,
    script: Arc<Mutex<Script>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    _state: tempfile::TempDir,
    token_cache: PathBuf,
}

impl ApiServer {
    fn start(script: Script) -> ApiServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let script = Arc::new(Mutex::new(script));
        let thread = {
            let server = Arc::clone(&server);
            let script = Arc::clone(&script);
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut body = String::new();
                    request.as_reader().read_to_string(&mut body).unwrap();
                    let seen = Seen {
                        method: request.method().to_string(),
                        path: request.url().to_owned(),
                        authorization: request
                            .headers()
                            .iter()
                            .find(|h| h.field.equiv("Authorization"))
                            .map(|h| h.value.to_string()),
                        body,
                    };
                    let (status, answer) = answer(&mut script.lock().unwrap(), seen);
                    let header =
                        tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap();
                    let response = tiny_http::Response::from_string(answer.to_string())
                        .with_status_code(status)
                        .with_header(header);
                    let _ = request.respond(response);
                }
            })
        };
        let state = tempfile::tempdir().unwrap();
        let token_cache = state.path().join("apitoken.cache");
        ApiServer {
            url: format!("http://127.0.0.1:{port}"),
            script,
            server,
            thread: Some(thread),
            _state: state,
            token_cache,
        }
    }

    fn client(&self) -> ApiClient {
        ApiClient::new(&self.url, &self.token_cache)
            .unwrap()
            .with_credentials(USER, Password::new(PASSWORD))
            .with_parent(PARENT_TASK)
            .with_poll_interval(Duration::from_millis(5))
            .with_backoff_base(Duration::from_millis(2))
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    fn paths(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn message(code: u16, text: &str) -> (u16, Value) {
    (code, json!({"code": code, "message": text, "data": null}))
}

/// The api-server behaviour the client relies on.
fn answer(script: &mut Script, seen: Seen) -> (u16, Value) {
    script.seen.push(seen.clone());
    if seen.method == "POST" && seen.path == "/api/login" {
        let creds: Value = serde_json::from_str(&seen.body).unwrap_or(Value::Null);
        if creds["username"] == USER && creds["password"] == PASSWORD {
            return (
                200,
                json!({"code": 200, "expire": "2026-09-08T10:00:00Z", "token": VALID_TOKEN}),
            );
        }
        return message(401, "incorrect Username or Password");
    }
    if seen.authorization.as_deref() != Some(&format!("Bearer {VALID_TOKEN}")) {
        return message(401, "Token is expired");
    }
    let path = seen.path.strip_prefix("/api/").unwrap_or_default();
    if seen.method == "POST" {
        let agent = path.strip_suffix("/tasks").unwrap_or_default();
        let task: Value = serde_json::from_str(&seen.body).unwrap_or(Value::Null);
        if task["action"].as_str().is_none() {
            return message(400, "request fields malformed");
        }
        if let Some(status) = script.submit_failures.pop_front() {
            return message(status, "busy, try later");
        }
        if !script.connected_agents.iter().any(|a| a == agent) {
            return message(404, "client idle check failed");
        }
        if script
            .forbidden_actions
            .iter()
            .any(|a| task["action"] == a.as_str())
        {
            return message(403, "forbidden");
        }
        script.next_task += 1;
        let id = format!("task-{}", script.next_task);
        return (
            201,
            json!({"code": 201, "message": "task queued successfully", "data": {"id": id, "action": task["action"], "queue": format!("{agent}/tasks"), "user": USER, "parent": task["parent"]}}),
        );
    }
    if seen.method == "GET" && path.ends_with("/status") {
        if script.expire_token_at_first_poll {
            script.expire_token_at_first_poll = false;
            return message(401, "Token is expired");
        }
        if script.pending_polls > 0 {
            script.pending_polls -= 1;
            return message(400, "error getting task status");
        }
        let mut data = script.result.clone();
        data["file"] = json!("task/module/mail1/task-1");
        return (
            200,
            json!({"code": 200, "message": "success", "data": data}),
        );
    }
    message(404, "404 page not found")
}

#[test]
fn stale_token_triggers_login_then_the_task_runs_to_completion() {
    let api = ApiServer::start(Script {
        pending_polls: 2,
        ..Script::default()
    });
    fs::write(&api.token_cache, "jwt.stale.token\n").unwrap();

    let result = api
        .client()
        .run("module/mail1", "reveal-master-credentials", &json!({}))
        .unwrap();

    assert_eq!(
        result,
        TaskResult {
            output: json!({"username": "vmail", "password": "vmail-pass"}),
            error: String::new(),
            exit_code: 0
        }
    );
    assert_eq!(
        api.paths(),
        vec![
            "POST /api/module/mail1/tasks",
            "POST /api/login",
            "POST /api/module/mail1/tasks",
            "GET /api/module/mail1/task/task-1/status",
            "GET /api/module/mail1/task/task-1/status",
            "GET /api/module/mail1/task/task-1/status",
        ]
    );
    let seen = api.seen();
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer jwt.stale.token")
    );
    let login: Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(login, json!({"username": USER, "password": PASSWORD}));
    assert_eq!(seen[1].authorization, None);
    let submitted: Value = serde_json::from_str(&seen[2].body).unwrap();
    assert_eq!(
        submitted,
        json!({"action": "reveal-master-credentials", "data": {}, "parent": PARENT_TASK, "extra": {}})
    );
    assert!(seen[3..]
        .iter()
        .all(|s| s.authorization.as_deref() == Some("Bearer jwt.valid.token")));

    // The new token is cached privately, in the raw format the Python library shares.
    assert_eq!(fs::read_to_string(&api.token_cache).unwrap(), VALID_TOKEN);
    assert_eq!(
        fs::metadata(&api.token_cache).unwrap().mode() & 0o7777,
        0o600
    );
}

#[test]
fn a_cached_token_is_used_without_login() {
    let api = ApiServer::start(Script::default());
    fs::write(&api.token_cache, format!("  {VALID_TOKEN}\n")).unwrap();
    let result = api
        .client()
        .run("module/mail1", "list-user-mailboxes", &json!({"x": 1}))
        .unwrap();
    assert_eq!(result.exit_code, 0);
    assert!(
        !api.paths().iter().any(|p| p.contains("login")),
        "{:?}",
        api.paths()
    );
}

#[test]
fn token_expiring_while_polling_logs_in_again() {
    let api = ApiServer::start(Script {
        expire_token_at_first_poll: true,
        ..Script::default()
    });
    fs::write(&api.token_cache, VALID_TOKEN).unwrap();
    let result = api
        .client()
        .run("module/mail1", "list-user-mailboxes", &json!({}))
        .unwrap();
    assert_eq!(result.exit_code, 0);
    assert_eq!(
        api.paths(),
        vec![
            "POST /api/module/mail1/tasks",
            "GET /api/module/mail1/task/task-1/status",
            "POST /api/login",
            "GET /api/module/mail1/task/task-1/status",
        ]
    );
}

#[test]
fn busy_answers_are_retried_with_backoff() {
    let api = ApiServer::start(Script {
        submit_failures: VecDeque::from([429, 503, 502]),
        ..Script::default()
    });
    fs::write(&api.token_cache, VALID_TOKEN).unwrap();
    let result = api
        .client()
        .run("module/mail1", "list-user-mailboxes", &json!({}))
        .unwrap();
    assert_eq!(result.exit_code, 0);
    let submissions = api.paths().iter().filter(|p| p.starts_with("POST")).count();
    assert_eq!(submissions, 4);
}

#[test]
fn persistent_server_errors_give_up_after_twenty_attempts() {
    let api = ApiServer::start(Script {
        submit_failures: VecDeque::from(vec![500; 25]),
        ..Script::default()
    });
    fs::write(&api.token_cache, VALID_TOKEN).unwrap();
    let err = api
        .client()
        .with_backoff_base(Duration::from_micros(1))
        .run("module/mail1", "list-user-mailboxes", &json!({}))
        .unwrap_err();
    assert!(matches!(err, ApiError::Http { status: 500, .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(api.paths().len(), 20);
}

#[test]
fn disconnected_agent_is_reported_as_unreachable_without_retries() {
    let api = ApiServer::start(Script::default());
    fs::write(&api.token_cache, VALID_TOKEN).unwrap();
    let err = api
        .client()
        .run("module/mail9", "reveal-master-credentials", &json!({}))
        .unwrap_err();
    assert!(matches!(err, ApiError::AgentUnreachable(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(err.to_string().contains("module/mail9"), "{err}");
    assert_eq!(api.paths().len(), 1);
}

#[test]
fn forbidden_actions_are_final() {
    let api = ApiServer::start(Script {
        forbidden_actions: vec!["remove-module".into()],
        ..Script::default()
    });
    fs::write(&api.token_cache, VALID_TOKEN).unwrap();
    let err = api
        .client()
        .run("module/mail1", "remove-module", &json!({}))
        .unwrap_err();
    assert!(matches!(err, ApiError::Forbidden(_)), "{err:?}");
    assert!(!err.is_transient());
}

#[test]
fn outputs_that_are_not_json_stay_strings() {
    for output in [json!("plain text {not json"), json!("")] {
        let api = ApiServer::start(Script {
            result: json!({"output": output, "error": "<4>warning line\n", "exit_code": 3}),
            ..Script::default()
        });
        fs::write(&api.token_cache, VALID_TOKEN).unwrap();
        let result = api
            .client()
            .run("module/mail1", "list-user-mailboxes", &json!({}))
            .unwrap();
        assert_eq!(result.output, output);
        assert_eq!(result.error, "<4>warning line\n");
        assert_eq!(result.exit_code, 3);
    }
}

#[test]
fn wrong_credentials_fail_without_showing_the_password() {
    let api = ApiServer::start(Script::default());
    let err = ApiClient::new(&api.url, &api.token_cache)
        .unwrap()
        .with_credentials(USER, Password::new("not-the-password"))
        .run("module/mail1", "list-user-mailboxes", &json!({}))
        .unwrap_err();
    assert!(matches!(err, ApiError::Http { status: 401, .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("not-the-password"));
    assert!(!api.token_cache.exists());
}

#[test]
fn missing_credentials_are_a_configuration_error() {
    let api = ApiServer::start(Script::default());
    let err = ApiClient::new(&api.url, &api.token_cache)
        .unwrap()
        .run("module/mail1", "list-user-mailboxes", &json!({}))
        .unwrap_err();
    assert!(matches!(err, ApiError::Config(_)), "{err:?}");
}

#[test]
fn unreachable_api_server_is_a_transient_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let state = tempfile::tempdir().unwrap();
    let err = ApiClient::new(
        &format!("http://127.0.0.1:{port}"),
        state.path().join("apitoken.cache"),
    )
    .unwrap()
    .with_credentials(USER, Password::new(PASSWORD))
    .with_backoff_base(Duration::from_micros(1))
    .run("module/mail1", "list-user-mailboxes", &json!({}))
    .unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(
        err.to_string().contains("gave up after 20 attempts"),
        "{err}"
    );
    assert!(!err.to_string().contains(PASSWORD));
}

#[test]
fn a_task_that_never_finishes_ends_at_the_callers_deadline() {
    let api = ApiServer::start(Script {
        pending_polls: usize::MAX,
        ..Script::default()
    });
    fs::write(&api.token_cache, VALID_TOKEN).unwrap();
    let started = std::time::Instant::now();
    let failure = api
        .client()
        .with_deadline(Duration::from_millis(300))
        .run("module/mail1", "list-user-mailboxes", &json!({}))
        .unwrap_err();
    assert!(matches!(failure, ApiError::TimedOut(_)), "{failure:?}");
    assert!(failure.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let polls = api.paths().iter().filter(|p| p.starts_with("GET")).count();
    assert!(
        polls > 1,
        "it kept polling until the deadline ({polls} polls)"
    );
}
