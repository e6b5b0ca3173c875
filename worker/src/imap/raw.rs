//! The engine's own line-level IMAP path on a connection the `imap` crate has logged in: bulk
//! `UID FETCH` that reads literals straight into message buffers (the crate re-parses the
//! whole response on every line), `MULTIAPPEND` with `LITERAL+` (the crate sends one message
//! per round trip), and commands whose replies the crate cannot parse (`FILTER SIEVE`).
//! Tags use their own prefix, so they never collide with the crate's.

use super::net::Stream;
use chrono::{DateTime, FixedOffset};
use std::io::{self, BufRead, BufReader, Write};

/// A command failure: the connection broke, or the server said NO/BAD.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Refused(String),
    #[error("unexpected reply: {0}")]
    Protocol(String),
}

/// Largest literal accepted from a server (a message bigger than this is refused, not read).
pub const MAX_LITERAL_BYTES: usize = 1 << 30;

/// One lexical element of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Open,
    Close,
    Atom(String),
    Quoted(String),
    Literal(Vec<u8>),
}

/// An IMAP quoted string.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One message to append.
pub struct AppendItem<'a> {
    pub raw: &'a [u8],
    pub flags: &'a [String],
    pub date: Option<DateTime<FixedOffset>>,
}

/// What a bulk FETCH returned for one message.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FetchItem {
    pub uid: u32,
    pub size: Option<u32>,
    pub flags: Vec<String>,
    pub internal_date: Option<String>,
    pub body: Option<Vec<u8>>,
}

/// The raw command channel of one connection.
pub struct RawChannel {
    stream: Stream,
    tag: u32,
}

impl RawChannel {
    pub fn new(stream: Stream) -> Self {
        RawChannel { stream, tag: 0 }
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("z{}", self.tag)
    }

    /// Sends `command` and returns the untagged responses as token lists.
    pub fn command(&mut self, command: &str) -> Result<Vec<Vec<Token>>, RawError> {
        let mut responses = Vec::new();
        self.command_each(command, &mut |tokens| responses.push(tokens))?;
        Ok(responses)
    }

    /// Sends `command` and hands each untagged response to `each` as soon as it is complete,
    /// so the responses read before a broken connection are not lost with it.
    fn command_each(
        &mut self,
        command: &str,
        each: &mut dyn FnMut(Vec<Token>),
    ) -> Result<(), RawError> {
        let tag = self.next_tag();
        self.stream
            .write_all(format!("{tag} {command}\r\n").as_bytes())?;
        self.stream.flush()?;
        let mut reader = BufReader::with_capacity(64 * 1024, &mut self.stream);
        loop {
            let tokens = read_response(&mut reader)?;
            match tokens.first() {
                Some(Token::Atom(t)) if *t == tag => {
                    return match tokens.get(1) {
                        Some(Token::Atom(s)) if s.eq_ignore_ascii_case("OK") => Ok(()),
                        _ => Err(RawError::Refused(describe(&tokens[1..]))),
                    };
                }
                Some(Token::Atom(t)) if t == "+" => {
                    return Err(RawError::Protocol("unexpected continuation request".into()));
                }
                _ => each(tokens),
            }
        }
    }

    /// `UID FETCH <set> <items>` parsed into one item per message (in server order).
    pub fn uid_fetch(&mut self, set: &str, items: &str) -> Result<Vec<FetchItem>, RawError> {
        let mut fetched = Vec::new();
        self.uid_fetch_each(set, items, &mut |item| fetched.push(item))?;
        Ok(fetched)
    }

    /// `UID FETCH <set> <items>` handing each message to `each` as soon as its response is
    /// complete: when the command fails, the messages already handed over are whole.
    pub fn uid_fetch_each(
        &mut self,
        set: &str,
        items: &str,
        each: &mut dyn FnMut(FetchItem),
    ) -> Result<(), RawError> {
        self.command_each(&format!("UID FETCH {set} {items}"), &mut |tokens| {
            if let Some(item) = fetch_item(tokens) {
                each(item);
            }
        })
    }

    /// Appends `items` to `folder` in one command (MULTIAPPEND) when `multi`, with
    /// non-synchronising literals when `literal_plus`. Returns the APPENDUID UIDs, in order,
    /// or an empty list when the server reports none.
    pub fn append(
        &mut self,
        folder: &str,
        items: &[AppendItem<'_>],
        literal_plus: bool,
    ) -> Result<Vec<u32>, RawError> {
        let tag = self.next_tag();
        let mut head = format!("{tag} APPEND {}", quote(folder));
        let mut out = io::BufWriter::with_capacity(256 * 1024, self.stream.clone());
        for item in items {
            head.push_str(&format!(" ({})", item.flags.join(" ")));
            if let Some(date) = item.date {
                head.push_str(&format!(" \"{}\"", date.format("%d-%b-%Y %H:%M:%S %z")));
            }
            let plus = if literal_plus { "+" } else { "" };
            head.push_str(&format!(" {{{}{plus}}}\r\n", item.raw.len()));
            out.write_all(head.as_bytes())?;
            head.clear();
            if !literal_plus {
                out.flush()?;
                self.expect_continuation(&tag)?;
            }
            out.write_all(item.raw)?;
        }
        out.write_all(b"\r\n")?;
        out.flush()?;
        drop(out);
        let mut reader = BufReader::new(&mut self.stream);
        loop {
            let tokens = read_response(&mut reader)?;
            if matches!(tokens.first(), Some(Token::Atom(t)) if *t == tag) {
                return match tokens.get(1) {
                    Some(Token::Atom(s)) if s.eq_ignore_ascii_case("OK") => {
                        Ok(appenduid(&tokens).unwrap_or_default())
                    }
                    _ => Err(RawError::Refused(describe(&tokens[1..]))),
                };
            }
        }
    }

    fn expect_continuation(&mut self, tag: &str) -> Result<(), RawError> {
        let mut reader = BufReader::with_capacity(1, &mut self.stream);
        loop {
            let tokens = read_response(&mut reader)?;
            match tokens.first() {
                Some(Token::Atom(t)) if t == "+" => return Ok(()),
                Some(Token::Atom(t)) if t == tag => {
                    return Err(RawError::Refused(describe(&tokens[1..])));
                }
                _ => {}
            }
        }
    }
}

/// Reads one response: a line plus any literals it announces, as tokens.
pub fn read_response<R: BufRead>(reader: &mut R) -> Result<Vec<Token>, RawError> {
    let mut tokens = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        reader.read_until(b'\n', &mut line)?;
        // A line the connection cut short is not a response (its end may be missing).
        let Some(text) = line.strip_suffix(b"\n") else {
            return Err(RawError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed by the server",
            )));
        };
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        match tokenize(text, &mut tokens) {
            Some(len) if len > MAX_LITERAL_BYTES => {
                return Err(RawError::Protocol(format!(
                    "the server announced a {len}-byte literal (limit {MAX_LITERAL_BYTES})"
                )));
            }
            Some(len) => {
                let mut literal = vec![0; len];
                reader.read_exact(&mut literal)?;
                tokens.push(Token::Literal(literal));
            }
            None => return Ok(tokens),
        }
    }
}

/// Appends the tokens of `line`; returns the length of a literal announced at its end.
fn tokenize(line: &[u8], out: &mut Vec<Token>) -> Option<usize> {
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b' ' => i += 1,
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b'"' => {
                let mut value = Vec::new();
                i += 1;
                while i < line.len() && line[i] != b'"' {
                    if line[i] == b'\\' && i + 1 < line.len() {
                        i += 1;
                    }
                    value.push(line[i]);
                    i += 1;
                }
                i += 1;
                out.push(Token::Quoted(String::from_utf8_lossy(&value).into_owned()));
            }
            b'{' => {
                let close = line[i..].iter().position(|b| *b == b'}')? + i;
                let digits = std::str::from_utf8(&line[i + 1..close]).ok()?;
                let len = digits.trim_end_matches('+').parse().ok();
                if close + 1 == line.len() {
                    return len;
                }
                out.push(Token::Atom(
                    String::from_utf8_lossy(&line[i..=close]).into_owned(),
                ));
                i = close + 1;
            }
            _ => {
                let start = i;
                let bracketed = starts_section(&line[i..]);
                let mut depth = 0;
                while i < line.len() {
                    match line[i] {
                        b'[' if bracketed => depth += 1,
                        b']' if bracketed => depth -= 1,
                        b' ' | b'(' | b')' if depth <= 0 => break,
                        _ => {}
                    }
                    i += 1;
                }
                out.push(Token::Atom(
                    String::from_utf8_lossy(&line[start..i]).into_owned(),
                ));
            }
        }
    }
    None
}

/// True where an atom may contain spaces inside brackets: a response code (`[APPENDUID ...]`)
/// or a body section (`BODY[HEADER.FIELDS (A B)]`). Elsewhere `[` is an ordinary atom
/// character (a keyword may contain it).
fn starts_section(rest: &[u8]) -> bool {
    let upper: Vec<u8> = rest.iter().take(8).map(u8::to_ascii_uppercase).collect();
    rest.first() == Some(&b'[') || upper.starts_with(b"BODY[") || upper.starts_with(b"BINARY[")
}

fn describe(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Open => "(".to_string(),
            Token::Close => ")".to_string(),
            Token::Atom(a) => a.clone(),
            Token::Quoted(q) => q.clone(),
            Token::Literal(l) => format!("{{{}}}", l.len()),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The UIDs of `[APPENDUID <validity> <set>]` in a tagged OK, expanded in order.
fn appenduid(tokens: &[Token]) -> Option<Vec<u32>> {
    let code = tokens.iter().find_map(|t| match t {
        Token::Atom(a) if a.to_ascii_uppercase().starts_with("[APPENDUID ") => Some(a),
        _ => None,
    })?;
    let set = code.trim_end_matches(']').split_whitespace().nth(2)?;
    let mut uids = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                uids.extend(a.min(b)..=a.max(b));
            }
            None => uids.push(part.parse().ok()?),
        }
    }
    Some(uids)
}

/// The first personal namespace of a `* NAMESPACE ((prefix sep) ...) ...` reply: its prefix
/// and separator (`None` for a flat namespace).
pub fn personal_namespace(tokens: &[Token]) -> Option<(String, Option<char>)> {
    match tokens {
        [Token::Atom(star), Token::Atom(word), Token::Open, Token::Open, Token::Quoted(prefix), sep, ..]
            if star == "*" && word.eq_ignore_ascii_case("NAMESPACE") =>
        {
            let separator = match sep {
                Token::Quoted(s) => s.chars().next(),
                _ => None,
            };
            Some((prefix.clone(), separator))
        }
        _ => None,
    }
}

/// Interprets `* n FETCH (...)`; other responses give `None`.
fn fetch_item(tokens: Vec<Token>) -> Option<FetchItem> {
    let mut iter = tokens.into_iter();
    if iter.next()? != Token::Atom("*".into()) {
        return None;
    }
    iter.next()?;
    match iter.next()? {
        Token::Atom(a) if a.eq_ignore_ascii_case("FETCH") => {}
        _ => return None,
    }
    if iter.next()? != Token::Open {
        return None;
    }
    let mut item = FetchItem::default();
    while let Some(token) = iter.next() {
        let Token::Atom(key) = token else { break };
        let key = key.to_ascii_uppercase();
        match key.as_str() {
            "UID" => item.uid = atom_number(iter.next())?,
            "RFC822.SIZE" => item.size = Some(atom_number(iter.next())?),
            "FLAGS" => item.flags = list_atoms(&mut iter),
            "INTERNALDATE" => {
                if let Some(Token::Quoted(q)) = iter.next() {
                    item.internal_date = Some(q);
                }
            }
            k if k.starts_with("BODY[") || k.starts_with("RFC822") => {
                item.body = match iter.next() {
                    Some(Token::Literal(bytes)) => Some(bytes),
                    Some(Token::Quoted(q)) => Some(q.into_bytes()),
                    _ => None,
                };
            }
            _ => skip_value(&mut iter),
        }
    }
    (item.uid != 0).then_some(item)
}

fn atom_number(token: Option<Token>) -> Option<u32> {
    match token? {
        Token::Atom(a) => a.parse().ok(),
        _ => None,
    }
}

fn list_atoms(iter: &mut impl Iterator<Item = Token>) -> Vec<String> {
    let mut out = Vec::new();
    if iter.next() != Some(Token::Open) {
        return out;
    }
    for token in iter.by_ref() {
        match token {
            Token::Close => break,
            Token::Atom(a) => out.push(a),
            _ => {}
        }
    }
    out
}

fn skip_value(iter: &mut impl Iterator<Item = Token>) {
    let mut depth = 0usize;
    for token in iter.by_ref() {
        match token {
            Token::Open => depth += 1,
            Token::Close if depth <= 1 => return,
            Token::Close => depth -= 1,
            _ if depth == 0 => return,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(bytes: &[u8]) -> Vec<Token> {
        read_response(&mut io::Cursor::new(bytes.to_vec())).unwrap()
    }

    /// A channel to a server that reads one command and answers `reply`, then closes.
    fn channel_answering(reply: &'static [u8]) -> RawChannel {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let _ = io::Read::read(&mut stream, &mut [0u8; 4096]);
            let _ = stream.write_all(reply);
        });
        RawChannel::new(Stream::plain(
            std::net::TcpStream::connect(address).unwrap(),
        ))
    }

    #[test]
    fn a_fetch_cut_mid_message_hands_over_the_whole_messages_before_the_cut() {
        let mut channel = channel_answering(
            b"* 1 FETCH (UID 7 BODY[] {5}\r\nfirst)\r\n* 2 FETCH (UID 8 BODY[] {6}\r\nsec",
        );
        let mut received = Vec::new();
        let err = channel
            .uid_fetch_each("7:8", "(UID BODY.PEEK[])", &mut |item| received.push(item))
            .unwrap_err();
        assert!(matches!(err, RawError::Io(_)), "{err}");
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].uid, 7);
        assert_eq!(received[0].body.as_deref(), Some(&b"first"[..]));
    }

    #[test]
    fn a_fetch_cut_after_the_body_hands_over_nothing_of_that_message() {
        let replies: [&'static [u8]; 3] = [
            b"* 1 FETCH (UID 7 BODY[] {5}\r\nfirst",
            b"* 1 FETCH (UID 7 BODY[] {5}\r\nfirst FLAGS (\\Se",
            b"* 1 FETCH (UID 7 BODY[] {5}\r\nfirst)",
        ];
        for reply in replies {
            let mut channel = channel_answering(reply);
            let mut received = Vec::new();
            assert!(channel
                .uid_fetch_each("7", "(UID BODY.PEEK[])", &mut |item| received.push(item))
                .is_err());
            assert!(received.is_empty(), "{}", String::from_utf8_lossy(reply));
        }
    }

    #[test]
    fn fetch_responses_with_literals_are_parsed() {
        let tokens = response(
            b"* 3 FETCH (UID 17 FLAGS (\\Seen $Forwarded) INTERNALDATE \"01-Jan-2020 10:00:00 +0100\" RFC822.SIZE 12 BODY[] {12}\r\nHello\r\nWorld)\r\n",
        );
        let item = fetch_item(tokens).unwrap();
        assert_eq!(item.uid, 17);
        assert_eq!(item.size, Some(12));
        assert_eq!(item.flags, ["\\Seen", "$Forwarded"]);
        assert_eq!(
            item.internal_date.as_deref(),
            Some("01-Jan-2020 10:00:00 +0100")
        );
        assert_eq!(item.body.as_deref(), Some(&b"Hello\r\nWorld"[..]));
    }

    #[test]
    fn bracketed_sections_and_unknown_items_are_skipped() {
        let tokens = response(
            b"* 1 FETCH (MODSEQ (12) BODY[HEADER.FIELDS (MESSAGE-ID)] {4}\r\nab\r\n UID 5)\r\n",
        );
        let item = fetch_item(tokens).unwrap();
        assert_eq!(item.uid, 5);
        assert_eq!(item.body.as_deref(), Some(&b"ab\r\n"[..]));
        assert_eq!(fetch_item(response(b"* 4 EXISTS\r\n")), None);
    }

    #[test]
    fn keywords_with_brackets_do_not_swallow_literals() {
        let tokens = response(b"* 1 FETCH (UID 3 FLAGS (a[b \\Seen) BODY[] {2}\r\nhi)\r\n");
        let item = fetch_item(tokens).unwrap();
        assert_eq!(item.flags, ["a[b", "\\Seen"]);
        assert_eq!(item.body.as_deref(), Some(&b"hi"[..]));
    }

    #[test]
    fn absurd_literals_are_refused() {
        let huge = format!("* 1 FETCH (BODY[] {{{}}}\r\n", MAX_LITERAL_BYTES + 1);
        assert!(read_response(&mut io::Cursor::new(huge.into_bytes())).is_err());
    }

    #[test]
    fn appenduid_sets_expand_in_order() {
        let tokens = response(b"z1 OK [APPENDUID 1700 5:7,9] Append completed.\r\n");
        assert_eq!(appenduid(&tokens), Some(vec![5, 6, 7, 9]));
        let tokens = response(b"z1 OK Append completed.\r\n");
        assert_eq!(appenduid(&tokens), None);
    }

    #[test]
    fn namespace_replies_give_the_personal_namespace() {
        let dot = response(b"* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n");
        assert_eq!(personal_namespace(&dot), Some(("INBOX.".into(), Some('.'))));
        let slash = response(b"* NAMESPACE ((\"\" \"/\")) NIL ((\"Shared/\" \"/\"))\r\n");
        assert_eq!(personal_namespace(&slash), Some((String::new(), Some('/'))));
        let flat = response(b"* NAMESPACE ((\"\" NIL)) NIL NIL\r\n");
        assert_eq!(personal_namespace(&flat), Some((String::new(), None)));
        assert_eq!(
            personal_namespace(&response(b"* NAMESPACE NIL NIL NIL\r\n")),
            None
        );
    }

    #[test]
    fn quoted_strings_unescape() {
        let tokens = response(b"* LIST () \"/\" \"a \\\"b\\\" \\\\c\"\r\n");
        assert_eq!(tokens.last(), Some(&Token::Quoted("a \"b\" \\c".into())));
    }
}
