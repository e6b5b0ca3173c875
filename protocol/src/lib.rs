//! The one source of truth shared by the worker, the supervisor and their clients: RPC method
//! names and payloads, the sync specification, the persistent UID map, imapsync-compatible exit
//! codes and the newline-delimited JSON-RPC transport.

pub mod exit;
pub mod framing;
pub mod report;
pub mod rpc;
pub mod secret;
pub mod spec;
pub mod state;
pub mod state_file;
