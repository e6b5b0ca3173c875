//! `TestImap`: a small blocking IMAP client for preparing and inspecting test accounts.
//!
//! Every method takes logical folder names (see [`crate::account`]) and maps them to the
//! account's personality. It is deliberately simple: plain TCP, one command at a time,
//! with a second raw connection (opened on demand) for FILTER and body fetches.

use std::collections::BTreeSet;
use std::net::TcpStream;

use chrono::{DateTime, FixedOffset};
use imap::types::Flag;
use imap_proto::{Capability, NameAttribute, UidSetMember};

use crate::account::{ancestors, Account, Personality, INBOX};
use crate::error::{Error, Result};
use crate::fetch::{parse_fetch, Fetched};
use crate::raw::{quote, RawImap};
use crate::snapshot::MessageRecord;

/// Upper bound of message bytes fetched by one FETCH while taking records.
const FETCH_BATCH_BYTES: u64 = 16 << 20;

/// What a flag STORE does with the given flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagAction {
    /// `+FLAGS`
    Add,
    /// `-FLAGS`
    Remove,
    /// `FLAGS`
    Replace,
}

impl FlagAction {
    fn item(self) -> &'static str {
        match self {
            FlagAction::Add => "+FLAGS.SILENT",
            FlagAction::Remove => "-FLAGS.SILENT",
            FlagAction::Replace => "FLAGS.SILENT",
        }
    }
}

/// CAPABILITY announced before login on a plain connection (upper-cased).
pub fn probe_capabilities(host: &str, port: u16) -> Result<Vec<String>> {
    let mut client = imap::Client::new(TcpStream::connect((host, port))?);
    client.read_greeting()?;
    let caps = client.capabilities()?;
    Ok(caps.iter().map(capability_name).collect())
}

/// A logged-in IMAP session on one account.
pub struct TestImap {
    session: imap::Session<TcpStream>,
    account: Account,
    selected: Option<String>,
    raw: Option<RawImap>,
}

impl TestImap {
    /// Connects over plain TCP and logs in.
    pub fn connect(account: &Account) -> Result<Self> {
        let stream = TcpStream::connect((account.host.as_str(), account.port))?;
        stream.set_nodelay(true)?;
        let mut client = imap::Client::new(stream);
        client.read_greeting()?;
        let session = client
            .login(&account.user, &account.password)
            .map_err(|(e, _)| e)?;
        Ok(TestImap {
            session,
            account: account.clone(),
            selected: None,
            raw: None,
        })
    }

    /// Folder layout of the server this session talks to.
    pub fn personality(&self) -> Personality {
        self.account.personality
    }

    /// The underlying `imap` session, for commands this client does not wrap.
    pub fn session(&mut self) -> &mut imap::Session<TcpStream> {
        &mut self.session
    }

    /// Current CAPABILITY list (upper-cased).
    pub fn capabilities(&mut self) -> Result<Vec<String>> {
        let caps = self.session.capabilities()?;
        Ok(caps.iter().map(capability_name).collect())
    }

    /// Logical names of all selectable folders, sorted.
    pub fn list_folders(&mut self) -> Result<Vec<String>> {
        let names = self.session.list(Some(""), Some("*"))?;
        let mut folders: Vec<String> = names
            .iter()
            .filter(|n| is_selectable(n.attributes()))
            .map(|n| self.account.personality.logical_name(n.name()))
            .collect();
        folders.sort();
        Ok(folders)
    }

    /// Creates a folder and any missing ancestor; existing folders are left alone.
    pub fn create_folder(&mut self, logical: &str) -> Result<()> {
        let mut existing: BTreeSet<String> = self.list_folders()?.into_iter().collect();
        self.create_missing(logical, &mut existing)
    }

    /// Creates every folder of `logical`'s path missing from `existing`, recording it there.
    pub(crate) fn create_missing(
        &mut self,
        logical: &str,
        existing: &mut BTreeSet<String>,
    ) -> Result<()> {
        let mut path = ancestors(logical);
        path.push(logical.to_string());
        for folder in path {
            if !folder.eq_ignore_ascii_case(INBOX) && !existing.contains(&folder) {
                let name = self.personality().server_name(&folder)?;
                self.session.create(&name)?;
                existing.insert(folder);
            }
        }
        Ok(())
    }

    /// Deletes a folder (not its children).
    pub fn delete_folder(&mut self, logical: &str) -> Result<()> {
        if self.selected.as_deref() == Some(logical) {
            self.session.run_command_and_check_ok("UNSELECT")?;
            self.selected = None;
        }
        let name = self.personality().server_name(logical)?;
        self.session.delete(&name)?;
        Ok(())
    }

    /// Appends a message with flags and INTERNALDATE; returns its UID when the server says it.
    pub fn append(
        &mut self,
        logical: &str,
        raw: &[u8],
        flags: &[String],
        internal_date: DateTime<FixedOffset>,
    ) -> Result<Option<u32>> {
        let name = quoted_inner(&self.personality().server_name(logical)?);
        let appended = self
            .session
            .append(&name, raw)
            .flags(flags.iter().map(|f| Flag::from(f.as_str())))
            .internal_date(internal_date)
            .finish()?;
        Ok(appended.uids.and_then(|uids| match uids.first() {
            Some(UidSetMember::Uid(uid)) => Some(*uid),
            _ => None,
        }))
    }

    /// Number of messages in a folder (STATUS MESSAGES).
    pub fn count(&mut self, logical: &str) -> Result<u32> {
        let name = self.personality().server_name(logical)?;
        let status = self.session.status(&name, "(MESSAGES)")?;
        Ok(status.exists)
    }

    /// UIDs of all messages in a folder, ascending.
    pub fn uids(&mut self, logical: &str) -> Result<Vec<u32>> {
        self.select(logical)?;
        let mut uids: Vec<u32> = self.session.uid_search("ALL")?.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Adds, removes or replaces flags on a UID set (e.g. `1:*`, `3,5`).
    pub fn store_flags(
        &mut self,
        logical: &str,
        uid_set: &str,
        action: FlagAction,
        flags: &[&str],
    ) -> Result<()> {
        self.select(logical)?;
        let query = format!("{} ({})", action.item(), flags.join(" "));
        self.session.uid_store(uid_set, query)?;
        Ok(())
    }

    /// Expunges the messages flagged `\Deleted` in a folder.
    pub fn expunge(&mut self, logical: &str) -> Result<()> {
        self.select(logical)?;
        self.session.expunge()?;
        Ok(())
    }

    /// Runs the user's delivery Sieve script on a UID set (`FILTER SIEVE DELIVERY UID`).
    ///
    /// Uses a second connection, as the `imap` crate cannot parse FILTERED responses.
    /// Fails when the server reports errors for any message.
    pub fn filter_sieve(&mut self, logical: &str, uid_set: &str) -> Result<()> {
        let name = self.personality().server_name(logical)?;
        let raw = self.raw()?;
        raw.command(&format!("SELECT {}", quote(&name)))?;
        let text = raw.command(&format!("FILTER SIEVE DELIVERY UID {uid_set}"))?;
        if text.contains(" ERRORS ") {
            return Err(Error::Protocol(format!("FILTER reported errors: {text}")));
        }
        Ok(())
    }

    /// Content digest, size, flags and date of every message in a folder, sorted.
    ///
    /// Bodies are fetched over a second, raw connection in batches of bounded size;
    /// FETCH responses without the requested items (unsolicited flag updates) are skipped.
    pub fn records(&mut self, logical: &str) -> Result<Vec<MessageRecord>> {
        let name = self.personality().server_name(logical)?;
        let raw = self.raw()?;
        raw.command(&format!("EXAMINE {}", quote(&name)))?;
        let mut sizes: Vec<(u32, u64)> = fetch(raw, "UID FETCH 1:* (UID RFC822.SIZE)")?
            .into_iter()
            .filter_map(|f| Some((f.uid?, f.size?)))
            .collect();
        sizes.sort_unstable();
        let mut records = Vec::with_capacity(sizes.len());
        for (first, last) in batches(sizes) {
            let command = format!("UID FETCH {first}:{last} (UID FLAGS INTERNALDATE BODY.PEEK[])");
            for fetched in fetch(raw, &command)? {
                records.extend(record_of(fetched)?);
            }
        }
        records.sort();
        Ok(records)
    }

    /// Logs out politely (both connections).
    pub fn logout(mut self) -> Result<()> {
        if let Some(raw) = self.raw.as_mut() {
            raw.command("LOGOUT")?;
        }
        self.session.logout()?;
        Ok(())
    }

    /// The raw side connection, opened on first use.
    fn raw(&mut self) -> Result<&mut RawImap> {
        if self.raw.is_none() {
            self.raw = Some(RawImap::login(&self.account)?);
        }
        self.raw
            .as_mut()
            .ok_or_else(|| Error::Protocol("raw connection missing".into()))
    }

    fn select(&mut self, logical: &str) -> Result<()> {
        let name = self.personality().server_name(logical)?;
        self.selected = None;
        self.session.select(&name)?;
        self.selected = Some(logical.to_string());
        Ok(())
    }
}

fn capability_name(capability: &Capability<'_>) -> String {
    match capability {
        Capability::Imap4rev1 => "IMAP4REV1".to_string(),
        Capability::Auth(mechanism) => format!("AUTH={}", mechanism.to_uppercase()),
        Capability::Atom(atom) => atom.to_uppercase(),
    }
}

fn is_selectable(attributes: &[NameAttribute<'_>]) -> bool {
    !attributes.iter().any(|a| match a {
        NameAttribute::NoSelect => true,
        NameAttribute::Extension(ext) => ext.eq_ignore_ascii_case("\\NonExistent"),
        _ => false,
    })
}

/// Escapes a name for use inside double quotes (the `imap` crate's APPEND does not).
fn quoted_inner(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Groups UIDs into contiguous ranges of at most `FETCH_BATCH_BYTES` (one message minimum).
fn batches(sizes: Vec<(u32, u64)>) -> Vec<(u32, u32)> {
    let mut ranges = Vec::new();
    let mut current: Option<(u32, u32, u64)> = None;
    for (uid, size) in sizes {
        current = match current {
            Some((first, _, bytes)) if bytes + size <= FETCH_BATCH_BYTES => {
                Some((first, uid, bytes + size))
            }
            Some((first, last, _)) => {
                ranges.push((first, last));
                Some((uid, uid, size))
            }
            None => Some((uid, uid, size)),
        };
    }
    ranges.extend(current.map(|(first, last, _)| (first, last)));
    ranges
}

/// Runs a FETCH on the raw connection and parses its FETCH responses.
fn fetch(raw: &mut RawImap, command: &str) -> Result<Vec<Fetched>> {
    let mut fetched = Vec::new();
    for response in raw.command_responses(command)? {
        fetched.extend(parse_fetch(&response)?);
    }
    Ok(fetched)
}

/// The record of a body FETCH response; `None` for a response without body.
fn record_of(fetched: Fetched) -> Result<Option<MessageRecord>> {
    let Some(body) = fetched.body else {
        return Ok(None);
    };
    let date = fetched.internal_date.ok_or_else(|| {
        Error::Protocol(format!(
            "FETCH of UID {:?} without INTERNALDATE",
            fetched.uid
        ))
    })?;
    Ok(Some(MessageRecord::new(&body, fetched.flags, date)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_on_size() {
        let sizes = vec![
            (1, 10 << 20),
            (2, 5 << 20),
            (3, 5 << 20),
            (7, 40 << 20),
            (9, 1),
        ];
        assert_eq!(batches(sizes), vec![(1, 2), (3, 3), (7, 7), (9, 9)]);
        assert!(batches(Vec::new()).is_empty());
    }

    #[test]
    fn append_names_are_escaped() {
        assert_eq!(quoted_inner(r#"a"b\c"#), r#"a\"b\\c"#);
    }
}
