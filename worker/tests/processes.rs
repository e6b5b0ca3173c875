//! The binaries as real processes: the `imapsync` command killed with SIGKILL half-way and
//! run again (nothing lost, nothing duplicated), and `imapsync-worker` driven over JSON-RPC on
//! its stdin/stdout, with UID-map notifications and a cancel that lands within 2 s.

mod common;

use common::*;
use jsonrpsee::core::client::{ClientT, Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use protocol::rpc::{Progress, RunParams, RunSummary, StateUpdate, METHOD_CANCEL, METHOD_RUN};
use protocol::state::SyncState;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use testkit::{Corpus, Personality, Rig};

fn write_secret(rig: &Rig, name: &str, value: &str) -> std::path::PathBuf {
    let path = rig.dir().join(name);
    std::fs::write(&path, value).unwrap();
    path
}

fn host2_total(rig: &Rig) -> u32 {
    let mut imap = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    imap.list_folders()
        .unwrap()
        .iter()
        .map(|f| imap.count(f).unwrap())
        .sum()
}

#[test]
fn cli_killed_half_way_then_rerun_loses_and_duplicates_nothing() {
    let corpus = Corpus::bulk(7, 1500, 0.0);
    let rig = rig_with(&corpus);
    let pass1 = write_secret(&rig, "p1", &rig.user_password);
    let pass2 = write_secret(&rig, "p2", &rig.master_password);
    let state = rig.dir().join("task.state");
    let command = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapsync"));
        cmd.args([
            "--host1",
            &rig.host,
            "--port1",
            &rig.imap_port.to_string(),
            "--user1",
            "user1",
        ])
        .arg("--passfile1")
        .arg(&pass1)
        .args([
            "--host2",
            &rig.host,
            "--port2",
            &rig.imap_port.to_string(),
            "--tls2",
            "--user2",
            "user2*vmail",
        ])
        .arg("--passfile2")
        .arg(&pass2)
        .arg("--state")
        .arg(&state)
        .stdout(Stdio::piped());
        cmd
    };
    let mut child = command().spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while host2_total(&rig) < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let copied = host2_total(&rig);
    assert!(
        copied > 0 && (copied as usize) < corpus.len(),
        "killed half-way, copied {copied}"
    );

    let out = command().output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Exiting with return value 0 (EX_OK"),
        "{text}"
    );
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );

    let again = command().output().unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    let tx = text
        .lines()
        .find(|l| l.starts_with("Messages transferred"))
        .unwrap();
    assert_eq!(tx.split_whitespace().nth(3), Some("0"), "{text}");
}

/// Applies every state notification received so far.
fn drain_state(sub: &mut Subscription<StateUpdate>, state: &mut SyncState) {
    use futures_util::FutureExt;
    while let Some(Some(Ok(update))) = sub.next().now_or_never() {
        for change in update.changes {
            state.apply(change);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_runs_over_rpc_streams_the_map_and_cancels_within_two_seconds() {
    let corpus = Corpus::bulk(11, 3000, 0.0);
    let rig = rig_with(&corpus);
    let spec = spec(&rig);
    let worker = spawn_worker();
    let mut states: Subscription<StateUpdate> =
        worker.client.subscribe_to_method("state").await.unwrap();
    let mut progress: Subscription<Progress> =
        worker.client.subscribe_to_method("progress").await.unwrap();
    let params = RunParams {
        spec: spec.clone(),
        state: SyncState::default(),
    };
    let client = &worker.client;
    let mut cancelled_at = None;
    let summary = {
        let run = client.request::<RunSummary, _>(METHOD_RUN, rpc_params![params]);
        tokio::pin!(run);
        loop {
            tokio::select! {
                summary = &mut run => break summary.unwrap(),
                Some(Ok(p)) = progress.next(), if cancelled_at.is_none() => {
                    if p.messages_done > 200 {
                        let ok: bool = client.request(METHOD_CANCEL, rpc_params![]).await.unwrap();
                        assert!(ok);
                        cancelled_at = Some(Instant::now());
                    }
                }
            }
        }
    };
    let took = cancelled_at.expect("progress was reported").elapsed();
    assert!(took < Duration::from_secs(2), "cancel took {took:?}");
    assert!(summary.cancelled && summary.exit_code == 143, "{summary:?}");
    assert!(summary.transferred < corpus.len() as u64);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut state = SyncState::default();
    drain_state(&mut states, &mut state);
    assert!(state.pair_count() as u64 <= summary.transferred);

    let params = RunParams {
        spec,
        state: state.clone(),
    };
    let rest: RunSummary = client
        .request(METHOD_RUN, rpc_params![params])
        .await
        .unwrap();
    assert_eq!(rest.exit_code, 0, "{rest:?}");
    assert_eq!(
        summary.transferred + rest.transferred,
        corpus.len() as u64,
        "nothing copied twice"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    drain_state(&mut states, &mut state);
    assert_eq!(
        state.pair_count(),
        corpus.len(),
        "every copy was reported in the map"
    );
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );
    drop(states);
    drop(progress);
    drop(worker.client);
    let status = tokio::time::timeout(Duration::from_secs(5), async move {
        let mut child = worker.child;
        child.wait().await
    })
    .await
    .expect("the worker exits when its input closes")
    .unwrap();
    assert!(status.success());
}

#[test]
fn cli_flags_behave_like_imapsync() {
    let rig = rig_with(&Corpus::edge_cases());
    let pass1 = write_secret(&rig, "p1", &rig.user_password);
    let pass2 = write_secret(&rig, "p2", &rig.master_password);
    let port = rig.imap_port.to_string();
    let imapsync = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_imapsync"))
            .args([
                "--host1",
                &rig.host,
                "--port1",
                &port,
                "--user1",
                "user1",
                "--passfile1",
            ])
            .arg(&pass1)
            .args([
                "--host2",
                &rig.host,
                "--port2",
                &port,
                "--tls2",
                "--user2",
                "user2*vmail",
                "--passfile2",
            ])
            .arg(&pass2)
            .args(extra)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };

    let (code, text) = imapsync(&["--justlogin"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Host1: success login on [127.0.0.1] with user [user1]"),
        "{text}"
    );

    let (code, text) = imapsync(&["--justfoldersizes", "--folder", "INBOX"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Host1 folder [INBOX] Size:")
            && text.contains("Host2 Nb messages: 0 messages"),
        "{text}"
    );

    let (code, text) = imapsync(&["--dry", "-nolog", "--noauthmd5", "--buffersize", "8192000"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Messages transferred                    : 0 (could be 60 without dry mode)"),
        "{text}"
    );
    assert_eq!(
        snapshot(&rig, Personality::Main, "user2").message_count(),
        0
    );

    let pidfile = rig.dir().join("task.pid");
    let (code, text) = imapsync(&[
        "--pidfile",
        pidfile.to_str().unwrap(),
        "--exclude",
        "^Archive",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!pidfile.exists(), "the pidfile is removed at exit");
    assert!(text.contains("Host1 Nb folders: 9 folders"), "{text}");

    let (code, text) = imapsync(&["--delete2foders"]);
    assert_eq!(code, Some(64), "{text}");
    assert!(
        text.contains("--delete2foders"),
        "the unknown flag is named: {text}"
    );

    let (code, text) = imapsync(&["--passfile1", "/nonexistent/pwd"]);
    assert_eq!(code, Some(64), "{text}");
}
