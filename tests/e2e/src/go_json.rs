//! JSON text as the Go agent hands it to a step: the task data decoded into Go values and
//! encoded again with `encoding/json` (object keys sorted, numbers through float64, `<`, `>`
//! and `&` escaped).

use serde_json::Value;

/// Compact Go `json.Marshal` text of `value`.
pub fn marshal(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, &map[key]);
            }
            out.push('}');
        }
    }
}

/// Every JSON number becomes a float64 in Go; whole values print without a fraction.
fn write_number(out: &mut String, number: &serde_json::Number) {
    let float = number.as_f64().unwrap_or(0.0);
    if float.fract() == 0.0 && float.abs() < 1e21 {
        out.push_str(&format!("{float:.0}"));
    } else {
        out.push_str(&format!("{float}"));
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_compact() {
        let value = json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
        assert_eq!(marshal(&value), r#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
    }

    #[test]
    fn numbers_go_through_float64() {
        assert_eq!(marshal(&json!(143)), "143");
        assert_eq!(marshal(&json!(1.0)), "1");
        assert_eq!(marshal(&json!(2.5)), "2.5");
    }

    #[test]
    fn html_characters_are_escaped() {
        assert_eq!(
            marshal(&json!("a<b>&\"\n")),
            r#""a\u003cb\u003e\u0026\"\n""#
        );
        assert_eq!(marshal(&Value::Null), "null");
    }
}
