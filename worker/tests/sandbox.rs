//! The worker's sandbox in the real binary: `--sandbox-check` finds opening a file and
//! running a program refused, and a sandboxed worker, unable to resolve names itself, logs in
//! through the addresses its spec carries.

mod common;

use common::*;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::rpc_params;
use protocol::rpc::{LoginParams, LoginReport, METHOD_CHECK_LOGIN};
use std::process::Command;
use testkit::Rig;

#[test]
fn sandbox_check_finds_open_and_exec_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_imapsync-worker"))
        .arg("--sandbox-check")
        .env_clear()
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}{stderr}");
    assert_eq!(text.lines().count(), 1, "one line of JSON: {text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let refused = "refused: EPERM: Operation not permitted";
    assert_eq!(report["sandbox"], "applied", "{report}");
    assert_eq!(report["open"], refused, "{report}");
    assert_eq!(report["exec"], refused, "{report}");
    assert_eq!(report["signal_other"], refused, "{report}");
    assert_eq!(report["no_new_privs"], true, "{report}");
    assert_eq!(report["seccomp_mode"], 2, "{report}");
    assert_eq!(report["cap_effective_empty"], true, "{report}");
    assert_eq!(report["uid"], nix::unistd::getuid().as_raw(), "{report}");
    assert_eq!(report["gid"], nix::unistd::getgid().as_raw(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandboxed_worker_logs_in_through_pre_resolved_addresses() {
    let rig = Rig::start().unwrap();
    let mut spec = spec(&rig);
    behind_unresolvable_name(&mut spec, &[]);
    let worker = spawn_worker();
    let params = LoginParams {
        host1: spec.host1,
        host2: spec.host2,
    };
    let report: LoginReport = worker
        .client
        .request(METHOD_CHECK_LOGIN, rpc_params![params])
        .await
        .unwrap();
    assert!(
        report.host1.ok && report.host2.ok && report.exit_code == 0,
        "{report:?}"
    );
}
