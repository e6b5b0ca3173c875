//! Connecting and logging in: implicit TLS and STARTTLS with verification off, a clear error
//! with verification on against the self-signed rig, STARTTLS not offered, bad credentials,
//! an unreachable host, addresses resolved by the spec's builder, a SASL PLAIN master login,
//! and folder sizes.

mod common;

use common::*;
use protocol::exit::ExitCode;
use protocol::rpc::LoginErrorKind;
use protocol::secret::Secret;
use protocol::spec::Security;
use protocol::state::SyncState;
use testkit::{Corpus, Personality, Rig};
use worker::engine;

#[test]
fn implicit_tls_works_without_verification_and_fails_clearly_with_it() {
    let rig = rig_with(&Corpus::edge_cases());
    let mut spec = spec(&rig);
    spec.host1.security = Security::Tls;
    spec.host1.port = rig.tls_port(Personality::Main);
    run_ok(&spec, &SyncState::default());
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );

    spec.host1.verify_tls = true;
    let (summary, _, _) = run(&spec, &SyncState::default());
    assert_eq!(summary.exit(), ExitCode::TlsFailure);
    let error = summary.error.unwrap();
    assert!(
        error.contains("TLS failure") && error.contains("certificate"),
        "{error}"
    );

    let report = engine::check_login(&spec.host1, &spec.host2);
    assert_eq!(report.host1.kind, Some(LoginErrorKind::Tls));
    assert!(report.host2.ok);
}

#[test]
fn login_check_reports_each_failure_kind() {
    let rig = Rig::start().unwrap();
    let good = spec(&rig);
    let report = engine::check_login(&good.host1, &good.host2);
    assert!(
        report.host1.ok && report.host2.ok && report.exit_code == 0,
        "{report:?}"
    );

    let mut bad = good.clone();
    bad.host1.password = Secret::new("wrong");
    let report = engine::check_login(&bad.host1, &bad.host2);
    assert_eq!(report.host1.kind, Some(LoginErrorKind::BadCredentials));
    assert_eq!(
        report.exit_code,
        ExitCode::AuthenticationFailureUser1.code()
    );
    assert!(
        !report.host1.message.unwrap().contains("wrong"),
        "the password never appears"
    );

    let mut bad2 = good.clone();
    bad2.host2.password = Secret::new("wrong");
    let report = engine::check_login(&bad2.host1, &bad2.host2);
    assert_eq!(
        report.exit_code,
        ExitCode::AuthenticationFailureUser2.code()
    );

    let mut unreachable = good.clone();
    unreachable.host1.port = free_port();
    let report = engine::check_login(&unreachable.host1, &unreachable.host2);
    assert_eq!(report.host1.kind, Some(LoginErrorKind::Unreachable));
    assert_eq!(report.exit_code, ExitCode::ConnectionFailureHost1.code());

    let mut no_starttls = good.clone();
    no_starttls.host1.host = rig.notls_host.clone();
    no_starttls.host1.port = rig.notls_port;
    no_starttls.host1.security = Security::Starttls;
    let report = engine::check_login(&no_starttls.host1, &no_starttls.host2);
    assert_eq!(report.host1.kind, Some(LoginErrorKind::StarttlsNotOffered));
    assert_eq!(report.exit_code, ExitCode::TlsFailure.code());
}

#[test]
fn pre_resolved_addresses_are_tried_in_order_and_host_only_names_the_server() {
    let rig = Rig::start().unwrap();
    let mut spec = spec(&rig);
    behind_unresolvable_name(&mut spec, &[free_port()]);
    let report = engine::check_login(&spec.host1, &spec.host2);
    assert!(
        report.host1.ok && report.host2.ok && report.exit_code == 0,
        "{report:?}"
    );

    spec.host1.addresses.clear();
    let report = engine::check_login(&spec.host1, &spec.host2);
    assert_eq!(
        report.host1.kind,
        Some(LoginErrorKind::Unreachable),
        "without addresses the name is resolved, and fails: {report:?}"
    );
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn master_login_with_sasl_plain_authorization_identity() {
    let rig = rig_with(&Corpus::edge_cases());
    let mut spec = spec(&rig);
    spec.host1.user = "user1".into();
    spec.host1.auth_user = Some(rig.master_user.clone());
    spec.host1.password = Secret::new(rig.master_password.clone());
    run_ok(&spec, &SyncState::default());
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );
}

#[test]
fn folder_sizes_cover_both_sides_within_scope() {
    let corpus = Corpus::edge_cases();
    let rig = rig_with(&corpus);
    let mut spec = spec(&rig);
    spec.select.exclude = vec!["^Archive".into()];
    let before = engine::folder_sizes(&spec);
    assert_eq!(before.exit_code, 0, "{before:?}");
    let archived = corpus
        .messages
        .iter()
        .filter(|m| m.folder.starts_with("Archive"))
        .count();
    assert_eq!(
        before.host1_totals.messages,
        (corpus.len() - archived) as u64
    );
    assert_eq!(before.host2_totals.messages, 0);
    assert!(before.host2.iter().any(|f| !f.exists));
    run_ok(&spec, &SyncState::default());
    let after = engine::folder_sizes(&spec);
    assert_eq!(after.host2_totals.messages, after.host1_totals.messages);
    assert_eq!(after.host2_totals.bytes, after.host1_totals.bytes);
    assert!(after.host1.iter().any(|f| f.name == "Données/Été"));
}
