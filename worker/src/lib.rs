//! The sync engine: IMAP driver, folder mapping, planning and copying; and the sandbox the
//! worker process confines itself in.

pub mod allocator;
pub mod cli;
pub mod engine;
pub mod imap;
pub mod rpc_server;
pub mod sandbox;
