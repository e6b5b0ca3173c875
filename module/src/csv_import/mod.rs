//! `import-csv-tasks`: creates (or, with `--update`, updates) one synchronization task per row
//! of a CSV file read from standard input, through the module's own `create-task` action.
//! Run by the admin as `runagent -m imapsync1 import-csv-tasks [-c] [-u] < users.csv`.
//!
//! The work is split into reading the input ([`input`], [`table`], [`row`]), planning it
//! against the existing tasks ([`existing`], [`plan`]) and applying the plan ([`apply`]).

pub mod apply;
pub mod existing;
pub mod failure;
pub mod host;
pub mod input;
pub mod options;
pub mod plan;
pub mod report;
pub mod request;
pub mod row;
pub mod table;

#[cfg(test)]
mod tests;

use host::{Host, ProcessHost};
use options::{parse_args, Command};
use plan::Action;
use std::io::{self, Write};

/// Width of the rule around the summary.
const RULE_WIDTH: usize = 70;

/// Runs the import with the process's stdin, environment and stdout; `args` excludes argv[0].
/// Returns the exit code: 0 on success, 1 when a row failed or the input was unusable.
pub fn main(args: &[String]) -> u8 {
    let mut out = io::stdout().lock();
    run(args, &mut ProcessHost::default(), &mut out).unwrap_or(1)
}

/// The whole import against `host`, printing to `out`.
pub fn run(args: &[String], host: &mut dyn Host, out: &mut dyn Write) -> io::Result<u8> {
    let module = host.module_id();
    let options = match parse_args(args) {
        Ok(Command::Help) => {
            write!(out, "{}", report::help(&module))?;
            return Ok(0);
        }
        Ok(Command::Import(options)) => options,
        Err(unexpected) => {
            writeln!(
                out,
                "✗ Error: Unexpected arguments: {}",
                unexpected.join(" ")
            )?;
            if unexpected.iter().any(|arg| !arg.starts_with('-')) {
                writeln!(
                    out,
                    "  The CSV is read from standard input: write '< {}' instead of naming the file",
                    unexpected[0]
                )?;
            }
            writeln!(out, "{}", report::usage(&module))?;
            return Ok(1);
        }
    };
    writeln!(out, "Reading CSV from standard input...")?;
    let bytes = match host.read_csv() {
        Ok(bytes) => bytes,
        Err(error) => return fail(out, &error),
    };
    let text = match input::decode(&bytes) {
        Ok(text) => text,
        Err(error) => return fail(out, &error.to_string()),
    };
    let table = match table::read_table(text) {
        Ok(table) => table,
        Err(error) => return fail(out, &error.to_string()),
    };
    if !report::columns(&table, out)? {
        return Ok(1);
    }
    writeln!(
        out,
        "✓ Found {} data row(s) (empty lines skipped)",
        table.rows.len()
    )?;
    let existing = match host.existing_tasks() {
        Ok(existing) => existing,
        Err(error) => return fail(out, &error),
    };
    for problem in &existing.unreadable {
        writeln!(
            out,
            "⚠ Warning: {problem}; a row for the account of that task cannot be recognised as a duplicate"
        )?;
    }
    let rows = table
        .rows
        .iter()
        .map(|raw| (raw.line, row::check_row(raw, table.columns.len())))
        .collect();
    let planned = plan::plan(rows, &existing, options.update, &mut || host.new_task_id());
    if options.check {
        return report::check(&planned, options.update, out);
    }
    let creator = match host.task_creator() {
        Ok(creator) => creator,
        Err(error) => return fail(out, &error),
    };
    let to_apply = planned
        .iter()
        .filter(|row| matches!(row.action, Action::Create(_) | Action::Update(_)))
        .count();
    writeln!(out)?;
    writeln!(out, "📦 Starting task creation with module: {module}")?;
    writeln!(out, "   Processing {to_apply} user(s)...")?;
    writeln!(out)?;
    let summary = apply::apply(&planned, creator, out)?;
    writeln!(out, "{}", "=".repeat(RULE_WIDTH))?;
    writeln!(out, "{}", summary.line(options.update))?;
    writeln!(out, "{}", "=".repeat(RULE_WIDTH))?;
    Ok(summary.exit_code())
}

/// Prints `✗ Error: <message>` and returns exit code 1.
fn fail(out: &mut dyn Write, message: &str) -> io::Result<u8> {
    writeln!(out, "✗ Error: {message}")?;
    Ok(1)
}
