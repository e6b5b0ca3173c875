//! The module's commands in `bin/`, run by the unit's `ExecStartPre` lines or by the admin
//! through `runagent` (the CSV importer lives in [`crate::csv_import`]).

pub mod expand_cron;
pub mod reveal_master_secret;
