//! The NS8 side of the imapsync module: every action step, event handler and helper, in one
//! multi-call binary that the NS8 agent runs through per-step symlinks.

pub mod actions;
pub mod cron_files;
pub mod csv_import;
pub mod dispatch;
pub mod helpers;
pub mod input;
pub mod layout;
pub mod mail_server;
pub mod random_id;
pub mod schedule;
pub mod step;
pub mod supervisor_link;
pub mod systemd;
pub mod task_edit;
pub mod task_fields;
pub mod task_ids;
