//! JSON Schema checks of `validate-input.json` / `validate-output.json` as the Go agent does
//! them (gojsonschema, draft-07), with its error shape: `{parameter, error, value, field}`
//! and the `Validation errors: [...]` text.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use regex::Regex;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::OnceLock;

/// One schema violation, in the agent's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// First component of `field`.
    pub parameter: String,
    /// `<parameter>_<gojsonschema error type>`.
    pub error: String,
    /// The offending value.
    pub value: Value,
    /// Dotted path (`(root)` for the document itself).
    pub field: String,
    /// gojsonschema's English description.
    pub description: String,
}

/// Validates `instance` against the schema file; `Err` when the schema itself cannot be
/// used (the agent then aborts the action with exit code 1).
pub fn check(schema_path: &Path, instance: &Value) -> Result<Vec<FieldError>, String> {
    let text = std::fs::read_to_string(schema_path)
        .map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let schema: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not JSON: {e}", schema_path.display()))?;
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        // gojsonschema ignores formats it does not know, such as idn-hostname.
        .with_format("idn-hostname", |_: &str| true)
        .with_format("hostname", go_hostname)
        .build(&schema)
        .map_err(|e| format!("{}: {e}", schema_path.display()))?;
    Ok(validator
        .iter_errors(instance)
        .flat_map(|error| field_errors(&error))
        .collect())
}

/// The JSON array the agent prints as the action output.
pub fn errors_json(errors: &[FieldError]) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|e| {
                json!({
                    "parameter": e.parameter,
                    "error": e.error,
                    "value": e.value,
                    "field": e.field,
                })
            })
            .collect(),
    )
}

/// The line the agent appends to the task error (Go's `%v` of the error list).
pub fn errors_text(errors: &[FieldError]) -> String {
    let items: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.description))
        .collect();
    format!("Validation errors: [{}]\n", items.join(" "))
}

/// gojsonschema's hostname rule.
fn go_hostname(text: &str) -> bool {
    static RULE: OnceLock<Regex> = OnceLock::new();
    let rule = RULE.get_or_init(|| {
        Regex::new(
            r"^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9]))*$",
        )
        .expect("hostname rule compiles")
    });
    rule.is_match(text) && text.len() < 256
}

fn field_errors(error: &jsonschema::ValidationError<'_>) -> Vec<FieldError> {
    let context = dotted(error.instance_path().as_str());
    let instance = error.instance().clone().into_owned();
    let (kind, description) = describe(error.kind(), &context, &instance);
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default().to_string();
            vec![make(&name, "required", instance, description)]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| {
                let value = instance.get(name).cloned().unwrap_or(Value::Null);
                let text = format!("Additional property {name} is not allowed");
                make(name, "additional_property_not_allowed", value, text)
            })
            .collect(),
        _ => vec![make(&context, &kind, instance, description)],
    }
}

fn make(field: &str, kind: &str, value: Value, description: String) -> FieldError {
    let parameter = field.split('.').next().unwrap_or(field).to_string();
    FieldError {
        error: format!("{parameter}_{kind}"),
        parameter,
        value,
        field: field.to_string(),
        description,
    }
}

/// gojsonschema's error type and description of a violation.
fn describe(kind: &ValidationErrorKind, field: &str, instance: &Value) -> (String, String) {
    let (name, text) = match kind {
        ValidationErrorKind::Required { property } => (
            "required",
            format!("{} is required", property.as_str().unwrap_or_default()),
        ),
        ValidationErrorKind::Type { kind } => (
            "invalid_type",
            format!(
                "Invalid type. Expected: {}, given: {}",
                expected_types(kind),
                go_type(instance)
            ),
        ),
        ValidationErrorKind::Pattern { pattern } => {
            ("pattern", format!("Does not match pattern '{pattern}'"))
        }
        ValidationErrorKind::MinLength { limit } => (
            "string_gte",
            format!("String length must be greater than or equal to {limit}"),
        ),
        ValidationErrorKind::MaxLength { limit } => (
            "string_lte",
            format!("String length must be less than or equal to {limit}"),
        ),
        ValidationErrorKind::Minimum { limit } => (
            "number_gte",
            format!("Must be greater than or equal to {limit}"),
        ),
        ValidationErrorKind::Maximum { limit } => (
            "number_lte",
            format!("Must be less than or equal to {limit}"),
        ),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            ("number_gt", format!("Must be greater than {limit}"))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            ("number_lt", format!("Must be less than {limit}"))
        }
        ValidationErrorKind::Enum { options } => (
            "enum",
            format!("{field} must be one of the following: {options}"),
        ),
        ValidationErrorKind::Constant { expected_value } => {
            ("const", format!("{field} does not match: {expected_value}"))
        }
        ValidationErrorKind::Format { format } => {
            ("format", format!("Does not match format '{format}'"))
        }
        ValidationErrorKind::AnyOf { .. } => (
            "number_any_of",
            "Must validate at least one schema (anyOf)".to_string(),
        ),
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => (
            "number_one_of",
            "Must validate one and only one schema (oneOf)".to_string(),
        ),
        ValidationErrorKind::Not { .. } => (
            "number_not",
            "Must not validate the schema (not)".to_string(),
        ),
        ValidationErrorKind::MinItems { limit } => (
            "array_min_items",
            format!("Array must have at least {limit} items"),
        ),
        ValidationErrorKind::MaxItems { limit } => (
            "array_max_items",
            format!("Array must have at most {limit} items"),
        ),
        ValidationErrorKind::UniqueItems => ("unique", "Array items must be unique".to_string()),
        other => (
            other.keyword(),
            format!("Fails the {} rule", other.keyword()),
        ),
    };
    (name.to_string(), text)
}

fn expected_types(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(single) => single.to_string(),
        TypeKind::Multiple(set) => format!("{set:?}"),
    }
}

fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `/a/0/b` as gojsonschema's field path `a.0.b`; the document itself is `(root)`.
fn dotted(pointer: &str) -> String {
    if pointer.is_empty() {
        return "(root)".to_string();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_file(schema: Value) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), schema.to_string()).unwrap();
        file
    }

    fn get_log_schema() -> tempfile::NamedTempFile {
        schema_file(json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["task_id", "localuser"],
            "additionalProperties": false,
            "properties": {
                "task_id": {"type": "string", "pattern": "^[a-z0-9]{6}$"},
                "localuser": {"type": "string", "pattern": "^[a-z_][a-z0-9_.-]*$", "maxLength": 32},
                "host": {"type": "string", "format": "idn-hostname"},
                "mail_host": {"type": "string", "format": "hostname"}
            }
        }))
    }

    #[test]
    fn valid_input_has_no_errors() {
        let file = get_log_schema();
        let input = json!({"task_id": "abc123", "localuser": "user2", "host": "127.1.2.3", "mail_host": "10.5.4.1"});
        assert_eq!(check(file.path(), &input).unwrap(), vec![]);
    }

    #[test]
    fn pattern_error_names_the_parameter() {
        let file = get_log_schema();
        let input = json!({"task_id": "../etc", "localuser": "user2"});
        let errors = check(file.path(), &input).unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].parameter, "task_id");
        assert_eq!(errors[0].error, "task_id_pattern");
        assert_eq!(errors[0].value, json!("../etc"));
        assert!(
            errors_text(&errors).starts_with("Validation errors: [task_id: Does not match pattern")
        );
    }

    #[test]
    fn required_and_additional_properties_name_the_property() {
        let file = get_log_schema();
        let errors = check(file.path(), &json!({"task_id": "abc123", "extra": 1})).unwrap();
        let names: Vec<&str> = errors.iter().map(|e| e.error.as_str()).collect();
        assert!(names.contains(&"localuser_required"), "{names:?}");
        assert!(
            names.contains(&"extra_additional_property_not_allowed"),
            "{names:?}"
        );
    }

    #[test]
    fn go_hostname_rule_applies() {
        let file = get_log_schema();
        let input = json!({"task_id": "abc123", "localuser": "u", "mail_host": "bad_host"});
        let errors = check(file.path(), &input).unwrap();
        assert_eq!(errors[0].error, "mail_host_format");
        let null_errors = check(file.path(), &Value::Null).unwrap();
        assert_eq!(null_errors[0].field, "(root)");
        assert_eq!(null_errors[0].error, "(root)_invalid_type");
    }

    #[test]
    fn unusable_schema_is_an_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "{").unwrap();
        assert!(check(file.path(), &json!({})).is_err());
    }
}
