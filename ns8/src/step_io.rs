//! Step input and output (ns8-runtime §1.4): the task `data` arrives as JSON on stdin, where the
//! agent sends `null` for a task without data, and the step that produces the result prints exactly
//! one JSON document on stdout, which becomes the task output.

use std::io::{self, Read, Write};

use serde_json::Value;

use crate::log;

/// Why the task input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Standard input could not be read.
    #[error("cannot read the task input from stdin: {0}")]
    Io(#[from] io::Error),
    /// Standard input is not a JSON document.
    #[error("the task input is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Reads all of stdin as the task input; empty input or `null` gives `{}`.
pub fn read_input() -> Result<Value, InputError> {
    let mut bytes = Vec::new();
    io::stdin().lock().read_to_end(&mut bytes)?;
    parse_input(&bytes)
}

/// Parses a task input; empty (or blank) input or `null` gives `{}`, anything else is returned as
/// decoded.
pub fn parse_input(bytes: &[u8]) -> Result<Value, InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(empty_object());
    }
    match serde_json::from_slice(bytes)? {
        Value::Null => Ok(empty_object()),
        value => Ok(value),
    }
}

/// Prints `value` as one compact JSON document followed by a newline on stdout, and flushes it.
/// A failed write is logged as an error on stderr.
pub fn print_output(value: &Value) {
    let mut stdout = io::stdout().lock();
    let written = serde_json::to_writer(&mut stdout, value)
        .map_err(io::Error::from)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if let Err(err) = written {
        log::error(format!("cannot write the task output to stdout: {err}"));
    }
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_and_empty_become_an_empty_object() {
        for input in [&b""[..], b"null", b" null\n", b"\n  "] {
            assert_eq!(parse_input(input).unwrap(), json!({}), "{input:?}");
        }
    }

    #[test]
    fn documents_are_kept() {
        assert_eq!(
            parse_input(br#"{"port":143,"a":[1]}"#).unwrap(),
            json!({"port": 143, "a": [1]})
        );
        assert_eq!(parse_input(b"[]").unwrap(), json!([]));
    }

    #[test]
    fn invalid_json_is_an_error() {
        let err = parse_input(b"{oops").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the task input is not valid JSON"),
            "{err}"
        );
    }
}
