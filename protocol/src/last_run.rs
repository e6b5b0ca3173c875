//! The last recorded run of a task, as the supervisor writes it and the module shows it:
//! `<task>.status` (start time and exit code on two lines, the shell module's format) and
//! `<task>.summary` (this project's JSON record of the same run's counters). The supervisor
//! writes the summary just before `.status`, for every run it records; a summary of another
//! run than the one `.status` names (written by a version that kept `.status` alone, or left by
//! a failed write) is stale and is not shown.

use crate::rpc::RunSummary;
use crate::task::parse_run_status;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Extension of the two-line run record, `<task>.status`.
pub const STATUS_EXTENSION: &str = "status";
/// Extension of the run's counters, `<task>.summary`.
pub const SUMMARY_EXTENSION: &str = "summary";

/// Content of `<task>.summary`: what one recorded run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSyncSummary {
    /// Unix time the run started (line 1 of `.status` for the same run).
    pub started_at: i64,
    /// The run's exit code (line 2 of `.status` for the same run).
    pub exit_code: i32,
    /// Messages appended to the local mailbox.
    pub transferred: u64,
    /// Remote messages already present locally.
    pub skipped: u64,
    pub errors: u64,
    pub bytes_transferred: u64,
    pub duration_ms: u64,
    /// Why the run failed, when it ended early.
    pub error: Option<String>,
}

impl LastSyncSummary {
    /// The record of a run whose worker reported `report`; `exit_code` is the one recorded in
    /// `.status` (the supervisor's verdict).
    pub fn from_report(started_at: i64, exit_code: i32, report: &RunSummary) -> LastSyncSummary {
        LastSyncSummary {
            started_at,
            exit_code,
            transferred: report.transferred,
            skipped: report.skipped,
            errors: report.errors,
            bytes_transferred: report.bytes_transferred,
            duration_ms: report.duration_ms,
            error: report.error.clone(),
        }
    }

    /// The record of a run that ended before a worker reported: no counters, the time it took
    /// and the reason when one is known.
    pub fn without_report(
        started_at: i64,
        exit_code: i32,
        elapsed: Duration,
        reason: Option<String>,
    ) -> LastSyncSummary {
        LastSyncSummary {
            started_at,
            exit_code,
            transferred: 0,
            skipped: 0,
            errors: 0,
            bytes_transferred: 0,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            error: reason,
        }
    }

    /// Parses the file content.
    pub fn parse(text: &str) -> Result<LastSyncSummary, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The file content: one JSON object and a newline.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string(self).expect("a summary always serializes");
        text.push('\n');
        text
    }

    /// True when this summary describes the run `.status` records.
    pub fn belongs_to(&self, started_at: Option<i64>, exit_code: Option<i32>) -> bool {
        started_at == Some(self.started_at) && exit_code == Some(self.exit_code)
    }
}

/// The last recorded run, from `.status` and `.summary` together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LastRun {
    /// Line 1 of `.status`.
    pub started_at: Option<i64>,
    /// Line 2 of `.status`.
    pub exit_code: Option<i32>,
    /// The run's counters, only when `.summary` describes that same run.
    pub summary: Option<LastSyncSummary>,
}

impl LastRun {
    /// From the contents of `.status` and `.summary` (`None` for a missing file); an
    /// unparsable or stale summary is left out.
    pub fn from_texts(status: Option<&str>, summary: Option<&str>) -> LastRun {
        let (started_at, exit_code) = status.map(parse_run_status).unwrap_or((None, None));
        let summary = summary
            .and_then(|text| LastSyncSummary::parse(text).ok())
            .filter(|summary| summary.belongs_to(started_at, exit_code));
        LastRun {
            started_at,
            exit_code,
            summary,
        }
    }

    /// Reads both files; an unreadable file counts as missing.
    pub fn read(status_path: &Path, summary_path: &Path) -> LastRun {
        let status = std::fs::read_to_string(status_path).ok();
        let summary = std::fs::read_to_string(summary_path).ok();
        LastRun::from_texts(status.as_deref(), summary.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished() -> LastSyncSummary {
        let report = RunSummary {
            exit_code: 0,
            transferred: 5,
            skipped: 2,
            errors: 1,
            bytes_transferred: 4096,
            duration_ms: 1234,
            would_transfer: 9,
            ..RunSummary::default()
        };
        LastSyncSummary::from_report(1_700_000_000, 0, &report)
    }

    #[test]
    fn the_file_round_trips_and_has_the_documented_fields() {
        let summary = finished();
        let text = summary.render();
        assert!(text.ends_with("}\n"), "{text:?}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "started_at": 1_700_000_000, "exit_code": 0, "transferred": 5, "skipped": 2,
                "errors": 1, "bytes_transferred": 4096, "duration_ms": 1234, "error": null
            })
        );
        assert_eq!(LastSyncSummary::parse(&text).unwrap(), summary);
        assert!(LastSyncSummary::parse("{\"started_at\": 1}").is_err());
        assert!(LastSyncSummary::parse("").is_err());
    }

    #[test]
    fn a_run_without_report_keeps_its_time_and_reason() {
        let summary = LastSyncSummary::without_report(
            10,
            75,
            Duration::from_millis(2500),
            Some("cannot resolve mail.example.org".into()),
        );
        assert_eq!(
            (summary.transferred, summary.skipped, summary.errors),
            (0, 0, 0)
        );
        assert_eq!(summary.duration_ms, 2500);
        assert_eq!(
            summary.error.as_deref(),
            Some("cannot resolve mail.example.org")
        );
        assert_eq!(summary.exit_code, 75);
    }

    #[test]
    fn a_summary_of_the_run_in_status_is_shown() {
        let summary = finished().render();
        let last = LastRun::from_texts(Some("1700000000\n0\n"), Some(&summary));
        assert_eq!(last.started_at, Some(1_700_000_000));
        assert_eq!(last.exit_code, Some(0));
        assert_eq!(last.summary, Some(finished()));
    }

    #[test]
    fn a_stale_or_broken_summary_is_left_out() {
        let summary = finished().render();
        for (status, why) in [
            ("1700000999\n0\n", "a later run without summary"),
            ("1700000000\n111\n", "same second, another outcome"),
            ("garbage\n", "unreadable status"),
        ] {
            let last = LastRun::from_texts(Some(status), Some(&summary));
            assert_eq!(last.summary, None, "{why}");
        }
        assert_eq!(
            LastRun::from_texts(None, Some(&summary)),
            LastRun::default()
        );
        let broken = LastRun::from_texts(Some("1700000000\n0\n"), Some("{\"started_at\":"));
        assert_eq!(
            (broken.started_at, broken.exit_code, broken.summary),
            (Some(1_700_000_000), Some(0), None)
        );
        let older = LastRun::from_texts(Some("1700000000\n0\n"), None);
        assert_eq!(older.summary, None, "a run recorded by an older version");
    }

    #[test]
    fn the_files_are_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (status, summary) = (dir.path().join("t.status"), dir.path().join("t.summary"));
        assert_eq!(LastRun::read(&status, &summary), LastRun::default());
        std::fs::write(&status, "1700000000\n0\n").unwrap();
        std::fs::write(&summary, finished().render()).unwrap();
        assert_eq!(LastRun::read(&status, &summary).summary, Some(finished()));
    }
}
