//! A minimal HTTP/1.1 server side for the shell: one request per connection (every answer
//! says `Connection: close`), read with limits and a timeout. Browsers open several
//! connections at once and keep them alive; serving each connection on its own thread and
//! closing it after the answer keeps a long-polled request from ever holding up another.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// Longest request head (request line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 4 * 1024 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// One request.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query string.
    pub target: String,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| value.as_str())
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query string as a map.
    pub fn query(&self) -> HashMap<String, String> {
        query_params(&self.target)
    }
}

/// The query string of a request target as a map (percent-decoded, `+` as a space; pairs
/// that do not decode are left out).
pub fn query_params(target: &str) -> HashMap<String, String> {
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| super::static_files::percent_decode(&s.replace('+', " "));
            Some((decode(key)?, decode(value)?))
        })
        .collect()
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The connection failed or timed out (nothing to answer).
    Io(std::io::Error),
    /// The request is malformed or too big (answer 400 with this text).
    Malformed(String),
}

impl From<std::io::Error> for ReadError {
    fn from(error: std::io::Error) -> ReadError {
        ReadError::Io(error)
    }
}

fn malformed(text: &str) -> ReadError {
    ReadError::Malformed(text.to_string())
}

/// Reads one request from `stream`.
pub fn read_request(stream: &TcpStream) -> Result<HttpRequest, ReadError> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.take((MAX_HEAD + MAX_BODY) as u64));
    let mut head_size = 0;
    let mut next_line = |reader: &mut BufReader<_>| -> Result<String, ReadError> {
        let mut line = String::new();
        let read = reader.read_line(&mut line)?;
        head_size += read;
        if read == 0 || head_size > MAX_HEAD || !line.ends_with('\n') {
            return Err(malformed("the request head is incomplete or too long"));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let request_line = next_line(&mut reader)?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("the request line is not METHOD TARGET VERSION"));
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Err(malformed("only HTTP/1.x requests for a path are served"));
    }
    let mut headers = Vec::new();
    loop {
        let line = next_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("a header line has no colon"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut request = HttpRequest {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(malformed("chunked request bodies are not supported"));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_BODY)
            .ok_or_else(|| malformed("Content-Length is not a number or too big"))?,
    };
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(request)
}

/// The reason phrase of the status codes the shell uses.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Unknown",
    }
}

/// The answer side of one connection; answering closes it.
pub struct Responder {
    stream: TcpStream,
}

impl Responder {
    /// Wraps an accepted connection.
    pub fn new(stream: TcpStream) -> Responder {
        Responder { stream }
    }

    /// Writes the answer and closes the connection (a client that went away is ignored).
    pub fn respond(mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let _ = self
            .stream
            .write_all(head.as_bytes())
            .and_then(|_| self.stream.write_all(body))
            .and_then(|_| self.stream.flush());
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Sends `raw` to a fresh connection and returns what `read_request` made of it.
    fn parse(raw: &[u8]) -> Result<HttpRequest, ReadError> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.write_all(raw).unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let (server, _) = listener.accept().unwrap();
        read_request(&server)
    }

    #[test]
    fn a_post_with_headers_and_body_is_read() {
        let request = parse(
            b"POST /cluster-admin/api/cluster/tasks?x=1 HTTP/1.1\r\nHost: h\r\n\
              Authorization: Bearer tok\r\nContent-Length: 5\r\n\r\nhello",
        )
        .unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.path(), "/cluster-admin/api/cluster/tasks");
        assert_eq!(request.header("AUTHORIZATION"), Some("Bearer tok"));
        assert_eq!(request.body, b"hello");
    }

    #[test]
    fn query_strings_are_decoded() {
        let params = query_params("/_test/messages?user=user2&folder=Archive%2F2024+x&flag");
        assert_eq!(params["user"], "user2");
        assert_eq!(params["folder"], "Archive/2024 x");
        assert_eq!(params["flag"], "");
        assert!(query_params("/_test/calls").is_empty());
        assert!(!query_params("/x?bad=%zz").contains_key("bad"));
    }

    #[test]
    fn malformed_requests_are_refused() {
        for raw in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h",
        ] {
            assert!(
                matches!(parse(raw), Err(ReadError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        assert!(matches!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort"),
            Err(ReadError::Io(_))
        ));
    }

    #[test]
    fn an_answer_has_its_length_and_closes_the_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        Responder::new(server).respond(201, &[("Content-Type", "text/plain")], b"done");
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        assert_eq!(
            answer,
            "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\
             Connection: close\r\n\r\ndone"
        );
    }
}
