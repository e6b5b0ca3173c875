//! Lines for the container log (and so the NS8 system log): outcomes on stdout, problems on
//! stderr, written so that a closed or broken pipe never panics the supervisor.

use std::fmt::Arguments;
use std::io::Write;

/// Writes one line to stdout, ignoring write errors.
pub fn out(line: Arguments<'_>) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Writes one line to stderr, ignoring write errors.
pub fn err(line: Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `log_out!("...", args)`: a line on stdout.
#[macro_export]
macro_rules! log_out {
    ($($arg:tt)*) => { $crate::container_log::out(format_args!($($arg)*)) };
}

/// `log_err!("...", args)`: a line on stderr.
#[macro_export]
macro_rules! log_err {
    ($($arg:tt)*) => { $crate::container_log::err(format_args!($($arg)*)) };
}
