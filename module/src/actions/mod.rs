//! The action steps and event handlers, one module per action (or group of small actions).

pub mod configuration;
pub mod create_task;
pub mod get_facts;
pub mod get_log;
pub mod import_module;
pub mod lifecycle;
pub mod list_informations;
pub mod list_tasks;
pub mod mail_settings_changed;
pub mod task_control;
