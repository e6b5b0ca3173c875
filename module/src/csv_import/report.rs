//! What the import prints besides the per-row progress: the column report, the check-mode
//! report and the help text.

use super::plan::{Action, PlannedRow};
use super::table::{Column, Table};
use std::io::{self, Write};

/// Prints the columns found; returns false (after listing them) when some are missing.
pub fn columns(table: &Table, out: &mut dyn Write) -> io::Result<bool> {
    writeln!(out)?;
    writeln!(out, "📋 CSV Column Validation:")?;
    writeln!(out, "   Delimiter: ',' (comma-separated)")?;
    writeln!(
        out,
        "   Found {} column(s): {}",
        table.columns.len(),
        table.columns.join(", ")
    )?;
    writeln!(
        out,
        "   Column order: does not matter (mapped by header name)"
    )?;
    let missing = table.missing_columns();
    if missing.is_empty() {
        writeln!(out, "✓ All {} required columns present", Column::ALL.len())?;
        return Ok(true);
    }
    writeln!(out)?;
    writeln!(out, "✗ Missing {} required column(s):", missing.len())?;
    for name in missing {
        writeln!(out, "   - {name}")?;
    }
    writeln!(
        out,
        "   Column names are case-sensitive; the header must be the first line of the file"
    )?;
    Ok(false)
}

/// The `--check` report; returns the exit code (1 when a row is invalid).
pub fn check(planned: &[PlannedRow], update: bool, out: &mut dyn Write) -> io::Result<u8> {
    writeln!(out)?;
    writeln!(out, "🔍 Validating row data...")?;
    let (mut created, mut updated, mut existing, mut repeated, mut invalid) = (0, 0, 0, 0, 0);
    for row in planned {
        let line = row.line;
        match &row.action {
            Action::Create(request) | Action::Update(request) => {
                if matches!(row.action, Action::Create(_)) {
                    created += 1;
                } else {
                    updated += 1;
                    writeln!(
                        out,
                        "  ↻ Row {line}: would update the task of {} (ID: {}) that syncs {}",
                        request.row.localuser,
                        request.task_id,
                        request.row.account()
                    )?;
                }
                if request.row.password_has_outer_spaces() {
                    writeln!(
                        out,
                        "  ⚠ Row {line}: the password begins or ends with a space; it is used as written"
                    )?;
                }
            }
            Action::Exists { localuser, account } => {
                existing += 1;
                writeln!(
                    out,
                    "  ⊘ Row {line}: {localuser} already syncs {account}: it would be skipped (use --update to change it)"
                )?;
            }
            Action::Repeated {
                localuser,
                account,
                first_line,
            } => {
                repeated += 1;
                writeln!(
                    out,
                    "  ⊘ Row {line}: {localuser} with {account} appears twice in this file (first on row {first_line}): it would be skipped"
                )?;
            }
            Action::Invalid(reason) => {
                invalid += 1;
                writeln!(out, "  ✗ Row {line}: {reason}")?;
            }
        }
    }
    if invalid > 0 {
        writeln!(out)?;
        writeln!(out, "✗ Validation failed: {invalid} row(s) with errors")?;
        return Ok(1);
    }
    writeln!(out, "✓ All {} rows validated successfully", planned.len())?;
    writeln!(out, "✓ Generated {created} unique task IDs")?;
    if update {
        writeln!(out, "✓ {updated} existing task(s) would be updated")?;
    }
    if existing > 0 {
        writeln!(
            out,
            "⊘ {existing} row(s) would be skipped because a task already syncs the account: run with --update to apply them"
        )?;
    }
    if repeated > 0 {
        writeln!(
            out,
            "⊘ {repeated} row(s) would be skipped because they repeat an earlier row"
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "✓ CSV file is valid. No tasks were created (check-only mode)."
    )?;
    Ok(0)
}

/// The usage line.
pub fn usage(module: &str) -> String {
    format!("Usage: runagent -m {module} import-csv-tasks [-c|--check] [-u|--update] [-h|--help] < users.csv")
}

/// The `--help` text.
pub fn help(module: &str) -> String {
    format!(
        "\
IMAPSYNC bulk import: creates one synchronization task per row of a CSV file.

USAGE:
    runagent -m {module} import-csv-tasks [options] < users.csv
    cat users.csv | runagent -m {module} import-csv-tasks [options]

OPTIONS:
    -c, --check    Validate the file and show what would happen; create nothing
    -u, --update   Update the tasks that already sync the same account instead of
                   skipping those rows (the task keeps its id, schedule and options)
    -h, --help     Show this help

CSV FORMAT:
    Comma-separated, UTF-8, header row first. Required columns, in any order
    (names are case-sensitive; other columns are ignored):
        localusername, remoteusername, remotepassword, remotehostname,
        remoteport, security
    All values are required except security: tls (STARTTLS, usually port 143),
    ssl (implicit TLS, usually port 993) or empty for no encryption.
    Put a value that contains a comma or a double quote in double quotes and
    double the quotes inside it: \"pa,ss\"\"word\". Blank rows are skipped.
    Values are trimmed, except remotepassword, which is used exactly as written.
    remoteusername and remotepassword have at most 1000 characters,
    remotehostname at most 253.
    Row numbers in messages are line numbers of the file (the header is row 1).

EXAMPLE:
    localusername,remoteusername,remotepassword,remotehostname,remoteport,security
    john.doe,john@example.org,\"secret,1\",imap.example.org,143,tls
    jane.roe,jane@example.org,secret2,imap.example.org,993,ssl
    The module ships this example as ~/.config/examples/users.csv
    (../examples/users.csv from the directory runagent starts in).

DUPLICATES:
    A row whose local user, remote user and remote host (in any case) match an
    existing task, or an earlier row, is skipped; use --update to apply it to
    the existing task instead.

NEW TASKS GET:
    a random 6-character task id, no schedule (cron \"\"), no deletion on either
    side, every folder synchronized and no Sieve filtering.
    Every created or updated task first tests the login on the remote server,
    then starts a synchronization.

EXIT STATUS:
    0 when every row was created, updated or skipped; 1 when a row failed or
    the file could not be used.
"
    )
}
