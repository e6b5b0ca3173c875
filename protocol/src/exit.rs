//! Exit codes with imapsync's numbers and names, so logs, `.status` files and the UI keep their
//! meaning.

use serde::{Deserialize, Serialize};

/// An imapsync-compatible process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "i32", try_from = "i32")]
pub enum ExitCode {
    Ok,
    CatchAll,
    BySignal,
    ConnectionFailure,
    TlsFailure,
    AuthenticationFailure,
    Usage,
    NoInput,
    Software,
    WithErrors,
    WithErrorsMax,
    OverQuota,
    ErrAppend,
    ErrFetch,
    ErrCreate,
    ErrSelect,
    TransferExceeded,
    ErrAppendVirus,
    ErrFlags,
    ConnectionFailureHost1,
    ConnectionFailureHost2,
    AuthenticationFailureUser1,
    AuthenticationFailureUser2,
    Terminated,
}

const TABLE: &[(ExitCode, i32, &str)] = &[
    (ExitCode::Ok, 0, "EX_OK: successful termination"),
    (ExitCode::CatchAll, 1, "EXIT_CATCH_ALL"),
    (ExitCode::BySignal, 6, "EXIT_BY_SIGNAL"),
    (ExitCode::ConnectionFailure, 10, "EXIT_CONNECTION_FAILURE"),
    (ExitCode::TlsFailure, 12, "EXIT_TLS_FAILURE"),
    (
        ExitCode::AuthenticationFailure,
        16,
        "EXIT_AUTHENTICATION_FAILURE",
    ),
    (ExitCode::Usage, 64, "EX_USAGE"),
    (ExitCode::NoInput, 66, "EX_NOINPUT"),
    (ExitCode::Software, 70, "EX_SOFTWARE"),
    (ExitCode::WithErrors, 111, "EXIT_WITH_ERRORS"),
    (ExitCode::WithErrorsMax, 112, "EXIT_WITH_ERRORS_MAX"),
    (ExitCode::OverQuota, 113, "EXIT_OVERQUOTA"),
    (ExitCode::ErrAppend, 114, "EXIT_ERR_APPEND"),
    (ExitCode::ErrFetch, 115, "EXIT_ERR_FETCH"),
    (ExitCode::ErrCreate, 116, "EXIT_ERR_CREATE"),
    (ExitCode::ErrSelect, 117, "EXIT_ERR_SELECT"),
    (ExitCode::TransferExceeded, 118, "EXIT_TRANSFER_EXCEEDED"),
    (ExitCode::ErrAppendVirus, 119, "EXIT_ERR_APPEND_VIRUS"),
    (ExitCode::ErrFlags, 120, "EXIT_ERR_FLAGS"),
    (
        ExitCode::ConnectionFailureHost1,
        101,
        "EXIT_CONNECTION_FAILURE_HOST1",
    ),
    (
        ExitCode::ConnectionFailureHost2,
        102,
        "EXIT_CONNECTION_FAILURE_HOST2",
    ),
    (
        ExitCode::AuthenticationFailureUser1,
        161,
        "EXIT_AUTHENTICATION_FAILURE_USER1",
    ),
    (
        ExitCode::AuthenticationFailureUser2,
        162,
        "EXIT_AUTHENTICATION_FAILURE_USER2",
    ),
    (ExitCode::Terminated, 143, "EXIT_BY_SIGTERM"),
];

impl ExitCode {
    /// The numeric process exit status.
    pub fn code(self) -> i32 {
        TABLE.iter().find(|(c, _, _)| *c == self).map_or(1, |e| e.1)
    }

    /// imapsync's name for this code, as printed in `Exiting with return value N (NAME)`.
    pub fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or("EXIT_CATCH_ALL", |e| e.2)
    }

    /// Looks a numeric status up; unknown numbers are `None`.
    pub fn from_code(code: i32) -> Option<Self> {
        TABLE.iter().find(|e| e.1 == code).map(|e| e.0)
    }
}

impl From<ExitCode> for i32 {
    fn from(value: ExitCode) -> Self {
        value.code()
    }
}

impl TryFrom<i32> for ExitCode {
    type Error = String;
    fn try_from(value: i32) -> Result<Self, Self::Error> {
        ExitCode::from_code(value).ok_or_else(|| format!("unknown exit code {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_imapsync_numbers() {
        assert_eq!(ExitCode::ErrSelect.code(), 117);
        assert_eq!(ExitCode::AuthenticationFailureUser2.code(), 162);
        assert_eq!(
            ExitCode::from_code(101),
            Some(ExitCode::ConnectionFailureHost1)
        );
        assert_eq!(ExitCode::Ok.name(), "EX_OK: successful termination");
        assert_eq!(ExitCode::from_code(99), None);
    }
}
