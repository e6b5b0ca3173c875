//! The agent command pipe (`AGENT_COMFD`): lines read the way the Go agent reads them
//! (`encoding/csv` with a space as separator) and checked the way it acts on them.

/// What the agent does with one command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `set-progress N` with `0 <= N <= 100`.
    Progress(u8),
    /// `set-weight <step> N`.
    Weight { step: String, weight: u32 },
    /// `set-status validation-failed`.
    ValidationFailed,
}

/// Why a line is wrong, and how badly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The Go agent indexes a missing field and panics: the agent process dies.
    CrashesAgent(String),
    /// The agent logs an error and ignores the line.
    Rejected(String),
}

/// Interprets one line (without its line ending); `Ok(None)` for a blank line.
pub fn interpret(line: &str, steps: &[String]) -> Result<Option<Command>, Fault> {
    let fields = split_fields(line).map_err(Fault::Rejected)?;
    if fields.is_empty() {
        return Ok(None);
    }
    let field = |index: usize| -> Result<&str, Fault> {
        fields.get(index).map(String::as_str).ok_or_else(|| {
            Fault::CrashesAgent(format!(
                "{line:?}: field {index} is missing (the Go agent panics: index out of range)"
            ))
        })
    };
    match fields[0].as_str() {
        "set-status" => match field(1)? {
            "validation-failed" => Ok(Some(Command::ValidationFailed)),
            other => Err(Fault::Rejected(format!(
                "{line:?}: unknown status {other:?}"
            ))),
        },
        "set-weight" => {
            let weight = field(2)?;
            let step = field(1)?.to_string();
            let weight: i64 = weight
                .parse()
                .map_err(|_| Fault::Rejected(format!("{line:?}: weight is not an integer")))?;
            let weight = u32::try_from(weight)
                .map_err(|_| Fault::Rejected(format!("{line:?}: invalid step weight value")))?;
            if !steps.contains(&step) {
                return Err(Fault::Rejected(format!(
                    "{line:?}: Step {step} not found (steps: {})",
                    steps.join(", ")
                )));
            }
            Ok(Some(Command::Weight { step, weight }))
        }
        "set-progress" => {
            let value: i64 = field(1)?
                .parse()
                .map_err(|_| Fault::Rejected(format!("{line:?}: progress is not an integer")))?;
            u8::try_from(value)
                .ok()
                .filter(|v| *v <= 100)
                .map(|v| Some(Command::Progress(v)))
                .ok_or_else(|| Fault::Rejected(format!("{line:?}: invalid step progress value")))
        }
        other => Err(Fault::Rejected(format!(
            "{line:?}: unknown command {other}"
        ))),
    }
}

/// Splits a record like Go's csv reader with `Comma = ' '`: every single space separates
/// two fields, a field may be wrapped in double quotes (`""` inside is one quote).
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(format!(
                            "{line:?}: extraneous or missing \" in quoted-field"
                        ))
                    }
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(' ') => fields.push(field),
                Some(_) => {
                    return Err(format!(
                        "{line:?}: extraneous or missing \" in quoted-field"
                    ))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(' ') => break,
                    Some('"') => return Err(format!("{line:?}: bare \" in non-quoted-field")),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps() -> Vec<String> {
        vec!["validate-input.json".into(), "20configure".into()]
    }

    #[test]
    fn well_formed_commands() {
        assert_eq!(
            interpret("set-progress 50", &steps()),
            Ok(Some(Command::Progress(50)))
        );
        assert_eq!(
            interpret("set-weight 20configure 0\r", &steps()),
            Ok(Some(Command::Weight {
                step: "20configure".into(),
                weight: 0
            }))
        );
        assert_eq!(
            interpret("\"set-status\" validation-failed", &steps()),
            Ok(Some(Command::ValidationFailed))
        );
        assert_eq!(interpret("", &steps()), Ok(None));
    }

    #[test]
    fn missing_fields_crash_the_agent() {
        for line in ["set-status", "set-weight 20configure", "set-progress"] {
            assert!(
                matches!(interpret(line, &steps()), Err(Fault::CrashesAgent(_))),
                "{line}"
            );
        }
    }

    #[test]
    fn bad_values_are_rejected() {
        for line in [
            "set-progress 101",
            "set-progress  5",
            "set-weight nostep 1",
            "set-status done",
            "dump-env",
            "set-progress \"5",
        ] {
            assert!(
                matches!(interpret(line, &steps()), Err(Fault::Rejected(_))),
                "{line}"
            );
        }
    }
}
