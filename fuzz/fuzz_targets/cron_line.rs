//! Fuzzes the cron readers: the supervisor's cron file parser (`supervisor::cron::file::parse`,
//! which takes every line through the schedule, field, variable and command parsers) and the
//! module's task `CRON` value parser (`module::schedule::Schedule::parse`).
//!
//! Checks: no panic on any bytes; a parsed schedule prints the text it was read from and
//! reads back to the same schedule; matching any minute does not panic; every line is either
//! an entry, a variable or a reported error; and every cron file the module writes for a valid
//! `CRON` value loads in the supervisor as one `syncctl start` entry that runs at the minute
//! the module promises.
#![no_main]

use chrono::{DateTime, NaiveDate, Utc};
use libfuzzer_sys::fuzz_target;
use module::schedule::{cron_file, Schedule as TaskSchedule};
use supervisor::cron::file::parse;
use supervisor::cron::{Command, Schedule};

/// The UTC time `y-m-d h:min`.
fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, min, 0))
        .expect("valid time")
        .and_utc()
}

/// Minutes worth probing: year and month boundaries, a leap day, a Sunday, and one picked by
/// the input.
fn probe_times(seed: u32) -> [DateTime<Utc>; 5] {
    [
        at(2025, 1, 1, 0, 0),
        at(2024, 2, 29, 23, 59),
        at(2025, 12, 31, 12, 30),
        at(2025, 1, 5, 0, 1),
        at(
            2025,
            1 + seed % 12,
            1 + seed % 28,
            (seed / 7) % 24,
            (seed / 11) % 60,
        ),
    ]
}

/// The supervisor side: a whole file of arbitrary text.
fn check_file(text: &str, seed: u32) {
    let (entries, errors) = parse(text);
    let content_lines = text
        .lines()
        .filter(|line| {
            let line = line.trim_start_matches([' ', '\t']);
            !line.trim().is_empty() && !line.starts_with('#')
        })
        .count();
    assert!(entries.len() + errors.len() <= content_lines);
    for entry in &entries {
        let printed = entry.schedule.to_string();
        assert_eq!(
            Schedule::parse(&printed).as_ref(),
            Ok(&entry.schedule),
            "schedule {printed:?} does not read back"
        );
        for time in probe_times(seed) {
            let _ = entry.schedule.matches(&time);
        }
        if let Command::StartTask(task) = &entry.command {
            assert!(!task.is_empty() && !task.starts_with('-'));
        }
    }
    for line in text.lines() {
        let _ = Schedule::parse(line);
    }
}

/// The module side: a task's `CRON` value and the file written for it.
fn check_task_value(value: &str) {
    let Ok(Some(schedule)) = TaskSchedule::parse(value) else {
        return;
    };
    let file = cron_file(schedule, "10.5.4.1", "u2_fuzz1");
    let (entries, errors) = parse(&file);
    assert_eq!(errors, [], "{file}");
    assert_eq!(entries.len(), 1, "{file}");
    let entry = &entries[0];
    assert_eq!(entry.command, Command::StartTask("u2_fuzz1".into()));
    assert_eq!(
        entry.env,
        [("MAIL_HOST".to_string(), "10.5.4.1".to_string())]
    );
    let first_run = match schedule {
        TaskSchedule::Minutes(_) => at(2025, 3, 4, 0, 0),
        TaskSchedule::Hours(_) => at(2025, 3, 4, 0, 1),
    };
    assert!(entry.schedule.matches(&first_run), "{file}");
}

fuzz_target!(|data: &[u8]| {
    let seed = data.iter().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(*b))
    });
    let text = String::from_utf8_lossy(data);
    check_file(&text, seed);
    check_task_value(&text);
});
