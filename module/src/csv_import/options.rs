//! The command line of `import-csv-tasks`: `-c/--check`, `-u/--update` and `-h/--help`; the
//! CSV itself always comes from standard input.

/// How the import runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Validate only: nothing is created or changed.
    pub check: bool,
    /// Apply rows to the tasks that already sync the same account instead of skipping them.
    pub update: bool,
}

/// What the command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Help,
    Import(Options),
}

/// The command, or the arguments that are not understood. Help wins over everything else.
pub fn parse_args(args: &[String]) -> Result<Command, Vec<String>> {
    let mut options = Options::default();
    let mut unexpected = Vec::new();
    let mut help = false;
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => help = true,
            "-c" | "--check" => options.check = true,
            "-u" | "--update" => options.update = true,
            other => unexpected.push(other.to_string()),
        }
    }
    if help {
        Ok(Command::Help)
    } else if unexpected.is_empty() {
        Ok(Command::Import(options))
    } else {
        Err(unexpected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_are_recognised_in_short_and_long_form() {
        assert_eq!(parse_args(&[]), Ok(Command::Import(Options::default())));
        assert_eq!(
            parse_args(&args(&["--check", "-u"])),
            Ok(Command::Import(Options {
                check: true,
                update: true
            }))
        );
        assert_eq!(parse_args(&args(&["-c", "--help"])), Ok(Command::Help));
    }

    #[test]
    fn anything_else_is_unexpected() {
        assert_eq!(
            parse_args(&args(&["users.csv", "-c", "-x"])),
            Err(args(&["users.csv", "-x"]))
        );
        assert_eq!(parse_args(&args(&["-cu"])), Err(args(&["-cu"])));
    }
}
