//! Turns the bytes read from standard input into CSV text: drops a UTF-8 byte-order mark and
//! refuses, naming the line, text that is not UTF-8 and a quoted value that is never closed
//! (the CSV reader would otherwise swallow the rest of the file into that value).

use std::fmt;

const BYTE_ORDER_MARK: &str = "\u{feff}";

/// Why the input cannot be read as CSV at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    NotUtf8 { line: u64 },
    UnclosedQuote { line: u64 },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::NotUtf8 { line } => write!(
                f,
                "line {line} is not UTF-8 text: save the file as \"CSV UTF-8\" and try again"
            ),
            InputError::UnclosedQuote { line } => write!(
                f,
                "malformed CSV: the quoted value that starts on line {line} has no closing quote (\")"
            ),
        }
    }
}

/// The CSV text in `bytes`, without a leading byte-order mark.
pub fn decode(bytes: &[u8]) -> Result<&str, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        line: line_at(&bytes[..e.valid_up_to()]),
    })?;
    let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
    match unclosed_quote_line(text) {
        Some(line) => Err(InputError::UnclosedQuote { line }),
        None => Ok(text),
    }
}

/// The 1-based line number of the byte that follows `before`.
fn line_at(before: &[u8]) -> u64 {
    1 + before.iter().filter(|b| **b == b'\n').count() as u64
}

/// Where the CSV reader is inside a field, as far as quoting goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// The line of a quoted field still open at the end of `text`, following the reader's rules:
/// a quote opens a field only as its first character, and `""` inside it is a literal quote.
fn unclosed_quote_line(text: &str) -> Option<u64> {
    let mut state = QuoteState::FieldStart;
    let mut line = 1;
    let mut opened_on = 1;
    for c in text.chars() {
        let ends_field = c == ',' || c == '\n' || c == '\r';
        state = match state {
            QuoteState::FieldStart if c == '"' => {
                opened_on = line;
                QuoteState::Quoted
            }
            QuoteState::FieldStart | QuoteState::Unquoted if ends_field => QuoteState::FieldStart,
            QuoteState::FieldStart | QuoteState::Unquoted => QuoteState::Unquoted,
            QuoteState::Quoted if c == '"' => QuoteState::QuoteInQuoted,
            QuoteState::Quoted => QuoteState::Quoted,
            QuoteState::QuoteInQuoted if c == '"' => QuoteState::Quoted,
            QuoteState::QuoteInQuoted if ends_field => QuoteState::FieldStart,
            QuoteState::QuoteInQuoted => QuoteState::Unquoted,
        };
        if c == '\n' {
            line += 1;
        }
    }
    (state == QuoteState::Quoted).then_some(opened_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_dropped() {
        assert_eq!(decode("\u{feff}a,b\n".as_bytes()), Ok("a,b\n"));
        assert_eq!(decode(b"a,b\n"), Ok("a,b\n"));
    }

    #[test]
    fn latin1_bytes_are_refused_with_their_line() {
        let err = decode(b"a,b\nc,d\ne,caf\xe9\n").unwrap_err();
        assert_eq!(err, InputError::NotUtf8 { line: 3 });
        assert!(err.to_string().contains("line 3 is not UTF-8"));
    }

    #[test]
    fn an_unclosed_quote_is_refused_with_the_line_it_opens_on() {
        let err = decode(b"h1,h2\nu1,\"pw\nu2,x\n").unwrap_err();
        assert_eq!(err, InputError::UnclosedQuote { line: 2 });
        assert!(err.to_string().contains("no closing quote"));
        assert_eq!(
            decode(b"h\n\"tls").unwrap_err(),
            InputError::UnclosedQuote { line: 2 }
        );
    }

    #[test]
    fn closed_and_literal_quotes_are_accepted() {
        for text in [
            "a,\"p\"\"w,1\"\n",
            "a,pa\"ss,b\n",
            "a,\"multi\nline\",b\n",
            "a,\"x\"y,b",
            "a,\"\"\n",
        ] {
            assert_eq!(decode(text.as_bytes()), Ok(text), "{text:?}");
        }
    }
}
