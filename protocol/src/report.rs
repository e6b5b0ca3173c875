//! imapsync-style text for the end of a run: the statistics block, the host totals and the
//! `Exiting with return value` line that logs, `.log` files and scripts parse.

use crate::exit::ExitCode;
use crate::rpc::RunSummary;

/// imapsync's error budget, printed in the exit line.
pub const ERRORS_MAX: u64 = 50;

fn row(label: &str, value: impl std::fmt::Display) -> String {
    format!("{label:<40}: {value}")
}

fn kib(bytes: u64) -> String {
    format!("{bytes} ({:.3} KiB)", bytes as f64 / 1024.0)
}

/// The statistics block, host totals and exit line for `summary`, run by process `pid`.
pub fn summary_lines(summary: &RunSummary, pid: u32) -> Vec<String> {
    let secs = summary.duration_ms as f64 / 1000.0;
    let rate = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
    let mut lines = vec![
        "++++ Statistics".to_string(),
        row("Transfer time", format!("{secs:.1} sec")),
        row(
            "Folders synced",
            format!(
                "{}/{} synced",
                summary.folders_synced, summary.host1.folders
            ),
        ),
    ];
    let transferred = if summary.would_transfer > 0 {
        format!(
            "{} (could be {} without dry mode)",
            summary.transferred, summary.would_transfer
        )
    } else {
        format!("{} ", summary.transferred)
    };
    lines.push(row("Messages transferred", transferred));
    lines.push(row("Messages skipped", summary.skipped));
    lines.push(row("Messages deleted on host1", summary.deleted_host1));
    lines.push(row("Messages deleted on host2", summary.deleted_host2));
    lines.push(row(
        "Messages with flags updated on host2",
        summary.flags_updated,
    ));
    lines.push(row(
        "Folders deleted on host2",
        summary.folders_deleted_host2,
    ));
    lines.push(row(
        "Total bytes transferred",
        kib(summary.bytes_transferred),
    ));
    lines.push(row(
        "Message rate",
        format!("{:.1} messages/s", rate(summary.transferred as f64)),
    ));
    lines.push(row(
        "Average bandwidth rate",
        format!(
            "{:.1} KiB/s",
            rate(summary.bytes_transferred as f64) / 1024.0
        ),
    ));
    for (label, totals) in [("Host1", &summary.host1), ("Host2", &summary.host2)] {
        lines.push(format!("{label} Nb folders: {} folders", totals.folders));
        lines.push(format!("{label} Nb messages: {} messages", totals.messages));
        lines.push(format!("{label} Total size: {} bytes", totals.bytes));
    }
    lines.push(format!("Detected {} errors", summary.errors));
    if let Some(error) = &summary.error {
        lines.push(format!("Error: {error}"));
    }
    lines.push(exit_line(summary.exit(), summary.errors, pid));
    lines
}

/// `Exiting with return value N (NAME) e/max nb_errors/max_errors PID p`.
pub fn exit_line(code: ExitCode, errors: u64, pid: u32) -> String {
    format!(
        "Exiting with return value {} ({}) {errors}/{ERRORS_MAX} nb_errors/max_errors PID {pid}",
        code.code(),
        code.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_like_the_module_expects() {
        let summary = RunSummary {
            transferred: 5,
            exit_code: 0,
            ..RunSummary::default()
        };
        let lines = summary_lines(&summary, 42);
        let tx = lines
            .iter()
            .find(|l| l.starts_with("Messages transferred"))
            .unwrap();
        assert_eq!(tx.split_whitespace().nth(3), Some("5"));
        assert_eq!(
            lines.last().unwrap(),
            "Exiting with return value 0 (EX_OK: successful termination) 0/50 nb_errors/max_errors PID 42"
        );
        assert!(lines.contains(&"Host1 Nb messages: 0 messages".to_string()));
    }
}
