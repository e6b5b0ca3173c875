//! The error type shared by every testkit operation.

use std::fmt;

/// Result alias used throughout the testkit.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong while driving a rig or an IMAP account.
#[derive(Debug)]
pub enum Error {
    /// Local I/O (files, processes, sockets).
    Io(std::io::Error),
    /// The IMAP client or server reported a failure.
    Imap(Box<imap::Error>),
    /// The `dovecot-rig` script failed or produced an unusable environment.
    Rig(String),
    /// A folder name cannot be represented in the requested personality.
    Name(String),
    /// The server answered something the testkit did not expect.
    Protocol(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "i/o error: {e}"),
            Error::Imap(e) => write!(f, "imap error: {e}"),
            Error::Rig(m) => write!(f, "rig error: {m}"),
            Error::Name(m) => write!(f, "folder name error: {m}"),
            Error::Protocol(m) => write!(f, "unexpected server answer: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Imap(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<imap::Error> for Error {
    fn from(e: imap::Error) -> Self {
        Error::Imap(Box::new(e))
    }
}
