//! Agent commands (ns8-runtime §1.6): `set-progress`, `set-weight` and `set-status
//! validation-failed`, written as csv lines (space-separated, Python `csv.writer` quoting) to the fd
//! named by `AGENT_COMFD`, or to stderr when it is unset. Only complete commands are ever written (a
//! malformed one crashes the Go agent), write failures never abort the step, and the command fd is
//! marked close-on-exec so it never leaks into the processes the step spawns.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use nix::fcntl::{fcntl, FcntlArg, FdFlag};

use crate::log;

/// Lowest fd number for this crate's private duplicate of the command fd (above stdio).
const FIRST_PRIVATE_FD: RawFd = 3;
/// The standard error fd: event handlers get `AGENT_COMFD=2`.
const STDERR_FD: RawFd = 2;

/// Sends commands to the agent that runs the current step.
#[derive(Debug)]
pub struct Commands {
    sink: Sink,
    /// A failed write has been reported once already; later failures are silent.
    failure_reported: bool,
}

#[derive(Debug)]
enum Sink {
    /// A private close-on-exec duplicate of the command fd.
    Fd { file: File, agent_fd: RawFd },
    /// No command fd (helpers run by `runagent` or by hand): the commands land in the log.
    Stderr,
}

impl Commands {
    /// Commands to the fd in `AGENT_COMFD`. When the variable is unset, invalid, or names a closed
    /// fd, they go to stderr, like the Python library. The fd is left open (other code of the step
    /// may write to it too) but marked close-on-exec, unless it is one of the standard streams.
    pub fn from_env() -> Commands {
        Self::from_env_value(std::env::var("AGENT_COMFD").ok().as_deref())
    }

    /// Commands to stderr.
    pub fn to_stderr() -> Commands {
        Commands {
            sink: Sink::Stderr,
            failure_reported: false,
        }
    }

    /// Commands to an fd the caller hands over (a pipe read back by the tests). It is closed
    /// when the `Commands` is dropped.
    #[cfg(test)]
    fn from_owned_fd(fd: OwnedFd) -> Commands {
        let agent_fd = std::os::fd::AsRawFd::as_raw_fd(&fd);
        Self::writing_to(fd, agent_fd)
    }

    /// `set-progress <percent>`: progress of the current step, clamped to 100.
    pub fn set_progress(&mut self, percent: u8) {
        let percent = percent.min(100).to_string();
        self.send(&["set-progress", &percent]);
    }

    /// `set-weight <step> <weight>`: the weight of a step of the running action (default 1).
    pub fn set_weight(&mut self, step: &str, weight: u32) {
        let weight = weight.to_string();
        self.send(&["set-weight", step, &weight]);
    }

    /// `set-status validation-failed`: the task ends as validation-failed when the step exits.
    pub fn set_validation_failed(&mut self) {
        self.send(&["set-status", "validation-failed"]);
    }

    fn from_env_value(value: Option<&str>) -> Commands {
        let Some(value) = value else {
            return Self::to_stderr();
        };
        let fd = match value.parse::<RawFd>() {
            Ok(fd) if fd >= 0 => fd,
            _ => {
                log::warning(format!(
                    "AGENT_COMFD={value:?} is not a file descriptor number: agent commands go to stderr"
                ));
                return Self::to_stderr();
            }
        };
        if fd == STDERR_FD {
            return Self::to_stderr();
        }
        match claim_fd(fd) {
            Ok(duplicate) => Self::writing_to(duplicate, fd),
            Err(err) => {
                log::warning(format!(
                    "AGENT_COMFD={fd} cannot be used ({err}): agent commands go to stderr"
                ));
                Self::to_stderr()
            }
        }
    }

    /// Commands written to `fd`; `agent_fd` is the number shown in error messages.
    fn writing_to(fd: OwnedFd, agent_fd: RawFd) -> Commands {
        Commands {
            sink: Sink::Fd {
                file: File::from(fd),
                agent_fd,
            },
            failure_reported: false,
        }
    }

    fn send(&mut self, fields: &[&str]) {
        let line = encode_command(fields);
        let written = match &mut self.sink {
            Sink::Fd { file, .. } => file.write_all(line.as_bytes()),
            Sink::Stderr => io::stderr().lock().write_all(line.as_bytes()),
        };
        if let Err(err) = written {
            if !self.failure_reported {
                self.failure_reported = true;
                let target = match &self.sink {
                    Sink::Fd { agent_fd, .. } => format!("fd {agent_fd}"),
                    Sink::Stderr => "stderr".to_owned(),
                };
                log::warning(format!(
                    "cannot send agent command {:?} to {target}: {err}; further failures are not reported",
                    fields[0]
                ));
            }
        }
    }
}

/// One command line as Python's `csv.writer(delimiter=' ', quotechar='"')` writes it, ended by
/// `\n`: a field containing a space, a double quote, `\r` or `\n` is wrapped in double quotes with
/// inner quotes doubled, and a record made of a single empty field is written as `""`.
pub fn encode_command(fields: &[&str]) -> String {
    let mut line = String::new();
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            line.push(' ');
        }
        let needs_quotes =
            field.contains([' ', '"', '\r', '\n']) || (field.is_empty() && fields.len() == 1);
        if needs_quotes {
            line.push('"');
            line.push_str(&field.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(field);
        }
    }
    line.push('\n');
    line
}

/// Makes a private close-on-exec duplicate of the agent's fd and marks the original close-on-exec
/// too (except for the standard streams, which children must keep).
fn claim_fd(fd: RawFd) -> io::Result<OwnedFd> {
    // The fd must be open before it may be borrowed; /proc tells without touching it.
    std::fs::symlink_metadata(format!("/proc/self/fd/{fd}"))
        .map_err(|_| io::Error::new(io::ErrorKind::NotFound, "the fd is not open"))?;
    // SAFETY: the fd is open (checked above; the agent opened it for this process and nothing in
    // this crate closes it), and the borrow does not outlive this function.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let duplicate = fcntl(borrowed, FcntlArg::F_DUPFD_CLOEXEC(FIRST_PRIVATE_FD))?;
    if fd > STDERR_FD {
        fcntl(borrowed, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    }
    // SAFETY: F_DUPFD_CLOEXEC returned a new fd that nothing else owns.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(duplicate) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::fd::IntoRawFd;
    use std::process::Command;

    #[test]
    fn python_csv_quoting() {
        assert_eq!(encode_command(&["set-progress", "42"]), "set-progress 42\n");
        assert_eq!(
            encode_command(&["set-weight", "02validate mail", "0"]),
            "set-weight \"02validate mail\" 0\n"
        );
        assert_eq!(
            encode_command(&["set-weight", "a\"b", "1"]),
            "set-weight \"a\"\"b\" 1\n"
        );
        assert_eq!(
            encode_command(&["set-weight", "a\nb", "1"]),
            "set-weight \"a\nb\" 1\n"
        );
        assert_eq!(encode_command(&["set-weight", "", "1"]), "set-weight  1\n");
        assert_eq!(encode_command(&[""]), "\"\"\n");
    }

    fn cloexec_pipe() -> (OwnedFd, OwnedFd) {
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap()
    }

    fn read_all(reader: OwnedFd) -> String {
        let mut text = String::new();
        File::from(reader).read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn commands_reach_the_pipe_complete_and_quoted() {
        let (reader, writer) = cloexec_pipe();
        let mut commands = Commands::from_owned_fd(writer);
        commands.set_weight("30 step", 0);
        commands.set_progress(250);
        commands.set_progress(7);
        commands.set_validation_failed();
        drop(commands);
        assert_eq!(
            read_all(reader),
            "set-weight \"30 step\" 0\nset-progress 100\nset-progress 7\nset-status validation-failed\n"
        );
    }

    #[test]
    fn comfd_from_env_is_kept_open_but_not_inherited() {
        // A plain pipe, inheritable like the agent's: claiming it must make it close-on-exec.
        let (reader, writer) = nix::unistd::pipe().unwrap();
        let agent_fd = writer.into_raw_fd();
        let mut commands = Commands::from_env_value(Some(&agent_fd.to_string()));
        commands.set_progress(50);

        // A child process cannot write to the command fd: it was not inherited.
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>/dev/null; echo leaked >&{agent_fd}"))
            .status()
            .unwrap();
        assert!(!child.success(), "the command fd leaked into a child");

        // The agent's fd itself is still open for the rest of the step.
        // SAFETY: the test owns this fd (it came from pipe() above) and closes it here, once.
        let original = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(agent_fd) };
        let flags = fcntl(&original, FcntlArg::F_GETFD).unwrap();
        assert!(FdFlag::from_bits_truncate(flags).contains(FdFlag::FD_CLOEXEC));
        drop(original);
        commands.set_progress(60);
        drop(commands);
        assert_eq!(read_all(reader), "set-progress 50\nset-progress 60\n");
    }

    #[test]
    fn unusable_values_fall_back_to_stderr() {
        for value in [None, Some("x"), Some("-1"), Some("2"), Some("987654")] {
            let commands = Commands::from_env_value(value);
            assert!(matches!(commands.sink, Sink::Stderr), "{value:?}");
        }
    }

    #[test]
    fn write_failures_are_swallowed() {
        let (reader, writer) = cloexec_pipe();
        drop(reader);
        let mut commands = Commands::from_owned_fd(writer);
        commands.set_progress(1);
        commands.set_progress(2);
        assert!(commands.failure_reported);
    }
}
