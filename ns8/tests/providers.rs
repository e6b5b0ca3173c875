//! Service-provider lookup and Redis connections against a real `redis-server` (Debian package
//! `redis-server`) started on a free loopback port, seeded like a two-node cluster with two mail
//! modules, a clone that briefly shares a module UUID, and a qualified openmetrics record.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use ns8::providers::{get_module_seq, list_service_providers_near, ServiceProvider, SortBy};
use ns8::redis_conn::{connect_privileged, connect_readonly, Password, RedisSettings};

const MAIL1_UUID: &str = "aaaaaaaa-1111-4111-8111-111111111111";
const MAIL2_UUID: &str = "bbbbbbbb-2222-4222-8222-222222222222";
const MODULE_PASSWORD: &str = "c0ffee-module-secret";

/// A private redis-server, stopped when dropped.
struct RedisServer {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (Debian package redis-server)");
        let server = RedisServer {
            child,
            address: format!("127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while connect_readonly(&server.settings(), false).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {}",
                server.address
            );
            sleep(Duration::from_millis(20));
        }
        server
    }

    fn settings(&self) -> RedisSettings {
        RedisSettings {
            leader: self.address.clone(),
            replica: self.address.clone(),
            user: None,
            password: None,
        }
    }

    fn connection(&self) -> redis::Connection {
        connect_readonly(&self.settings(), false).unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hset(conn: &mut redis::Connection, key: &str, fields: &[(&str, &str)]) {
    let mut cmd = redis::cmd("HSET");
    cmd.arg(key);
    for (field, value) in fields {
        cmd.arg(*field).arg(*value);
    }
    cmd.exec(conn).unwrap();
}

fn imap_record(node: &str, host: &str, uuid: &str, hostname: &str) -> Vec<(&'static str, String)> {
    vec![
        ("port", "143".to_owned()),
        ("host", host.to_owned()),
        ("node", node.to_owned()),
        ("user_domain", "example.org".to_owned()),
        ("module_uuid", uuid.to_owned()),
        ("mail_hostname", hostname.to_owned()),
    ]
}

fn seed(conn: &mut redis::Connection) {
    let records = [
        (
            "module/mail1/srv/tcp/imap",
            imap_record("1", "10.5.4.1", MAIL1_UUID, "mx1.example.org"),
        ),
        (
            "module/mail2/srv/tcp/imap",
            imap_record("2", "10.5.4.2", MAIL2_UUID, "mx2.example.org"),
        ),
        // mail3 is a fresh clone of mail1 on node 2: same UUID until the clone completes.
        (
            "module/mail3/srv/tcp/imap",
            imap_record("2", "10.5.4.2", MAIL1_UUID, "mx1.example.org"),
        ),
        (
            "module/mail4/srv/tcp/imap",
            imap_record(
                "3",
                "10.5.4.3",
                "dddddddd-4444-4444-8444-444444444444",
                "mx4.example.org",
            ),
        ),
        (
            "module/mail1/srv/tcp/submission",
            imap_record("1", "10.5.4.1", MAIL1_UUID, "mx1.example.org"),
        ),
        (
            "node/1/srv/tcp/imap",
            vec![("port", "143".to_owned()), ("host", "10.5.4.1".to_owned())],
        ),
    ];
    for (key, fields) in &records {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(f, v)| (*f, v.as_str())).collect();
        hset(conn, key, &fields);
    }
    hset(
        conn,
        "module/mail1/dovecot/srv/http/openmetrics",
        &[("port", "9166"), ("host", "10.5.4.1")],
    );
    hset(
        conn,
        "cluster/module_uuid",
        &[
            ("mail1", MAIL1_UUID),
            ("mail2", MAIL2_UUID),
            ("mail3", MAIL1_UUID),
            ("mail4", "dddddddd-4444-4444-8444-444444444444"),
        ],
    );
    hset(
        conn,
        "cluster/module_node",
        &[
            ("mail1", "1"),
            ("mail2", "2"),
            ("mail3", "2"),
            ("mail4", "3"),
        ],
    );
    hset(conn, "cluster/environment", &[("NODE_ID", "1")]);
    redis::cmd("SET")
        .arg("module/mail1/ui_name")
        .arg("Main mail")
        .exec(conn)
        .unwrap();
}

/// Gives the anonymous `default` user the read-only ACL of an NS8 leader (ns8-runtime §2.1).
fn restrict_default_user(conn: &mut redis::Connection) {
    let rules = "resetkeys ~cluster/* ~node/* ~module/* resetchannels &* nocommands +@read \
                 +@connection +subscribe +psubscribe -@admin";
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg("default")
        .arg(rules.split_whitespace().collect::<Vec<_>>())
        .exec(conn)
        .unwrap();
}

fn keys(providers: &[ServiceProvider]) -> Vec<&str> {
    providers.iter().map(|p| p.key.as_str()).collect()
}

#[test]
fn providers_are_enriched_filtered_deduplicated_and_sorted() {
    let server = RedisServer::start();
    let mut conn = server.connection();
    seed(&mut conn);
    restrict_default_user(&mut conn);
    let mut conn = server.connection();
    assert!(
        redis::cmd("SET")
            .arg("module/x")
            .arg("1")
            .exec(&mut conn)
            .is_err(),
        "default must be read-only"
    );

    // Node proximity seen from node 2 (leader is node 1): local, then leader, then the others.
    let all = list_service_providers_near(
        &mut conn,
        "imap",
        "tcp",
        &[],
        SortBy::NodeProximity,
        Some("2"),
    )
    .unwrap();
    assert_eq!(
        keys(&all),
        vec![
            "module/mail2/srv/tcp/imap",
            "module/mail3/srv/tcp/imap",
            "module/mail1/srv/tcp/imap",
            // Neither local nor leader: by module_seq, where a non-module record counts as -1.
            "node/1/srv/tcp/imap",
            "module/mail4/srv/tcp/imap",
        ]
    );
    let mail1 = &all[2];
    assert_eq!(mail1.module_id(), Some("mail1"));
    assert_eq!(mail1.module_seq(), 1);
    assert_eq!(mail1.get("module_seq"), Some("1"));
    assert_eq!(mail1.get("module_uuid"), Some(MAIL1_UUID));
    assert_eq!(mail1.get("node"), Some("1"));
    assert_eq!(mail1.get("transport"), Some("tcp"));
    assert_eq!(mail1.get("ui_name"), Some("Main mail"));
    assert_eq!(mail1.get("host"), Some("10.5.4.1"));
    assert_eq!(mail1.get("qualifier"), None);
    assert_eq!(all[0].get("ui_name"), None);
    let node_record = &all[3];
    assert_eq!(node_record.module_id(), None);
    assert_eq!(node_record.fields.len(), 2);

    // From node 1 (the leader itself) with no other preference.
    let from_leader = list_service_providers_near(
        &mut conn,
        "imap",
        "*",
        &[],
        SortBy::NodeProximity,
        Some("1"),
    )
    .unwrap();
    assert_eq!(from_leader[0].key, "module/mail1/srv/tcp/imap");

    // Exact string filters: "2" matches, "02" and a number-like "2.0" do not.
    let on_node2 = list_service_providers_near(
        &mut conn,
        "imap",
        "tcp",
        &[("node", "2")],
        SortBy::ModuleSeqAsc,
        None,
    )
    .unwrap();
    assert_eq!(
        keys(&on_node2),
        vec!["module/mail2/srv/tcp/imap", "module/mail3/srv/tcp/imap"]
    );
    for value in ["02", "2.0", " 2"] {
        let none = list_service_providers_near(
            &mut conn,
            "imap",
            "tcp",
            &[("node", value)],
            SortBy::ModuleSeqAsc,
            None,
        )
        .unwrap();
        assert!(none.is_empty(), "{value:?} matched");
    }

    // A UUID shared by a module and its clone resolves to the newest module only.
    let by_uuid = list_service_providers_near(
        &mut conn,
        "imap",
        "tcp",
        &[("module_uuid", MAIL1_UUID)],
        SortBy::NodeProximity,
        Some("1"),
    )
    .unwrap();
    assert_eq!(keys(&by_uuid), vec!["module/mail3/srv/tcp/imap"]);
    assert_eq!(by_uuid[0].get("host"), Some("10.5.4.2"));

    // The same duplicates stay when the filter is not on module_uuid.
    let by_host = list_service_providers_near(
        &mut conn,
        "imap",
        "tcp",
        &[("mail_hostname", "mx1.example.org")],
        SortBy::ModuleSeqDesc,
        None,
    )
    .unwrap();
    assert_eq!(
        keys(&by_host),
        vec!["module/mail3/srv/tcp/imap", "module/mail1/srv/tcp/imap"]
    );

    // Filters combine; transport narrows the scan.
    let combined = list_service_providers_near(
        &mut conn,
        "imap",
        "tcp",
        &[("module_uuid", MAIL2_UUID), ("port", "143")],
        SortBy::NodeProximity,
        None,
    )
    .unwrap();
    assert_eq!(keys(&combined), vec!["module/mail2/srv/tcp/imap"]);
    assert!(list_service_providers_near(
        &mut conn,
        "imap",
        "udp",
        &[],
        SortBy::NodeProximity,
        None
    )
    .unwrap()
    .is_empty());

    // A qualified record carries its qualifier and transport.
    let metrics = list_service_providers_near(
        &mut conn,
        "openmetrics",
        "*",
        &[],
        SortBy::NodeProximity,
        None,
    )
    .unwrap();
    assert_eq!(
        keys(&metrics),
        vec!["module/mail1/dovecot/srv/http/openmetrics"]
    );
    assert_eq!(metrics[0].get("qualifier"), Some("dovecot"));
    assert_eq!(metrics[0].get("transport"), Some("http"));
    assert_eq!(metrics[0].module_id(), Some("mail1"));
    assert_eq!(metrics[0].get("ui_name"), Some("Main mail"));

    let descending =
        list_service_providers_near(&mut conn, "imap", "tcp", &[], SortBy::ModuleSeqDesc, None)
            .unwrap();
    let seqs: Vec<i64> = descending.iter().map(ServiceProvider::module_seq).collect();
    assert_eq!(seqs, vec![4, 3, 2, 1, -1]);
    assert_eq!(get_module_seq("mail12"), 12);
}

#[test]
fn privileged_connection_authenticates_a_user_name_with_a_slash() {
    let server = RedisServer::start();
    let mut admin = server.connection();
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg("module/imapsync1")
        .arg("on")
        .arg(format!(">{MODULE_PASSWORD}"))
        .arg("resetkeys")
        .arg("~module/imapsync1/*")
        .arg("+@all")
        .exec(&mut admin)
        .unwrap();

    let mut settings = server.settings();
    settings.user = Some("module/imapsync1".into());
    settings.password = Some(Password::new(MODULE_PASSWORD));
    let mut privileged = connect_privileged(&settings).unwrap();
    let whoami: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query(&mut privileged)
        .unwrap();
    assert_eq!(whoami, "module/imapsync1");
    redis::cmd("SADD")
        .arg("module/imapsync1/roles/selfadm")
        .arg("create-task")
        .exec(&mut privileged)
        .unwrap();
    let denied = redis::cmd("SET")
        .arg("module/mail1/x")
        .arg("1")
        .exec(&mut privileged);
    assert!(denied.is_err(), "the ACL must confine the module user");

    settings.password = Some(Password::new("wrong-secret"));
    let err = connect_privileged(&settings)
        .err()
        .expect("a wrong password must fail");
    assert!(!err.to_string().contains("wrong-secret"), "{err}");
}

#[test]
fn readonly_connection_uses_the_replica_when_asked() {
    let server = RedisServer::start();
    let mut conn = server.connection();
    redis::cmd("SET")
        .arg("cluster/x")
        .arg("1")
        .exec(&mut conn)
        .unwrap();

    let free_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = RedisSettings {
        leader: format!("127.0.0.1:{free_port}"),
        replica: server.address.clone(),
        user: None,
        password: None,
    };
    let mut replica = connect_readonly(&settings, true).unwrap();
    let value: String = redis::cmd("GET")
        .arg("cluster/x")
        .query(&mut replica)
        .unwrap();
    assert_eq!(value, "1");
    let started = Instant::now();
    assert!(
        connect_readonly(&settings, false).is_err(),
        "nothing listens on the leader port"
    );
    assert!(started.elapsed() < Duration::from_secs(6));
}
