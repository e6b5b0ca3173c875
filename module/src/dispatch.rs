//! The multi-call entry point. The agent runs a step as `<dir>/<name>` (a symlink to this
//! binary), so the directory names the action, event or `update-module.d`, and the file name
//! the step; helpers in `bin/` are told apart by their name alone. For development,
//! `imapsync-module <dir> <name>` does the same.

use crate::actions::{
    configuration, create_task, get_facts, get_log, import_module, lifecycle, list_informations,
    list_tasks, mail_settings_changed, task_control,
};
use crate::helpers::{expand_cron, reveal_master_secret};
use crate::step::{Step, StepResult};
use std::path::Path;

type StepFn = fn(&mut Step) -> StepResult;

/// Every step this binary implements: (directory, file name, function).
const STEPS: &[(&str, &str, StepFn)] = &[
    (
        "configure-module",
        "02validate-mail-server",
        configuration::validate_mail_server,
    ),
    (
        "configure-module",
        "20configure-env",
        configuration::configure_env,
    ),
    (
        "configure-module",
        "80start_services",
        configuration::start_services,
    ),
    ("get-configuration", "20read", configuration::read),
    ("create-task", "20configure", create_task::configure),
    (
        "create-task",
        "30Imapsync_validation",
        create_task::validate,
    ),
    ("create-task", "50start-service", create_task::start),
    ("delete-task", "10stop-service", task_control::delete_stop),
    ("delete-task", "20delete", task_control::delete_files),
    ("start-task", "50start-service", task_control::start),
    ("stop-task", "50stop-service", task_control::stop),
    ("start-all-tasks", "50start-all", task_control::start_all),
    ("stop-all-tasks", "50stop-all", task_control::stop_all),
    ("list-tasks", "20read", list_tasks::read),
    ("list-informations", "20read", list_informations::read),
    ("get-log", "20read", get_log::read),
    ("get-facts", "20get_imapsync_facts", get_facts::read),
    ("import-module", "40migration", import_module::migrate),
    (
        "restore-module",
        "06copyenv",
        lifecycle::restore_environment,
    ),
    ("restore-module", "60systemd", lifecycle::restore_start),
    ("create-module", "10grants", lifecycle::grants),
    ("update-module.d", "10grants", lifecycle::grants),
    (
        "update-module.d",
        "20restart",
        lifecycle::restart_after_update,
    ),
    (
        "mail-settings-changed",
        "80start_services",
        mail_settings_changed::handle,
    ),
];

fn file_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

fn parent_name(path: &str) -> &str {
    Path::new(path)
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or("")
}

fn run_step(dir: &str, name: &str) -> Option<u8> {
    let (_, _, function) = STEPS.iter().find(|(d, n, _)| *d == dir && *n == name)?;
    let mut step = Step::from_env(dir, name);
    let result = function(&mut step);
    Some(step.finish(result))
}

fn usage() -> u8 {
    eprintln!("usage: imapsync-module <action> <step>   (normally run by the NS8 agent through a step symlink)");
    eprintln!("steps:");
    for (dir, name, _) in STEPS {
        eprintln!("  {dir} {name}");
    }
    eprintln!("helpers (by name): import-csv-tasks, expand-cron, reveal-master-secret");
    64
}

/// Runs whatever `argv` names; the process exit code.
pub fn run(argv: &[String]) -> u8 {
    // Task files hold passwords: nothing this binary creates is readable by others.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let invoked = argv.first().map(String::as_str).unwrap_or("");
    match file_name(invoked) {
        "import-csv-tasks" => return crate::csv_import::main(&argv[1..]),
        "expand-cron" => return expand_cron::main(),
        "reveal-master-secret" => return reveal_master_secret::main(),
        "imapsync-module" => {
            return match argv.get(1..3) {
                Some([dir, name]) => run_step(dir, name).unwrap_or_else(usage),
                _ => usage(),
            }
        }
        _ => {}
    }
    run_step(parent_name(invoked), file_name(invoked)).unwrap_or_else(|| {
        eprintln!("imapsync-module: {invoked} is not a step of this module");
        usage()
    })
}
