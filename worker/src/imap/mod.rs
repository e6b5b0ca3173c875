//! IMAP client side: transport, STARTTLS prelude, session, UID sets and the modified UTF-7
//! codec of mailbox names.

pub mod mutf7;
pub mod net;
pub mod raw;
pub mod session;
pub mod starttls;
pub mod uidset;
