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
