//! Account handles and the mapping between logical folder names and server names.
//!
//! Tests speak about folders with UTF-8 "logical" names using `/` as separator
//! (`Archive/2020/Q1`, `INBOX`). Each server personality stores them differently:
//! the NS8-like main personality keeps them as they are, the Courier-like dot
//! personality puts them below `INBOX.` and separates levels with `.`. On the wire
//! every name is encoded in modified UTF-7.

use std::fmt;
use std::str::FromStr;

use crate::client::TestImap;
use crate::error::{Error, Result};

/// The name INBOX has on every server, whatever the personality.
pub const INBOX: &str = "INBOX";

/// How a server lays out its folder hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Personality {
    /// NS8-like: separator `/`, no prefix.
    Main,
    /// Courier/Cyrus-like: separator `.`, prefix `INBOX.`.
    Dot,
}

impl Personality {
    /// Hierarchy separator used by the server.
    pub fn separator(self) -> char {
        match self {
            Personality::Main => '/',
            Personality::Dot => '.',
        }
    }

    /// Namespace prefix of personal folders other than INBOX.
    pub fn prefix(self) -> &'static str {
        match self {
            Personality::Main => "",
            Personality::Dot => "INBOX.",
        }
    }

    /// Server (modified UTF-7) name of a logical folder name.
    pub fn server_name(self, logical: &str) -> Result<String> {
        let components = logical_components(logical)?;
        if components.len() == 1 && components[0].eq_ignore_ascii_case(INBOX) {
            return Ok(INBOX.to_string());
        }
        self.check_components(logical, &components)?;
        let joined = components.join(&self.separator().to_string());
        Ok(utf7_imap::encode_utf7_imap(format!(
            "{}{joined}",
            self.prefix()
        )))
    }

    /// Logical name of a folder as the server lists it.
    pub fn logical_name(self, server: &str) -> String {
        let decoded = utf7_imap::decode_utf7_imap(server.to_string());
        if decoded.eq_ignore_ascii_case(INBOX) {
            return INBOX.to_string();
        }
        match self {
            Personality::Main => decoded,
            Personality::Dot => decoded
                .strip_prefix(self.prefix())
                .unwrap_or(&decoded)
                .replace('.', "/"),
        }
    }

    fn check_components(self, logical: &str, components: &[&str]) -> Result<()> {
        let separator = self.separator();
        if components.iter().any(|c| c.contains(separator)) {
            return Err(Error::Name(format!(
                "{logical:?} has a component containing {separator:?}, the {self} separator"
            )));
        }
        Ok(())
    }
}

impl fmt::Display for Personality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Personality::Main => "main",
            Personality::Dot => "dot",
        })
    }
}

impl FromStr for Personality {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "main" => Ok(Personality::Main),
            "dot" => Ok(Personality::Dot),
            other => Err(Error::Name(format!(
                "unknown personality {other:?} (main or dot)"
            ))),
        }
    }
}

/// Splits a logical name on `/`, rejecting empty levels and line breaks.
fn logical_components(logical: &str) -> Result<Vec<&str>> {
    let components: Vec<&str> = logical.split('/').collect();
    if components.iter().any(|c| c.is_empty()) {
        return Err(Error::Name(format!("{logical:?} has an empty level")));
    }
    if logical.contains(['\r', '\n']) {
        return Err(Error::Name(format!("{logical:?} contains a line break")));
    }
    Ok(components)
}

/// The logical names of a folder's ancestors, outermost first (`a/b/c` gives `a`, `a/b`).
pub fn ancestors(logical: &str) -> Vec<String> {
    logical
        .match_indices('/')
        .map(|(i, _)| logical[..i].to_string())
        .collect()
}

/// Where and as whom to log in to an IMAP server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Server address, e.g. `127.0.0.1`.
    pub host: String,
    /// Plain IMAP port.
    pub port: u16,
    /// Folder layout of the server.
    pub personality: Personality,
    /// Login name (`user1`, or `user1*vmail` for a master login).
    pub user: String,
    /// Login password.
    pub password: String,
}

impl Account {
    /// Builds an account handle.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        personality: Personality,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Account {
            host: host.into(),
            port,
            personality,
            user: user.into(),
            password: password.into(),
        }
    }

    /// Opens a logged-in plain-TCP session.
    pub fn connect(&self) -> Result<TestImap> {
        TestImap::connect(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_names_keep_slashes_and_encode_utf7() {
        let main = Personality::Main;
        assert_eq!(
            main.server_name("Archive/2020/Q1").unwrap(),
            "Archive/2020/Q1"
        );
        assert_eq!(
            main.server_name("Données/Été").unwrap(),
            "Donn&AOk-es/&AMk-t&AOk-"
        );
        assert_eq!(main.server_name("inbox").unwrap(), "INBOX");
        assert_eq!(main.logical_name("Donn&AOk-es/&AMk-t&AOk-"), "Données/Été");
    }

    #[test]
    fn dot_names_get_prefix_and_dots() {
        let dot = Personality::Dot;
        assert_eq!(dot.server_name("INBOX").unwrap(), "INBOX");
        assert_eq!(
            dot.server_name("Archive/2020/Q1").unwrap(),
            "INBOX.Archive.2020.Q1"
        );
        assert_eq!(dot.server_name("日本語").unwrap(), "INBOX.&ZeVnLIqe-");
        assert_eq!(dot.logical_name("INBOX.Archive.2020.Q1"), "Archive/2020/Q1");
        assert_eq!(dot.logical_name("INBOX"), "INBOX");
    }

    #[test]
    fn invalid_names_are_rejected() {
        assert!(Personality::Dot.server_name("v1.2").is_err());
        assert!(Personality::Main.server_name("a//b").is_err());
        assert!(Personality::Main.server_name("").is_err());
    }

    #[test]
    fn ancestors_are_outermost_first() {
        assert_eq!(ancestors("a/b/c"), vec!["a", "a/b"]);
        assert!(ancestors("a").is_empty());
    }
}
