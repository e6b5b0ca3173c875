//! The plain-text prelude of a STARTTLS connection: read the greeting, check that STARTTLS is
//! offered, ask for it. Done by hand because the TLS layer must be ours (rustls, optional
//! verification) and nothing may be read past the server's OK.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Why the upgrade could not happen.
#[derive(Debug, thiserror::Error)]
pub enum StarttlsError {
    #[error("the server does not offer STARTTLS")]
    NotOffered,
    #[error("the server refused STARTTLS: {0}")]
    Refused(String),
    #[error("connection failed before TLS: {0}")]
    Io(#[from] io::Error),
}

/// Runs greeting, CAPABILITY and STARTTLS on `tcp`; returns it ready for the TLS handshake.
pub fn negotiate(tcp: TcpStream) -> Result<TcpStream, StarttlsError> {
    let mut reader = BufReader::with_capacity(1, &tcp);
    let greeting = read_line(&mut reader)?;
    if !greeting.starts_with("* OK") && !greeting.starts_with("* PREAUTH") {
        return Err(StarttlsError::Refused(greeting));
    }
    let offered = if greeting.to_ascii_uppercase().contains("[CAPABILITY ") {
        has_starttls(&greeting)
    } else {
        (&tcp).write_all(b"s0 CAPABILITY\r\n")?;
        let (untagged, status) = read_until_tagged(&mut reader, "s0")?;
        status_ok(&status)? && untagged.iter().any(|l| has_starttls(l))
    };
    if !offered {
        return Err(StarttlsError::NotOffered);
    }
    (&tcp).write_all(b"s1 STARTTLS\r\n")?;
    let (_, status) = read_until_tagged(&mut reader, "s1")?;
    status_ok(&status)?;
    drop(reader);
    Ok(tcp)
}

fn has_starttls(line: &str) -> bool {
    line.to_ascii_uppercase()
        .split(|c: char| c.is_whitespace() || c == ']')
        .any(|w| w == "STARTTLS")
}

fn status_ok(tagged: &str) -> Result<bool, StarttlsError> {
    let mut words = tagged.split_whitespace().skip(1);
    match words.next() {
        Some(s) if s.eq_ignore_ascii_case("OK") => Ok(true),
        _ => Err(StarttlsError::Refused(tagged.trim().to_string())),
    }
}

/// One byte at a time (capacity 1) so no TLS bytes are consumed by the buffer. A line the
/// connection cut short is an error, never a shorter answer.
fn read_line<R: Read>(reader: &mut BufReader<R>) -> Result<String, StarttlsError> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if !line.ends_with('\n') {
        let what = if line.is_empty() {
            "connection closed"
        } else {
            "connection closed in the middle of a response"
        };
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, what).into());
    }
    Ok(line)
}

fn read_until_tagged<R: Read>(
    reader: &mut BufReader<R>,
    tag: &str,
) -> Result<(Vec<String>, String), StarttlsError> {
    let mut untagged = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.starts_with(tag) && line[tag.len()..].starts_with(' ') {
            return Ok((untagged, line));
        }
        untagged.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Negotiates with a server that sends `script` and closes.
    fn negotiate_with(script: &'static [u8]) -> Result<TcpStream, StarttlsError> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let _ = stream.write_all(script);
        });
        negotiate(TcpStream::connect(address).unwrap())
    }

    #[test]
    fn a_greeting_cut_short_is_a_connection_failure() {
        let cut = negotiate_with(b"* OK [CAPABILITY IMAP4rev1 SASL-IR");
        assert!(
            matches!(&cut, Err(StarttlsError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof),
            "{cut:?}"
        );
        let without = negotiate_with(b"* OK [CAPABILITY IMAP4rev1 SASL-IR] ready\r\n");
        assert!(
            matches!(without, Err(StarttlsError::NotOffered)),
            "{without:?}"
        );
    }

    #[test]
    fn starttls_is_found_in_capability_lines() {
        assert!(has_starttls(
            "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n"
        ));
        assert!(has_starttls("* CAPABILITY IMAP4rev1 STARTTLS\r\n"));
        assert!(!has_starttls(
            "* CAPABILITY IMAP4rev1 LOGINDISABLED XSTARTTLSX\r\n"
        ));
    }
}
