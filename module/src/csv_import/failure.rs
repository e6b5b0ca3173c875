//! Explains why `create-task` refused a row, from the error key its last step printed
//! (`[{"field":…,"parameter":…,"value":…,"error":<key>}]`) or, without one, its exit code and
//! the last line of its error output. The `value` is never shown: it may be the password.

use ns8::api::TaskResult;
use serde_json::Value;

/// Characters of an error output line quoted in a reason.
const MAX_DETAIL_CHARS: usize = 200;

/// The sentence for a known `create-task` error key.
pub fn known_reason(key: &str) -> Option<&'static str> {
    Some(match key {
        "bad_user_credentials" => "the remote server refused the user or password",
        "Check_hostname_or_tcp_port" => "cannot connect to the remote host/port",
        "SSL_encryption_error" => {
            "the TLS connection failed: check the port and the security (ssl is usually port 993, tls port 143)"
        }
        "STARTTLS_not_allowed_use_IMAPS" => {
            "the remote server does not offer STARTTLS (tls): use ssl, usually on port 993"
        }
        "validation_failed" => "the login test on the remote server failed",
        _ => return None,
    })
}

/// Why the finished task `result` (non-zero exit code) refused the row.
pub fn failure_reason(result: &TaskResult) -> String {
    let first_error = first_error(&result.output);
    let key = first_error
        .as_ref()
        .and_then(|e| e.get("error"))
        .and_then(Value::as_str);
    let reason = match key.map(|k| (k, known_reason(k))) {
        Some(("validation_failed", Some(sentence))) => with_detail(sentence.into(), &result.error),
        Some((_, Some(sentence))) => sentence.to_string(),
        Some((raw, None)) => {
            let field = first_error
                .as_ref()
                .and_then(|e| e.get("parameter").or_else(|| e.get("field")))
                .and_then(Value::as_str)
                .filter(|field| !field.is_empty() && *field != "createTask");
            match field {
                Some(field) => format!("{raw} (field {field})"),
                None => raw.to_string(),
            }
        }
        None => with_detail(
            format!("create-task exited {}", result.exit_code),
            &result.error,
        ),
    };
    reason.chars().filter(|c| !c.is_control()).collect()
}

/// The first element of the output list; the output may also arrive as JSON text.
fn first_error(output: &Value) -> Option<Value> {
    let parsed;
    let list = match output {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).ok()?;
            &parsed
        }
        other => other,
    };
    list.get(0).cloned()
}

fn with_detail(reason: String, stderr: &str) -> String {
    match stderr.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
        Some(last) => format!(
            "{reason}: {}",
            last.chars().take(MAX_DETAIL_CHARS).collect::<String>()
        ),
        None => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(output: Value, error: &str, exit_code: i32) -> TaskResult {
        TaskResult {
            output,
            error: error.into(),
            exit_code,
        }
    }

    fn keyed(key: &str) -> Value {
        json!([{"field": "createTask", "parameter": "createTask", "value": key, "error": key}])
    }

    #[test]
    fn known_keys_become_sentences() {
        for (key, words) in [
            (
                "bad_user_credentials",
                "the remote server refused the user or password",
            ),
            (
                "Check_hostname_or_tcp_port",
                "cannot connect to the remote host/port",
            ),
            ("SSL_encryption_error", "TLS connection failed"),
            ("STARTTLS_not_allowed_use_IMAPS", "use ssl"),
        ] {
            let reason = failure_reason(&refused(keyed(key), "noise\n", 2));
            assert!(reason.contains(words), "{key}: {reason}");
            assert!(!reason.contains("noise"), "{reason}");
        }
        let reason = failure_reason(&refused(keyed("validation_failed"), "a\nNo route\n\n", 1));
        assert_eq!(
            reason,
            "the login test on the remote server failed: No route"
        );
    }

    #[test]
    fn unknown_keys_are_printed_raw_without_the_value() {
        let output = json!([{"field": "remotehostname", "parameter": "remotehostname",
                             "value": "s3cret", "error": "format"}]);
        let reason = failure_reason(&refused(output, "", 10));
        assert_eq!(reason, "format (field remotehostname)");
        let as_text = Value::String(keyed("quota_exceeded").to_string());
        assert_eq!(failure_reason(&refused(as_text, "", 1)), "quota_exceeded");
    }

    #[test]
    fn without_a_key_the_exit_code_is_given() {
        assert_eq!(
            failure_reason(&refused(Value::String(String::new()), "", 3)),
            "create-task exited 3"
        );
        assert_eq!(
            failure_reason(&refused(json!(null), "step 20configure failed\n", 1)),
            "create-task exited 1: step 20configure failed"
        );
    }
}
