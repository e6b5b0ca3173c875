//! Cron files in cronie's `/etc/cron.d` format: the schedules the supervisor runs in place of
//! cronie.
//!
//! [`table::CronTable`] loads every `*.cron` and `*.custom` file of a directory;
//! [`file::parse`] reads one file into [`file::Entry`]s (time, user, command and environment);
//! [`schedule::Schedule`] says when an entry runs and [`command::Command`] what it runs.

pub mod command;
mod field;
pub mod file;
pub mod schedule;
pub mod table;
mod variable;

pub use command::Command;
pub use file::Entry;
pub use schedule::{Pattern, Schedule};
pub use table::{CronTable, Fingerprint};

/// Times for the tests of this module.
#[cfg(test)]
mod test_time {
    use chrono::{DateTime, NaiveDate, Utc};

    /// The UTC time `y-m-d h:min:00`.
    pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .expect("valid test time")
            .and_utc()
    }
}
