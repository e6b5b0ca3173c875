//! IMAP client side: transport, STARTTLS prelude, session and UID sets.

pub mod net;
pub mod raw;
pub mod session;
pub mod starttls;
pub mod uidset;
