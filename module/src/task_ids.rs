//! The rules for `task_id` and `localuser`, checked in every action before either becomes part
//! of a file name. Ids the reference module created (`28ofi1`, `status1`,
//! `public_shared_test`) stay valid; path separators, dots (which would make one task's files
//! look like another's) and control characters do not.

use protocol::task::validate_task_name;

/// Longest accepted `task_id`.
pub const MAX_TASK_ID: usize = 64;
/// Longest accepted `localuser`.
pub const MAX_LOCALUSER: usize = 64;

/// Which field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdField {
    TaskId,
    LocalUser,
}

impl IdField {
    /// The input field name.
    pub fn name(self) -> &'static str {
        match self {
            IdField::TaskId => "task_id",
            IdField::LocalUser => "localuser",
        }
    }
}

/// `[A-Za-z0-9][A-Za-z0-9_-]*`, at most [`MAX_TASK_ID`] characters.
pub fn valid_task_id(task_id: &str) -> bool {
    starts_alphanumeric(task_id)
        && task_id.len() <= MAX_TASK_ID
        && task_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most [`MAX_LOCALUSER`] characters.
pub fn valid_localuser(localuser: &str) -> bool {
    starts_alphanumeric(localuser)
        && localuser.len() <= MAX_LOCALUSER
        && localuser
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn starts_alphanumeric(value: &str) -> bool {
    value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// The task name `<localuser>_<task_id>`, or the first field that is not acceptable.
pub fn task_name(localuser: &str, task_id: &str) -> Result<String, IdField> {
    if !valid_localuser(localuser) {
        return Err(IdField::LocalUser);
    }
    if !valid_task_id(task_id) {
        return Err(IdField::TaskId);
    }
    let name = format!("{localuser}_{task_id}");
    validate_task_name(&name).map_err(|_| IdField::TaskId)?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_the_reference_module_stay_valid() {
        for (user, id) in [
            ("u2", "28ofi1"),
            ("user2", "status1"),
            ("u3", "public_shared_test"),
            ("first.last", "abc123"),
        ] {
            assert_eq!(task_name(user, id).unwrap(), format!("{user}_{id}"));
        }
    }

    #[test]
    fn path_and_control_characters_are_refused() {
        for id in [
            "../etc", "a/b", "", ".hidden", "a.b", "a b", "a\nb", "a\0b", "é1",
        ] {
            assert_eq!(task_name("u2", id), Err(IdField::TaskId), "{id:?}");
        }
        for user in ["..", "../x", "", "a/b", "_x", "a\nb", "invalid@user", "a b"] {
            assert_eq!(
                task_name(user, "abc123"),
                Err(IdField::LocalUser),
                "{user:?}"
            );
        }
        assert_eq!(task_name("u", &"a".repeat(65)), Err(IdField::TaskId));
    }
}
