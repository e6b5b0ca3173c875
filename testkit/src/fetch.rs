//! Parsing of the untagged FETCH responses read by the raw connection: UID, FLAGS,
//! INTERNALDATE, RFC822.SIZE and BODY[] items; other items are skipped.

use chrono::DateTime;

use crate::error::{Error, Result};
use crate::raw::{Response, Segment};

/// The items of one FETCH response that the testkit uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fetched {
    pub(crate) uid: Option<u32>,
    pub(crate) flags: Vec<String>,
    pub(crate) internal_date: Option<i64>,
    pub(crate) size: Option<u64>,
    pub(crate) body: Option<Vec<u8>>,
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Atom(String),
    Bytes(Vec<u8>),
}

/// Parses `* n FETCH (...)`; other responses give `None`.
pub(crate) fn parse_fetch(response: &Response) -> Result<Option<Fetched>> {
    let tokens = tokenize(response)?;
    match tokens.as_slice() {
        [Token::Atom(star), Token::Atom(_), Token::Atom(kind), Token::Open, items @ .., Token::Close]
            if star == "*" && kind.eq_ignore_ascii_case("FETCH") =>
        {
            parse_items(items).map(Some)
        }
        _ => Ok(None),
    }
}

fn tokenize(response: &Response) -> Result<Vec<Token>> {
    let mut tokens = Vec::new();
    for segment in response {
        match segment {
            Segment::Text(text) => tokenize_text(text, &mut tokens)?,
            Segment::Literal(bytes) => tokens.push(Token::Bytes(bytes.clone())),
        }
    }
    Ok(tokens)
}

fn tokenize_text(text: &[u8], tokens: &mut Vec<Token>) -> Result<()> {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b' ' => i += 1,
            b'(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            b')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            b'"' => i = quoted(text, i + 1, tokens)?,
            b'{' => i = text.len(),
            _ => i = atom(text, i, tokens),
        }
    }
    Ok(())
}

/// Reads a quoted string starting after its opening quote; returns the next index.
fn quoted(text: &[u8], mut i: usize, tokens: &mut Vec<Token>) -> Result<usize> {
    let mut bytes = Vec::new();
    while i < text.len() {
        match text[i] {
            b'\\' if i + 1 < text.len() => {
                bytes.push(text[i + 1]);
                i += 2;
            }
            b'"' => {
                tokens.push(Token::Bytes(bytes));
                return Ok(i + 1);
            }
            b => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    Err(Error::Protocol("unterminated quoted string".into()))
}

/// Reads an atom; returns the next index. Only a `BODY[...]` section may contain spaces: in
/// any other atom (a keyword such as `a[b`) a bracket is an ordinary character.
fn atom(text: &[u8], start: usize, tokens: &mut Vec<Token>) -> usize {
    let mut i = start;
    let sectioned = text[start..].to_ascii_uppercase().starts_with(b"BODY[");
    let mut in_section = false;
    while i < text.len() {
        match text[i] {
            b'[' if sectioned => in_section = true,
            b']' if sectioned => in_section = false,
            b' ' | b'(' | b')' if !in_section => break,
            _ => {}
        }
        i += 1;
    }
    tokens.push(Token::Atom(
        String::from_utf8_lossy(&text[start..i]).into_owned(),
    ));
    i
}

fn parse_items(items: &[Token]) -> Result<Fetched> {
    let mut fetched = Fetched::default();
    let mut i = 0;
    while i < items.len() {
        let Token::Atom(key) = &items[i] else {
            return Err(Error::Protocol(format!(
                "FETCH item name expected, got {:?}",
                items[i]
            )));
        };
        let value_len = value_length(&items[i + 1..])?;
        let value = &items[i + 1..i + 1 + value_len];
        apply_item(&mut fetched, &key.to_ascii_uppercase(), value)?;
        i += 1 + value_len;
    }
    Ok(fetched)
}

/// Number of tokens of the value at the start of `tokens` (a list counts whole).
fn value_length(tokens: &[Token]) -> Result<usize> {
    if tokens.first() != Some(&Token::Open) {
        return if tokens.is_empty() {
            Err(Error::Protocol("FETCH item without value".into()))
        } else {
            Ok(1)
        };
    }
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close if depth == 1 => return Ok(i + 1),
            Token::Close => depth -= 1,
            _ => {}
        }
    }
    Err(Error::Protocol("unbalanced parentheses in FETCH".into()))
}

fn apply_item(fetched: &mut Fetched, key: &str, value: &[Token]) -> Result<()> {
    match (key, value) {
        ("UID", [Token::Atom(n)]) => fetched.uid = Some(number(n)? as u32),
        ("RFC822.SIZE", [Token::Atom(n)]) => fetched.size = Some(number(n)?),
        ("INTERNALDATE", [Token::Bytes(date)]) => {
            fetched.internal_date = Some(internal_date(&String::from_utf8_lossy(date))?)
        }
        ("BODY[]", [Token::Bytes(body)]) => fetched.body = Some(body.clone()),
        ("FLAGS", [Token::Open, flags @ .., Token::Close]) => {
            fetched.flags = flags
                .iter()
                .filter_map(|f| match f {
                    Token::Atom(a) => Some(a.clone()),
                    _ => None,
                })
                .collect();
        }
        _ => {}
    }
    Ok(())
}

fn number(text: &str) -> Result<u64> {
    text.parse()
        .map_err(|_| Error::Protocol(format!("number expected in FETCH, got {text:?}")))
}

/// Unix seconds of an IMAP date-time such as ` 5-Nov-2024 10:00:00 +0100`.
fn internal_date(text: &str) -> Result<i64> {
    DateTime::parse_from_str(text.trim(), "%d-%b-%Y %H:%M:%S %z")
        .map(|d| d.timestamp())
        .map_err(|e| Error::Protocol(format!("bad INTERNALDATE {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Segment {
        Segment::Text(s.as_bytes().to_vec())
    }

    #[test]
    fn full_fetch_response_parses() {
        let response = vec![
            text(
                r#"* 3 FETCH (UID 17 FLAGS (\Seen $Forwarded) INTERNALDATE " 5-Nov-2024 10:00:00 +0100" BODY[] {5}"#,
            ),
            Segment::Literal(b"a\r\nb)".to_vec()),
            text(")"),
        ];
        let fetched = parse_fetch(&response).unwrap().unwrap();
        assert_eq!(fetched.uid, Some(17));
        assert_eq!(fetched.flags, vec!["\\Seen", "$Forwarded"]);
        assert_eq!(fetched.internal_date, Some(1_730_797_200));
        assert_eq!(fetched.body.as_deref(), Some(&b"a\r\nb)"[..]));
    }

    #[test]
    fn sizes_and_unknown_items() {
        let response = vec![text(
            "* 1 FETCH (MODSEQ (12) UID 4 BODY[HEADER.FIELDS (A B)] \"x\" RFC822.SIZE 2048 FLAGS ())",
        )];
        let fetched = parse_fetch(&response).unwrap().unwrap();
        assert_eq!((fetched.uid, fetched.size), (Some(4), Some(2048)));
        assert!(fetched.flags.is_empty());
    }

    #[test]
    fn other_responses_are_ignored() {
        assert_eq!(parse_fetch(&vec![text("* 2 EXISTS")]).unwrap(), None);
        assert!(parse_fetch(&vec![text("* 1 FETCH (UID)")]).is_err());
    }
}
