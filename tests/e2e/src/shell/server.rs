//! The shell's HTTP side, one thread and one request per connection: the shell page and its
//! script, the built module UI under `/cluster-admin/apps/<module_id>/`, the task API under
//! `/cluster-admin/api/` (bearer token checked) with the long-polled task-end events, and
//! the `/_test/...` endpoints of the browser tests.

use super::http::{self, HttpRequest, ReadError, Responder};
use super::inspect;
use super::page::{self, PageSettings};
use super::static_files;
use super::tasks::{parse_submission, TaskDesk, ADMIN_USER};
use crate::node::Node;
use serde_json::{json, Value};
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// How long an event poll waits for a task to end before answering empty.
pub const EVENT_WAIT: Duration = Duration::from_secs(25);
/// How often the accept loop looks at the stop condition.
const ACCEPT_TICK: Duration = Duration::from_millis(25);

/// Everything the requests share.
pub struct Shell<'n> {
    /// The node running the module.
    pub node: &'n Node,
    /// Task submissions and their ends.
    pub desk: TaskDesk<'n>,
    /// The hosted module's id.
    pub module_id: String,
    /// Its name in the navigation.
    pub app_label: String,
    /// The built module UI.
    pub ui_dist: PathBuf,
    /// The admin's API token.
    pub token: String,
}

/// Answers connections, each on its own thread, until `keep_running` says no; then wakes
/// the event pollers and returns once every connection thread has finished.
pub fn serve(shell: &Shell, listener: &TcpListener, keep_running: impl Fn() -> bool) {
    if let Err(e) = listener.set_nonblocking(true) {
        eprintln!("ui-shell: cannot poll the listening socket: {e}");
        return;
    }
    std::thread::scope(|scope| {
        while keep_running() {
            match listener.accept() {
                Ok((stream, _)) => {
                    scope.spawn(move || serve_connection(shell, stream));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_TICK),
                Err(e) => {
                    eprintln!("ui-shell: accept failed: {e}");
                    std::thread::sleep(ACCEPT_TICK);
                }
            }
        }
        shell.desk.events().close();
    });
}

fn serve_connection(shell: &Shell, stream: TcpStream) {
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    match http::read_request(&stream) {
        Ok(request) => handle(shell, request, Responder::new(stream)),
        Err(ReadError::Malformed(problem)) => reply_json(
            Responder::new(stream),
            400,
            &json!({"code": 400, "message": problem}),
        ),
        Err(ReadError::Io(_)) => {}
    }
}

const NO_STORE: (&str, &str) = ("Cache-Control", "no-store");

fn reply_json(responder: Responder, code: u16, body: &Value) {
    responder.respond(
        code,
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            NO_STORE,
        ],
        body.to_string().as_bytes(),
    );
}

fn reply_text(responder: Responder, content_type: &str, body: &str) {
    responder.respond(
        200,
        &[("Content-Type", content_type), NO_STORE],
        body.as_bytes(),
    );
}

fn not_found(responder: Responder) {
    reply_json(
        responder,
        404,
        &json!({"code": 404, "message": "not found"}),
    );
}

fn handle(shell: &Shell, request: HttpRequest, responder: Responder) {
    let path = request.path().to_string();
    let get = request.method == "GET";
    let app_prefix = format!("/cluster-admin/apps/{}/", shell.module_id);
    match path.as_str() {
        "/" | "/cluster-admin" if get => {
            let location = format!("/cluster-admin/#/apps/{}", shell.module_id);
            responder.respond(302, &[("Location", &location)], b"")
        }
        "/cluster-admin/" | "/cluster-admin/index.html" if get => {
            let html = page::render(&PageSettings {
                module_id: shell.module_id.clone(),
                app_label: shell.app_label.clone(),
                username: ADMIN_USER.into(),
                token: shell.token.clone(),
                events_after: shell.desk.events().last_seq(),
            });
            reply_text(responder, "text/html; charset=utf-8", &html)
        }
        "/cluster-admin/shell.js" if get => {
            reply_text(responder, "text/javascript; charset=utf-8", page::SCRIPT)
        }
        "/cluster-admin/shell.css" if get => {
            reply_text(responder, "text/css; charset=utf-8", page::STYLE)
        }
        _ if get && path.starts_with(&app_prefix) => {
            serve_ui_file(shell, responder, &path[app_prefix.len()..])
        }
        _ if path.starts_with("/cluster-admin/api/") => {
            let rest = path["/cluster-admin/api/".len()..].to_string();
            api(shell, &request, responder, &rest)
        }
        "/_test" | "/_test/" if get => reply_json(responder, 200, &inspect::index()),
        _ if get && path.starts_with("/_test/") => {
            test_endpoint(shell, responder, &path["/_test/".len()..], &request)
        }
        "/_test/new-mail" if request.method == "POST" => {
            let answer = inspect::new_mail(shell.node, &request.query());
            test_answer(responder, answer)
        }
        _ => not_found(responder),
    }
}

fn serve_ui_file(shell: &Shell, responder: Responder, relative: &str) {
    let Some(path) = static_files::resolve(&shell.ui_dist, relative) else {
        return not_found(responder);
    };
    match std::fs::read(&path) {
        Ok(bytes) => responder.respond(
            200,
            &[("Content-Type", static_files::content_type(&path))],
            &bytes,
        ),
        Err(_) => not_found(responder),
    }
}

fn authorized(shell: &Shell, request: &HttpRequest) -> bool {
    request.header("Authorization") == Some(format!("Bearer {}", shell.token).as_str())
}

fn api(shell: &Shell, request: &HttpRequest, responder: Responder, rest: &str) {
    if !authorized(shell, request) {
        return reply_json(
            responder,
            401,
            &json!({"code": 401, "message": "auth token is empty or invalid"}),
        );
    }
    if request.method == "GET" && rest == "_events" {
        return events(shell, responder, request);
    }
    let Some(agent_id) = rest.strip_suffix("/tasks") else {
        return not_found(responder);
    };
    if request.method != "POST" {
        return not_found(responder);
    }
    let ours = format!("module/{}", shell.module_id);
    let known_node = agent_id
        .strip_prefix("node/")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if agent_id.starts_with("module/") && agent_id != ours {
        return reply_json(
            responder,
            403,
            &json!({"code": 403, "message": "forbidden", "data": format!("this shell only hosts {ours}")}),
        );
    }
    if agent_id != ours && agent_id != "cluster" && !known_node {
        return not_found(responder);
    }
    let submission = match parse_submission(&String::from_utf8_lossy(&request.body)) {
        Ok(submission) => submission,
        Err(problem) => {
            return reply_json(
                responder,
                400,
                &json!({"code": 400, "message": "request fields malformed", "data": problem}),
            )
        }
    };
    let context = shell.desk.accept(&format!("{agent_id}/tasks"), submission);
    reply_json(
        responder,
        201,
        &json!({"code": 201, "message": "success", "data": context}),
    );
    shell.desk.run(&context);
}

fn events(shell: &Shell, responder: Responder, request: &HttpRequest) {
    let params = request.query();
    let log = shell.desk.events();
    let Some(after) = params.get("after") else {
        return reply_json(
            responder,
            200,
            &json!({"events": [], "last": log.last_seq()}),
        );
    };
    let Ok(after) = after.parse::<u64>() else {
        return reply_json(
            responder,
            400,
            &json!({"code": 400, "message": "after must be a number"}),
        );
    };
    let found = log.wait_after(after, EVENT_WAIT);
    let last = found.last().map_or(after, |event| event.seq);
    reply_json(responder, 200, &json!({"events": found, "last": last}));
}

fn test_endpoint(shell: &Shell, responder: Responder, name: &str, request: &HttpRequest) {
    let params = request.query();
    let answer = match name {
        "messages" => inspect::messages(shell.node, &params),
        "task-files" => Ok(inspect::task_files(shell.node)),
        "task" => inspect::task(shell.node, &params),
        "calls" => Ok(inspect::calls(&shell.desk)),
        "violations" => Ok(inspect::violations(&shell.desk)),
        _ => return not_found(responder),
    };
    test_answer(responder, answer)
}

fn test_answer(responder: Responder, answer: Result<Value, String>) {
    match answer {
        Ok(body) => reply_json(responder, 200, &body),
        Err(problem) => reply_json(responder, 400, &json!({"code": 400, "message": problem})),
    }
}
