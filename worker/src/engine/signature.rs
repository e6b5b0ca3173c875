//! Message identity across servers without a UID map: an imapsync-compatible header
//! signature (Message-Id and Received lines, normalised, sorted, MD5 in base64), with a
//! whole-header fallback for messages that have neither.

use base64::Engine;
use md5::{Digest, Md5};

/// How a message is identified when no UID map covers it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signature {
    /// From Message-Id and Received, as imapsync computes it.
    Headers(String),
    /// The message has neither header: digest of its whole header block.
    WholeHeader(String),
}

/// Unfolds a header block into logical `Name: value` lines.
fn unfold(header: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for raw in header.split(|b| *b == b'\n') {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        match (raw[0], lines.last_mut()) {
            (b' ' | b'\t', Some(last)) => {
                last.push(b' ');
                last.extend_from_slice(raw);
            }
            _ => lines.push(raw.to_vec()),
        }
    }
    lines
}

/// imapsync's normalisation: 8-bit bytes become `X`, tabs spaces, blanks trimmed and
/// collapsed, everything upper case.
fn normalise(line: &[u8]) -> String {
    let text: String = line
        .iter()
        .map(|b| match *b {
            b'\t' => ' ',
            b if b >= 0x80 => 'X',
            b => char::from(b),
        })
        .collect();
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

fn digest(lines: &[String]) -> String {
    let mut md5 = Md5::new();
    for line in lines {
        md5.update(line.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(md5.finalize())
}

/// The signature from `BODY[HEADER.FIELDS (MESSAGE-ID RECEIVED)]`; `None` when both are
/// missing (the caller then fetches the whole header and uses [`whole_header`]).
pub fn from_id_headers(fields: &[u8]) -> Option<Signature> {
    let mut lines: Vec<String> = unfold(fields)
        .iter()
        .map(|l| normalise(l))
        .filter(|l| l.starts_with("MESSAGE-ID:") || l.starts_with("RECEIVED:"))
        .collect();
    if lines.is_empty() {
        return None;
    }
    lines.sort();
    Some(Signature::Headers(digest(&lines)))
}

/// The fallback signature over every header line, order kept.
pub fn whole_header(header: &[u8]) -> Signature {
    let lines: Vec<String> = unfold(header).iter().map(|l| normalise(l)).collect();
    Signature::WholeHeader(digest(&lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_case_blanks_order_and_folding() {
        let a = b"Message-Id: <a@b>\r\nReceived: from x\r\n\tby y;  Mon\r\n\r\n";
        let b = b"RECEIVED: from x by y; Mon\r\nmessage-id:   <A@B>\r\n\r\n";
        assert_eq!(from_id_headers(a), from_id_headers(b));
        assert!(from_id_headers(a).is_some());
    }

    #[test]
    fn different_ids_differ_and_missing_ids_give_none() {
        let a = from_id_headers(b"Message-Id: <1@x>\r\n\r\n");
        let b = from_id_headers(b"Message-Id: <2@x>\r\n\r\n");
        assert_ne!(a, b);
        assert_eq!(from_id_headers(b"\r\n"), None);
    }

    #[test]
    fn eight_bit_bytes_are_masked() {
        let a = from_id_headers("Message-Id: <é@x>\r\n".as_bytes());
        let b = from_id_headers(b"Message-Id: <XX@x>\r\n");
        assert_eq!(a, b);
    }

    #[test]
    fn whole_header_distinguishes_headerless_messages() {
        let a = whole_header(b"Subject: one\r\nDate: Mon\r\n\r\n");
        let b = whole_header(b"Subject: two\r\nDate: Mon\r\n\r\n");
        assert_ne!(a, b);
        assert_eq!(a, whole_header(b"subject:  one\r\nDate: Mon\r\n"));
    }
}
