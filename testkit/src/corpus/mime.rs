//! Building raw RFC 5322 messages with CRLF line endings.

use base64::Engine as _;
use chrono::{DateTime, FixedOffset};

use super::rng::Rng;

const WORDS: &[&str] = &[
    "migration",
    "mailbox",
    "server",
    "quarterly",
    "report",
    "meeting",
    "agenda",
    "budget",
    "invoice",
    "project",
    "deadline",
    "review",
    "please",
    "attached",
    "schedule",
    "update",
    "customer",
    "contract",
    "thanks",
    "regards",
    "tomorrow",
    "office",
    "network",
    "backup",
    "release",
    "planning",
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "for",
    "with",
    "on",
    "we",
    "you",
    "this",
    "that",
    "will",
    "be",
    "is",
    "are",
    "our",
    "new",
    "draft",
    "final",
    "version",
    "summary",
    "notes",
    "call",
    "team",
    "question",
    "answer",
    "detail",
    "change",
];

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Accumulates header lines and a body into raw message bytes.
pub(crate) struct MessageBuilder {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl MessageBuilder {
    pub(crate) fn new() -> Self {
        MessageBuilder {
            head: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds `name: value`; the value may be raw UTF-8 or already folded with CRLF.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.head.extend_from_slice(name.as_bytes());
        self.head.extend_from_slice(b": ");
        self.head.extend_from_slice(value.as_bytes());
        self.head.extend_from_slice(b"\r\n");
        self
    }

    /// Sets the body, which must already use CRLF line endings.
    pub(crate) fn body(mut self, body: String) -> Self {
        self.body = body.into_bytes();
        self
    }

    pub(crate) fn build(self) -> Vec<u8> {
        let mut raw = self.head;
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(&self.body);
        raw
    }
}

/// Converts `\n` line endings of hand-written text to CRLF.
pub(crate) fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// RFC 5322 date, e.g. `Tue, 1 Jul 2003 10:52:37 +0200`.
pub(crate) fn date_header(date: DateTime<FixedOffset>) -> String {
    date.to_rfc2822()
}

/// RFC 2047 encoded word for a UTF-8 header value.
pub(crate) fn encoded_word(text: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Base64 of some text, wrapped at 76 columns with CRLF.
pub(crate) fn base64_text(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Plain-text prose of roughly `target` bytes in lines of at most 72 columns.
pub(crate) fn prose(rng: &mut Rng, target: usize) -> String {
    let mut out = String::with_capacity(target + 80);
    let mut line_len = 0;
    while out.len() < target {
        let word = rng.pick(WORDS);
        if line_len + word.len() + 1 > 72 {
            out.push_str("\r\n");
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out.push_str("\r\n");
    out
}

/// Random-looking base64 lines (76 columns, CRLF) totalling about `target` bytes.
pub(crate) fn base64_block(rng: &mut Rng, target: usize) -> String {
    let lines = target.div_ceil(78).max(1);
    let mut out = Vec::with_capacity(lines * 78);
    for _ in 0..lines {
        let mut written = 0;
        while written < 76 {
            let mut bits = rng.next_u64();
            for _ in 0..10.min(76 - written) {
                out.push(BASE64_ALPHABET[(bits & 63) as usize]);
                bits >>= 6;
                written += 1;
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A multipart/mixed body: a text part and one base64 attachment.
pub(crate) fn multipart_mixed(boundary: &str, text: &str, filename: &str, base64: &str) -> String {
    format!(
        "This is a multi-part message in MIME format.\r\n\
         \r\n--{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n\
         \r\n{text}\
         \r\n--{boundary}\r\n\
         Content-Type: application/octet-stream; name=\"{filename}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"{filename}\"\r\n\
         \r\n{base64}\
         \r\n--{boundary}--\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only_crlf(bytes: &[u8]) -> bool {
        bytes
            .iter()
            .enumerate()
            .all(|(i, b)| *b != b'\n' || (i > 0 && bytes[i - 1] == b'\r'))
    }

    #[test]
    fn builder_uses_crlf() {
        let raw = MessageBuilder::new()
            .header("Subject", "hi")
            .body(crlf("line one\nline two\n"))
            .build();
        assert_eq!(raw, b"Subject: hi\r\n\r\nline one\r\nline two\r\n");
    }

    #[test]
    fn generated_text_is_crlf_and_sized() {
        let mut rng = Rng::new(3);
        let text = prose(&mut rng, 5000);
        assert!(text.len() >= 5000 && text.len() < 5100);
        assert!(only_crlf(text.as_bytes()));
        let block = base64_block(&mut rng, 10_000);
        assert!(only_crlf(block.as_bytes()));
        assert!(block.lines().all(|l| l.trim_end().len() == 76));
        assert!(base64_text("héllo").starts_with("aMOpbGxv"));
    }
}
