//! Reading a step's JSON input and the fields every task action shares.

use crate::step::StepError;
use crate::task_ids::{self, IdField};
use serde_json::Value;

/// The step's input from stdin (`null` or nothing reads as `{}`).
pub fn read() -> Result<Value, StepError> {
    ns8::step_io::read_input().map_err(|e| StepError::failed(format!("invalid input: {e}")))
}

/// A required string field.
pub fn string<'a>(input: &'a Value, field: &str) -> Result<&'a str, StepError> {
    match input.get(field) {
        Some(Value::String(value)) => Ok(value),
        None => Err(StepError::invalid(
            field,
            Value::Null,
            format!("{field}_is_required"),
        )),
        Some(other) => Err(StepError::invalid(
            field,
            other.clone(),
            format!("{field}_is_not_valid"),
        )),
    }
}

/// The task named by the input's `localuser` and `task_id`, both checked before they become
/// part of a path.
pub fn task_name(input: &Value) -> Result<String, StepError> {
    let localuser = string(input, "localuser")?;
    let task_id = string(input, "task_id")?;
    task_ids::task_name(localuser, task_id).map_err(|field| {
        let value = match field {
            IdField::TaskId => task_id,
            IdField::LocalUser => localuser,
        };
        StepError::invalid(
            field.name(),
            value,
            format!("{}_is_not_valid", field.name()),
        )
    })
}
