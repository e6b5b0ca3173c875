//! `agent.tasks.run` over the api-server HTTP API (ns8-runtime §2.3), the way a module calls
//! actions of other agents: submit `POST /api/<agent>/tasks` with the cached JWT (logging in with the
//! module's Redis credentials on 401), then poll `GET /api/<agent>/task/<id>/status` until the task
//! is done. Busy or failing servers (429/5xx) and transport errors are retried with exponential
//! backoff like the Python client. Passwords and tokens never appear in logs or errors.

use std::path::PathBuf;
use std::thread::sleep;
use std::time::Duration;

use serde_json::{json, Value};

use crate::log;
use protocol::atomic_file::write_durable;
use protocol::secret::Secret;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// The api-server on the leader node, the only one that accepts task submissions.
pub const DEFAULT_ENDPOINT: &str = "http://cluster-leader:9311";
/// File name of the JWT cache in the state directory (shared with the Python library).
pub const TOKEN_CACHE_FILE: &str = "apitoken.cache";
/// Requests tried before a temporary failure is reported (Python `retry_attempts`).
const RETRY_ATTEMPTS: u32 = 20;
/// Longest pause between two attempts: Python doubles without a bound, which would make a
/// caller wait for days on an api-server that stays down.
const MAX_BACKOFF_DELAY: Duration = Duration::from_secs(30);
/// HTTP statuses that mean "try again later".
const RETRYABLE_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];
/// Default wait between two status polls.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default first retry delay (before jitter).
const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Longest wait for a TCP connection to the api-server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest time for one HTTP exchange.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest response body read (task outputs such as mailbox lists can be large).
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// Characters of a non-JSON error body quoted in an error message.
const MAX_QUOTED_BODY_CHARS: usize = 200;

/// The outcome of a finished task. A non-zero `exit_code` is not an error: the caller checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    /// The task output as the api-server decoded it: a JSON value, or the raw text as a string
    /// when it is not JSON (`""` when the action printed nothing).
    pub output: Value,
    /// The stderr text of the action.
    pub error: String,
    /// The exit code of the action (`-1` when a step was killed by a signal).
    pub exit_code: i32,
}

/// Why a task could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The target agent is not connected (`404 client idle check failed`); try again later.
    #[error("{0}")]
    AgentUnreachable(String),
    /// The module may not run this action on the target agent (403).
    #[error("{0}")]
    Forbidden(String),
    /// Any other HTTP failure, including 429/5xx that persisted through all retries.
    #[error("{message} (HTTP {status})")]
    Http {
        /// The HTTP status.
        status: u16,
        /// What went wrong, with the api-server's message.
        message: String,
    },
    /// The api-server could not be reached, through all retries.
    #[error("{0}")]
    Transport(String),
    /// The client settings are incomplete or invalid.
    #[error("{0}")]
    Config(String),
    /// The task did not finish within the caller's deadline.
    #[error("{0}")]
    TimedOut(String),
}

impl ApiError {
    /// True when retrying later may succeed: the agent is not connected, the api-server is
    /// unreachable, or it kept answering 429/5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::AgentUnreachable(_) | ApiError::Transport(_) | ApiError::TimedOut(_) => true,
            ApiError::Http { status, .. } => RETRYABLE_STATUSES.contains(status),
            ApiError::Forbidden(_) | ApiError::Config(_) => false,
        }
    }
}

/// Runs actions on other agents through the api-server.
#[derive(Debug, Clone)]
pub struct ApiClient {
    endpoint: String,
    user: Option<String>,
    password: Option<Secret>,
    token_cache: PathBuf,
    parent: String,
    poll_interval: Duration,
    deadline: Option<Duration>,
    backoff_base: Duration,
    retry_attempts: u32,
    http: ureq::Agent,
}

/// How one request attempt failed.
enum Failure {
    /// 401: the token is missing or expired.
    Unauthorized(String),
    /// Worth another attempt after a delay.
    Retry(ApiError),
    /// Final.
    Fatal(ApiError),
}

/// An HTTP answer.
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    /// The api-server's `message`, or the start of a non-JSON body.
    fn message(&self) -> String {
        let from_json = serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|doc| {
                doc.get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        from_json.unwrap_or_else(|| {
            let text = self.body.trim();
            if text.is_empty() {
                "no message".to_owned()
            } else {
                text.chars().take(MAX_QUOTED_BODY_CHARS).collect()
            }
        })
    }

    fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

impl ApiClient {
    /// A client for the api-server at `endpoint` (an `http://` URL) that caches its JWT in
    /// `token_cache`. It has no login credentials and an empty parent task until set.
    pub fn new(endpoint: &str, token_cache: impl Into<PathBuf>) -> Result<ApiClient, ApiError> {
        let endpoint = endpoint.trim_end_matches('/');
        if !endpoint.starts_with("http://") {
            return Err(ApiError::Config(format!(
                "the api-server endpoint {endpoint:?} must be an http:// URL"
            )));
        }
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .new_agent();
        Ok(ApiClient {
            endpoint: endpoint.to_owned(),
            user: None,
            password: None,
            token_cache: token_cache.into(),
            parent: String::new(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            deadline: None,
            backoff_base: DEFAULT_BACKOFF_BASE,
            retry_attempts: RETRY_ATTEMPTS,
            http,
        })
    }

    /// The client of a running step or helper: endpoint `IMAPSYNC_API_ENDPOINT` (default
    /// `http://cluster-leader:9311`), credentials `REDIS_USER`/`REDIS_PASSWORD`, token cache
    /// `<AGENT_STATE_DIR or cwd>/apitoken.cache`, parent task `AGENT_TASK_ID` (or none).
    pub fn from_env() -> Result<ApiClient, ApiError> {
        let non_empty = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        let endpoint =
            non_empty("IMAPSYNC_API_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let mut client = ApiClient::new(
            &endpoint,
            crate::envfile::state_dir().join(TOKEN_CACHE_FILE),
        )?
        .with_parent(&non_empty("AGENT_TASK_ID").unwrap_or_default());
        if let (Some(user), Some(password)) = (non_empty("REDIS_USER"), non_empty("REDIS_PASSWORD"))
        {
            client = client.with_credentials(user, Secret::new(password));
        }
        Ok(client)
    }

    /// The credentials used to log in when the cached token is missing or expired.
    pub fn with_credentials(mut self, user: impl Into<String>, password: Secret) -> Self {
        self.user = Some(user.into());
        self.password = Some(password);
        self
    }

    /// The task id sent as `parent` of the submitted tasks.
    pub fn with_parent(mut self, parent: &str) -> Self {
        parent.clone_into(&mut self.parent);
        self
    }

    /// Stops waiting for a submitted task after `limit` (by default it waits as long as the
    /// api-server answers): for callers that must answer in time, such as `list-tasks`.
    pub fn with_deadline(mut self, limit: Duration) -> Self {
        self.deadline = Some(limit);
        self
    }

    /// The wait between two status polls (default 1 s).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Gives up on a temporary failure after `attempts` tries (20 by default, as Python);
    /// interactive tools use fewer.
    pub fn with_retry_attempts(mut self, attempts: u32) -> Self {
        self.retry_attempts = attempts.max(1);
        self
    }

    /// The first retry delay, doubled at each retry, plus a random jitter of up to the same amount
    /// (default 1 s).
    pub fn with_backoff_base(mut self, base: Duration) -> Self {
        self.backoff_base = base;
        self
    }

    /// Runs `action` on `agent_id` (`module/mail1`, `node/1`, `cluster`) with input `data` and waits
    /// for it to finish, however long it takes while the api-server answers (see
    /// [`ApiClient::with_deadline`]).
    pub fn run(&self, agent_id: &str, action: &str, data: &Value) -> Result<TaskResult, ApiError> {
        let mut token = self.read_cached_token();
        let task_id = self.with_login("submit", &mut token, |token| {
            self.submit(token, agent_id, action, data)
        })?;
        self.with_login("status", &mut token, |token| {
            self.wait_for_result(token, agent_id, action, &task_id)
        })
    }

    /// Runs `request` with retries; on 401 logs in once and runs it again with the new token.
    fn with_login<T>(
        &self,
        name: &str,
        token: &mut Option<String>,
        mut request: impl FnMut(Option<&str>) -> Result<T, Failure>,
    ) -> Result<T, ApiError> {
        let current = token.clone();
        match self.retrying(name, || request(current.as_deref())) {
            Ok(value) => return Ok(value),
            Err(Failure::Unauthorized(_)) => {}
            Err(Failure::Fatal(err) | Failure::Retry(err)) => return Err(err),
        }
        let fresh = match self.retrying("login", || self.login()) {
            Ok(fresh) => fresh,
            Err(Failure::Unauthorized(message)) => {
                return Err(ApiError::Http {
                    status: 401,
                    message: format!(
                        "the api-server at {} refused the login of {}: {message}",
                        self.endpoint,
                        self.user.as_deref().unwrap_or("?")
                    ),
                })
            }
            Err(Failure::Fatal(err) | Failure::Retry(err)) => return Err(err),
        };
        *token = Some(fresh);
        let current = token.clone();
        match self.retrying(name, || request(current.as_deref())) {
            Ok(value) => Ok(value),
            Err(Failure::Unauthorized(message)) => Err(ApiError::Http {
                status: 401,
                message: format!("the api-server rejected a fresh token: {message}"),
            }),
            Err(Failure::Fatal(err) | Failure::Retry(err)) => Err(err),
        }
    }

    /// Up to `retry_attempts` attempts while `request` fails temporarily, sleeping
    /// base(1 + jitter) × 2ⁿ (at most [`MAX_BACKOFF_DELAY`]) between them. Returns a final failure, or a 401 for the caller.
    fn retrying<T>(
        &self,
        name: &str,
        mut request: impl FnMut() -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let base = self.backoff_base.as_secs_f64();
        let mut delay = base + base * jitter();
        let mut last_reported = String::new();
        let mut attempt = 1;
        loop {
            let err = match request() {
                Ok(value) => {
                    if attempt > 1 {
                        log::info(format!(
                            "{name} request recovered successfully at attempt {attempt}"
                        ));
                    }
                    return Ok(value);
                }
                Err(Failure::Retry(err)) => err,
                Err(final_failure) => return Err(final_failure),
            };
            if attempt >= self.retry_attempts {
                return Err(Failure::Fatal(gave_up(err, attempt)));
            }
            let text = err.to_string();
            if text != last_reported {
                log::warning(format!(
                    "{name} request attempt failed ({text}). Retrying..."
                ));
                last_reported = text;
            }
            sleep(Duration::from_secs_f64(delay).min(MAX_BACKOFF_DELAY));
            delay *= 2.0;
            attempt += 1;
        }
    }

    fn submit(
        &self,
        token: Option<&str>,
        agent_id: &str,
        action: &str,
        data: &Value,
    ) -> Result<String, Failure> {
        let body = json!({
            "action": action,
            "data": data,
            "parent": self.parent,
            "extra": {},
        });
        let url = format!("{}/api/{agent_id}/tasks", self.endpoint);
        let reply = self.post(&url, token, &body)?;
        match reply.status {
            200..=299 => reply
                .json()
                .and_then(|doc| {
                    doc.pointer("/data/id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .ok_or_else(|| Failure::Fatal(malformed(&reply, "task submission"))),
            404 => {
                let message = reply.message();
                if message.contains("idle check") {
                    Err(Failure::Fatal(ApiError::AgentUnreachable(format!(
                        "{agent_id} is not connected to the cluster, cannot run {action} now ({message})"
                    ))))
                } else {
                    Err(classify(
                        &reply,
                        &format!("cannot submit {action} to {agent_id}"),
                    ))
                }
            }
            403 => Err(Failure::Fatal(ApiError::Forbidden(format!(
                "not allowed to run {action} on {agent_id}: {}",
                reply.message()
            )))),
            _ => Err(classify(
                &reply,
                &format!("cannot submit {action} to {agent_id}"),
            )),
        }
    }

    /// Polls the task status while the api-server answers 400/404 (not finished yet).
    fn wait_for_result(
        &self,
        token: Option<&str>,
        agent_id: &str,
        action: &str,
        task_id: &str,
    ) -> Result<TaskResult, Failure> {
        let url = format!("{}/api/{agent_id}/task/{task_id}/status", self.endpoint);
        let started = std::time::Instant::now();
        loop {
            if let Some(limit) = self.deadline.filter(|limit| started.elapsed() > *limit) {
                return Err(Failure::Fatal(ApiError::TimedOut(format!(
                    "{action} task {task_id} on {agent_id} did not finish within {}s",
                    limit.as_secs()
                ))));
            }
            let reply = self.get(&url, token)?;
            match reply.status {
                200..=299 => {
                    return parse_task_result(&reply)
                        .ok_or_else(|| Failure::Fatal(malformed(&reply, "task status")))
                }
                400 | 404 => sleep(self.poll_interval),
                _ => {
                    return Err(classify(
                        &reply,
                        &format!("cannot read the status of {action} task {task_id} on {agent_id}"),
                    ))
                }
            }
        }
    }

    /// Logs in with the module credentials and caches the new token (mode 0600).
    fn login(&self) -> Result<String, Failure> {
        let (Some(user), Some(password)) = (&self.user, &self.password) else {
            return Err(Failure::Fatal(ApiError::Config(
                "REDIS_USER and REDIS_PASSWORD are needed to log in to the api-server; they come \
                 from the module's state/agent.env (run helpers through runagent)"
                    .to_owned(),
            )));
        };
        let body = json!({"username": user, "password": password.expose()});
        let reply = self.post(&format!("{}/api/login", self.endpoint), None, &body)?;
        if !(200..=299).contains(&reply.status) {
            return Err(classify(
                &reply,
                &format!("cannot log in to the api-server as {user}"),
            ));
        }
        let token = reply
            .json()
            .and_then(|doc| doc.get("token").and_then(Value::as_str).map(str::to_owned))
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Failure::Fatal(malformed(&reply, "login")))?;
        if let Err(err) = write_durable(&self.token_cache, token.as_bytes(), 0o600) {
            log::warning(format!("cannot cache the api-server token: {err}"));
        }
        Ok(token)
    }

    fn read_cached_token(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.token_cache).ok()?;
        let token = text.trim();
        (!token.is_empty()).then(|| token.to_owned())
    }

    fn post(&self, url: &str, token: Option<&str>, body: &Value) -> Result<Reply, Failure> {
        let mut request = self.http.post(url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.read_reply(request.send_json(body))
    }

    fn get(&self, url: &str, token: Option<&str>) -> Result<Reply, Failure> {
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.read_reply(request.call())
    }

    fn read_reply(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply, Failure> {
        let transport = |err: ureq::Error| {
            Failure::Retry(ApiError::Transport(format!(
                "cannot reach the api-server at {}: {err}",
                self.endpoint
            )))
        };
        let mut response = sent.map_err(transport)?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(transport)?;
        Ok(Reply { status, body })
    }
}

/// Sorts a failed answer: 401 → log in, 403 → forbidden, 429/5xx → retry, others final.
fn classify(reply: &Reply, context: &str) -> Failure {
    let message = format!("{context}: {}", reply.message());
    match reply.status {
        401 => Failure::Unauthorized(message),
        403 => Failure::Fatal(ApiError::Forbidden(message)),
        status if RETRYABLE_STATUSES.contains(&status) => {
            Failure::Retry(ApiError::Http { status, message })
        }
        status => Failure::Fatal(ApiError::Http { status, message }),
    }
}

fn malformed(reply: &Reply, what: &str) -> ApiError {
    ApiError::Http {
        status: reply.status,
        message: format!("malformed api-server answer to the {what} request"),
    }
}

/// `{"data": {"output": …, "error": "…", "exit_code": N}}`; `exit_code` is required.
fn parse_task_result(reply: &Reply) -> Option<TaskResult> {
    let doc = reply.json()?;
    let data = doc.get("data")?;
    let exit_code = i32::try_from(data.get("exit_code")?.as_i64()?).ok()?;
    Some(TaskResult {
        output: data.get("output").cloned().unwrap_or(Value::Null),
        error: data
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        exit_code,
    })
}

fn gave_up(err: ApiError, attempts: u32) -> ApiError {
    let suffix = format!(" (gave up after {attempts} attempts)");
    match err {
        ApiError::Transport(message) => ApiError::Transport(message + &suffix),
        ApiError::Http { status, message } => ApiError::Http {
            status,
            message: message + &suffix,
        },
        other => other,
    }
}

/// A random fraction in [0, 1).
fn jitter() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Returns a pseudo-random number, different at every call (seeded by the standard library's
/// per-process random keys, the clock and the process id). Good for file names and retry jitter,
/// not for secrets.
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(now);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors() {
        assert!(ApiError::AgentUnreachable("x".into()).is_transient());
        assert!(ApiError::Transport("x".into()).is_transient());
        assert!(ApiError::Http {
            status: 503,
            message: "x".into()
        }
        .is_transient());
        assert!(ApiError::Http {
            status: 429,
            message: "x".into()
        }
        .is_transient());
        assert!(!ApiError::Http {
            status: 400,
            message: "x".into()
        }
        .is_transient());
        assert!(!ApiError::Forbidden("x".into()).is_transient());
        assert!(!ApiError::Config("x".into()).is_transient());
    }

    #[test]
    fn endpoint_must_be_http() {
        assert!(matches!(
            ApiClient::new("https://leader:9311", "/tmp/x"),
            Err(ApiError::Config(_))
        ));
        let client = ApiClient::new("http://127.0.0.1:9311/", "/tmp/x").unwrap();
        assert_eq!(client.endpoint, "http://127.0.0.1:9311");
    }

    #[test]
    fn jitter_is_a_fraction() {
        for _ in 0..100 {
            let value = jitter();
            assert!((0.0..1.0).contains(&value));
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let client = ApiClient::new("http://127.0.0.1:1", "/tmp/x")
            .unwrap()
            .with_credentials("module/imapsync1", Secret::new("hunter2"));
        assert!(!format!("{client:?}").contains("hunter2"));
    }
}
