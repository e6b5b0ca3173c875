//! The one source of truth shared by the worker, the supervisor and their clients: RPC method
//! names and payloads (worker and control API), the sync specification, the task `.env`
//! codec, the last-run record files, the persistent UID map, imapsync-compatible exit codes
//! and the newline-delimited JSON-RPC transport.

pub mod atomic_file;
pub mod control;
pub mod exit;
pub mod framing;
pub mod last_run;
pub mod report;
pub mod rpc;
pub mod secret;
pub mod spec;
pub mod state;
pub mod state_file;
pub mod task;
