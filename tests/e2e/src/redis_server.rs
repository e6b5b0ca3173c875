//! A private `redis-server` on a loopback port with NS8's ACL users: `default` read-only,
//! one module user per module, and an admin user the harness seeds with.

use redis::{ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Name of the harness's own all-powerful user.
const ADMIN_USER: &str = "harness-admin";

/// NS8's ACL of the anonymous user.
const DEFAULT_ACL: &str = "on nopass resetkeys ~cluster/* ~node/* ~module/* resetchannels &* \
     nocommands +@read +@connection +subscribe +psubscribe -@admin";

/// NS8's ACL of a module user (`cluster/add-module`), with the password in clear.
pub fn module_acl(module_id: &str, password: &str) -> String {
    format!(
        "on >{password} resetkeys ~module/{module_id}/* ~task/module/{module_id}/* \
         %R~cluster/* %R~node/* %R~module/* %R~private/agents/* resetchannels \
         &progress/module/{module_id}/* &module/{module_id}/event/* \
         +@read +@write +@transaction +@connection +publish -@admin"
    )
}

/// A running server, killed when dropped; dereferences to its [`RedisHandle`].
pub struct RedisServer {
    dir: TempDir,
    handle: RedisHandle,
    child: Child,
}

/// How to reach the server (cheap to clone, usable from any thread).
#[derive(Clone, Debug)]
pub struct RedisHandle {
    port: u16,
    admin_password: String,
}

impl RedisServer {
    /// Starts a server whose ACL has `default`, the admin and the module users given as
    /// `(module_id, password)`.
    pub fn start(modules: &[(&str, &str)]) -> RedisServer {
        let dir = tempfile::Builder::new()
            .prefix("e2e-redis-")
            .tempdir()
            .expect("temporary directory for redis");
        let admin_password = crate::ids::alphanumeric(32);
        let mut users = format!(
            "user default {DEFAULT_ACL}\nuser {ADMIN_USER} on >{admin_password} ~* &* +@all\n"
        );
        for (module_id, password) in modules {
            let acl = module_acl(module_id, password);
            users.push_str(&format!("user module/{module_id} {acl}\n"));
        }
        for _ in 0..10 {
            let port = free_port();
            let config = dir.path().join("redis.conf");
            let text = format!(
                "bind 127.0.0.1\nport {port}\nsave \"\"\nappendonly no\ndaemonize no\n\
                 dir {}\nlogfile {}\n{users}",
                dir.path().display(),
                dir.path().join("redis.log").display()
            );
            std::fs::write(&config, text).expect("write redis.conf");
            let mut child = Command::new("redis-server")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("cannot run redis-server (apt-get install redis-server)");
            if wait_ready(port, &mut child) {
                return RedisServer {
                    dir,
                    handle: RedisHandle {
                        port,
                        admin_password,
                    },
                    child,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(dir.path().join("redis.log")).unwrap_or_default();
        panic!("redis-server did not start:\n{log}");
    }

    /// Directory of the server's files (config and log).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A handle for other threads.
    pub fn handle(&self) -> RedisHandle {
        self.handle.clone()
    }
}

impl std::ops::Deref for RedisServer {
    type Target = RedisHandle;

    fn deref(&self) -> &RedisHandle {
        &self.handle
    }
}

impl RedisHandle {
    /// `127.0.0.1:<port>`, the value of `REDIS_ADDRESS`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection as the harness admin (every key and command).
    pub fn admin(&self) -> redis::Connection {
        self.connect_as(ADMIN_USER, &self.admin_password)
            .expect("admin connection to the harness redis")
    }

    /// A connection as the anonymous read-only `default` user.
    pub fn anonymous(&self) -> redis::Connection {
        redis::Client::open(self.info(None))
            .and_then(|client| client.get_connection())
            .expect("anonymous connection to the harness redis")
    }

    /// A connection authenticated as `user` (fails on wrong credentials).
    pub fn connect_as(&self, user: &str, password: &str) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.info(Some((user, password))))?
            .get_connection_with_timeout(Duration::from_secs(5))
    }

    /// Publishes `payload` on `channel` (with the admin connection).
    pub fn publish(&self, channel: &str, payload: &str) {
        redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .exec(&mut self.admin())
            .expect("PUBLISH on the harness redis");
    }

    fn info(&self, credentials: Option<(&str, &str)>) -> ConnectionInfo {
        let base = ("127.0.0.1", self.port)
            .into_connection_info()
            .expect("loopback address");
        let mut settings = RedisConnectionInfo::default().set_skip_set_lib_name();
        if let Some((user, password)) = credentials {
            settings = settings.set_username(user).set_password(password);
        }
        base.set_redis_settings(settings)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

/// Waits until the server answers PING; `false` when it exited or never answered.
fn wait_ready(port: u16, child: &mut Child) -> bool {
    let begin = Instant::now();
    while begin.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let ping = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(1)))
            .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
        if ping.is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::Commands;

    #[test]
    fn acl_users_behave_like_ns8() {
        let server = RedisServer::start(&[("imapsync1", "modpass")]);
        let mut admin = server.admin();
        let _: () = admin.set("module/mail1/x", "1").unwrap();
        let _: () = admin.set("roles/module/imapsync1", "secret").unwrap();

        let mut anonymous = server.anonymous();
        let read: String = anonymous.get("module/mail1/x").unwrap();
        assert_eq!(read, "1");
        assert!(anonymous.set::<_, _, ()>("module/mail1/x", "2").is_err());
        assert!(anonymous
            .get::<_, String>("roles/module/imapsync1")
            .is_err());

        let mut module = server.connect_as("module/imapsync1", "modpass").unwrap();
        let _: () = module
            .sadd("module/imapsync1/roles/selfadm", "create-task")
            .unwrap();
        assert!(module.set::<_, _, ()>("module/mail1/x", "3").is_err());
        let other: String = module.get("module/mail1/x").unwrap();
        assert_eq!(other, "1");
        assert!(server.connect_as("module/imapsync1", "wrong").is_err());
    }
}
