//! What a cron entry runs: a task the supervisor starts in-process (`syncctl start <task>`), or
//! a shell command with cron's `%` rule applied.

/// The command of a cron entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `syncctl start <task>` (the program as `syncctl` or an absolute path ending in
    /// `/syncctl`): the supervisor starts the task itself.
    StartTask(String),
    /// Anything else, to run with `/bin/sh -c command` as the entry's user.
    Shell {
        /// The text up to the first unescaped `%`, with `\%` turned into `%`.
        command: String,
        /// The text after the first unescaped `%`, with every other unescaped `%` turned into
        /// a newline, `\%` into `%` and a final newline added if missing; `None` when there is
        /// no such text.
        stdin: Option<String>,
    },
}

/// The characters a word of a recognised `syncctl start` command may contain: none has a
/// meaning to the shell, so running the word through `sh -c` would pass it unchanged.
fn is_plain(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.,:+@/".contains(c))
}

impl Command {
    /// Classifies the command text of an entry (everything after the user field).
    ///
    /// It is [`Command::StartTask`] when it is exactly three plain words (letters, digits and
    /// `_-.,:+@/`): the program `syncctl` or `/…/syncctl`, `start` and the task, which must not
    /// look like an option (`-…`). Redirections, `%`, quotes or a fourth word make it a
    /// [`Command::Shell`].
    pub fn parse(text: &str) -> Command {
        let words: Vec<&str> = text.split_whitespace().collect();
        if let [program, "start", task] = words[..] {
            let is_syncctl =
                program == "syncctl" || (program.starts_with('/') && program.ends_with("/syncctl"));
            if is_syncctl && !task.starts_with('-') && words.iter().all(|word| is_plain(word)) {
                return Command::StartTask(task.to_string());
            }
        }
        let (command, stdin) = split_percent(text);
        Command::Shell { command, stdin }
    }
}

/// Applies cron's `%` rule: the command ends at the first unescaped `%` and what follows is
/// the standard input (see [`stdin_of`]). In the command, `\%` is a literal `%` and a backslash
/// before any other character is kept along with that character.
fn split_percent(text: &str) -> (String, Option<String>) {
    let mut command = String::new();
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        if escaped {
            escaped = false;
            if c == '%' {
                command.pop();
            }
        } else if c == '%' {
            return (command, stdin_of(&text[index + 1..]));
        } else {
            escaped = c == '\\';
        }
        command.push(c);
    }
    (command, None)
}

/// The standard input from the text after the first unescaped `%`: `\%` is a literal `%`,
/// every other `%` a newline, and a newline ends the text unless it already does (as cronie
/// writes it). `None` when the text is empty.
fn stdin_of(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let mut stdin = String::new();
    let mut escaped = false;
    for c in text.chars() {
        if escaped && c == '%' {
            stdin.pop();
            stdin.push('%');
            escaped = false;
        } else {
            escaped = c == '\\';
            stdin.push(if c == '%' { '\n' } else { c });
        }
    }
    if !stdin.ends_with('\n') {
        stdin.push('\n');
    }
    Some(stdin)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shell command with the given parts.
    fn shell(command: &str, stdin: Option<&str>) -> Command {
        Command::Shell {
            command: command.to_string(),
            stdin: stdin.map(str::to_string),
        }
    }

    #[test]
    fn syncctl_start_is_a_task() {
        for text in [
            "/usr/local/bin/syncctl start u2_28ofi1",
            "syncctl start u2_28ofi1",
            "  syncctl   start\tu2_28ofi1  ",
            "/syncctl start u2_28ofi1",
        ] {
            assert_eq!(
                Command::parse(text),
                Command::StartTask("u2_28ofi1".to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn anything_else_is_a_shell_command() {
        for text in [
            "syncctl start x > /dev/null",
            "syncctl start x 2>&1",
            "syncctl start x; rm -rf /",
            "syncctl start $TASK",
            "syncctl start 'x'",
            "syncctl start x`id`",
            "syncctl start",
            "syncctl stop x",
            "syncctl start x y",
            "syncctl start --help",
            "bin/syncctl start x",
            "/usr/bin/notsyncctl start x",
            "/usr/bin/syncctl.sh start x",
            "echo syncctl start x",
        ] {
            assert_eq!(Command::parse(text), shell(text, None), "{text}");
        }
    }

    #[test]
    fn percent_starts_the_standard_input() {
        assert_eq!(
            Command::parse("syncctl start x%"),
            shell("syncctl start x", None)
        );
        assert_eq!(
            Command::parse("mail -s hi root%line 1%line 2%"),
            shell("mail -s hi root", Some("line 1\nline 2\n"))
        );
        assert_eq!(Command::parse("cat%a"), shell("cat", Some("a\n")));
        assert_eq!(Command::parse("cat %%"), shell("cat ", Some("\n")));
    }

    #[test]
    fn escaped_percent_is_literal() {
        assert_eq!(
            Command::parse(r"date +\%Y-\%m-\%d > /tmp/d"),
            shell("date +%Y-%m-%d > /tmp/d", None)
        );
        assert_eq!(
            Command::parse(r"printf '%s' x\%y%100\% sure%done"),
            shell("printf '", Some("s' x%y\n100% sure\ndone\n"))
        );
        assert_eq!(Command::parse(r"cat%50\%%"), shell("cat", Some("50%\n")));
    }

    #[test]
    fn other_backslashes_are_kept() {
        // In the command an escaped backslash cannot escape the `%` after it...
        assert_eq!(
            Command::parse(r"echo a\\b \n \\%x"),
            shell(r"echo a\\b \n \\", Some("x\n"))
        );
        assert_eq!(Command::parse(r"echo a\\\%b\"), shell(r"echo a\\%b\", None));
        // ...while in the standard input it can, as in cronie.
        assert_eq!(Command::parse(r"cat%x\\%y"), shell("cat", Some("x\\%y\n")));
        assert_eq!(Command::parse(r"cat%a\b\"), shell("cat", Some("a\\b\\\n")));
    }
}
