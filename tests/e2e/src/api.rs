//! The api-server stand-in: login against the real Redis, task submission with NS8's role
//! checks, task status polling. Tasks for the module itself go to the agent stand-in; the
//! Mail module's actions are answered here. Every submission is recorded.

use crate::agent::{ActionResult, Agent};
use crate::redis_server::RedisHandle;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tiny_http::{Header, Method, Request, Response, Server};

/// One mailbox as Mail's `list-user-mailboxes` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// The user name.
    pub user: String,
    /// `false` for a disabled mailbox (listed with `"enabled": false`).
    pub enabled: bool,
}

/// What Mail's `list-user-mailboxes` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mailboxes {
    /// `{"default_spam_retention":..., "user_mailboxes":[...]}`.
    Users(Vec<Mailbox>),
    /// Mail not configured yet: the output is `[]`.
    NotConfigured,
}

/// One task submission (`POST /api/<agent>/tasks`), whatever its answer.
#[derive(Clone, Debug)]
pub struct ApiCall {
    /// Authenticated user (empty when the token was missing or unknown).
    pub user: String,
    /// Target agent (`module/mail1`).
    pub agent_id: String,
    /// Requested action.
    pub action: String,
    /// Task data with secret-looking fields replaced by `XXX`.
    pub data: Value,
    /// The `parent` task id sent.
    pub parent: String,
    /// HTTP status answered.
    pub status: u16,
}

/// What the Mail module stand-in knows.
#[derive(Clone, Debug)]
pub struct MailBehaviour {
    /// Agent ids of the Mail modules (`module/mail1`, ...).
    pub agents: Vec<String>,
    /// The vmail master password `reveal-master-credentials` reveals.
    pub master_password: String,
    /// The answer of `list-user-mailboxes`.
    pub mailboxes: Mailboxes,
}

struct Finished {
    output: Value,
    error: String,
    exit_code: i32,
}

struct State {
    redis: RedisHandle,
    agent: Arc<Agent>,
    mail: Mutex<MailBehaviour>,
    tokens: Mutex<HashMap<String, String>>,
    tasks: Mutex<HashMap<String, Option<Finished>>>,
    calls: Mutex<Vec<ApiCall>>,
    down: Mutex<HashSet<String>>,
}

/// The running stand-in, stopped when dropped.
pub struct ApiServer {
    port: u16,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Binds the listening socket first, so the endpoint is known before the agent exists.
pub struct ApiListener {
    server: Server,
    port: u16,
}

impl ApiListener {
    /// Listens on a free loopback port.
    pub fn bind() -> ApiListener {
        let server = Server::http("127.0.0.1:0").expect("bind the api-server stand-in");
        let port = server
            .server_addr()
            .to_ip()
            .map(|addr| addr.port())
            .expect("an IP listener");
        ApiListener { server, port }
    }

    /// `http://127.0.0.1:<port>`, the module's `IMAPSYNC_API_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts serving.
    pub fn serve(self, redis: RedisHandle, agent: Arc<Agent>, mail: MailBehaviour) -> ApiServer {
        let state = Arc::new(State {
            redis,
            agent,
            mail: Mutex::new(mail),
            tokens: Mutex::new(HashMap::new()),
            tasks: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
            down: Mutex::new(HashSet::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = state.clone();
            let stop = stop.clone();
            let server = self.server;
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(100)) {
                        handle(&state, request);
                    }
                }
            })
        };
        ApiServer {
            port: self.port,
            state,
            stop,
            thread: Some(thread),
        }
    }
}

impl ApiServer {
    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every task submission so far.
    pub fn calls(&self) -> Vec<ApiCall> {
        self.state.calls.lock().unwrap().clone()
    }

    /// Submissions of `action` to `agent_id`.
    pub fn calls_to(&self, agent_id: &str, action: &str) -> Vec<ApiCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.agent_id == agent_id && c.action == action)
            .collect()
    }

    /// Marks an agent as not connected (submissions get 404 "client idle check failed").
    pub fn set_agent_down(&self, agent_id: &str, down: bool) {
        let mut set = self.state.down.lock().unwrap();
        if down {
            set.insert(agent_id.to_string());
        } else {
            set.remove(agent_id);
        }
    }

    /// Changes what `list-user-mailboxes` answers.
    pub fn set_mailboxes(&self, mailboxes: Mailboxes) {
        self.state.mail.lock().unwrap().mailboxes = mailboxes;
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn reply(request: Request, code: u16, body: Value) {
    let header = Header::from_bytes("Content-Type", "application/json; charset=utf-8")
        .expect("static header");
    let response = Response::from_string(body.to_string())
        .with_status_code(code)
        .with_header(header);
    let _ = request.respond(response);
}

fn handle(state: &Arc<State>, mut request: Request) {
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let mut body = String::new();
    if request.as_reader().read_to_string(&mut body).is_err() {
        return reply(
            request,
            400,
            json!({"code": 400, "message": "unreadable body"}),
        );
    }
    let method = request.method().clone();
    let user = bearer(&request).and_then(|token| state.tokens.lock().unwrap().get(&token).cloned());
    let Some(rest) = path.strip_prefix("/api/") else {
        return reply(request, 404, json!({"code": 404, "message": "not found"}));
    };
    if method == Method::Post && rest == "login" {
        return login(state, request, &body);
    }
    if method == Method::Post {
        if let Some(agent_id) = rest.strip_suffix("/tasks") {
            return submit(state, request, agent_id, user, &body);
        }
    }
    if method == Method::Get {
        if let Some((agent_id, id)) = rest
            .strip_suffix("/status")
            .and_then(|r| r.rsplit_once("/task/"))
        {
            return status(state, request, agent_id, id, user);
        }
    }
    reply(request, 404, json!({"code": 404, "message": "not found"}))
}

fn bearer(request: &Request) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .and_then(|h| h.value.as_str().strip_prefix("Bearer ").map(str::to_string))
}

fn login(state: &Arc<State>, request: Request, body: &str) {
    let credentials: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let username = credentials["username"].as_str().unwrap_or_default();
    let password = credentials["password"].as_str().unwrap_or_default();
    let accepted = !username.is_empty()
        && username != "default"
        && state.redis.connect_as(username, password).is_ok();
    if !accepted {
        return reply(
            request,
            401,
            json!({"code": 401, "message": "incorrect Username or Password"}),
        );
    }
    let token = crate::ids::alphanumeric(48);
    state
        .tokens
        .lock()
        .unwrap()
        .insert(token.clone(), username.to_string());
    let expire = (chrono::Utc::now() + chrono::Duration::days(14)).to_rfc3339();
    reply(
        request,
        200,
        json!({"code": 200, "expire": expire, "token": token}),
    )
}

fn submit(state: &Arc<State>, request: Request, agent_id: &str, user: Option<String>, body: &str) {
    let task: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let action = task["action"].as_str().unwrap_or_default().to_string();
    let data = task.get("data").cloned().unwrap_or(Value::Null);
    let parent = task["parent"].as_str().unwrap_or_default().to_string();
    let mut call = ApiCall {
        user: user.clone().unwrap_or_default(),
        agent_id: agent_id.to_string(),
        action: action.clone(),
        data: obscure(&data),
        parent: parent.clone(),
        status: 0,
    };
    let (code, answer) = match &user {
        None => (
            401,
            json!({"code": 401, "message": "auth token is empty or invalid"}),
        ),
        Some(_) if action.is_empty() => (
            400,
            json!({"code": 400, "message": "request fields malformed", "data": body}),
        ),
        Some(user) if !allowed(state, user, agent_id, &action) => (
            403,
            json!({"code": 403, "message": "forbidden", "data": format!("{user} may not run {action} on {agent_id}")}),
        ),
        Some(_) if state.down.lock().unwrap().contains(agent_id) => (
            404,
            json!({"code": 404, "message": "client idle check failed", "data": agent_id}),
        ),
        Some(user) => {
            let id = crate::ids::uuid4();
            state.tasks.lock().unwrap().insert(id.clone(), None);
            let worker_state = state.clone();
            let (agent, worker_action, worker_user, worker_id) = (
                agent_id.to_string(),
                action.clone(),
                user.clone(),
                id.clone(),
            );
            std::thread::spawn(move || {
                let finished = execute(
                    &worker_state,
                    &agent,
                    &worker_action,
                    &data,
                    &worker_user,
                    &worker_id,
                );
                worker_state
                    .tasks
                    .lock()
                    .unwrap()
                    .insert(worker_id, Some(finished));
            });
            let timestamp = chrono::Utc::now().to_rfc3339();
            (
                201,
                json!({"code": 201, "message": "task queued successfully", "data": {
                    "id": id, "action": action, "queue": format!("{agent_id}/tasks"),
                    "user": user, "timestamp": timestamp, "parent": parent,
                }}),
            )
        }
    };
    call.status = code;
    state.calls.lock().unwrap().push(call);
    reply(request, code, answer)
}

fn status(state: &Arc<State>, request: Request, agent_id: &str, id: &str, user: Option<String>) {
    if user.is_none() {
        return reply(
            request,
            401,
            json!({"code": 401, "message": "auth token is empty or invalid"}),
        );
    }
    let tasks = state.tasks.lock().unwrap();
    match tasks.get(id) {
        Some(Some(done)) => {
            let body = json!({"code": 200, "message": "success", "data": {
                "output": done.output, "error": done.error, "exit_code": done.exit_code,
                "file": format!("task/{agent_id}/{id}"),
            }});
            drop(tasks);
            reply(request, 200, body)
        }
        _ => {
            drop(tasks);
            reply(
                request,
                400,
                json!({"code": 400, "message": "error getting task status", "data": "redis: nil"}),
            )
        }
    }
}

/// NS8's authorization: `HGET roles/<user> <agent>` lists roles, each role's action globs
/// are `SMEMBERS <agent>/roles/<role>`.
fn allowed(state: &State, user: &str, agent_id: &str, action: &str) -> bool {
    let mut redis = state.redis.admin();
    let roles: Option<String> = redis::cmd("HGET")
        .arg(format!("roles/{user}"))
        .arg(agent_id)
        .query(&mut redis)
        .unwrap_or(None);
    roles
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
        .any(|role| {
            let globs: Vec<String> = redis::cmd("SMEMBERS")
                .arg(format!("{agent_id}/roles/{role}"))
                .query(&mut redis)
                .unwrap_or_default();
            globs.iter().any(|glob| glob_match(glob, action))
        })
}

/// Go `filepath.Match` for the patterns roles use (`*`, `?`, literals).
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn matches(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| matches(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && matches(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && matches(rest, &t[1..]),
        }
    }
    matches(&p, &t)
}

fn execute(
    state: &State,
    agent_id: &str,
    action: &str,
    data: &Value,
    user: &str,
    id: &str,
) -> Finished {
    if agent_id == state.agent.id() {
        let ActionResult {
            output,
            error,
            exit_code,
            ..
        } = state.agent.run_task(action, data, user, id);
        return Finished {
            output,
            error,
            exit_code,
        };
    }
    let mail = state.mail.lock().unwrap().clone();
    if !mail.agents.iter().any(|a| a == agent_id) {
        return undefined(action);
    }
    match action {
        "reveal-master-credentials" => Finished {
            output: json!({"username": "vmail", "password": mail.master_password}),
            error: String::new(),
            exit_code: 0,
        },
        "list-user-mailboxes" => Finished {
            output: match &mail.mailboxes {
                Mailboxes::NotConfigured => json!([]),
                Mailboxes::Users(users) => json!({
                    "default_spam_retention": {"value": 15},
                    "user_mailboxes": users.iter().map(|m| if m.enabled {
                        json!({"user": m.user})
                    } else {
                        json!({"user": m.user, "enabled": false})
                    }).collect::<Vec<_>>(),
                }),
            },
            error: String::new(),
            exit_code: 0,
        },
        _ => undefined(action),
    }
}

fn undefined(action: &str) -> Finished {
    Finished {
        output: Value::String(String::new()),
        error: format!("Action {action} is not defined\n"),
        exit_code: 8,
    }
}

/// The task data with the value of every key ending in password, secret, token, key or
/// pass replaced by `XXX`, recursively.
pub fn obscure(data: &Value) -> Value {
    match data {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_lowercase();
                    let secret = ["password", "secret", "token", "key", "pass"]
                        .iter()
                        .any(|s| lower.ends_with(s));
                    (k.clone(), if secret { json!("XXX") } else { obscure(v) })
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(obscure).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_go() {
        assert!(glob_match("list-*", "list-user-mailboxes"));
        assert!(glob_match(
            "reveal-master-credentials",
            "reveal-master-credentials"
        ));
        assert!(!glob_match("get-*", "list-user-mailboxes"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("get-?", "get-x"));
    }

    #[test]
    fn secrets_are_obscured() {
        let data = json!({"remotepassword": "s", "nested": [{"api_token": "t"}], "user": "u"});
        assert_eq!(
            obscure(&data),
            json!({"remotepassword": "XXX", "nested": [{"api_token": "XXX"}], "user": "u"})
        );
    }
}
