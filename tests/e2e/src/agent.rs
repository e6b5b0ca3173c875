//! The NS8 agent stand-in: runs one task of the module the way the Go agent does (step
//! discovery, input/output schemas, environment, command pipe, exit codes and status), runs
//! event handlers, and gives `runagent`'s environment to helpers.

use crate::comfd::{self, Command, Fault};
use crate::env_file;
use crate::go_json;
use crate::schema;
use crate::step::{self, Outcome, Spec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// File name of the input schema (a built-in first step).
pub const INPUT_SCHEMA: &str = "validate-input.json";
/// File name of the output schema (a built-in last step).
pub const OUTPUT_SCHEMA: &str = "validate-output.json";

/// The result of one task, as the api-server and `api-cli` report it.
#[derive(Clone, Debug)]
pub struct ActionResult {
    /// Task id (a uuid4).
    pub task_id: String,
    /// Action name.
    pub action: String,
    /// Exit code of the task.
    pub exit_code: i32,
    /// `completed`, `aborted` or `validation-failed`.
    pub status: String,
    /// Concatenated stdout of the steps, JSON-decoded when it parses, else the raw string.
    pub output: Value,
    /// Concatenated stderr of the steps plus the agent's own messages.
    pub error: String,
    /// Every line the steps wrote on the command pipe.
    pub commands: Vec<String>,
    /// Steps the agent could not execute and skipped.
    pub skipped_steps: Vec<String>,
}

impl ActionResult {
    /// Panics with the whole result unless the task completed with exit code 0.
    pub fn expect_ok(&self) -> &Self {
        assert!(
            self.exit_code == 0 && self.status == "completed",
            "action {} failed: exit {} status {}\noutput: {}\nerror:\n{}",
            self.action,
            self.exit_code,
            self.status,
            self.output,
            self.error
        );
        self
    }
}

/// The result of one event handler run (it only reaches the agent's log).
#[derive(Clone, Debug)]
pub struct EventResult {
    /// Source agent (`module/mail1`).
    pub source: String,
    /// Event name.
    pub name: String,
    /// The raw payload.
    pub payload: String,
    /// Exit code (9 when a step cannot be started).
    pub exit_code: i32,
    /// `completed` or `aborted`.
    pub status: String,
    /// Steps that ran.
    pub steps: Vec<String>,
    /// What the handler printed on stdout and stderr.
    pub log: String,
}

/// What a command run through `runagent` printed.
#[derive(Clone, Debug)]
pub struct Runagent {
    /// Exit code (`-1` for a signal).
    pub code: i32,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

/// Called with the `environment` file after each task (the agent mirrors it to Redis).
pub type EnvironmentMirror = Box<dyn Fn(&BTreeMap<String, String>) + Send + Sync>;

/// One module agent.
pub struct Agent {
    install_dir: PathBuf,
    state_dir: PathBuf,
    base_env: Vec<(String, String)>,
    mirror: Option<EnvironmentMirror>,
    violations: Mutex<Vec<String>>,
    journal: Mutex<String>,
}

impl Agent {
    /// An agent for the module installed in `install_dir`, whose process environment is
    /// `base_env` (the unit environment plus `agent.env`).
    pub fn new(install_dir: &Path, state_dir: &Path, base_env: Vec<(String, String)>) -> Agent {
        Agent {
            install_dir: install_dir.to_path_buf(),
            state_dir: state_dir.to_path_buf(),
            base_env,
            mirror: None,
            violations: Mutex::new(Vec::new()),
            journal: Mutex::new(String::new()),
        }
    }

    /// Mirrors the `environment` file somewhere after every task.
    pub fn with_environment_mirror(mut self, mirror: EnvironmentMirror) -> Agent {
        self.mirror = Some(mirror);
        self
    }

    /// The agent id (`module/imapsync1`).
    pub fn id(&self) -> String {
        self.base_value("AGENT_ID").unwrap_or_default()
    }

    /// The state directory (cwd of every step).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Runs an action as `api-cli` run by root does (no task user).
    pub fn run(&self, action: &str, data: Value) -> ActionResult {
        self.run_task(action, &data, "", &crate::ids::uuid4())
    }

    /// Runs one task submitted by `user`.
    pub fn run_task(&self, action: &str, data: &Value, user: &str, task_id: &str) -> ActionResult {
        let mut task = Task {
            agent: self,
            action,
            task_id,
            user,
            status: "pending",
            exit_code: 0,
            output: String::new(),
            error: String::new(),
            commands: Vec::new(),
            skipped: Vec::new(),
        };
        task.execute(data);
        self.mirror_environment();
        let output = serde_json::from_str(&task.output).unwrap_or(Value::String(task.output));
        ActionResult {
            task_id: task_id.to_string(),
            action: action.to_string(),
            exit_code: task.exit_code,
            status: task.status.to_string(),
            output,
            error: task.error,
            commands: task.commands,
            skipped_steps: task.skipped,
        }
    }

    /// Runs the handler of event `name` published by `source` with `payload`.
    pub fn run_event(&self, name: &str, source: &str, payload: &str) -> EventResult {
        let mut result = EventResult {
            source: source.to_string(),
            name: name.to_string(),
            payload: payload.to_string(),
            exit_code: 0,
            status: "completed".to_string(),
            steps: Vec::new(),
            log: String::new(),
        };
        let dir = self.install_dir.join("events").join(name);
        let steps = match discover(&dir) {
            Ok(found) => found.steps,
            Err(_) => return result,
        };
        let mut env = self.base_env.clone();
        env.extend(self.environment_pairs());
        env.push(("AGENT_COMFD".into(), "2".into()));
        env.push(("AGENT_EVENT_NAME".into(), name.into()));
        env.push(("AGENT_EVENT_SOURCE".into(), source.into()));
        for (step_name, path) in steps {
            result.steps.push(step_name.clone());
            let outcome = step::run(&Spec {
                program: &path,
                arg0: None,
                args: &[],
                env: &env,
                cwd: &self.state_dir,
                stdin: payload.as_bytes(),
                comfd: false,
                timeout: None,
                grace: step::STREAM_GRACE,
            });
            match outcome {
                Err(e) => {
                    result.exit_code = 9;
                    result.status = "aborted".into();
                    result
                        .log
                        .push_str(&format!("cannot start {step_name}: {e}\n"));
                    break;
                }
                Ok(outcome) => {
                    self.check_leaks(&format!("event {name} step {step_name}"), &outcome);
                    result
                        .log
                        .push_str(&String::from_utf8_lossy(&outcome.stdout));
                    result
                        .log
                        .push_str(&String::from_utf8_lossy(&outcome.stderr));
                    if !outcome.status.success() {
                        result.exit_code = outcome.code();
                        result.status = "aborted".into();
                        break;
                    }
                }
            }
        }
        self.log(&format!(
            "Handler of {source}/event/{name} exited with status \"{}\" ({})\n{}",
            result.status, result.exit_code, result.log
        ));
        result
    }

    /// Runs `command` as `runagent command args...` does for a rootless module.
    pub fn runagent(&self, command: &str, args: &[&str], stdin: &str) -> Runagent {
        self.runagent_bounded(command, args, stdin, None)
    }

    /// [`Agent::runagent`], killed after `timeout` (as systemd does with a start job).
    pub fn runagent_bounded(
        &self,
        command: &str,
        args: &[&str],
        stdin: &str,
        timeout: Option<std::time::Duration>,
    ) -> Runagent {
        let env = self.runagent_env();
        let path_var = last_value(&env, "PATH").unwrap_or_default();
        let Some(program) = find_in_path(command, &path_var) else {
            return Runagent {
                code: 127,
                stdout: String::new(),
                stderr: format!("runagent: {command}: command not found in PATH {path_var}\n"),
            };
        };
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let outcome = step::run(&Spec {
            program: &program,
            arg0: Some(command),
            args: &args,
            env: &env,
            cwd: &self.state_dir,
            stdin: stdin.as_bytes(),
            comfd: false,
            timeout,
            grace: step::STREAM_GRACE,
        });
        match outcome {
            Ok(outcome) => {
                self.check_leaks(&format!("runagent {command}"), &outcome);
                Runagent {
                    code: outcome.code(),
                    stdout: String::from_utf8_lossy(&outcome.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&outcome.stderr).into_owned(),
                }
            }
            Err(e) => Runagent {
                code: 126,
                stdout: String::new(),
                stderr: format!("runagent: {}: {e}\n", program.display()),
            },
        }
    }

    /// The environment `runagent` gives: agent env, `environment`, `AGENT_ID=$REDIS_USER`.
    pub fn runagent_env(&self) -> Vec<(String, String)> {
        let mut env = self.base_env.clone();
        env.extend(self.environment_pairs());
        env.push((
            "AGENT_INSTALL_DIR".into(),
            self.install_dir.display().to_string(),
        ));
        env.push((
            "AGENT_STATE_DIR".into(),
            self.state_dir.display().to_string(),
        ));
        if let Some(user) = last_value(&env, "REDIS_USER") {
            env.push(("AGENT_ID".into(), user));
        }
        env
    }

    /// Protocol faults seen so far (malformed commands, leaked streams), emptied.
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.violations.lock().unwrap())
    }

    /// Everything the agent logged (the journal of `agent@imapsync1`).
    pub fn journal(&self) -> String {
        self.journal.lock().unwrap().clone()
    }

    fn log(&self, text: &str) {
        let mut journal = self.journal.lock().unwrap();
        journal.push_str(text);
        if !text.ends_with('\n') {
            journal.push('\n');
        }
    }

    fn violation(&self, text: String) {
        self.log(&format!("HARNESS VIOLATION: {text}"));
        self.violations.lock().unwrap().push(text);
    }

    fn check_leaks(&self, what: &str, outcome: &Outcome) {
        if !outcome.leaked.is_empty() {
            self.violation(format!(
                "{what} exited but its {} stayed open: a process it started kept the \
                 descriptor, and the Go agent would wait for it forever",
                outcome.leaked.join(", ")
            ));
        }
    }

    fn base_value(&self, key: &str) -> Option<String> {
        last_value(&self.base_env, key)
    }

    fn environment_pairs(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(self.state_dir.join("environment"))
            .map(|text| env_file::agent_pairs(&text))
            .unwrap_or_default()
    }

    fn mirror_environment(&self) {
        if let Some(mirror) = &self.mirror {
            let map = env_file::read(&self.state_dir.join("environment")).unwrap_or_default();
            mirror(&map);
        }
    }
}

/// One task being run.
struct Task<'a> {
    agent: &'a Agent,
    action: &'a str,
    task_id: &'a str,
    user: &'a str,
    status: &'static str,
    exit_code: i32,
    output: String,
    error: String,
    commands: Vec<String>,
    skipped: Vec<String>,
}

impl Task<'_> {
    fn execute(&mut self, data: &Value) {
        let dir = self.agent.install_dir.join("actions").join(self.action);
        let found = discover(&dir).unwrap_or_default();
        if found.is_empty() {
            self.error = format!("Action {} is not defined\n", self.action);
            self.exit_code = 8;
            self.status = "aborted";
            return;
        }
        if let Some(schema) = &found.input_schema {
            match schema::check(schema, data) {
                Err(fault) => {
                    self.error += &format!(
                        "JSON Schema input validation aborted at step {}: {fault}\n",
                        schema.display()
                    );
                    self.status = "aborted";
                    self.exit_code = 1;
                    return;
                }
                Ok(errors) if !errors.is_empty() => {
                    self.error += &schema::errors_text(&errors);
                    self.output += &schema::errors_json(&errors).to_string();
                    self.exit_code = 10;
                    self.status = "validation-failed";
                    return;
                }
                Ok(_) => {}
            }
        }
        let mut names: Vec<String> = found.steps.iter().map(|(n, _)| n.clone()).collect();
        if found.input_schema.is_some() {
            names.insert(0, INPUT_SCHEMA.to_string());
        }
        if found.output_schema.is_some() {
            names.push(OUTPUT_SCHEMA.to_string());
        }
        let input = go_json::marshal(data);
        for (name, path) in &found.steps {
            if self.status == "pending" {
                self.status = "running";
            }
            if !self.run_step(name, path, &input, &names) {
                return;
            }
        }
        if let Some(schema) = &found.output_schema {
            self.check_output(schema);
        }
        if self.exit_code == 0 && self.status == "running" {
            self.status = "completed";
        }
    }

    /// Runs one step; `false` when the action stops here.
    fn run_step(&mut self, name: &str, path: &Path, input: &str, names: &[String]) -> bool {
        let mut env = self.agent.base_env.clone();
        env.extend(self.agent.environment_pairs());
        env.push(("AGENT_COMFD".into(), "3".into()));
        env.push(("AGENT_TASK_ID".into(), self.task_id.into()));
        env.push(("AGENT_TASK_ACTION".into(), self.action.into()));
        env.push(("AGENT_TASK_USER".into(), self.user.into()));
        let outcome = step::run(&Spec {
            program: path,
            arg0: None,
            args: &[],
            env: &env,
            cwd: &self.agent.state_dir,
            stdin: input.as_bytes(),
            comfd: true,
            timeout: None,
            grace: step::STREAM_GRACE,
        });
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                self.agent.log(&format!(
                    "<4>Action {} skipped step {name}: {e}",
                    self.action
                ));
                self.skipped.push(name.to_string());
                return true;
            }
        };
        let what = format!("action {} step {name}", self.action);
        self.agent.check_leaks(&what, &outcome);
        for line in &outcome.command_lines {
            self.commands.push(line.clone());
            match comfd::interpret(line, names) {
                Ok(Some(Command::ValidationFailed)) => self.status = "validation-failed",
                Ok(_) => {}
                Err(Fault::CrashesAgent(text)) => self.agent.violation(format!(
                    "{what}: {text}: the real agent process would crash"
                )),
                Err(Fault::Rejected(text)) => self
                    .agent
                    .violation(format!("{what}: {text}: the real agent rejects it")),
            }
        }
        self.output += &String::from_utf8_lossy(&outcome.stdout);
        let stderr = String::from_utf8_lossy(&outcome.stderr);
        self.agent.log(&stderr);
        self.error += &stderr;
        if !outcome.status.success() {
            self.exit_code = outcome.code();
            if self.status == "running" {
                self.status = "aborted";
            }
            return false;
        }
        if self.status == "validation-failed" {
            self.exit_code = 10;
            return false;
        }
        true
    }

    fn check_output(&mut self, schema: &Path) {
        let document: Value = match serde_json::from_str(&self.output) {
            Ok(document) => document,
            Err(e) => {
                self.error += &format!(
                    "JSON Schema output validation aborted at step {}: {e}\n",
                    schema.display()
                );
                self.status = "aborted";
                self.exit_code = 1;
                return;
            }
        };
        match schema::check(schema, &document) {
            Err(fault) => {
                self.error += &format!(
                    "JSON Schema output validation aborted at step {}: {fault}\n",
                    schema.display()
                );
                self.status = "aborted";
                self.exit_code = 1;
            }
            Ok(errors) if !errors.is_empty() => {
                self.error += &schema::errors_text(&errors);
                self.status = "aborted";
                self.exit_code = 1;
            }
            Ok(_) => {}
        }
    }
}

/// The files of an action or event directory.
#[derive(Default)]
struct Discovered {
    input_schema: Option<PathBuf>,
    output_schema: Option<PathBuf>,
    /// `(file name, path)` in byte order of the names.
    steps: Vec<(String, PathBuf)>,
}

impl Discovered {
    fn is_empty(&self) -> bool {
        self.input_schema.is_none() && self.output_schema.is_none() && self.steps.is_empty()
    }
}

/// Lists a directory as the agent does: every non-directory entry is a step, except the
/// two schema files; names sorted byte-wise.
fn discover(dir: &Path) -> std::io::Result<Discovered> {
    let mut found = Discovered::default();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if std::fs::metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false)
        {
            continue;
        }
        match name.as_str() {
            INPUT_SCHEMA => found.input_schema = Some(path),
            OUTPUT_SCHEMA => found.output_schema = Some(path),
            _ => found.steps.push((name, path)),
        }
    }
    found
        .steps
        .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(found)
}

/// The value a key ends up with in an environment list (the last one wins).
pub fn last_value(env: &[(String, String)], key: &str) -> Option<String> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// `execvp`'s lookup: a name with a `/` is used as is, else the first executable file in
/// the `PATH` directories.
pub fn find_in_path(command: &str, path_var: &str) -> Option<PathBuf> {
    if command.contains('/') {
        return Some(PathBuf::from(command));
    }
    path_var
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(command))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}
