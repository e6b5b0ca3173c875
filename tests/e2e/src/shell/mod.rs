//! The NS8 admin shell stand-in behind `ui-shell`: cluster-admin's page hosting the module UI
//! in an iframe, its task API running the real module actions on an e2e [`crate::Node`], the
//! task-end events the UI waits for, and inspection answers for the browser tests.

pub mod core_actions;
pub mod events;
pub mod http;
pub mod inspect;
pub mod page;
pub mod seed;
pub mod server;
pub mod static_files;
pub mod tasks;
