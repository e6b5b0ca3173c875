//! A minimal line-level IMAP connection for what the `imap` crate handles badly:
//! `FILTER SIEVE` (whose `FILTERED` responses it cannot parse) and bulk FETCH of
//! message bodies (which it re-parses on every line, very slowly in debug builds).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use crate::account::Account;
use crate::error::{Error, Result};

/// Part of a response: protocol text, or the bytes of a literal announced by `{n}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Text(Vec<u8>),
    Literal(Vec<u8>),
}

/// One untagged response, split around its literals.
pub(crate) type Response = Vec<Segment>;

/// A logged-in connection speaking raw IMAP lines.
pub(crate) struct RawImap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl RawImap {
    /// Connects and logs in with LOGIN.
    pub(crate) fn login(account: &Account) -> Result<Self> {
        let writer = TcpStream::connect((account.host.as_str(), account.port))?;
        writer.set_nodelay(true)?;
        let reader = BufReader::with_capacity(1 << 16, writer.try_clone()?);
        let mut raw = RawImap {
            reader,
            writer,
            tag: 0,
        };
        let greeting = text_of(&raw.read_response()?);
        if !greeting.starts_with("* OK") {
            return Err(Error::Protocol(format!("greeting: {greeting}")));
        }
        raw.command(&format!(
            "LOGIN {} {}",
            quote(&account.user),
            quote(&account.password)
        ))?;
        Ok(raw)
    }

    /// Runs one command; returns the untagged responses as text, or an error unless OK.
    pub(crate) fn command(&mut self, command: &str) -> Result<String> {
        let responses = self.command_responses(command)?;
        Ok(responses.iter().map(|r| text_of(r) + "\n").collect())
    }

    /// Runs one command; returns the untagged responses, or an error unless OK.
    pub(crate) fn command_responses(&mut self, command: &str) -> Result<Vec<Response>> {
        self.tag += 1;
        let tag = format!("r{} ", self.tag);
        self.writer
            .write_all(format!("{tag}{command}\r\n").as_bytes())?;
        let mut untagged = Vec::new();
        loop {
            let response = self.read_response()?;
            let text = text_of(&response);
            if let Some(status) = text.strip_prefix(&tag) {
                if status.starts_with("OK") {
                    return Ok(untagged);
                }
                return Err(Error::Protocol(format!("{command}: {status}")));
            }
            untagged.push(response);
        }
    }

    /// Reads one response: a line, plus literals and the lines continuing after them.
    fn read_response(&mut self) -> Result<Response> {
        let mut segments = Vec::new();
        loop {
            let mut line = Vec::new();
            if self.reader.read_until(b'\n', &mut line)? == 0 {
                return Err(Error::Protocol("connection closed".into()));
            }
            while matches!(line.last(), Some(b'\r' | b'\n')) {
                line.pop();
            }
            let literal = literal_length(&line);
            segments.push(Segment::Text(line));
            match literal {
                Some(n) => {
                    let mut bytes = vec![0; n];
                    self.reader.read_exact(&mut bytes)?;
                    segments.push(Segment::Literal(bytes));
                }
                None => return Ok(segments),
            }
        }
    }
}

/// A response as (lossy) text, literals inlined.
pub(crate) fn text_of(response: &Response) -> String {
    response
        .iter()
        .map(|s| match s {
            Segment::Text(t) | Segment::Literal(t) => String::from_utf8_lossy(t),
        })
        .collect()
}

/// The `n` of a line ending in `{n}` (or the LITERAL+ form `{n+}`).
fn literal_length(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|b| *b == b'{')?;
    let digits = inner[open + 1..]
        .strip_suffix(b"+")
        .unwrap_or(&inner[open + 1..]);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// An IMAP quoted string.
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_detected() {
        assert_eq!(
            literal_length(b"* 1 FILTERED (TAG a) UID 1 ERRORS {104}"),
            Some(104)
        );
        assert_eq!(literal_length(b"a APPEND x {7+}"), Some(7));
        assert_eq!(literal_length(b"* OK done"), None);
        assert_eq!(literal_length(b"{x}"), None);
    }

    #[test]
    fn strings_are_quoted() {
        assert_eq!(quote(r#"a"b\"#), r#""a\"b\\""#);
    }

    #[test]
    fn text_inlines_literals() {
        let response = vec![
            Segment::Text(b"* 1 X {2}".to_vec()),
            Segment::Literal(b"ab".to_vec()),
            Segment::Text(b" tail".to_vec()),
        ];
        assert_eq!(text_of(&response), "* 1 X {2}ab tail");
    }
}
