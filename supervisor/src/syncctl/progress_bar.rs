//! One line describing a running task: a bar, messages, bytes, rate and ETA.

use protocol::rpc::Progress;

/// Human-readable byte count.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn duration(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The progress line after `elapsed_secs` of the run, `width` characters of bar.
pub fn line(progress: &Progress, elapsed_secs: f64, width: usize) -> String {
    let fraction = if progress.bytes_total > 0 {
        progress.bytes_done as f64 / progress.bytes_total as f64
    } else if progress.messages_total > 0 {
        progress.messages_done as f64 / progress.messages_total as f64
    } else {
        0.0
    }
    .clamp(0.0, 1.0);
    let filled = (fraction * width as f64).round() as usize;
    let bar = format!("{}{}", "#".repeat(filled), ".".repeat(width - filled));
    let rate = if elapsed_secs > 0.0 {
        progress.bytes_done as f64 / elapsed_secs
    } else {
        0.0
    };
    let msg_rate = if elapsed_secs > 0.0 {
        progress.messages_done as f64 / elapsed_secs
    } else {
        0.0
    };
    let eta = if rate > 0.0 && progress.bytes_total > progress.bytes_done {
        duration(((progress.bytes_total - progress.bytes_done) as f64 / rate) as u64)
    } else {
        "-".to_string()
    };
    format!(
        "[{bar}] {:3.0}% {}/{} msgs {}/{} {}/s {:.1} msg/s ETA {eta} folder {}/{} {}",
        fraction * 100.0,
        progress.messages_done,
        progress.messages_total,
        bytes(progress.bytes_done),
        bytes(progress.bytes_total),
        bytes(rate as u64),
        msg_rate,
        progress.folders_done,
        progress.folders_total,
        progress.folder
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_done_shows_half_a_bar_rate_and_eta() {
        let progress = Progress {
            folder: "INBOX".into(),
            folders_done: 1,
            folders_total: 3,
            messages_done: 50,
            messages_total: 100,
            bytes_done: 10 * 1024 * 1024,
            bytes_total: 20 * 1024 * 1024,
        };
        let line = line(&progress, 10.0, 10);
        assert!(
            line.starts_with(
                "[#####.....]  50% 50/100 msgs 10.0 MiB/20.0 MiB 1.0 MiB/s 5.0 msg/s ETA 0:00:10"
            ),
            "{line}"
        );
        assert!(line.ends_with("folder 1/3 INBOX"));
    }

    #[test]
    fn nothing_known_yet_has_no_eta() {
        let line = line(&Progress::default(), 0.0, 4);
        assert!(
            line.starts_with("[....]   0% 0/0 msgs 0 B/0 B 0 B/s"),
            "{line}"
        );
        assert!(line.contains("ETA -"));
    }
}
