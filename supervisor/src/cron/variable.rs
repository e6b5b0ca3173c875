//! Environment lines of a cron file: `NAME=value`, as cronie reads them.
//!
//! `NAME` is a shell-style name (a letter or `_`, then letters, digits and `_`); blanks may
//! surround the `=`. A value wrapped in single or double quotes loses its quotes and keeps
//! everything between them; nothing but blanks may follow the closing quote. An unquoted value
//! runs to the end of the line, trailing blanks removed, and may be empty.

/// Reads `line` (without leading blanks) as an environment line.
///
/// `None` when the line is not an assignment at all (it does not start with a name followed by
/// `=`), so it should be read as an entry; `Some(Err(reason))` when it is a malformed one.
pub(super) fn parse(line: &str) -> Option<Result<(String, String), String>> {
    let name_len = line
        .char_indices()
        .find(|&(index, c)| {
            !(c == '_' || c.is_ascii_alphabetic() || (index > 0 && c.is_ascii_digit()))
        })
        .map_or(line.len(), |(index, _)| index);
    if name_len == 0 {
        return None;
    }
    let (name, rest) = line.split_at(name_len);
    let value = rest.trim_start_matches(is_blank).strip_prefix('=')?;
    Some(parse_value(value.trim_start_matches(is_blank)).map(|value| (name.to_string(), value)))
}

/// Reads the value after the `=` and the blanks that follow it.
fn parse_value(text: &str) -> Result<String, String> {
    let Some(quote) = text.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Ok(text.trim_end_matches(is_blank).to_string());
    };
    let quoted = &text[1..];
    let Some(end) = quoted.find(quote) else {
        return Err(format!("unterminated {quote} in variable value"));
    };
    if !quoted[end + 1..].chars().all(is_blank) {
        return Err(format!(
            "text after the closing {quote} of a variable value"
        ));
    }
    Ok(quoted[..end].to_string())
}

/// Whether `c` is white space around the `=` or the value (cronie's `isspace`).
fn is_blank(c: char) -> bool {
    c.is_ascii_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name and value `line` assigns, which must be a valid assignment.
    fn assignment(line: &str) -> (String, String) {
        match parse(line) {
            Some(Ok(pair)) => pair,
            other => panic!("`{line}`: {other:?}"),
        }
    }

    /// `(name, value)` as owned strings.
    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_string(), value.to_string())
    }

    #[test]
    fn plain_assignments() {
        assert_eq!(
            assignment("MAIL_HOST=10.5.4.1"),
            pair("MAIL_HOST", "10.5.4.1")
        );
        assert_eq!(assignment("_x1=a=b"), pair("_x1", "a=b"));
        assert_eq!(
            assignment("PATH = /bin:/usr/bin  "),
            pair("PATH", "/bin:/usr/bin")
        );
        assert_eq!(
            assignment("GREETING=hello world"),
            pair("GREETING", "hello world")
        );
        assert_eq!(assignment("MAILTO="), pair("MAILTO", ""));
        assert_eq!(assignment("MAILTO =\t"), pair("MAILTO", ""));
        assert_eq!(assignment("A=it's"), pair("A", "it's"));
    }

    #[test]
    fn quotes_are_removed() {
        assert_eq!(assignment("A=\"x y \""), pair("A", "x y "));
        assert_eq!(assignment("A = 'x \"y\"'  "), pair("A", "x \"y\""));
        assert_eq!(assignment("A=\"\""), pair("A", ""));
        assert_eq!(
            assignment("A='#not a comment'"),
            pair("A", "#not a comment")
        );
    }

    #[test]
    fn entries_are_not_assignments() {
        for line in [
            "*/5 * * * * root cmd",
            "1 */2 * * * root A=b cmd",
            "@hourly root A=b",
            "-0 * * * * root cmd",
            "1A=b",
            "A-B=c",
            "garbage",
            "root cmd a=b",
            "=x",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }

    #[test]
    fn malformed_assignments_are_errors() {
        assert!(matches!(parse("A=\"open"), Some(Err(_))));
        assert!(matches!(parse("A='open"), Some(Err(_))));
        assert!(matches!(parse("A=\"x\" y"), Some(Err(_))));
    }
}
