//! A minimal line-level IMAP session for the one command the `imap` crate cannot handle:
//! `FILTER SIEVE`, whose untagged replies it fails to parse. It logs in like [`super::session`]
//! and reads replies up to the tagged status, skipping literals.

use super::net::{self, Stream};
use super::session::{ErrorKind, ImapError, Side};
use base64::Engine;
use protocol::spec::{Endpoint, Security};
use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

/// A logged-in raw session.
pub struct RawSession {
    stream: BufReader<Stream>,
    side: Side,
    tag: u32,
}

/// An IMAP quoted string.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl RawSession {
    /// Connects and logs in on `endpoint`.
    pub fn open(endpoint: &Endpoint, side: Side) -> Result<Self, ImapError> {
        let timeout = Duration::from_secs(u64::from(endpoint.timeout_secs.max(1)));
        let fail = |kind, e: String| ImapError::new(side, kind, e);
        let tcp = net::connect_tcp(&endpoint.host, endpoint.port, timeout)
            .map_err(|e| fail(ErrorKind::Unreachable, e.to_string()))?;
        let (stream, greeted) = match endpoint.security {
            Security::Plain => (Stream::Plain(tcp), false),
            Security::Tls => (
                net::start_tls(tcp, &endpoint.host, endpoint.verify_tls)
                    .map_err(|e| fail(ErrorKind::Tls, e.to_string()))?,
                false,
            ),
            Security::Starttls => {
                let tcp = super::starttls::negotiate(tcp)
                    .map_err(|e| fail(ErrorKind::Tls, e.to_string()))?;
                (
                    net::start_tls(tcp, &endpoint.host, endpoint.verify_tls)
                        .map_err(|e| fail(ErrorKind::Tls, e.to_string()))?,
                    true,
                )
            }
        };
        let mut session = RawSession {
            stream: BufReader::new(stream),
            side,
            tag: 0,
        };
        if !greeted {
            session.read_line()?;
        }
        session.login(endpoint)?;
        Ok(session)
    }

    fn login(&mut self, endpoint: &Endpoint) -> Result<(), ImapError> {
        let password = endpoint.password.expose();
        let result = match &endpoint.auth_user {
            Some(auth_user) => {
                let plain = format!("{}\0{auth_user}\0{password}", endpoint.user);
                let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
                self.command(&format!("AUTHENTICATE PLAIN {encoded}"))
            }
            None => self.command(&format!(
                "LOGIN {} {}",
                quote(&endpoint.user),
                quote(password)
            )),
        };
        result.map(drop).map_err(|e| {
            ImapError::new(
                self.side,
                ErrorKind::BadCredentials,
                format!("login as {} failed: {}", endpoint.user, e.message),
            )
        })
    }

    fn io(&self, e: std::io::Error) -> ImapError {
        ImapError::new(self.side, ErrorKind::ConnectionLost, e.to_string())
    }

    /// Reads one response line, appending any literal it announces.
    fn read_line(&mut self) -> Result<String, ImapError> {
        let mut line = Vec::new();
        loop {
            let n = self
                .stream
                .read_until(b'\n', &mut line)
                .map_err(|e| self.io(e))?;
            if n == 0 {
                return Err(self.io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                )));
            }
            let Some(len) = literal_length(&line) else {
                break;
            };
            let mut literal = vec![0; len];
            self.stream
                .read_exact(&mut literal)
                .map_err(|e| self.io(e))?;
            line.extend_from_slice(&literal);
        }
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// Sends a command and waits for its tagged reply; `NO`/`BAD` become errors.
    pub fn command(&mut self, command: &str) -> Result<Vec<String>, ImapError> {
        self.tag += 1;
        let tag = format!("r{}", self.tag);
        let stream = self.stream.get_mut();
        stream
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .and_then(|_| stream.flush())
            .map_err(|e| self.io(e))?;
        let mut untagged = Vec::new();
        loop {
            let line = self.read_line()?;
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                return if rest.to_ascii_uppercase().starts_with("OK") {
                    Ok(untagged)
                } else {
                    Err(ImapError::new(
                        self.side,
                        ErrorKind::Refused,
                        rest.trim().to_string(),
                    ))
                };
            }
            untagged.push(line);
        }
    }

    /// Ends the session; errors no longer matter.
    pub fn logout(mut self) {
        let _ = self.command("LOGOUT");
    }
}

/// `Some(n)` when a line ends with the literal marker `{n}`.
fn literal_length(line: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(line)
        .ok()?
        .trim_end_matches(['\r', '\n']);
    let open = text.strip_suffix('}')?.rfind('{')?;
    text[open + 1..text.len() - 1]
        .trim_end_matches('+')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::literal_length;

    #[test]
    fn literal_markers_are_recognised() {
        assert_eq!(
            literal_length(b"* 1 FILTERED (UID 5) ERRORS {12}\r\n"),
            Some(12)
        );
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {7+}\r\n"), Some(7));
        assert_eq!(literal_length(b"* OK done\r\n"), None);
    }
}
