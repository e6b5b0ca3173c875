//! The scheduler in a real supervisor: `@reboot` at start, cron files picked up after a
//! change, a task line run in-process at the next minute, a custom shell line with the file's
//! variables and `%` input, orphans reaped, and an invalid line reported with its file and line number while
//! the rest still runs.

mod common;

use common::*;
use std::time::Duration;
use testkit::{seed, Corpus, Personality, Rig};

#[test]
fn cron_files_start_tasks_and_run_custom_commands() {
    let rig = Rig::start_with_users(2).unwrap();
    seed(
        &rig.account(Personality::Main, "user1"),
        &Corpus::edge_cases(),
    )
    .unwrap();
    let mut sup = Supervisor::start(&rig, Options::default());
    let out = sup.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let out = out.display().to_string();
    std::fs::write(
        sup.cron.join("boot.custom"),
        format!(
            "@reboot root echo booted > {out}/reboot\n@reboot root (sleep 3 & echo $! > {out}/orphan.new; mv {out}/orphan.new {out}/orphan)\n"
        ),
    )
    .unwrap();
    // @reboot entries run when the supervisor starts.
    let _ = sup.terminate();
    sup.spawn(&Options::default());
    wait_for(Duration::from_secs(10), "the @reboot job", || {
        std::fs::read_to_string(format!("{out}/reboot")).is_ok_and(|s| s == "booted\n")
    });
    // An orphaned grandchild is adopted and reaped by the supervisor (no zombie left).
    let supervisor_parent = format!("PPid:\t{}\n", sup.pid());
    let mut orphan_status = String::new();
    wait_for(Duration::from_secs(10), "the orphan's adoption", || {
        let Ok(pid) = std::fs::read_to_string(format!("{out}/orphan")) else {
            return false;
        };
        orphan_status = format!("/proc/{}/status", pid.trim());
        std::fs::read_to_string(&orphan_status).is_ok_and(|s| s.contains(&supervisor_parent))
    });
    wait_for(Duration::from_secs(10), "the orphan to be reaped", || {
        !std::path::Path::new(&orphan_status).exists()
    });

    let task = sup.add_task(
        &task_env(&rig, "cron01", "user1", "user2"),
        &rig.user_password,
    );
    std::fs::write(
        sup.cron.join(format!("{task}.cron")),
        format!("MAIL_HOST=127.0.0.1\n*/1 * * * *  root /usr/local/bin/syncctl start {task}\n"),
    )
    .unwrap();
    std::fs::write(
        sup.cron.join("admin.custom"),
        format!(
            "# admin jobs\nMARK = \"hello from cron\"\n61 * * * * root echo never\n* * * * * root [ -e {out}/mark ] || {{ echo \"$MARK\"; id -u; }} > {out}/mark.new && mv {out}/mark.new {out}/mark\n* * * * * root [ -e {out}/input ] || {{ cat > {out}/input.new && mv {out}/input.new {out}/input; }}%line one%line two\n"
        ),
    )
    .unwrap();
    std::fs::write(
        sup.cron.join("ignored.cron.rollback"),
        "* * * * * root echo x > /x\n",
    )
    .unwrap();

    let reload = sup.syncctl(&["reload"]);
    assert_eq!(reload.code, 1, "{}", reload.stdout);
    assert!(
        reload.stdout.contains("admin.custom:3:"),
        "{}",
        reload.stdout
    );
    assert!(
        reload.stdout.starts_with("3 file(s), 5 entries"),
        "{}",
        reload.stdout
    );

    // Everything fires at the next minute boundary.
    wait_for(Duration::from_secs(90), "the scheduled run", || {
        sup.file(&task, "status").exists()
    });
    sup.wait_stopped(&task, Duration::from_secs(60));
    assert_eq!(read_status(&sup.file(&task, "status")).unwrap().1, 0);
    wait_for(Duration::from_secs(10), "the custom jobs", || {
        std::path::Path::new(&format!("{out}/mark")).exists()
            && std::path::Path::new(&format!("{out}/input")).exists()
    });
    assert_eq!(
        std::fs::read_to_string(format!("{out}/mark")).unwrap(),
        "hello from cron\n0\n"
    );
    assert_eq!(
        std::fs::read_to_string(format!("{out}/input")).unwrap(),
        "line one\nline two\n"
    );
    assert!(!std::path::Path::new("/x").exists());
    assert!(sup.container_log().contains("admin.custom:3:"));
}

#[test]
fn a_changed_cron_file_is_picked_up_without_reload() {
    let rig = Rig::start().unwrap();
    let sup = Supervisor::start(&rig, Options::default());
    let out = sup.dir.path().join("changed");
    std::fs::write(
        sup.cron.join("late.custom"),
        format!("* * * * * root touch {}\n", out.display()),
    )
    .unwrap();
    wait_for(Duration::from_secs(10), "the rescan", || {
        sup.container_log()
            .contains("cron: reloaded 1 file(s), 1 entries")
    });
    wait_for(Duration::from_secs(75), "the job of the new file", || {
        out.exists()
    });
}
