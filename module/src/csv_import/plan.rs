//! Decides what happens to each row: create a task with a fresh id, update the task that
//! already syncs the same account (`--update`), skip the row, or refuse it with a reason.

use super::existing::{AccountKey, ExistingTasks};
use super::request::{TaskRequest, TaskSettings};
use super::row::{shown_account, Row};
use std::collections::{HashMap, HashSet};

/// Random ids tried for one row before giving up.
pub const MAX_ID_ATTEMPTS: usize = 100;

/// What to do with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create(TaskRequest),
    Update(TaskRequest),
    /// A task already syncs this account (stored spelling) and `--update` was not given.
    Exists {
        localuser: String,
        account: String,
    },
    /// An earlier row of the file has the same account.
    Repeated {
        localuser: String,
        account: String,
        first_line: u64,
    },
    Invalid(String),
}

/// A row of the file and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRow {
    pub line: u64,
    pub action: Action,
}

/// Plans every row, in file order. `new_id` draws a random task id.
pub fn plan(
    rows: Vec<(u64, Result<Row, String>)>,
    existing: &ExistingTasks,
    update: bool,
    new_id: &mut dyn FnMut() -> Result<String, String>,
) -> Vec<PlannedRow> {
    let mut first_lines: HashMap<AccountKey, u64> = HashMap::new();
    let mut new_ids: HashSet<String> = HashSet::new();
    rows.into_iter()
        .map(|(line, checked)| {
            let action = match checked {
                Err(reason) => Action::Invalid(reason),
                Ok(row) => {
                    let key =
                        AccountKey::new(&row.localuser, &row.remoteusername, &row.remotehostname);
                    if let Some(first_line) = first_lines.get(&key) {
                        Action::Repeated {
                            localuser: row.localuser.clone(),
                            account: row.account(),
                            first_line: *first_line,
                        }
                    } else {
                        first_lines.insert(key.clone(), line);
                        plan_row(row, &key, existing, update, &mut new_ids, new_id)
                    }
                }
            };
            PlannedRow { line, action }
        })
        .collect()
}

fn plan_row(
    mut row: Row,
    key: &AccountKey,
    existing: &ExistingTasks,
    update: bool,
    new_ids: &mut HashSet<String>,
    new_id: &mut dyn FnMut() -> Result<String, String>,
) -> Action {
    match existing.find(key) {
        Some(stored) if update => {
            row.localuser.clone_from(&stored.localuser);
            row.remoteusername.clone_from(&stored.remoteusername);
            Action::Update(TaskRequest {
                task_id: stored.task_id.clone(),
                row,
                settings: TaskSettings::stored(stored),
            })
        }
        Some(stored) => Action::Exists {
            localuser: stored.localuser.clone(),
            account: shown_account(&stored.remoteusername, &stored.remotehostname),
        },
        None => match unique_id(&row.localuser, existing, new_ids, new_id) {
            Ok(task_id) => Action::Create(TaskRequest {
                task_id,
                row,
                settings: TaskSettings::default(),
            }),
            Err(reason) => Action::Invalid(reason),
        },
    }
}

fn unique_id(
    localuser: &str,
    existing: &ExistingTasks,
    new_ids: &mut HashSet<String>,
    new_id: &mut dyn FnMut() -> Result<String, String>,
) -> Result<String, String> {
    for _ in 0..MAX_ID_ATTEMPTS {
        let id = new_id().map_err(|e| format!("cannot generate a task id: {e}"))?;
        if !new_ids.contains(&id) && !existing.is_taken(localuser, &id) {
            new_ids.insert(id.clone());
            return Ok(id);
        }
    }
    Err(format!(
        "cannot generate a unique task id after {MAX_ID_ATTEMPTS} attempts"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_import::row::Security;
    use protocol::secret::Secret;
    use protocol::task::TaskEnv;

    fn row(line: u64, localuser: &str, remote: &str, host: &str) -> (u64, Result<Row, String>) {
        let row = Row {
            line,
            localuser: localuser.into(),
            remoteusername: remote.into(),
            remotepassword: Secret::new("pw"),
            remotehostname: host.into(),
            remoteport: 993,
            security: Security::Tls,
        };
        (line, Ok(row))
    }

    fn stored() -> ExistingTasks {
        ExistingTasks::new(vec![TaskEnv {
            task_id: "old001".into(),
            localuser: "John.Doe".into(),
            remoteusername: "John@Example.org".into(),
            remotehostname: "imap.example.org".into(),
            cron: "1h".into(),
            foldersynchronization: "inbox".into(),
            ..TaskEnv::default()
        }])
    }

    fn ids(list: &'static [&'static str]) -> impl FnMut() -> Result<String, String> {
        let mut next = list.iter();
        move || {
            next.next()
                .map(|s| s.to_string())
                .ok_or_else(|| "exhausted".into())
        }
    }

    #[test]
    fn existing_accounts_are_skipped_whatever_the_case() {
        let planned = plan(
            vec![row(2, "JOHN.DOE", "john@example.ORG", "IMAP.example.org")],
            &stored(),
            false,
            &mut ids(&["new001"]),
        );
        assert_eq!(
            planned[0].action,
            Action::Exists {
                localuser: "John.Doe".into(),
                account: "John@Example.org@imap.example.org".into(),
            }
        );
    }

    #[test]
    fn update_reuses_the_stored_id_spelling_and_settings() {
        let planned = plan(
            vec![row(2, "john.doe", "JOHN@example.org", "imap.example.org")],
            &stored(),
            true,
            &mut ids(&[]),
        );
        let Action::Update(request) = &planned[0].action else {
            panic!("{planned:?}");
        };
        assert_eq!(request.task_id, "old001");
        assert_eq!(request.row.localuser, "John.Doe");
        assert_eq!(request.row.remoteusername, "John@Example.org");
        assert_eq!(request.row.remoteport, 993);
        assert_eq!(request.settings.cron, "1h");
        assert_eq!(request.settings.foldersynchronization, "inbox");
    }

    #[test]
    fn a_repeated_account_is_skipped_after_its_first_valid_row() {
        let planned = plan(
            vec![
                (2, Err("Invalid port number: 'x'".into())),
                row(3, "u1", "r1", "h"),
                row(4, "U1", "R1", "H"),
                row(5, "u1", "r1", "other"),
            ],
            &ExistingTasks::default(),
            true,
            &mut ids(&["aaaaa1", "aaaaa2"]),
        );
        assert!(matches!(planned[0].action, Action::Invalid(_)));
        assert!(matches!(&planned[1].action, Action::Create(r) if r.task_id == "aaaaa1"));
        assert_eq!(
            planned[2].action,
            Action::Repeated {
                localuser: "U1".into(),
                account: "R1@H".into(),
                first_line: 3,
            }
        );
        assert!(matches!(&planned[3].action, Action::Create(r) if r.task_id == "aaaaa2"));
    }

    #[test]
    fn ids_in_use_or_already_drawn_are_redrawn() {
        let planned = plan(
            vec![row(2, "u1", "r1", "h"), row(3, "u2", "r2", "h")],
            &stored(),
            false,
            &mut ids(&["old001", "abc123", "abc123", "def456"]),
        );
        let created: Vec<&str> = planned
            .iter()
            .map(|p| match &p.action {
                Action::Create(r) => r.task_id.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(created, ["abc123", "def456"]);
    }

    #[test]
    fn giving_up_on_ids_refuses_only_that_row() {
        let mut always_same = || Ok::<_, String>("same01".to_string());
        let planned = plan(
            vec![row(2, "u1", "r1", "h"), row(3, "u2", "r2", "h")],
            &ExistingTasks::default(),
            false,
            &mut always_same,
        );
        assert!(matches!(planned[0].action, Action::Create(_)));
        assert_eq!(
            planned[1].action,
            Action::Invalid("cannot generate a unique task id after 100 attempts".into())
        );
    }
}
