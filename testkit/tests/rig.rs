//! Integration tests proving the Dovecot rig and the testkit against real servers:
//! logins (user, master user, TLS), STARTTLS advertising, personality mapping,
//! FILTER SIEVE and the doveadm imapc one-way sync used as benchmark baseline.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use chrono::{FixedOffset, TimeZone};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use testkit::{probe_capabilities, seed, Corpus, FlagAction, Personality, Rig, Snapshot};

type TlsStream = StreamOwned<ClientConnection, TcpStream>;

fn tls_config(cert: &Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert).expect("read RIG_CERT") {
        roots
            .add(cert.expect("parse RIG_CERT"))
            .expect("trust RIG_CERT");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn tls_wrap(config: &Arc<ClientConfig>, server_name: &str, tcp: TcpStream) -> TlsStream {
    let name = ServerName::try_from(server_name.to_string()).expect("server name");
    let connection = ClientConnection::new(config.clone(), name).expect("tls client");
    StreamOwned::new(connection, tcp)
}

/// Reads lines until the tagged answer; returns the tagged line.
fn read_until_tagged(reader: &mut impl BufRead, tag: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("read") > 0,
            "connection closed"
        );
        if line.starts_with(tag) {
            return line;
        }
    }
}

/// Logs in as the master user over an established TLS stream and checks the result.
fn tls_master_login(rig: &Rig, stream: TlsStream, greeting_read: bool) {
    let mut imap = imap::Client::new(stream);
    if !greeting_read {
        imap.read_greeting().expect("greeting over TLS");
    }
    let login = format!("user1{}{}", rig.master_separator, rig.master_user);
    let mut session = imap
        .login(login, &rig.master_password)
        .map_err(|(e, _)| e)
        .expect("master login over TLS");
    session.select("INBOX").expect("select INBOX over TLS");
    session.logout().expect("logout");
}

fn starttls(rig: &Rig, config: &Arc<ClientConfig>, port: u16) -> TlsStream {
    let tcp = TcpStream::connect((rig.host.as_str(), port)).expect("connect");
    let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
    let mut greeting = String::new();
    reader.read_line(&mut greeting).expect("greeting");
    assert!(greeting.starts_with("* OK"), "{greeting}");
    (&tcp).write_all(b"s1 STARTTLS\r\n").expect("write");
    let answer = read_until_tagged(&mut reader, "s1 ");
    assert!(answer.starts_with("s1 OK"), "{answer}");
    assert!(reader.buffer().is_empty());
    tls_wrap(config, "localhost", tcp)
}

#[test]
fn users_and_master_user_log_in_on_every_plain_port() {
    let rig = Rig::start_with_users(2).expect("rig");
    for personality in [Personality::Main, Personality::Dot] {
        for user in ["user1", "user2"] {
            rig.account(personality, user)
                .connect()
                .expect("user login")
                .logout()
                .unwrap();
            rig.master_account(personality, user)
                .connect()
                .expect("master login")
                .logout()
                .unwrap();
        }
    }
    rig.notls_account("user1")
        .connect()
        .expect("login without TLS")
        .logout()
        .unwrap();
    let mut wrong = rig.account(Personality::Main, "user1");
    wrong.password.push('x');
    assert!(wrong.connect().is_err(), "a wrong password must fail");
}

#[test]
fn starttls_is_offered_except_on_the_notls_listener() {
    let rig = Rig::start().expect("rig");
    let main = probe_capabilities(&rig.host, rig.imap_port).unwrap();
    let dot = probe_capabilities(&rig.host, rig.dot_imap_port).unwrap();
    let notls = probe_capabilities(&rig.notls_host, rig.notls_port).unwrap();
    assert!(main.contains(&"STARTTLS".to_string()), "{main:?}");
    assert!(dot.contains(&"STARTTLS".to_string()), "{dot:?}");
    assert!(!notls.contains(&"STARTTLS".to_string()), "{notls:?}");
    assert!(notls.contains(&"AUTH=PLAIN".to_string()), "{notls:?}");
}

#[test]
fn tls_listeners_verify_against_the_rig_certificate() {
    let rig = Rig::start().expect("rig");
    let config = tls_config(&rig.cert);
    for personality in [Personality::Main, Personality::Dot] {
        let tcp = TcpStream::connect((rig.host.as_str(), rig.tls_port(personality))).unwrap();
        tls_master_login(&rig, tls_wrap(&config, "localhost", tcp), false);
        let tcp = TcpStream::connect((rig.host.as_str(), rig.tls_port(personality))).unwrap();
        tls_master_login(&rig, tls_wrap(&config, "127.0.0.1", tcp), false);
        tls_master_login(&rig, starttls(&rig, &config, rig.port(personality)), true);
    }
}

#[test]
fn edge_corpus_snapshots_match_across_personalities() {
    let rig = Rig::start_with_users(1).expect("rig");
    let corpus = Corpus::edge_cases();
    let main = rig.account(Personality::Main, "user1");
    let dot = rig.account(Personality::Dot, "user1");
    seed(&main, &corpus).expect("seed main");
    seed(&dot, &corpus).expect("seed dot");
    let main_snapshot = Snapshot::take(&main).expect("snapshot main");
    let dot_snapshot = Snapshot::take(&dot).expect("snapshot dot");
    assert!(
        main_snapshot == dot_snapshot,
        "{}",
        main_snapshot.diff(&dot_snapshot)
    );

    let mut expected = corpus.expected_snapshot();
    expected.folders.insert("Junk".into(), Vec::new());
    assert!(
        main_snapshot == expected,
        "{}",
        main_snapshot.diff(&expected)
    );
    assert_eq!(main_snapshot.message_count(), corpus.len());

    let mut imap = dot.connect().unwrap();
    let raw: Vec<String> = imap
        .session()
        .list(Some(""), Some("*"))
        .unwrap()
        .iter()
        .map(|n| n.name().to_string())
        .collect();
    assert!(
        raw.contains(&"INBOX.Archive.2020.Q1".to_string()),
        "{raw:?}"
    );
    assert!(raw.contains(&"INBOX.&ZeVnLIqe-".to_string()), "{raw:?}");
}

#[test]
fn personalities_have_separate_storage() {
    let rig = Rig::start_with_users(1).expect("rig");
    let main = rig.account(Personality::Main, "user1");
    let mut imap = main.connect().unwrap();
    imap.create_folder("Only/Main").unwrap();
    let date = FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2020, 1, 2, 3, 4, 5)
        .unwrap();
    imap.append(
        "INBOX",
        b"Subject: x\r\n\r\nx\r\n",
        &["\\Seen".into()],
        date,
    )
    .unwrap();
    assert_eq!(imap.count("INBOX").unwrap(), 1);
    assert!(imap
        .list_folders()
        .unwrap()
        .contains(&"Only/Main".to_string()));
    let mut dot = rig.account(Personality::Dot, "user1").connect().unwrap();
    assert_eq!(dot.count("INBOX").unwrap(), 0);
    assert!(!dot
        .list_folders()
        .unwrap()
        .contains(&"Only/Main".to_string()));
}

#[test]
fn client_stores_flags_expunges_and_deletes() {
    let rig = Rig::start_with_users(1).expect("rig");
    let mut imap = rig.account(Personality::Dot, "user1").connect().unwrap();
    imap.create_folder("Work/Done").unwrap();
    let date = FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2011, 11, 11, 11, 11, 11)
        .unwrap();
    for body in ["one", "two"] {
        let raw = format!("Subject: {body}\r\n\r\n{body}\r\n");
        imap.append("Work/Done", raw.as_bytes(), &[], date).unwrap();
    }
    let uids = imap.uids("Work/Done").unwrap();
    assert_eq!(uids.len(), 2);
    imap.store_flags(
        "Work/Done",
        &uids[0].to_string(),
        FlagAction::Add,
        &["\\Flagged", "custom_kw"],
    )
    .unwrap();
    let records = imap.records("Work/Done").unwrap();
    assert!(
        records
            .iter()
            .any(|r| r.flags == ["\\Flagged", "custom_kw"]),
        "{records:?}"
    );
    assert!(records.iter().all(|r| r.internal_date == date.timestamp()));
    imap.store_flags(
        "Work/Done",
        &uids[1].to_string(),
        FlagAction::Replace,
        &["\\Deleted"],
    )
    .unwrap();
    imap.expunge("Work/Done").unwrap();
    assert_eq!(imap.count("Work/Done").unwrap(), 1);
    imap.delete_folder("Work/Done").unwrap();
    assert!(!imap
        .list_folders()
        .unwrap()
        .contains(&"Work/Done".to_string()));
}

#[test]
fn filter_sieve_fileinto_moves_a_message() {
    let rig = Rig::start_with_users(1).expect("rig");
    rig.install_sieve("user1", "require \"fileinto\";\nfileinto \"Archive\";\n")
        .unwrap();
    let mut imap = rig.account(Personality::Main, "user1").connect().unwrap();
    assert!(imap
        .capabilities()
        .unwrap()
        .contains(&"FILTER=SIEVE".to_string()));
    imap.create_folder("Archive").unwrap();
    let date = FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2015, 5, 5, 5, 5, 5)
        .unwrap();
    let uid = imap
        .append(
            "INBOX",
            b"Subject: filter me\r\nMessage-ID: <f@x>\r\n\r\nbody\r\n",
            &[],
            date,
        )
        .unwrap()
        .expect("APPENDUID");
    imap.filter_sieve("INBOX", &uid.to_string())
        .expect("FILTER SIEVE");
    let inbox = imap.records("INBOX").unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox[0].flags.contains(&"\\Deleted".to_string()),
        "{inbox:?}"
    );
    imap.expunge("INBOX").unwrap();
    assert_eq!(imap.count("INBOX").unwrap(), 0);
    assert_eq!(imap.count("Archive").unwrap(), 1);
}

/// `doveadm sync -1 -R` from `source` (user1 on `port`) into the local main user `target`.
fn doveadm_pull(rig: &Rig, port: u16, target: &str, extra: &[&str]) {
    let mut command = Command::new("doveadm");
    command.arg("-c").arg(&rig.doveadm_conf);
    let options = [
        "imapc_host=127.0.0.1".to_string(),
        format!("imapc_port={port}"),
        "imapc_user=user1".to_string(),
        format!("imapc_password={}", rig.user_password),
    ];
    for option in options
        .iter()
        .map(String::as_str)
        .chain(extra.iter().copied())
    {
        command.args(["-o", option]);
    }
    let output = command
        .args(["sync", "-1", "-R", "-u", target, "imapc:"])
        .output()
        .expect("run doveadm");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn doveadm_imapc_backup_copies_one_user_into_another() {
    let rig = Rig::start_with_users(3).expect("rig");
    let corpus = Corpus::edge_cases();
    let main = rig.account(Personality::Main, "user1");
    let dot = rig.account(Personality::Dot, "user1");
    seed(&main, &corpus).expect("seed main");
    seed(&dot, &corpus).expect("seed dot");

    doveadm_pull(&rig, rig.imap_port, "user2", &[]);
    let source = Snapshot::take(&main).unwrap();
    let copy = Snapshot::take(&rig.account(Personality::Main, "user2")).unwrap();
    assert!(source == copy, "{}", source.diff(&copy));

    doveadm_pull(
        &rig,
        rig.dot_imap_port,
        "user3",
        &["imapc_list_prefix=INBOX"],
    );
    let source = Snapshot::take(&dot).unwrap();
    let copy = Snapshot::take(&rig.account(Personality::Main, "user3")).unwrap();
    assert!(source == copy, "{}", source.diff(&copy));
}

#[test]
fn rigs_start_in_parallel_on_distinct_ports() {
    let rigs: Vec<Rig> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| Rig::start_with_users(1)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().expect("rig"))
            .collect()
    });
    let mut ports: Vec<(String, u16)> = rigs
        .iter()
        .flat_map(|r| {
            [
                (r.host.clone(), r.imap_port),
                (r.host.clone(), r.imaps_port),
                (r.notls_host.clone(), r.notls_port),
                (r.host.clone(), r.dot_imap_port),
                (r.host.clone(), r.dot_imaps_port),
            ]
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 20);
    for rig in &rigs {
        rig.account(Personality::Main, "user1")
            .connect()
            .unwrap()
            .logout()
            .unwrap();
    }
    let dir = rigs[0].dir().to_path_buf();
    drop(rigs);
    assert!(!dir.exists());
}

#[test]
fn large_message_round_trips() {
    let rig = Rig::start_with_users(1).expect("rig");
    let account = rig.account(Personality::Main, "user1");
    let corpus = Corpus::default().with_large(20 << 20);
    seed(&account, &corpus).expect("seed large");
    let snapshot = Snapshot::take(&account).unwrap();
    let inbox = &snapshot.folders["INBOX"];
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0], corpus.expected_snapshot().folders["INBOX"][0]);
}
