//! What one action step is and how it ends: the step's identity, its command channel to the
//! agent, and the three endings the agent understands (output, a failure with an exit code,
//! or a `validation-failed` with the list of refused fields).

use crate::layout::StateDir;
use ns8::comfd::Commands;
use serde::Serialize;
use serde_json::Value;

/// One refused input field, in the shape the UI maps to a form field and an i18n key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub parameter: String,
    pub value: Value,
    pub error: String,
}

impl FieldError {
    /// `error` on `field`, which held `value`.
    pub fn new(field: &str, value: impl Into<Value>, error: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            parameter: field.to_string(),
            value: value.into(),
            error: error.into(),
        }
    }
}

/// Why a step did not complete.
#[derive(Debug)]
pub enum StepError {
    /// The input was refused: the step sends `set-status validation-failed`, prints the list
    /// and exits with `exit_code`.
    Validation {
        exit_code: u8,
        errors: Vec<FieldError>,
        detail: Option<String>,
    },
    /// Anything else: the message goes to the log and the step exits with `exit_code`.
    Failed { exit_code: u8, message: String },
}

impl StepError {
    /// A generic failure (exit code 1).
    pub fn failed(message: impl Into<String>) -> StepError {
        StepError::Failed {
            exit_code: 1,
            message: message.into(),
        }
    }

    /// A refused field with the agent's validation exit code (10).
    pub fn invalid(field: &str, value: impl Into<Value>, error: impl Into<String>) -> StepError {
        StepError::Validation {
            exit_code: 10,
            errors: vec![FieldError::new(field, value, error)],
            detail: None,
        }
    }
}

/// What a step produces: nothing, or the action's JSON output.
pub type StepResult = Result<Option<Value>, StepError>;

/// The running step: its name, its action, the state directory and the agent command channel.
pub struct Step {
    /// The step's file name, e.g. `30Imapsync_validation`.
    pub name: String,
    /// The action (or event, or helper directory) it belongs to.
    pub action: String,
    pub state: StateDir,
    pub commands: Commands,
}

impl Step {
    /// A step of `action` named `name`, with the state directory and command fd of the
    /// environment the agent gave it.
    pub fn from_env(action: &str, name: &str) -> Step {
        Step {
            name: name.to_string(),
            action: action.to_string(),
            state: StateDir::from_env(),
            commands: Commands::from_env(),
        }
    }

    /// Marks this step as a validation step: weight 0, so the UI sees progress only once it
    /// has passed.
    pub fn weigh_nothing(&mut self) {
        let name = self.name.clone();
        self.commands.set_weight(&name, 0);
    }

    /// Ends the step: prints the output or reports the error, and gives the exit code.
    pub fn finish(mut self, result: StepResult) -> u8 {
        match result {
            Ok(Some(output)) => {
                ns8::step_io::print_output(&output);
                0
            }
            Ok(None) => 0,
            Err(StepError::Failed { exit_code, message }) => {
                ns8::log::error(format!("{}/{}: {message}", self.action, self.name));
                exit_code
            }
            Err(StepError::Validation {
                exit_code,
                errors,
                detail,
            }) => {
                if let Some(detail) = detail {
                    ns8::log::warning(detail);
                }
                self.commands.set_validation_failed();
                ns8::step_io::print_output(&serde_json::to_value(&errors).unwrap_or(Value::Null));
                exit_code
            }
        }
    }
}
