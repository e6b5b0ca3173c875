//! What one sync run must do: the two endpoints with their credentials and every selection,
//! deletion and flag option, independent of how it was asked for (NS8 task or imapsync flags).

use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// The fixed exclusion every NS8 task applies: Dovecot's shared and public namespaces.
pub const SHARED_PUBLIC_EXCLUSION: &str = "^Shared(/.*)?$|^Public(/.*)?$";

/// How the TCP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// No TLS at all.
    #[default]
    Plain,
    /// Plain connection upgraded with STARTTLS; fails when the server does not offer it.
    Starttls,
    /// TLS from the first byte (usually port 993).
    Tls,
}

/// One side of a sync: where to connect and how to log in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: Security,
    /// Verify the server certificate against the public web PKI roots.
    #[serde(default)]
    pub verify_tls: bool,
    /// The mailbox to open (for a master-user login, `user*master`).
    pub user: String,
    /// With SASL PLAIN: the identity that authenticates on behalf of `user`.
    #[serde(default)]
    pub auth_user: Option<String>,
    pub password: Secret,
    /// Seconds to wait for any read or connect before giving up.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
    /// Addresses of `host` resolved by whoever built the spec (a sandboxed worker cannot read
    /// the resolver's files); empty means the worker resolves `host` itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<std::net::SocketAddr>,
}

fn default_timeout() -> u32 {
    120
}

/// Everything a run needs besides the previous state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncSpec {
    pub host1: Endpoint,
    pub host2: Endpoint,
    #[serde(default)]
    pub select: Selection,
    #[serde(default)]
    pub actions: Actions,
    /// Parallel folder workers, each with one connection per side.
    #[serde(default = "default_connections")]
    pub connections: u8,
}

fn default_connections() -> u8 {
    3
}

/// Which host1 folders and messages take part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Selection {
    /// Explicit host1 folders; empty means every folder.
    #[serde(default)]
    pub folders: Vec<String>,
    /// Unanchored regexes on host1 folder names; a match excludes the folder. Empty entries are
    /// ignored.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Raw IMAP SEARCH criteria for host1 messages (e.g. `UNSEEN`).
    #[serde(default)]
    pub search1: Option<String>,
    /// Only host1 messages younger than this many days.
    #[serde(default)]
    pub max_age_days: Option<f64>,
    /// Only host1 messages older than this many days.
    #[serde(default)]
    pub min_age_days: Option<f64>,
}

/// What the run changes besides copying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actions {
    /// Propagate host1 flag changes to messages already copied (three-way merge).
    #[serde(default = "yes")]
    pub resync_flags: bool,
    /// Set `\Seen` on the host1 message once it is safely on host2.
    #[serde(default)]
    pub set_seen_on_host1: bool,
    /// Run `FILTER SIEVE DELIVERY` on host2 over the messages copied into INBOX.
    #[serde(default)]
    pub sieve_delivery: bool,
    /// Delete host2 messages that host1 lacks (`--delete2`).
    #[serde(default)]
    pub delete_host2_messages: bool,
    /// Delete host2 folders that host1 lacks (`--delete2folders`).
    #[serde(default)]
    pub delete_host2_folders: bool,
    /// Delete host1 messages once they are verified on host2 (`--delete1`).
    #[serde(default)]
    pub delete_host1: bool,
    /// Delete host1 messages older than this many days once they are on host2.
    #[serde(default)]
    pub delete_host1_older_days: Option<u32>,
    /// Compute and report, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

fn yes() -> bool {
    true
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            resync_flags: true,
            set_seen_on_host1: false,
            sieve_delivery: false,
            delete_host2_messages: false,
            delete_host2_folders: false,
            delete_host1: false,
            delete_host1_older_days: None,
            dry_run: false,
        }
    }
}

impl Selection {
    /// The exclusion regexes that actually apply: empty entries dropped (an empty alternative
    /// would match every folder).
    pub fn effective_excludes(&self) -> impl Iterator<Item = &str> {
        self.exclude
            .iter()
            .map(|s| s.as_str())
            .filter(|s| !s.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_exclusions_are_ignored() {
        let sel = Selection {
            exclude: vec!["Junk".into(), "".into(), "  ".into(), "^Trash$".into()],
            ..Selection::default()
        };
        assert_eq!(
            sel.effective_excludes().collect::<Vec<_>>(),
            ["Junk", "^Trash$"]
        );
    }

    #[test]
    fn defaults_resync_flags_and_change_nothing_else() {
        let a: Actions = serde_json::from_str("{}").unwrap();
        assert!(a.resync_flags);
        assert!(!a.delete_host1 && !a.delete_host2_messages && !a.dry_run);
    }
}
