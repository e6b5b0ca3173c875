//! The sync engine: IMAP driver, folder mapping, planning and copying.

pub mod allocator;
pub mod cli;
pub mod engine;
pub mod imap;
pub mod rpc_server;
