//! `syncctl` against a real supervisor: validation results (text, JSON, exit codes), unknown
//! and invalid task names, `logs` and `logs -f`, `progress` with and without a TTY, and
//! `status`.

mod common;

use common::*;
use std::time::Duration;
use testkit::{seed, Corpus, Personality, Rig};

#[test]
fn validation_reports_each_side_with_imapsync_codes() {
    let rig = Rig::start_with_users(2).unwrap();
    let sup = Supervisor::start(&rig, Options::default());
    let good = sup.add_task(
        &task_env(&rig, "val001", "user1", "user2"),
        &rig.user_password,
    );
    let ok = sup.syncctl(&["validation", &good]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("Host1: login ok\nHost2: login ok\n"));

    let bad = sup.add_task(
        &task_env(&rig, "val002", "user1", "user2"),
        "wrong password",
    );
    let refused = sup.syncctl(&["validation", &bad]);
    assert_eq!(refused.code, 161, "{}", refused.stdout);
    assert!(refused
        .stdout
        .contains("Host1: login failed (bad_credentials)"));
    assert!(!refused.stdout.contains("wrong password"));
    let json = sup.syncctl(&["validation", "--json", &bad]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["host1"]["kind"], "bad_credentials");
    assert_eq!(report["exit_code"], 161);

    let mut unknown_user = task_env(&rig, "val003", "user1", "nosuchuser");
    unknown_user.localuser = "nosuchuser".into();
    let local = sup.add_task(&unknown_user, &rig.user_password);
    let refused = sup.syncctl(&["validation", &local]);
    assert_eq!(refused.code, 162, "{}", refused.stdout);

    let mut unresolvable = task_env(&rig, "val004", "user1", "user2");
    unresolvable.remotehostname = "imap.invalid".into();
    let name = sup.add_task(&unresolvable, "pw");
    let refused = sup.syncctl(&["validation", &name]);
    assert_eq!(refused.code, 101, "{}", refused.stdout);
    assert!(refused.stdout.contains("Host1: login failed (unreachable)"));
}

#[test]
fn unknown_and_invalid_tasks_are_refused_clearly() {
    let rig = Rig::start().unwrap();
    let sup = Supervisor::start(&rig, Options::default());
    for verb in ["start", "status", "validation", "list-informations"] {
        let missing = sup.syncctl(&[verb, "user9_nosuch"]);
        assert_eq!(missing.code, 66, "{verb}: {}", missing.stderr);
        assert!(
            missing.stderr.contains("does not exist"),
            "{}",
            missing.stderr
        );
        let invalid = sup.syncctl(&[verb, "../etc_passwd"]);
        assert_eq!(invalid.code, 64, "{verb}: {}", invalid.stderr);
        assert!(invalid.stderr.contains("invalid task name"));
    }
    let stop = sup.syncctl(&["stop", "user9_nosuch"]);
    assert_eq!((stop.code, stop.stdout.trim()), (0, "Not Running"));
}

#[test]
fn logs_and_progress_follow_a_run() {
    let rig = Rig::start_with_users(2).unwrap();
    seed(
        &rig.account(Personality::Main, "user1"),
        &Corpus::bulk(7, 200, 0.0),
    )
    .unwrap();
    let server = SilentServer::start();
    let sup = Supervisor::start(&rig, Options::default());
    let task = sup.add_task(
        &task_env(&rig, "log001", "user1", "user2"),
        &rig.user_password,
    );
    assert_eq!(sup.status(&task), "Stopped");
    let waited = sup.syncctl(&["start", "--wait", &task]);
    assert_eq!((waited.code, waited.stdout.trim()), (0, "Started"));
    assert_eq!(
        sup.status(&task),
        "Stopped",
        "--wait returns once the run ended"
    );
    let progress = sup.syncctl(&["progress", &task]);
    assert_eq!(progress.code, 0);
    assert!(
        progress
            .stdout
            .trim_end()
            .ends_with("Stopped, last exit code 0"),
        "{}",
        progress.stdout
    );
    let logs = sup.syncctl(&["logs", &task]);
    assert_eq!(
        logs.stdout,
        std::fs::read_to_string(sup.file(&task, "log")).unwrap()
    );
    assert!(logs
        .stdout
        .contains("Messages transferred                    : 200"));

    // logs -f follows a running task until it ends.
    let hang = sup.add_task(&silent_task(&server, "log002"), "pw");
    assert_eq!(sup.syncctl(&["start", &hang]).code, 0);
    wait_for(Duration::from_secs(10), "the run", || {
        sup.file(&hang, "pid").exists()
    });
    let socket = sup.socket.clone();
    let follower = std::thread::spawn(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_syncctl"))
            .arg("--socket")
            .arg(&socket)
            .args(["logs", "-f", "user2_log002"])
            .output()
            .unwrap()
    });
    std::thread::sleep(Duration::from_secs(1));
    assert!(!follower.is_finished(), "logs -f waits while the task runs");
    assert_eq!(sup.syncctl(&["stop", &hang]).code, 0);
    let followed = follower.join().unwrap();
    let text = String::from_utf8_lossy(&followed.stdout);
    assert!(text.starts_with("imapsync-rs "), "{text}");
    assert!(text.contains("Exiting with return value 143"), "{text}");
}

#[test]
fn progress_on_a_tty_redraws_a_bar() {
    let rig = Rig::start_with_users(2).unwrap();
    seed(
        &rig.account(Personality::Main, "user1"),
        &Corpus::bulk(11, 3000, 0.0),
    )
    .unwrap();
    let sup = Supervisor::start(&rig, Options::default());
    let task = sup.add_task(
        &task_env(&rig, "tty001", "user1", "user2"),
        &rig.user_password,
    );
    assert_eq!(sup.syncctl(&["start", &task]).code, 0);
    // util-linux `script` gives syncctl a pseudo-terminal.
    let command = format!(
        "{} --socket {} progress {task}",
        env!("CARGO_BIN_EXE_syncctl"),
        sup.socket.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let bar = text
        .split("\r\u{1b}[2K")
        .find(|frame| frame.contains(" msgs "))
        .unwrap_or_else(|| panic!("no progress frame in {text:?}"));
    assert!(bar.starts_with('['), "{bar:?}");
    assert!(
        bar.contains("% ") && bar.contains("ETA") && bar.contains(" folder "),
        "{bar:?}"
    );
    assert!(
        text.trim_end().ends_with("Stopped, last exit code 0"),
        "{text:?}"
    );
}
