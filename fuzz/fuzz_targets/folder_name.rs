//! Fuzzes the modified UTF-7 codec of mailbox names the worker uses
//! (`worker::engine::folders::{decode, encode}`), against an independent strict reading of
//! RFC 3501 §5.1.3 written here.
//!
//! Checks: decoding any text never panics; a name in canonical modified UTF-7 decodes to what
//! the strict reading gives and encodes back to itself; any UTF-8 text encodes to printable
//! ASCII in canonical form and decodes back to itself; the folder mapping helpers accept any
//! name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use worker::engine::folders::{decode, encode, logical_name, map_name};
use worker::imap::session::Namespace;

/// Modified base64: standard base64 with `,` in place of `/`.
fn sextet(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// The text of `raw` when it is canonical modified UTF-7: only printable ASCII, `&` written
/// `&-`, shift sequences holding complete UTF-16 with zero padding bits, no printable ASCII
/// shifted, and no shift sequence right after another one.
fn strict_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut text = String::new();
    let mut i = 0;
    let mut after_shift = false;
    while i < bytes.len() {
        let c = bytes[i];
        if !(0x20..=0x7e).contains(&c) {
            return None;
        }
        if c != b'&' {
            text.push(char::from(c));
            i += 1;
            after_shift = false;
            continue;
        }
        let end = i + 1 + bytes[i + 1..].iter().position(|b| *b == b'-')?;
        let body = &bytes[i + 1..end];
        i = end + 1;
        if body.is_empty() {
            text.push('&');
            after_shift = false;
            continue;
        }
        if after_shift {
            return None;
        }
        let mut bits = 0u64;
        let mut bit_count = 0;
        let mut units = Vec::new();
        for b in body {
            bits = (bits << 6) | u64::from(sextet(*b)?);
            bit_count += 6;
            if bit_count >= 16 {
                bit_count -= 16;
                units.push(((bits >> bit_count) & 0xffff) as u16);
                bits &= (1 << bit_count) - 1;
            }
        }
        if bit_count >= 6 || bits != 0 {
            return None;
        }
        let shifted: String = char::decode_utf16(units).collect::<Result<_, _>>().ok()?;
        if shifted.chars().any(|c| matches!(c, ' '..='~')) {
            return None;
        }
        text.push_str(&shifted);
        after_shift = true;
    }
    Some(text)
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let decoded = decode(&raw);
    if let Some(expected) = strict_decode(&raw) {
        assert_eq!(decoded, expected, "{raw:?}");
        assert_eq!(encode(&decoded), raw, "{raw:?} does not encode back");
    }

    let encoded = encode(&raw);
    assert_eq!(
        strict_decode(&encoded).as_deref(),
        Some(&*raw),
        "{raw:?} encodes to non-canonical {encoded:?}"
    );
    assert_eq!(decode(&encoded), raw);

    let slash = Namespace {
        prefix: String::new(),
        separator: '/',
    };
    let dot = Namespace {
        prefix: "INBOX.".into(),
        separator: '.',
    };
    let _ = logical_name(&raw, &dot);
    let mapped = map_name(&raw, &dot, &slash);
    let _ = logical_name(&mapped, &slash);
});
