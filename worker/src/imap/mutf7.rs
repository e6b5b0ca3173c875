//! IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for
//! itself, `&` is written `&-`, and every other run of characters is written `&<base64>-`,
//! the base64 (alphabet with `,` for `/`, no padding) of its UTF-16BE form.
//!
//! Names come from remote servers, so decoding never fails: a shift sequence that is not
//! valid modified base64 of UTF-16 is kept as written.

/// The modified base64 alphabet: standard base64 with `,` in place of `/`.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Whether `c` is written as itself (printable US-ASCII other than `&`).
fn stands_for_itself(c: char) -> bool {
    matches!(c, ' '..='~') && c != '&'
}

/// Encodes a UTF-8 name into modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut shifted: Vec<u16> = Vec::new();
    for c in name.chars() {
        if c == '&' {
            flush_shifted(&mut shifted, &mut out);
            out.push_str("&-");
        } else if stands_for_itself(c) {
            flush_shifted(&mut shifted, &mut out);
            out.push(c);
        } else {
            shifted.extend(c.encode_utf16(&mut [0; 2]).iter());
        }
    }
    flush_shifted(&mut shifted, &mut out);
    out
}

/// Writes the pending non-ASCII run as a shift sequence and empties it.
fn flush_shifted(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    let bytes: Vec<u8> = units.drain(..).flat_map(u16::to_be_bytes).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for index in 0..=chunk.len() {
            let sextet = (group >> (18 - 6 * index)) & 0x3f;
            out.push(char::from(ALPHABET[sextet as usize]));
        }
    }
    out.push('-');
}

/// Decodes a modified UTF-7 name for people and regexes; invalid shift sequences, and a `&`
/// never closed by `-`, are kept as written.
pub fn decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('-') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let body = &after[..end];
        match body {
            "" => out.push('&'),
            _ => match decode_shifted(body) {
                Some(text) => out.push_str(&text),
                None => out.push_str(&rest[start..start + end + 2]),
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The text of a shift sequence's body, or `None` when it is not modified base64 of UTF-16
/// (a character outside the alphabet, a dangling partial byte or non-zero padding bits, an odd
/// number of bytes, an unpaired surrogate).
fn decode_shifted(body: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(body.len() * 3 / 4);
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    for b in body.bytes() {
        let value = ALPHABET.iter().position(|a| *a == b)?;
        bits = (bits << 6) | value as u32;
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    if bit_count >= 6 || bits != 0 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples_and_common_names() {
        assert_eq!(
            decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(decode("Donn&AOk-es/&AMk-t&AOk-"), "Données/Été");
        assert_eq!(encode("Données/Été"), "Donn&AOk-es/&AMk-t&AOk-");
        assert_eq!(encode("Отправленные"), "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
        assert_eq!(decode("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"), "Отправленные");
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(decode("Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(encode("😀"), "&2D3eAA-");
        assert_eq!(decode("&2D3eAA-"), "😀");
    }

    #[test]
    fn control_characters_and_delete_are_shifted() {
        assert_eq!(encode("a\tb\u{7f}"), "a&AAk-b&AH8-");
        assert_eq!(decode("a&AAk-b&AH8-"), "a\tb\u{7f}");
    }

    /// Regression: the `utf7-imap` crate the worker used before panicked on any shift sequence
    /// that was not valid base64 (`&A-`, `&&-`), so one oddly named folder on the remote server
    /// ended the whole run.
    #[test]
    fn invalid_shift_sequences_are_kept_as_written() {
        for raw in [
            "&A-", "&&-", "x&AOk", "&AO!-", "&AOk=-", "&AOl-", "&AA-", "&2D0-", "&3gA-", "&Jjo!-",
            "&é-",
        ] {
            assert_eq!(decode(raw), raw, "{raw:?}");
        }
        assert_eq!(decode("&A-&AOk-&"), "&A-é&");
    }

    #[test]
    fn every_string_survives_a_round_trip() {
        for name in [
            "",
            "&",
            "&&-",
            "a-b&c",
            "\0",
            "中文 & 日本語 - ü",
            "\u{feff}x",
        ] {
            let encoded = encode(name);
            assert!(encoded.chars().all(|c| matches!(c, ' '..='~')), "{encoded}");
            assert_eq!(decode(&encoded), name, "{encoded}");
        }
    }
}
