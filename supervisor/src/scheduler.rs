//! The cron daemon of the container: once a minute it fires the due entries of `*.cron` and
//! `*.custom` (task starts in-process, other commands through the shell), re-reads the files
//! when they change and on `reload`, and runs `@reboot` entries at start.

use crate::cron::{Command, Entry};
use crate::cron::{CronTable, Fingerprint};
use crate::runs::Runs;
use crate::shared::{lock, Shared};
use crate::shell_job;
use chrono::{DateTime, DurationRound, Local, TimeDelta};
use protocol::control::{ReloadReport, StartOutcome};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A forward jump of the clock up to this long (a suspend, a clock correction) fires every
/// missed minute, as cronie does for jumps under three hours; after a longer one only the
/// current minute fires.
const MAX_CATCH_UP_MINUTES: i64 = 3 * 60;

struct Loaded {
    table: CronTable,
    fingerprint: Fingerprint,
}

/// The schedule and what fires from it.
pub struct Scheduler {
    shared: Arc<Shared>,
    runs: Arc<Runs>,
    loaded: Mutex<Loaded>,
}

impl Scheduler {
    /// Loads the cron directory once.
    pub fn new(shared: Arc<Shared>, runs: Arc<Runs>) -> Arc<Scheduler> {
        let dir = &shared.config.cron_dir;
        let loaded = Loaded {
            fingerprint: CronTable::fingerprint(dir),
            table: CronTable::load(dir),
        };
        report_errors(&loaded.table);
        Arc::new(Scheduler {
            shared,
            runs,
            loaded: Mutex::new(loaded),
        })
    }

    /// Re-reads every cron file now.
    pub fn reload(&self) -> ReloadReport {
        let dir = &self.shared.config.cron_dir;
        let fingerprint = CronTable::fingerprint(dir);
        let table = CronTable::load(dir);
        report_errors(&table);
        let report = ReloadReport {
            files: table.files(),
            entries: table.entries(),
            errors: table.errors().to_vec(),
        };
        *lock(&self.loaded) = Loaded { table, fingerprint };
        report
    }

    fn reload_if_changed(&self) {
        let current = CronTable::fingerprint(&self.shared.config.cron_dir);
        if lock(&self.loaded).fingerprint != current {
            let report = self.reload();
            log_err!(
                "cron: reloaded {} file(s), {} entries",
                report.files,
                report.entries
            );
        }
    }

    fn fire(&self, file: &str, entry: &Entry) {
        match &entry.command {
            Command::StartTask(task) => match self.runs.start(task) {
                Ok(StartOutcome::AlreadyRunning) => {
                    log_err!("task {task}: scheduled start skipped: already running or queued")
                }
                Ok(_) => {}
                Err(e) => log_err!("cron {file}:{}: task {task}: {e}", entry.line),
            },
            Command::Shell { .. } => shell_job::launch(&self.shared, file, entry),
        }
    }

    fn fire_due(&self, minute: &DateTime<Local>) {
        let due: Vec<(String, Entry)> = {
            let loaded = lock(&self.loaded);
            loaded
                .table
                .due(minute)
                .into_iter()
                .map(|(file, entry)| (file.to_string(), entry.clone()))
                .collect()
        };
        for (file, entry) in due {
            self.fire(&file, &entry);
        }
    }

    /// Runs `@reboot` entries, then fires due entries every minute, forever.
    pub async fn run(self: Arc<Self>) {
        let reboot: Vec<(String, Entry)> = lock(&self.loaded)
            .table
            .at_reboot()
            .into_iter()
            .map(|(file, entry)| (file.to_string(), entry.clone()))
            .collect();
        for (file, entry) in reboot {
            self.fire(&file, &entry);
        }
        let rescan = Duration::from_secs(self.shared.config.cron_rescan_secs.max(1));
        let mut last = floor_minute(Local::now());
        loop {
            let next = last + TimeDelta::minutes(1);
            let wait = (next - Local::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(rescan);
            tokio::time::sleep(wait).await;
            self.reload_if_changed();
            let current = floor_minute(Local::now());
            if current == last {
                continue;
            }
            if current < last {
                // The clock went back: go on from the new time without re-running the minutes
                // already fired.
                log_err!("cron: the clock went back to {current}; scheduling from there");
                last = current;
                continue;
            }
            let gap = (current - last).num_minutes();
            let first = if gap > MAX_CATCH_UP_MINUTES {
                current
            } else {
                last + TimeDelta::minutes(1)
            };
            let mut minute = first;
            while minute <= current {
                self.fire_due(&minute);
                minute += TimeDelta::minutes(1);
            }
            last = current;
        }
    }
}

fn floor_minute(t: DateTime<Local>) -> DateTime<Local> {
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t)
}

fn report_errors(table: &CronTable) {
    for error in table.errors() {
        log_err!("cron: {error}");
    }
}
