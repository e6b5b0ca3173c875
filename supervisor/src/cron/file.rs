//! The lines of one cron file in cronie's `/etc/cron.d` format: entries, environment lines,
//! comments; a bad line is reported and skipped, the rest of the file still loads.
//!
//! An entry is five time fields or an `@` shortcut, then the user, then the command: the rest
//! of the line, kept as written except for the blanks before it. Fields are separated by any
//! number of spaces or tabs. As in cronie, a `-` just before the time fields (which asks cronie
//! not to log the run) is accepted and has no effect here. Lines whose first non-blank
//! character is `#`, and blank lines, are ignored; `#` anywhere else is part of the line.

use super::command::Command;
use super::schedule::Schedule;
use super::variable;

/// A cron entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its 1-based line number in the file.
    pub line: usize,
    /// When it runs.
    pub schedule: Schedule,
    /// The user it runs as.
    pub user: String,
    /// What it runs.
    pub command: Command,
    /// The variables defined above it in the file, in order of first definition, each with its
    /// latest value.
    pub env: Vec<(String, String)>,
}

/// A line that could not be read; the other lines are not affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Its 1-based line number in the file.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// Spaces and tabs, which separate the fields of an entry.
const BLANKS: [char; 2] = [' ', '\t'];

/// Reads the text of a cron file: its entries and its bad lines, both in line order.
pub fn parse(text: &str) -> (Vec<Entry>, Vec<LineError>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut env: Vec<(String, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.trim_start_matches(BLANKS);
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        let parsed = match variable::parse(content) {
            Some(assignment) => assignment.map(|(name, value)| set(&mut env, name, value)),
            None => parse_entry(content).map(|(schedule, user, command)| {
                entries.push(Entry {
                    line,
                    schedule,
                    user: user.to_string(),
                    command,
                    env: env.clone(),
                });
            }),
        };
        if let Err(reason) = parsed {
            errors.push(LineError { line, reason });
        }
    }
    (entries, errors)
}

/// Sets `name` in `env`, replacing an earlier value in place.
fn set(env: &mut Vec<(String, String)>, name: String, value: String) {
    match env.iter_mut().find(|(known, _)| *known == name) {
        Some((_, old)) => *old = value,
        None => env.push((name, value)),
    }
}

/// Reads an entry line (without leading blanks) into its schedule, user and command.
fn parse_entry(text: &str) -> Result<(Schedule, &str, Command), String> {
    let text = match text.strip_prefix('-') {
        Some(rest) if !rest.starts_with(BLANKS) => rest,
        _ => text,
    };
    let time_fields = if text.starts_with('@') { 1 } else { 5 };
    let mut rest = text;
    for _ in 0..time_fields {
        rest = next_field(rest)
            .map(|(_, rest)| rest)
            .ok_or("expected 5 time fields or an @ shortcut, then a user and a command")?;
    }
    let time = &text[..text.len() - rest.len()];
    let (user, rest) = next_field(rest).ok_or("missing user and command")?;
    let command = rest.trim_start_matches(BLANKS);
    if command.trim().is_empty() {
        return Err("missing command".to_string());
    }
    let schedule = Schedule::parse(time)?;
    if user.starts_with('*') {
        return Err(format!("user `{user}` looks like a sixth time field"));
    }
    Ok((schedule, user, Command::parse(command)))
}

/// Splits the next blank-separated field off `text`: the field and what follows it, or `None`
/// when only blanks are left.
fn next_field(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches(BLANKS);
    if text.is_empty() {
        return None;
    }
    Some(text.split_at(text.find(BLANKS).unwrap_or(text.len())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::test_time::at;

    /// The entries of `text`, which must have no bad line.
    fn entries(text: &str) -> Vec<Entry> {
        let (entries, errors) = parse(text);
        assert_eq!(errors, [], "{text}");
        entries
    }

    /// `(name, value)` pairs as owned strings.
    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    /// A task start.
    fn start(task: &str) -> Command {
        Command::StartTask(task.to_string())
    }

    #[test]
    fn the_module_task_lines() {
        let entries = entries(
            "MAIL_HOST=10.5.4.1\n\
             */5 * * * * root /usr/local/bin/syncctl start u2_28ofi1\n\
             1 */2 * * *  root /usr/local/bin/syncctl start u2_x\n\
             1 */3 * * *  root /usr/local/bin/syncctl start u2_y\n\
             1 */12 * * *  root /usr/local/bin/syncctl start u2_z\n",
        );
        assert_eq!(entries.len(), 4);

        let five = &entries[0];
        assert_eq!(five.line, 2);
        assert_eq!(five.user, "root");
        assert_eq!(five.command, start("u2_28ofi1"));
        assert_eq!(five.env, vars(&[("MAIL_HOST", "10.5.4.1")]));
        assert!(five.schedule.matches(&at(2025, 3, 4, 10, 5)));
        assert!(!five.schedule.matches(&at(2025, 3, 4, 10, 7)));

        let two = &entries[1];
        assert_eq!(two.command, start("u2_x"));
        assert_eq!(two.user, "root");
        assert_eq!(two.schedule.to_string(), "1 */2 * * *");
        assert!(two.schedule.matches(&at(2025, 3, 4, 2, 1)));
        assert!(two.schedule.matches(&at(2025, 3, 4, 4, 1)));
        assert!(!two.schedule.matches(&at(2025, 3, 4, 3, 1)));
        assert!(!two.schedule.matches(&at(2025, 3, 4, 2, 2)));

        let three = &entries[2];
        assert_eq!(three.command, start("u2_y"));
        assert!(three.schedule.matches(&at(2025, 3, 4, 0, 1)));
        assert!(three.schedule.matches(&at(2025, 3, 4, 3, 1)));
        assert!(!three.schedule.matches(&at(2025, 3, 4, 2, 1)));

        let twelve = &entries[3];
        assert_eq!(twelve.command, start("u2_z"));
        assert!(twelve.schedule.matches(&at(2025, 3, 4, 0, 1)));
        assert!(twelve.schedule.matches(&at(2025, 3, 4, 12, 1)));
        assert!(!twelve.schedule.matches(&at(2025, 3, 4, 6, 1)));
        assert!(entries.iter().all(|e| e.env == five.env));
    }

    #[test]
    fn comments_blank_lines_tabs_and_shortcuts() {
        let entries = entries(
            "# a comment\n\
             \n   \t\n\
             \t  # an indented comment\n\
             \t@reboot\troot\tsyncctl start boot\n\
             @hourly  nobody  echo '# not a comment'  \n\
             -0\t0 * * *\troot true\n",
        );
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].line, 5);
        assert_eq!(entries[0].schedule, Schedule::Reboot);
        assert_eq!(entries[0].command, start("boot"));
        assert_eq!(entries[1].line, 6);
        assert_eq!(entries[1].user, "nobody");
        assert_eq!(entries[1].schedule.to_string(), "@hourly");
        assert_eq!(
            entries[1].command,
            Command::Shell {
                command: "echo '# not a comment'  ".to_string(),
                stdin: None
            }
        );
        assert_eq!(entries[2].line, 7);
        assert!(entries[2].schedule.matches(&at(2025, 3, 4, 0, 0)));
        assert!(!entries[2].schedule.matches(&at(2025, 3, 4, 1, 0)));
    }

    #[test]
    fn crlf_line_ends() {
        let entries = entries("A=1\r\n* * * * * root syncctl start x\r\n");
        assert_eq!(entries[0].env, vars(&[("A", "1")]));
        assert_eq!(entries[0].command, start("x"));
    }

    #[test]
    fn variables_apply_to_the_entries_below_them() {
        let entries = entries(
            "0 * * * * root first\n\
             A = \"one two\"\n\
             B='x=y'\n\
             0 * * * * root second\n\
             A=three\n\
             C =  plain value  \n\
             0 * * * * root third\n",
        );
        assert_eq!(entries[0].env, []);
        assert_eq!(entries[1].env, vars(&[("A", "one two"), ("B", "x=y")]));
        assert_eq!(
            entries[2].env,
            vars(&[("A", "three"), ("B", "x=y"), ("C", "plain value")])
        );
    }

    #[test]
    fn shell_commands() {
        let entries = entries(
            "*/5 * * * * root syncctl start x > /dev/null\n\
             0 0 * * * root mail -s report root%Hello,%the report\\% is ready%\n\
             0 0 * * * root date +\\%F >> /tmp/dates\n",
        );
        assert_eq!(
            entries[0].command,
            Command::Shell {
                command: "syncctl start x > /dev/null".to_string(),
                stdin: None
            }
        );
        assert_eq!(
            entries[1].command,
            Command::Shell {
                command: "mail -s report root".to_string(),
                stdin: Some("Hello,\nthe report% is ready\n".to_string())
            }
        );
        assert_eq!(
            entries[2].command,
            Command::Shell {
                command: "date +%F >> /tmp/dates".to_string(),
                stdin: None
            }
        );
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let (entries, errors) = parse(
            "A=1\n\
             61 * * * * root cmd\n\
             */5 * * * * root syncctl start ok1\n\
             * * * * root\n\
             * * * *\n\
             @sometimes root x\n\
             garbage\n\
             B=\"unterminated\n\
             * * * * * *  root cmd\n\
             @daily root   \n\
             @daily\n\
             0 0 13 * fri root syncctl start ok2\n\
             - * * * * * root cmd\n",
        );
        let lines: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            lines,
            [
                (2, "bad minute `61`: 61 is out of range 0-59"),
                (4, "missing user and command"),
                (
                    5,
                    "expected 5 time fields or an @ shortcut, then a user and a command"
                ),
                (6, "unknown time shortcut `@sometimes`"),
                (
                    7,
                    "expected 5 time fields or an @ shortcut, then a user and a command"
                ),
                (8, "unterminated \" in variable value"),
                (9, "user `*` looks like a sixth time field"),
                (10, "missing command"),
                (11, "missing user and command"),
                (13, "bad minute `-`: missing value"),
            ]
        );
        let loaded: Vec<(usize, &Command)> = entries.iter().map(|e| (e.line, &e.command)).collect();
        assert_eq!(loaded, [(3, &start("ok1")), (12, &start("ok2"))]);
        assert!(entries.iter().all(|e| e.env == vars(&[("A", "1")])));
    }

    #[test]
    fn a_bad_field_is_reported_for_its_line() {
        let (entries, errors) = parse("* * * jan-foo * root x\n0 0 * * mon root y\n");
        assert_eq!(entries.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(
            errors[0].reason.starts_with("bad month `jan-foo`"),
            "{:?}",
            errors[0]
        );
    }
}
