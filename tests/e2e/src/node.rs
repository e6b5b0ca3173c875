//! `Node`: one NS8 node with the module installed: a Dovecot rig as the Mail module, Redis
//! with NS8's keys and ACLs, the api-server, agent and `systemctl` stand-ins, and a fresh
//! module home. Dropping it stops the supervisor and everything else.

use crate::agent::{ActionResult, Agent, EventResult, Runagent};
use crate::api::{ApiListener, ApiServer, MailBehaviour, Mailbox, Mailboxes};
use crate::env_file;
use crate::events::EventListener;
use crate::install::{self, Binaries};
use crate::redis_server::RedisServer;
use crate::remote::Forwarder;
use crate::systemctl::{self, Config as SystemctlConfig};
use crate::tree_snapshot::TreeSnapshot;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use testkit::{Account, Personality, Rig};

/// Module id of the instance under test.
pub const MODULE_ID: &str = "imapsync1";
/// Its agent id.
pub const AGENT_ID: &str = "module/imapsync1";
/// The Mail module the instance is configured for.
pub const MAIL_AGENT: &str = "module/mail1";
/// A second Mail module, on node 2.
pub const MAIL2_AGENT: &str = "module/mail2";
/// The VPN address of node 1 (the Mail module's `host`).
pub const MAIL_HOST: &str = "127.0.0.1";
/// The VPN address of node 2.
pub const NODE2_HOST: &str = "127.0.0.2";
/// The module's image, as `add-module` records it.
pub const IMAGE_URL: &str = "ghcr.io/nethserver/imapsync:e2e";
/// The sync container's image (`IMAPSYNC_BINARY_IMAGE`).
pub const BINARY_IMAGE: &str = "ghcr.io/nethserver/imapsync-binary:e2e";

/// What to start.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// Rig users (`user1` ..= `userN`).
    pub users: usize,
    /// The imageroot tree to install.
    pub imageroot: PathBuf,
    /// What Mail's `list-user-mailboxes` answers; by default every rig user, the last one
    /// disabled.
    pub mailboxes: Option<Mailboxes>,
    /// Extra arguments for the supervisor.
    pub supervisor_args: Vec<String>,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            users: testkit::rig::DEFAULT_USERS,
            imageroot: install::default_imageroot(),
            mailboxes: None,
            supervisor_args: Vec::new(),
        }
    }
}

/// A running node.
pub struct Node {
    forwarder: Forwarder,
    events: EventListener,
    api: ApiServer,
    agent: Arc<Agent>,
    redis: RedisServer,
    rig: Rig,
    systemctl: SystemctlConfig,
    mail_uuid: String,
    mail2_uuid: String,
    module_uuid: String,
    home: TempDir,
}

impl Node {
    /// A node with the default options.
    pub fn start() -> Node {
        Node::start_with(NodeOptions::default())
    }

    /// A node with the given options.
    pub fn start_with(options: NodeOptions) -> Node {
        let binaries = install::binaries();
        let rig = Rig::start_with_users(options.users).expect("start the Dovecot rig");
        let module_password = crate::ids::uuid4();
        let redis = RedisServer::start(&[(MODULE_ID, &module_password)]);
        let (mail_uuid, mail2_uuid, module_uuid) = (
            crate::ids::uuid4(),
            crate::ids::uuid4(),
            crate::ids::uuid4(),
        );
        seed_cluster(&redis, &mail_uuid, &mail2_uuid, &module_uuid);

        let home = tempfile::Builder::new()
            .prefix("e2e-node-")
            .tempdir()
            .expect("module home");
        let install_dir = home.path().join(".config");
        let state_dir = install_dir.join("state");
        let runtime_dir = home.path().join("run");
        let standin_dir = home.path().join("standin");
        for dir in [&state_dir, &runtime_dir, &standin_dir.join("bin")] {
            std::fs::create_dir_all(dir).expect("module directories");
        }
        install::install_module(&options.imageroot, &install_dir, binaries);
        for dir in [&state_dir, &runtime_dir] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .expect("chmod 0700");
        }
        write_initial_environment(&state_dir, &module_uuid);

        let listener = ApiListener::bind();
        let normal_path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
        let module_path = format!(
            "{}:{}:{normal_path}",
            install_dir.join("bin").display(),
            standin_dir.join("bin").display()
        );
        let agent_env_file = format!(
            "PATH={module_path}\nREDIS_USER={AGENT_ID}\nREDIS_PASSWORD={module_password}\n"
        );
        write_private(&state_dir.join("agent.env"), &agent_env_file);
        let mut base_env: Vec<(String, String)> = vec![
            ("HOME".into(), home.path().display().to_string()),
            ("XDG_RUNTIME_DIR".into(), runtime_dir.display().to_string()),
            ("LANG".into(), "C.UTF-8".into()),
            ("AGENT_ID".into(), AGENT_ID.into()),
            (
                "AGENT_INSTALL_DIR".into(),
                install_dir.display().to_string(),
            ),
            ("AGENT_STATE_DIR".into(), state_dir.display().to_string()),
            ("REDIS_ADDRESS".into(), redis.address()),
            ("REDIS_REPLICA_ADDRESS".into(), redis.address()),
            ("IMAPSYNC_API_ENDPOINT".into(), listener.endpoint()),
        ];
        if let Ok(backtrace) = std::env::var("RUST_BACKTRACE") {
            base_env.push(("RUST_BACKTRACE".into(), backtrace));
        }
        base_env.extend(env_file::agent_pairs(&agent_env_file));

        let mirror_redis = redis.handle();
        let mirror_password = module_password.clone();
        let agent = Arc::new(
            Agent::new(&install_dir, &state_dir, base_env.clone()).with_environment_mirror(
                Box::new(move |environment: &BTreeMap<String, String>| {
                    mirror_environment(&mirror_redis, &mirror_password, environment)
                }),
            ),
        );
        let mailboxes = options.mailboxes.clone().unwrap_or_else(|| {
            Mailboxes::Users(
                (1..=rig.users)
                    .map(|n| Mailbox {
                        user: rig.user(n),
                        enabled: n < rig.users,
                    })
                    .collect(),
            )
        });
        let api = listener.serve(
            redis.handle(),
            agent.clone(),
            MailBehaviour {
                agents: vec![MAIL_AGENT.into(), MAIL2_AGENT.into()],
                master_password: rig.master_password.clone(),
                mailboxes,
            },
        );
        let systemctl = SystemctlConfig {
            install_dir: install_dir.clone(),
            state_dir: state_dir.clone(),
            runtime_dir: runtime_dir.clone(),
            home: home.path().to_path_buf(),
            agent_env: base_env,
            supervisor_bin: binaries.supervisor.clone(),
            worker_bin: binaries.worker.clone(),
            mail_port: rig.port(Personality::Main),
            supervisor_args: options.supervisor_args.clone(),
            log_file: standin_dir.join("systemctl.log"),
            container_log: standin_dir.join("container.log"),
            enabled_marker: standin_dir.join("imapsync.service.enabled"),
            lock_file: standin_dir.join("systemctl.lock"),
        };
        install_systemctl(binaries, &systemctl, &standin_dir);
        let events = EventListener::start(redis.handle(), agent.clone());
        let forwarder =
            Forwarder::start(rig.port(Personality::Main), rig.tls_port(Personality::Main));
        let node = Node {
            forwarder,
            events,
            api,
            agent,
            redis,
            rig,
            systemctl,
            mail_uuid,
            mail2_uuid,
            module_uuid,
            home,
        };
        node.create_module();
        node
    }

    /// What `cluster/add-module` does last: the base `create-module` steps (here: the
    /// `selfadm` role gets `configure-module`), then the module's own `create-module`.
    fn create_module(&self) {
        let mut admin = self.redis.admin();
        if self.install_dir().join("actions/configure-module").is_dir() {
            redis::cmd("SADD")
                .arg(format!("{AGENT_ID}/roles/selfadm"))
                .arg("configure-module")
                .exec(&mut admin)
                .expect("grant configure-module");
        }
        if self.install_dir().join("actions/create-module").is_dir() {
            let data = json!({"images": [BINARY_IMAGE], "volumes": {}});
            self.run_as("create-module", data, "").expect_ok();
        }
    }

    /// Runs an action as `api-cli run module/imapsync1/<action>` does.
    pub fn run(&self, action: &str, data: Value) -> ActionResult {
        self.run_as(action, data, "")
    }

    /// Runs an action submitted by `user` (`AGENT_TASK_USER`).
    pub fn run_as(&self, action: &str, data: Value, user: &str) -> ActionResult {
        let result = self
            .agent
            .run_task(action, &data, user, &crate::ids::uuid4());
        self.assert_protocol_respected();
        result
    }

    /// Runs a command through `runagent -m imapsync1`.
    pub fn runagent(&self, command: &str, args: &[&str], stdin: &str) -> Runagent {
        let result = self.agent.runagent(command, args, stdin);
        self.assert_protocol_respected();
        result
    }

    /// Publishes `<source>/event/<name>` with `payload` and returns the module handler's
    /// run (waits up to 60 s).
    pub fn event(&self, source: &str, name: &str, payload: &Value) -> EventResult {
        let from = self.events.count();
        let text = payload.to_string();
        self.redis.publish(&format!("{source}/event/{name}"), &text);
        let result = self
            .events
            .find(from, source, name, &text, Duration::from_secs(60))
            .unwrap_or_else(|| panic!("the handler of {source}/event/{name} did not finish"));
        self.assert_protocol_respected();
        result
    }

    /// Panics when the module broke the agent protocol (see [`Agent::take_violations`]) or
    /// a helper run by the `systemctl` stand-in did.
    pub fn assert_protocol_respected(&self) {
        let mut violations = self.agent.take_violations();
        violations.extend(
            self.systemctl_log()
                .lines()
                .filter_map(|l| l.strip_prefix("HARNESS VIOLATION: "))
                .map(str::to_string),
        );
        assert!(
            violations.is_empty(),
            "the module broke the NS8 agent protocol:\n{}",
            violations.join("\n")
        );
    }

    /// `get-configuration`, then `configure-module` with the first Mail server offered
    /// (its `value` split on `,`, as the UI does).
    pub fn configure(&self) -> ActionResult {
        let configuration = self.run("get-configuration", Value::Null);
        configuration.expect_ok();
        let value = configuration.output["mail_server_URL"][0]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("no mail server offered: {}", configuration.output))
            .to_string();
        let (server, host) = value
            .split_once(',')
            .unwrap_or_else(|| panic!("mail_server_URL value {value:?} has no comma"));
        self.run(
            "configure-module",
            json!({"mail_server": server, "mail_host": host}),
        )
    }

    /// The module home (`/home/imapsync1`).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// A snapshot of the module home, the harness's own stand-in logs left out.
    pub fn home_snapshot(&self) -> TreeSnapshot {
        TreeSnapshot::take(self.home(), &[self.home().join("standin")])
    }

    /// `AGENT_INSTALL_DIR` (`~/.config`).
    pub fn install_dir(&self) -> PathBuf {
        self.home.path().join(".config")
    }

    /// `AGENT_STATE_DIR` (`~/.config/state`).
    pub fn state_dir(&self) -> PathBuf {
        self.install_dir().join("state")
    }

    /// `state/imapsync/<task>.<ext>`.
    pub fn task_file(&self, task: &str, ext: &str) -> PathBuf {
        self.state_dir()
            .join("imapsync")
            .join(format!("{task}.{ext}"))
    }

    /// `state/cron/<task>.cron`.
    pub fn cron_file(&self, task: &str) -> PathBuf {
        self.state_dir().join("cron").join(format!("{task}.cron"))
    }

    /// The `environment` file as a map.
    pub fn environment(&self) -> BTreeMap<String, String> {
        env_file::read(&self.state_dir().join("environment")).expect("read environment")
    }

    /// The Dovecot rig playing the Mail module (and the remote servers).
    pub fn rig(&self) -> &Rig {
        &self.rig
    }

    /// The Redis server.
    pub fn redis(&self) -> &RedisServer {
        &self.redis
    }

    /// The api-server stand-in.
    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    /// The agent stand-in.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// Module UUID of `module/mail1`.
    pub fn mail_uuid(&self) -> &str {
        &self.mail_uuid
    }

    /// Module UUID of `module/mail2` (node 2).
    pub fn mail2_uuid(&self) -> &str {
        &self.mail2_uuid
    }

    /// Module UUID of the instance under test.
    pub fn module_uuid(&self) -> &str {
        &self.module_uuid
    }

    /// Address of the remote IMAP server (a forwarder to the rig).
    pub fn remote_host(&self) -> String {
        self.forwarder.host()
    }

    /// Plain (STARTTLS) port of the remote IMAP server: 143.
    pub fn remote_port(&self) -> u16 {
        crate::remote::REMOTE_PORT
    }

    /// Implicit TLS port of the remote IMAP server: 993.
    pub fn remote_tls_port(&self) -> u16 {
        crate::remote::REMOTE_TLS_PORT
    }

    /// `user` on the Dovecot rig, logging in with the user password (STARTTLS port).
    pub fn account(&self, user: &str) -> Account {
        self.rig.account(Personality::Main, user)
    }

    /// The password of every rig user (what a task's `remotepassword` must be).
    pub fn user_password(&self) -> &str {
        &self.rig.user_password
    }

    /// Every `systemctl` invocation and its outcome.
    pub fn systemctl_log(&self) -> String {
        std::fs::read_to_string(&self.systemctl.log_file).unwrap_or_default()
    }

    /// What the supervisor printed (the container log).
    pub fn container_log(&self) -> String {
        std::fs::read_to_string(&self.systemctl.container_log).unwrap_or_default()
    }

    /// Panics when `secret` shows up in what an admin can read: the agent's journal (every
    /// step's stderr), the systemctl and container logs, the `environment` file and its
    /// Redis copy.
    pub fn assert_secret_hidden(&self, secret: &str) {
        let mut mirrored: BTreeMap<String, String> = redis::cmd("HGETALL")
            .arg(format!("{AGENT_ID}/environment"))
            .query(&mut self.redis.anonymous())
            .unwrap_or_default();
        mirrored.extend(self.environment());
        let places = [
            ("the agent journal", self.agent.journal()),
            ("the systemctl log", self.systemctl_log()),
            ("the container log", self.container_log()),
            ("the environment", format!("{mirrored:?}")),
        ];
        for (place, text) in places {
            assert!(!text.contains(secret), "a secret shows up in {place}");
        }
    }

    /// The pid of the running supervisor (`imapsync.service` active).
    pub fn supervisor_pid(&self) -> Option<i32> {
        self.systemctl.running_pid()
    }

    /// Runs `syncctl` against the running supervisor (as `podman exec imapsync syncctl`).
    pub fn syncctl(&self, args: &[&str]) -> Runagent {
        let output = std::process::Command::new(&install::binaries().syncctl)
            .arg("--socket")
            .arg(self.systemctl.socket())
            .args(args)
            .env_clear()
            .output()
            .expect("run syncctl");
        Runagent {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(pid) = self.systemctl.running_pid() {
            systemctl::terminate(pid, Duration::from_secs(10));
        }
        if std::env::var_os("E2E_KEEP_NODE").is_some() {
            let kept = std::mem::replace(&mut self.home, tempfile::tempdir().expect("tempdir"));
            eprintln!("e2e: node home kept in {}", kept.keep().display());
        }
    }
}

/// The keys NS8 has before the module is installed: two Mail modules with their IMAP
/// service records, the cluster and node records, and the roles.
fn seed_cluster(redis: &RedisServer, mail_uuid: &str, mail2_uuid: &str, module_uuid: &str) {
    let mut admin = redis.admin();
    let mut pipe = redis::pipe();
    for (agent, uuid, node, host, hostname) in [
        (MAIL_AGENT, mail_uuid, "1", MAIL_HOST, "mail.example.org"),
        (
            MAIL2_AGENT,
            mail2_uuid,
            "2",
            NODE2_HOST,
            "mail2.example.org",
        ),
    ] {
        let module_id = agent.trim_start_matches("module/");
        pipe.cmd("HSET").arg(format!("{agent}/srv/tcp/imap")).arg(&[
            ("port", "143"),
            ("host", host),
            ("node", node),
            ("user_domain", "example.org"),
            ("module_uuid", uuid),
            ("mail_hostname", hostname),
        ]);
        pipe.cmd("HSET")
            .arg("cluster/module_uuid")
            .arg(module_id)
            .arg(uuid);
        pipe.cmd("HSET")
            .arg("cluster/module_node")
            .arg(module_id)
            .arg(node);
        pipe.cmd("HSET")
            .arg(format!("node/{node}/vpn"))
            .arg("ip_address")
            .arg(host);
        pipe.cmd("HSET")
            .arg(format!("roles/{AGENT_ID}"))
            .arg(agent)
            .arg("mailadm");
        pipe.cmd("SADD")
            .arg(format!("{agent}/roles/mailadm"))
            .arg(&[
                "reveal-master-credentials",
                "get-*",
                "list-*",
                "set-always-bcc",
                "add-relay-rule",
                "alter-relay-rule",
                "remove-relay-rule",
            ]);
    }
    pipe.cmd("HSET")
        .arg("cluster/module_uuid")
        .arg(MODULE_ID)
        .arg(module_uuid);
    pipe.cmd("HSET")
        .arg("cluster/module_node")
        .arg(MODULE_ID)
        .arg("1");
    pipe.cmd("HSET")
        .arg("cluster/environment")
        .arg("NODE_ID")
        .arg("1");
    pipe.cmd("HSET")
        .arg(format!("roles/{AGENT_ID}"))
        .arg(AGENT_ID)
        .arg("selfadm");
    pipe.cmd("SET")
        .arg("cluster/default_instance/imapsync")
        .arg(MODULE_ID);
    pipe.exec(&mut admin).expect("seed the cluster keys");
}

/// What `cluster/add-module` writes into `state/environment`.
fn write_initial_environment(state_dir: &Path, module_uuid: &str) {
    let digest = format!("sha256:{}", crate::ids::alphanumeric(64));
    let mut environment = BTreeMap::new();
    for (key, value) in [
        ("IMAGE_ID", crate::ids::alphanumeric(64)),
        ("IMAGE_URL", IMAGE_URL.to_string()),
        ("IMAGE_DIGEST", digest.clone()),
        (
            "IMAGE_REOPODIGEST",
            format!("ghcr.io/nethserver/imapsync@{digest}"),
        ),
        ("MODULE_ID", MODULE_ID.to_string()),
        ("NODE_ID", "1".to_string()),
        ("MODULE_UUID", module_uuid.to_string()),
        ("IMAPSYNC_BINARY_IMAGE", BINARY_IMAGE.to_string()),
    ] {
        environment.insert(key.to_string(), value);
    }
    std::fs::write(
        state_dir.join("environment"),
        env_file::render(&environment),
    )
    .expect("write environment");
}

/// The agent's end-of-task copy of `environment` into `module/<id>/environment`, done with
/// the module's own credentials.
fn mirror_environment(
    redis: &crate::redis_server::RedisHandle,
    password: &str,
    environment: &BTreeMap<String, String>,
) {
    let key = format!("{AGENT_ID}/environment");
    let Ok(mut connection) = redis.connect_as(AGENT_ID, password) else {
        return;
    };
    let mut pipe = redis::pipe();
    pipe.atomic().cmd("DEL").arg(&key);
    if !environment.is_empty() {
        let pairs: Vec<(&String, &String)> = environment.iter().collect();
        pipe.cmd("HSET").arg(&key).arg(pairs);
    }
    let _ = pipe.exec(&mut connection);
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a private file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod 0600");
}

/// Writes the stand-in's configuration and the `systemctl` wrapper on the module's PATH.
fn install_systemctl(binaries: &Binaries, config: &SystemctlConfig, standin_dir: &Path) {
    let config_path = standin_dir.join("systemctl.json");
    write_private(
        &config_path,
        &serde_json::to_string_pretty(config).expect("stand-in configuration"),
    );
    let wrapper = standin_dir.join("bin/systemctl");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec '{}' --config '{}' \"$@\"\n",
            binaries.systemctl_standin.display(),
            config_path.display()
        ),
    )
    .expect("write the systemctl wrapper");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
        .expect("chmod the systemctl wrapper");
}
