//! Step logging on stderr with sd-daemon priority prefixes (`<3>` error, `<4>` warning, `<6>` info,
//! `<7>` debug), which the agent copies to the journal and to the task error stream (ns8-runtime §1.4).
//! Every line of a multi-line message carries the prefix, so the journal keeps its priority.

use std::fmt::Display;
use std::io::Write;

/// sd-daemon prefix of error messages (Python `agent.SD_ERR`).
pub const SD_ERR: &str = "<3>";
/// sd-daemon prefix of warnings (Python `agent.SD_WARNING`).
pub const SD_WARNING: &str = "<4>";
/// sd-daemon prefix of informational messages (Python `agent.SD_INFO`).
pub const SD_INFO: &str = "<6>";
/// sd-daemon prefix of debug messages (Python `agent.SD_DEBUG`).
pub const SD_DEBUG: &str = "<7>";

/// Logs an error.
pub fn error(msg: impl Display) {
    emit(SD_ERR, &msg);
}

/// Logs a warning.
pub fn warning(msg: impl Display) {
    emit(SD_WARNING, &msg);
}

/// Logs an informational message.
pub fn info(msg: impl Display) {
    emit(SD_INFO, &msg);
}

fn emit(prefix: &str, msg: &dyn Display) {
    let text = prefixed_lines(prefix, &msg.to_string());
    // Logging must never abort a step: a closed stderr is ignored.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `msg` with `prefix` at the start of each line, every line ending with `\n`.
fn prefixed_lines(prefix: &str, msg: &str) -> String {
    if msg.is_empty() {
        return format!("{prefix}\n");
    }
    msg.lines()
        .map(|line| format!("{prefix}{line}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_gets_the_prefix() {
        assert_eq!(prefixed_lines(SD_ERR, "one"), "<3>one\n");
        assert_eq!(prefixed_lines(SD_WARNING, "one\ntwo\n"), "<4>one\n<4>two\n");
        assert_eq!(prefixed_lines(SD_INFO, "a\r\nb"), "<6>a\n<6>b\n");
        assert_eq!(prefixed_lines(SD_DEBUG, ""), "<7>\n");
    }
}
