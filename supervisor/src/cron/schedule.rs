//! When a cron entry runs: five time fields or an `@` shortcut, matched minute by minute with
//! cronie's semantics, or `@reboot`.
//!
//! Each field is checked and made numeric (names become numbers) by the `field` module, then
//! the five are handed to `croner`, which does the matching. Cronie combines the day-of-month
//! and day-of-week fields with OR when both are restricted and with AND as soon as either
//! starts with `*` (so `*/2` counts as unrestricted there, as in cronie); the croner parser is
//! configured accordingly for each pattern.

use super::field;
use chrono::{DateTime, TimeZone, Timelike};
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use std::fmt;

/// When an entry runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `@reboot`: once, when the supervisor starts. Never matches a time.
    Reboot,
    /// A time pattern, from five fields or a shortcut such as `@hourly`.
    Pattern(Pattern),
}

/// A parsed time pattern; built by [`Schedule::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Boxed: a croner pattern takes over 300 bytes, which `Schedule::Reboot` need not reserve.
    cron: Box<Cron>,
    text: String,
}

impl Schedule {
    /// Parses the time part of an entry: five whitespace-separated fields
    /// (`1 */2 * * *`) or one of `@reboot`, `@yearly`, `@annually`, `@monthly`, `@weekly`,
    /// `@daily`, `@midnight`, `@hourly` (lower case, as cronie wants them).
    ///
    /// The error names the offending field, e.g. ``bad minute `61`: 61 is out of range 0-59``.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix('@') {
            let fields = match name {
                "reboot" => return Ok(Schedule::Reboot),
                "yearly" | "annually" => "0 0 1 1 *",
                "monthly" => "0 0 1 * *",
                "weekly" => "0 0 * * 0",
                "daily" | "midnight" => "0 0 * * *",
                "hourly" => "0 * * * *",
                _ => return Err(format!("unknown time shortcut `{text}`")),
            };
            return Ok(Schedule::Pattern(Pattern {
                cron: Box::new(compile(fields)?),
                text: text.to_string(),
            }));
        }
        Ok(Schedule::Pattern(Pattern {
            cron: Box::new(compile(text)?),
            text: text.to_string(),
        }))
    }

    /// Whether the entry is due in the minute of `t` (its seconds are ignored), read on the
    /// wall clock of `t`'s time zone. [`Schedule::Reboot`] never matches.
    pub fn matches<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> bool {
        let Schedule::Pattern(pattern) = self else {
            return false;
        };
        let minute = t
            .naive_local()
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0));
        minute.is_some_and(|minute| pattern.cron.is_time_matching(&minute).unwrap_or(false))
    }
}

impl fmt::Display for Schedule {
    /// Writes the schedule as it was written in the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Reboot => f.write_str("@reboot"),
            Schedule::Pattern(pattern) => f.write_str(&pattern.text),
        }
    }
}

/// Checks the five fields of `text` and builds the croner matcher for them.
fn compile(text: &str) -> Result<Cron, String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != field::FIELDS.len() {
        return Err(format!("expected 5 time fields, found {}", fields.len()));
    }
    let numeric = field::FIELDS
        .iter()
        .zip(&fields)
        .map(|(kind, text)| {
            field::normalise(*kind, text).map_err(|e| format!("bad {} `{text}`: {e}", kind.label))
        })
        .collect::<Result<Vec<_>, _>>()?
        .join(" ");
    let days_and = fields[2].starts_with('*') || fields[4].starts_with('*');
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .dom_and_dow(days_and)
        .build()
        .parse(&numeric)
        .map_err(|e| format!("bad time fields `{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::test_time::at;
    use chrono::{FixedOffset, TimeDelta, Utc};

    /// The schedule of `text`, which must parse.
    fn schedule(text: &str) -> Schedule {
        Schedule::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
    }

    /// The days of January 2025 (Wednesday the 1st) on which `text` matches at 00:00.
    fn january_days(text: &str) -> Vec<u32> {
        let schedule = schedule(text);
        (1..=31)
            .filter(|d| schedule.matches(&at(2025, 1, *d, 0, 0)))
            .collect()
    }

    /// The hours of 4 March 2025 at which `text` matches at minute `minute`.
    fn hours(text: &str, minute: u32) -> Vec<u32> {
        let schedule = schedule(text);
        (0..24)
            .filter(|h| schedule.matches(&at(2025, 3, 4, *h, minute)))
            .collect()
    }

    #[test]
    fn every_five_minutes() {
        let s = schedule("*/5 * * * *");
        assert!(s.matches(&at(2025, 3, 4, 10, 5)));
        assert!(s.matches(&at(2025, 3, 4, 10, 0)));
        assert!(!s.matches(&at(2025, 3, 4, 10, 7)));
    }

    #[test]
    fn seconds_are_ignored() {
        let s = schedule("5 10 * * *");
        let late = at(2025, 3, 4, 10, 5) + TimeDelta::milliseconds(59_999);
        assert!(s.matches(&late));
        assert!(!s.matches(&(late + TimeDelta::milliseconds(1))));
    }

    #[test]
    fn the_module_hour_intervals() {
        let two = schedule("1 */2 * * *");
        assert!(two.matches(&at(2025, 3, 4, 2, 1)));
        assert!(two.matches(&at(2025, 3, 4, 4, 1)));
        assert!(!two.matches(&at(2025, 3, 4, 3, 1)));
        assert!(!two.matches(&at(2025, 3, 4, 2, 2)));
        assert_eq!(
            hours("1 */2 * * *", 1),
            [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]
        );
        assert_eq!(hours("1 */3 * * *", 1), [0, 3, 6, 9, 12, 15, 18, 21]);
        assert_eq!(hours("1 */12 * * *", 1), [0, 12]);
        assert!(hours("1 */12 * * *", 0).is_empty());
    }

    #[test]
    fn lists_ranges_steps_and_names() {
        for text in [
            "0,30 8-18/2 * jan-mar mon-fri",
            "0,30 8-18/2 * JAN-Mar MON-fri",
        ] {
            let s = schedule(text);
            // Tuesday 4 March 2025, Monday 6 January 2025.
            assert!(s.matches(&at(2025, 3, 4, 8, 0)), "{text}");
            assert!(s.matches(&at(2025, 3, 4, 18, 30)), "{text}");
            assert!(s.matches(&at(2025, 1, 6, 10, 30)), "{text}");
            assert!(!s.matches(&at(2025, 3, 4, 9, 0)), "{text}");
            assert!(!s.matches(&at(2025, 3, 4, 20, 0)), "{text}");
            assert!(!s.matches(&at(2025, 3, 4, 8, 15)), "{text}");
            assert!(!s.matches(&at(2025, 4, 1, 8, 0)), "{text}");
            // Saturday 1 March 2025.
            assert!(!s.matches(&at(2025, 3, 1, 8, 0)), "{text}");
        }
    }

    #[test]
    fn shortcuts() {
        let hourly = schedule("@hourly");
        assert!(hourly.matches(&at(2025, 3, 4, 7, 0)));
        assert!(!hourly.matches(&at(2025, 3, 4, 7, 1)));

        for daily in ["@daily", "@midnight"] {
            let s = schedule(daily);
            assert!(s.matches(&at(2025, 3, 4, 0, 0)));
            assert!(!s.matches(&at(2025, 3, 4, 1, 0)));
        }
        // 5 January 2025 is a Sunday.
        assert_eq!(january_days("@weekly"), [5, 12, 19, 26]);
        assert_eq!(january_days("@monthly"), [1]);
        for yearly in ["@yearly", "@annually"] {
            let s = schedule(yearly);
            assert!(s.matches(&at(2026, 1, 1, 0, 0)));
            assert!(!s.matches(&at(2026, 2, 1, 0, 0)));
        }
        assert_eq!(schedule("@hourly").to_string(), "@hourly");
    }

    #[test]
    fn reboot_is_not_a_time() {
        let s = schedule("@reboot");
        assert_eq!(s, Schedule::Reboot);
        assert_eq!(s.to_string(), "@reboot");
        assert!((0..60).all(|m| !s.matches(&at(2025, 3, 4, 0, m))));
    }

    #[test]
    fn sunday_is_zero_or_seven() {
        let sundays = [5, 12, 19, 26];
        assert_eq!(january_days("0 0 * * 0"), sundays);
        assert_eq!(january_days("0 0 * * 7"), sundays);
        assert_eq!(january_days("0 0 * * sun"), sundays);
        // Friday to Sunday.
        assert_eq!(
            january_days("0 0 * * 5-7"),
            [3, 4, 5, 10, 11, 12, 17, 18, 19, 24, 25, 26, 31]
        );
        assert_eq!(
            january_days("0 0 * * sat,7"),
            [4, 5, 11, 12, 18, 19, 25, 26]
        );
    }

    #[test]
    fn restricted_day_fields_combine_with_or() {
        // Every 13th and every Friday (3, 10, 17, 24, 31 January 2025).
        assert_eq!(january_days("0 0 13 * fri"), [3, 10, 13, 17, 24, 31]);
        // A `*` day of month leaves the day of week alone, and the other way round.
        assert_eq!(january_days("0 0 * * fri"), [3, 10, 17, 24, 31]);
        assert_eq!(january_days("0 0 13 * *"), [13]);
        // A field starting with `*` counts as unrestricted: odd days that are Fridays.
        assert_eq!(january_days("0 0 */2 * fri"), [3, 17, 31]);
        // `*/5` is Sunday and Friday: the first ten days that are either.
        assert_eq!(january_days("0 0 1-10 * */5"), [3, 5, 10]);
    }

    #[test]
    fn a_step_beyond_the_range_runs_once() {
        assert_eq!(
            (0..60)
                .filter(|m| schedule("*/90 * * * *").matches(&at(2025, 3, 4, 10, *m)))
                .collect::<Vec<_>>(),
            [0]
        );
        assert_eq!(hours("0 */30 * * *", 0), [0]);
    }

    #[test]
    fn matching_uses_the_wall_clock_of_the_time_zone() {
        let s = schedule("30 9 * * *");
        let rome = FixedOffset::east_opt(3600).expect("valid offset");
        let nine_thirty_in_rome = rome
            .with_ymd_and_hms(2025, 3, 4, 9, 30, 0)
            .single()
            .expect("valid time");
        assert!(s.matches(&nine_thirty_in_rome));
        assert!(!s.matches(&nine_thirty_in_rome.with_timezone(&Utc)));
    }

    #[test]
    fn bad_patterns_are_rejected_with_the_field_named() {
        assert_eq!(
            Schedule::parse("61 * * * *").unwrap_err(),
            "bad minute `61`: 61 is out of range 0-59"
        );
        assert!(Schedule::parse("* 24 * * *")
            .unwrap_err()
            .starts_with("bad hour"));
        assert!(Schedule::parse("* * 0 * *")
            .unwrap_err()
            .starts_with("bad day-of-month"));
        assert!(Schedule::parse("* * * foo *")
            .unwrap_err()
            .starts_with("bad month"));
        assert!(Schedule::parse("* * * * 8")
            .unwrap_err()
            .starts_with("bad day-of-week"));
        assert_eq!(
            Schedule::parse("* * * *").unwrap_err(),
            "expected 5 time fields, found 4"
        );
        for text in [
            "* * * * * *",
            "",
            "@sometimes",
            "@HOURLY",
            "@",
            "*/5 * * * mon#2",
        ] {
            assert!(Schedule::parse(text).is_err(), "`{text}` accepted");
        }
    }

    #[test]
    fn keeps_the_original_text() {
        let s = schedule("  1 */2 * *\t* ");
        assert!(matches!(s, Schedule::Pattern(_)), "{s:?}");
        assert_eq!(s.to_string(), "1 */2 * *\t*");
    }
}
