//! A task's `CRON` value (`""`, `<N>m`, `<N>h`) and the cron file it becomes, in cronie's
//! `/etc/cron.d` format with the user field, as the current module writes it:
//!
//! ```text
//! MAIL_HOST=<ip>
//! */5 * * * * root /usr/local/bin/syncctl start <task>
//! ```
//!
//! Every `Nh` works (the reference's `expand-cron` only knew `1h`).

use std::fmt;

/// How often a task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every N minutes, 1..=59: `*/N * * * *`.
    Minutes(u32),
    /// Every N hours at minute 1, 1..=24: `1 */N * * *`.
    Hours(u32),
}

/// A `CRON` value this module cannot schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported schedule {0:?}: use <N>m (1-59 minutes) or <N>h (1-24 hours)")]
pub struct BadSchedule(pub String);

impl Schedule {
    /// Parses a `CRON` value; `""` means no schedule. A whole number of hours written in
    /// minutes (`60m`, `120m`, as the NS7 import produces) becomes hours.
    pub fn parse(value: &str) -> Result<Option<Schedule>, BadSchedule> {
        if value.is_empty() {
            return Ok(None);
        }
        let bad = || BadSchedule(value.chars().take(40).collect());
        let (digits, unit) = if let Some(digits) = value.strip_suffix('m') {
            (digits, "m")
        } else if let Some(digits) = value.strip_suffix('h') {
            (digits, "h")
        } else {
            return Err(bad());
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 5 {
            return Err(bad());
        }
        let count: u32 = digits.parse().map_err(|_| bad())?;
        match unit {
            "m" if (1..=59).contains(&count) => Ok(Some(Schedule::Minutes(count))),
            "m" if count.is_multiple_of(60) && (1..=24).contains(&(count / 60)) => {
                Ok(Some(Schedule::Hours(count / 60)))
            }
            "h" if (1..=24).contains(&count) => Ok(Some(Schedule::Hours(count))),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Schedule {
    /// The time fields, followed by the separator the reference module uses before the user.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Minutes(n) => write!(f, "*/{n} * * * * "),
            Schedule::Hours(n) => write!(f, "1 */{n} * * *  "),
        }
    }
}

/// The content of `cron/<task>.cron`.
pub fn cron_file(schedule: Schedule, mail_host: &str, task: &str) -> String {
    format!("MAIL_HOST={mail_host}\n{schedule}root /usr/local/bin/syncctl start {task}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_and_hours_give_the_reference_lines() {
        let five = Schedule::parse("5m").unwrap().unwrap();
        assert_eq!(
            cron_file(five, "10.5.4.1", "u2_facta1"),
            "MAIL_HOST=10.5.4.1\n*/5 * * * * root /usr/local/bin/syncctl start u2_facta1\n"
        );
        let one = Schedule::parse("1h").unwrap().unwrap();
        assert_eq!(
            cron_file(one, "10.5.4.1", "u_a"),
            "MAIL_HOST=10.5.4.1\n1 */1 * * *  root /usr/local/bin/syncctl start u_a\n"
        );
        for (value, expected) in [
            ("2h", Schedule::Hours(2)),
            ("12h", Schedule::Hours(12)),
            ("24h", Schedule::Hours(24)),
            ("60m", Schedule::Hours(1)),
            ("120m", Schedule::Hours(2)),
            ("59m", Schedule::Minutes(59)),
        ] {
            assert_eq!(Schedule::parse(value), Ok(Some(expected)), "{value}");
        }
        assert_eq!(Schedule::parse(""), Ok(None));
    }

    #[test]
    fn other_values_are_refused() {
        for value in [
            "0m", "90m", "25h", "0h", "m", "5", "5d", "-5m", "5 m", "1h\n", "*/5", "5é", "é", "5mm",
        ] {
            assert!(Schedule::parse(value).is_err(), "{value:?}");
        }
    }
}
