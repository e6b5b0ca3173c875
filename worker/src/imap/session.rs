//! One logged-in IMAP connection and the commands the engine needs, with errors classified the
//! way imapsync reports them (connection, TLS, authentication, per-command failures).

use super::net::{self, AbortHandle, NetError, Stream};
use super::raw::{personal_namespace, AppendItem, FetchItem, RawChannel, RawError};
use super::uidset;
use chrono::{DateTime, FixedOffset};
use imap_proto::types::{Capability, NameAttribute};
use protocol::rpc::LoginErrorKind;
use protocol::spec::{Endpoint, Security};
use protocol::state::FolderStatus;
use std::collections::HashSet;
use std::time::Duration;

/// Which side a connection talks to; it decides the exit code of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Host1,
    Host2,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Side::Host1 => "Host1",
            Side::Host2 => "Host2",
        }
    }
}

/// A failure to open or use a connection.
#[derive(Debug, thiserror::Error)]
#[error("{side_label}: {message}")]
pub struct ImapError {
    pub side: Side,
    side_label: &'static str,
    pub kind: ErrorKind,
    pub message: String,
}

/// What went wrong, coarse enough to pick an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Unreachable,
    Tls,
    StarttlsNotOffered,
    BadCredentials,
    /// The connection broke or timed out after login.
    ConnectionLost,
    /// The server answered NO/BAD to a command.
    Refused,
    Protocol,
}

impl ErrorKind {
    /// The structured kind reported by a login check.
    pub fn login_kind(self) -> LoginErrorKind {
        match self {
            ErrorKind::Unreachable | ErrorKind::ConnectionLost => LoginErrorKind::Unreachable,
            ErrorKind::Tls => LoginErrorKind::Tls,
            ErrorKind::StarttlsNotOffered => LoginErrorKind::StarttlsNotOffered,
            ErrorKind::BadCredentials => LoginErrorKind::BadCredentials,
            ErrorKind::Refused | ErrorKind::Protocol => LoginErrorKind::Protocol,
        }
    }
}

impl ImapError {
    pub fn new(side: Side, kind: ErrorKind, message: impl Into<String>) -> Self {
        ImapError {
            side,
            side_label: side.label(),
            kind,
            message: message.into(),
        }
    }

    fn from_imap(side: Side, err: imap::Error, doing: &str) -> Self {
        let kind = match &err {
            imap::Error::Io(_) | imap::Error::ConnectionLost => ErrorKind::ConnectionLost,
            imap::Error::No(_) | imap::Error::Bad(_) => ErrorKind::Refused,
            imap::Error::Bye(_) => ErrorKind::ConnectionLost,
            _ => ErrorKind::Protocol,
        };
        let text = match &err {
            imap::Error::Io(io) => describe_io(io),
            other => other.to_string(),
        };
        ImapError::new(side, kind, format!("{doing}: {text}"))
    }

    /// True when the connection itself is unusable (reconnect rather than skip).
    pub fn is_connection(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::ConnectionLost | ErrorKind::Unreachable
        )
    }
}

/// Personal namespace of a server: prefix (e.g. `INBOX.`) and hierarchy separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub prefix: String,
    pub separator: char,
}

/// A folder as listed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFolder {
    /// The name exactly as the server spells it (modified UTF-7).
    pub raw: String,
    pub selectable: bool,
    pub special_use: Option<&'static str>,
}

/// Metadata of one message, without its body.
#[derive(Debug, Clone)]
pub struct MessageMeta {
    pub uid: u32,
    pub size: u32,
    pub flags: Vec<String>,
    pub internal_date: Option<DateTime<FixedOffset>>,
    /// The identification header lines (Message-Id, Received), when asked for.
    pub header: Option<Vec<u8>>,
}

/// A whole message, ready to append.
#[derive(Debug, Clone)]
pub struct FullMessage {
    pub uid: u32,
    pub flags: Vec<String>,
    pub internal_date: Option<DateTime<FixedOffset>>,
    pub raw: Vec<u8>,
}

/// A logged-in connection.
pub struct Connection {
    session: imap::Session<Stream>,
    raw: RawChannel,
    side: Side,
    capabilities: HashSet<String>,
    abort: AbortHandle,
    pub namespace: Namespace,
    selected: Option<String>,
    /// The folder list read while discovering the namespace, handed out once.
    listed: Option<Vec<ListedFolder>>,
}

struct PlainAuth<'a> {
    authzid: &'a str,
    authcid: &'a str,
    password: &'a str,
}

impl imap::Authenticator for PlainAuth<'_> {
    type Response = Vec<u8>;
    fn process(&self, _challenge: &[u8]) -> Vec<u8> {
        format!("{}\0{}\0{}", self.authzid, self.authcid, self.password).into_bytes()
    }
}

impl Connection {
    /// Connects, secures, logs in and learns the capabilities and namespace.
    pub fn open(endpoint: &Endpoint, side: Side) -> Result<Connection, ImapError> {
        let timeout = Duration::from_secs(u64::from(endpoint.timeout_secs.max(1)));
        let tcp = net::connect_tcp(&endpoint.host, endpoint.port, &endpoint.addresses, timeout)
            .map_err(|e| net_error(side, e))?;
        let abort = net::abort_handle(&tcp)
            .map_err(|e| ImapError::new(side, ErrorKind::Unreachable, e.to_string()))?;
        let (client, stream) = match endpoint.security {
            Security::Tls => {
                let stream = net::start_tls(tcp, &endpoint.host, endpoint.verify_tls)
                    .map_err(|e| net_error(side, e))?;
                (greeted(imap::Client::new(stream.clone()), side)?, stream)
            }
            Security::Plain => {
                let stream = Stream::plain(tcp);
                (greeted(imap::Client::new(stream.clone()), side)?, stream)
            }
            Security::Starttls => starttls(tcp, endpoint, side)?,
        };
        let session = login(client, endpoint, side)?;
        let mut conn = Connection {
            session,
            raw: RawChannel::new(stream),
            side,
            capabilities: HashSet::new(),
            abort,
            namespace: Namespace {
                prefix: String::new(),
                separator: '/',
            },
            selected: None,
            listed: None,
        };
        conn.capabilities = conn.fetch_capabilities()?;
        conn.namespace = conn.discover_namespace()?;
        Ok(conn)
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// A handle that breaks this connection from another thread (cancellation).
    pub fn abort_handle(&self) -> &AbortHandle {
        &self.abort
    }

    /// The number of a `NAME=value` capability, e.g. `APPENDLIMIT=35882577`.
    pub fn capability_value(&self, name: &str) -> Option<u64> {
        let prefix = format!("{}=", name.to_ascii_uppercase());
        self.capabilities
            .iter()
            .find_map(|c| c.strip_prefix(&prefix).and_then(|v| v.parse().ok()))
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.contains(&name.to_ascii_uppercase())
    }

    fn err(&self, err: imap::Error, doing: &str) -> ImapError {
        ImapError::from_imap(self.side, err, doing)
    }

    fn fetch_capabilities(&mut self) -> Result<HashSet<String>, ImapError> {
        let caps = self
            .session
            .capabilities()
            .map_err(|e| ImapError::from_imap(self.side, e, "CAPABILITY"))?;
        Ok(caps.iter().map(capability_name).collect())
    }

    /// The personal namespace from NAMESPACE; without it (or without a usable reply), the
    /// separator from `LIST "" ""` and the prefix guessed like imapsync does: `INBOX<sep>`
    /// when every other folder lives under it.
    fn discover_namespace(&mut self) -> Result<Namespace, ImapError> {
        let listed = self.list_from_server()?;
        let announced = if self.has_capability("NAMESPACE") {
            let replies = self
                .raw
                .command("NAMESPACE")
                .map_err(|e| self.raw_err(e, "NAMESPACE"))?;
            replies.iter().find_map(|r| personal_namespace(r))
        } else {
            None
        };
        let namespace = match announced {
            Some((prefix, Some(separator))) => Namespace { prefix, separator },
            Some((prefix, None)) => Namespace {
                prefix,
                separator: '/',
            },
            None => {
                let root = self
                    .session
                    .list(Some(""), None)
                    .map_err(|e| self.err(e, "LIST"))?;
                let separator = root
                    .iter()
                    .find_map(|n| n.delimiter().and_then(|d| d.chars().next()))
                    .unwrap_or('/');
                let names: Vec<&str> = listed.iter().map(|f| f.raw.as_str()).collect();
                Namespace {
                    prefix: guess_prefix(&names, separator),
                    separator,
                }
            }
        };
        self.listed = Some(listed);
        Ok(namespace)
    }

    /// Every folder of the account (the list read at login the first time).
    pub fn list_folders(&mut self) -> Result<Vec<ListedFolder>, ImapError> {
        match self.listed.take() {
            Some(listed) => Ok(listed),
            None => self.list_from_server(),
        }
    }

    fn list_from_server(&mut self) -> Result<Vec<ListedFolder>, ImapError> {
        let names = self
            .session
            .list(Some(""), Some("*"))
            .map_err(|e| self.err(e, "LIST"))?;
        Ok(names
            .iter()
            .map(|n| ListedFolder {
                raw: n.name().to_string(),
                selectable: !n
                    .attributes()
                    .iter()
                    .any(|a| matches!(a, NameAttribute::NoSelect))
                    && !n.attributes().iter().any(is_nonexistent),
                special_use: n.attributes().iter().find_map(special_use),
            })
            .collect())
    }

    /// Names of subscribed folders.
    pub fn subscribed(&mut self) -> Result<HashSet<String>, ImapError> {
        let names = self
            .session
            .lsub(Some(""), Some("*"))
            .map_err(|e| self.err(e, "LSUB"))?;
        Ok(names.iter().map(|n| n.name().to_string()).collect())
    }

    /// Counters and UIDVALIDITY of a folder without selecting it.
    pub fn status(&mut self, folder: &str) -> Result<(u32, FolderStatus), ImapError> {
        let items = if self.has_capability("CONDSTORE") {
            "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
        } else {
            "(MESSAGES UIDNEXT UIDVALIDITY)"
        };
        let mb = self
            .session
            .status(folder, items)
            .map_err(|e| self.err(e, &format!("STATUS {folder}")))?;
        Ok((
            mb.uid_validity.unwrap_or(0),
            FolderStatus {
                uidnext: mb.uid_next.unwrap_or(0),
                messages: mb.exists,
                highestmodseq: mb.highest_mod_seq.unwrap_or(0),
            },
        ))
    }

    /// Selects a folder read-write (only when not already selected).
    pub fn select(&mut self, folder: &str) -> Result<(), ImapError> {
        if self.selected.as_deref() == Some(folder) {
            return Ok(());
        }
        self.selected = None;
        self.session
            .select(folder)
            .map_err(|e| self.err(e, &format!("SELECT {folder}")))?;
        self.selected = Some(folder.to_string());
        Ok(())
    }

    /// Opens a folder read-only (sizes, checks).
    pub fn examine(&mut self, folder: &str) -> Result<(), ImapError> {
        self.selected = None;
        self.session
            .examine(folder)
            .map_err(|e| self.err(e, &format!("EXAMINE {folder}")))?;
        Ok(())
    }

    /// UIDs matching `criteria` in the selected folder, ascending.
    pub fn uid_search(&mut self, criteria: &str) -> Result<Vec<u32>, ImapError> {
        let found = self
            .session
            .uid_search(criteria)
            .map_err(|e| self.err(e, &format!("UID SEARCH {criteria}")))?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        self.drain();
        Ok(uids)
    }

    fn raw_err(&self, err: RawError, doing: &str) -> ImapError {
        let (kind, text) = match &err {
            RawError::Io(io) => (ErrorKind::ConnectionLost, describe_io(io)),
            RawError::Refused(_) => (ErrorKind::Refused, err.to_string()),
            RawError::Protocol(_) => (ErrorKind::Protocol, err.to_string()),
        };
        ImapError::new(self.side, kind, format!("{doing}: {text}"))
    }

    /// `UID FETCH` on the bulk path, in chunks of `chunk` UIDs.
    fn raw_fetch(
        &mut self,
        uids: &[u32],
        chunk: usize,
        items: &str,
        doing: &str,
    ) -> Result<Vec<FetchItem>, ImapError> {
        let mut out = Vec::with_capacity(uids.len());
        for part in uids.chunks(chunk) {
            let fetched = self
                .raw
                .uid_fetch(&uidset::format(part), items)
                .map_err(|e| self.raw_err(e, doing))?;
            out.extend(fetched);
        }
        Ok(out)
    }

    /// FLAGS, INTERNALDATE, size and optionally the identification headers of `uids`.
    pub fn fetch_meta(
        &mut self,
        uids: &[u32],
        headers: bool,
    ) -> Result<Vec<MessageMeta>, ImapError> {
        let items = if headers {
            "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID RECEIVED)])"
        } else {
            "(UID FLAGS INTERNALDATE RFC822.SIZE)"
        };
        let fetched = self.raw_fetch(uids, 1000, items, "UID FETCH (meta)")?;
        Ok(fetched
            .into_iter()
            .map(|f| MessageMeta {
                uid: f.uid,
                size: f.size.unwrap_or(0),
                flags: f.flags,
                internal_date: f.internal_date.as_deref().and_then(parse_internal_date),
                header: if headers {
                    Some(f.body.unwrap_or_default())
                } else {
                    None
                },
            })
            .collect())
    }

    /// UID and size of every message in the selected folder from `first_uid` on.
    pub fn list_sizes(&mut self, first_uid: u32) -> Result<Vec<(u32, u32)>, ImapError> {
        let fetched = match self
            .raw
            .uid_fetch(&format!("{}:*", first_uid.max(1)), "(UID RFC822.SIZE)")
        {
            Ok(f) => f,
            Err(RawError::Refused(_)) => Vec::new(),
            Err(e) => return Err(self.raw_err(e, "UID FETCH (RFC822.SIZE)")),
        };
        let mut out: Vec<(u32, u32)> = fetched
            .into_iter()
            .filter(|f| f.uid >= first_uid)
            .map(|f| (f.uid, f.size.unwrap_or(0)))
            .collect();
        out.sort_unstable();
        out.dedup_by_key(|(uid, _)| *uid);
        Ok(out)
    }

    /// Whole header blocks of `uids` (signature fallback for messages without Message-Id).
    pub fn fetch_headers(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        let fetched = self.raw_fetch(uids, 500, "(UID BODY.PEEK[HEADER])", "UID FETCH (HEADER)")?;
        Ok(fetched
            .into_iter()
            .map(|f| (f.uid, f.body.unwrap_or_default()))
            .collect())
    }

    /// Flags of messages changed since `modseq` (CONDSTORE), or of all `uids` without it.
    pub fn fetch_flags_changed(
        &mut self,
        uids: &[u32],
        since_modseq: Option<u64>,
    ) -> Result<Vec<(u32, Vec<String>)>, ImapError> {
        let items = match since_modseq {
            Some(m) if self.has_capability("CONDSTORE") => {
                format!("(UID FLAGS) (CHANGEDSINCE {m})")
            }
            _ => "(UID FLAGS)".to_string(),
        };
        let fetched = self.raw_fetch(uids, 5000, &items, "UID FETCH (FLAGS)")?;
        Ok(fetched.into_iter().map(|f| (f.uid, f.flags)).collect())
    }

    /// Whole messages, in one round trip, bodies read straight into their buffers, added to
    /// `received` as each arrives: on an error, `received` keeps the messages that arrived
    /// whole before it.
    pub fn fetch_full(
        &mut self,
        uids: &[u32],
        received: &mut Vec<FullMessage>,
    ) -> Result<(), ImapError> {
        self.raw
            .uid_fetch_each(
                &uidset::format(uids),
                "(UID FLAGS INTERNALDATE BODY.PEEK[])",
                &mut |item| {
                    if let Some(raw) = item.body {
                        received.push(FullMessage {
                            uid: item.uid,
                            internal_date: item
                                .internal_date
                                .as_deref()
                                .and_then(parse_internal_date),
                            flags: item.flags,
                            raw,
                        });
                    }
                },
            )
            .map_err(|e| self.raw_err(e, "UID FETCH (BODY)"))
    }

    /// True when several messages can be appended in one command.
    pub fn supports_multiappend(&self) -> bool {
        self.has_capability("MULTIAPPEND")
    }

    /// Appends messages in one command (MULTIAPPEND when more than one; the caller checks
    /// [`Self::supports_multiappend`]), with LITERAL+ when offered. Returns the new UIDs in
    /// order when the server reports them (UIDPLUS), else an empty list. All or nothing: on
    /// an error no message of the batch was appended.
    pub fn append_batch(
        &mut self,
        folder: &str,
        messages: &[AppendItem<'_>],
    ) -> Result<Vec<u32>, ImapError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let literal_plus = self.has_capability("LITERAL+");
        self.raw
            .append(folder, messages, literal_plus)
            .map_err(|e| self.raw_err(e, &format!("APPEND {folder}")))
    }

    /// Expunges exactly `uids` among the `\Deleted` messages of the selected folder; without
    /// UIDPLUS nothing is expunged (a plain EXPUNGE would take the user's own deletions too).
    pub fn expunge_uids(&mut self, uids: &[u32]) -> Result<bool, ImapError> {
        if uids.is_empty() || !self.has_capability("UIDPLUS") {
            return Ok(false);
        }
        for chunk in uids.chunks(1000) {
            self.session
                .uid_expunge(uidset::format(chunk))
                .map_err(|e| self.err(e, "UID EXPUNGE"))?;
            self.drain();
        }
        Ok(true)
    }

    /// Runs a command the `imap` crate cannot parse the reply of; the reply is ignored.
    pub fn raw_command(&mut self, command: &str) -> Result<(), ImapError> {
        self.raw
            .command(command)
            .map(drop)
            .map_err(|e| self.raw_err(e, command))
    }

    /// Adds or removes flags on messages of the selected folder.
    pub fn store(&mut self, uids: &[u32], op: char, flags: &[String]) -> Result<(), ImapError> {
        if uids.is_empty() || flags.is_empty() {
            return Ok(());
        }
        let query = format!("{op}FLAGS.SILENT ({})", flags.join(" "));
        for chunk in uids.chunks(1000) {
            self.session
                .uid_store(uidset::format(chunk), &query)
                .map_err(|e| self.err(e, "UID STORE"))?;
            self.drain();
        }
        Ok(())
    }

    /// Marks `uids` deleted and expunges exactly them (UIDPLUS), or the folder without it.
    pub fn delete_messages(&mut self, uids: &[u32]) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        self.store(uids, '+', &["\\Deleted".to_string()])?;
        if !self.expunge_uids(uids)? {
            self.session.expunge().map_err(|e| self.err(e, "EXPUNGE"))?;
            self.drain();
        }
        Ok(())
    }

    pub fn create(&mut self, folder: &str) -> Result<(), ImapError> {
        self.session
            .create(folder)
            .map_err(|e| self.err(e, &format!("CREATE {folder}")))
    }

    pub fn subscribe(&mut self, folder: &str) -> Result<(), ImapError> {
        self.session
            .subscribe(folder)
            .map_err(|e| self.err(e, &format!("SUBSCRIBE {folder}")))
    }

    pub fn delete_folder(&mut self, folder: &str) -> Result<(), ImapError> {
        if self.selected.as_deref() == Some(folder) {
            self.unselect()?;
        }
        self.session
            .delete(folder)
            .map_err(|e| self.err(e, &format!("DELETE {folder}")))
    }

    fn unselect(&mut self) -> Result<(), ImapError> {
        self.selected = None;
        self.session.close().map_err(|e| self.err(e, "CLOSE"))
    }

    /// Polite end of the session; errors are irrelevant at this point.
    pub fn logout(mut self) {
        let _ = self.session.logout();
    }

    /// Drops unsolicited responses so they never pile up.
    fn drain(&mut self) {
        self.session.take_all_unsolicited().for_each(drop);
    }
}

fn net_error(side: Side, err: NetError) -> ImapError {
    match err {
        NetError::Connect { .. } => ImapError::new(side, ErrorKind::Unreachable, err.to_string()),
        NetError::Tls { .. } => ImapError::new(side, ErrorKind::Tls, err.to_string()),
        NetError::Handshake { .. } => ImapError::new(side, ErrorKind::Unreachable, err.to_string()),
    }
}

/// An I/O error in words; a read timeout (EAGAIN on a socket with a timeout) says so.
fn describe_io(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            "timed out waiting for the server".to_string()
        }
        _ => err.to_string(),
    }
}

fn greeted(
    mut client: imap::Client<Stream>,
    side: Side,
) -> Result<imap::Client<Stream>, ImapError> {
    client.read_greeting().map_err(|e| {
        let text = match &e {
            imap::Error::Io(io) => describe_io(io),
            other => other.to_string(),
        };
        ImapError::new(
            side,
            ErrorKind::Unreachable,
            format!("no IMAP greeting: {text}"),
        )
    })?;
    Ok(client)
}

fn starttls(
    tcp: std::net::TcpStream,
    endpoint: &Endpoint,
    side: Side,
) -> Result<(imap::Client<Stream>, Stream), ImapError> {
    let tcp = super::starttls::negotiate(tcp).map_err(|e| {
        let kind = match e {
            super::starttls::StarttlsError::NotOffered => ErrorKind::StarttlsNotOffered,
            super::starttls::StarttlsError::Io(_) => ErrorKind::Unreachable,
            super::starttls::StarttlsError::Refused(_) => ErrorKind::Tls,
        };
        ImapError::new(
            side,
            kind,
            format!("{}:{}: {e}", endpoint.host, endpoint.port),
        )
    })?;
    let stream =
        net::start_tls(tcp, &endpoint.host, endpoint.verify_tls).map_err(|e| net_error(side, e))?;
    let mut client = imap::Client::new(stream.clone());
    client.greeting_read = true;
    Ok((client, stream))
}

fn login(
    client: imap::Client<Stream>,
    endpoint: &Endpoint,
    side: Side,
) -> Result<imap::Session<Stream>, ImapError> {
    let password = endpoint.password.expose();
    let result = match &endpoint.auth_user {
        Some(auth_user) => client
            .authenticate(
                "PLAIN",
                &PlainAuth {
                    authzid: &endpoint.user,
                    authcid: auth_user,
                    password,
                },
            )
            .map_err(|(e, _)| e),
        None => client.login(&endpoint.user, password).map_err(|(e, _)| e),
    };
    result.map_err(|e| {
        let kind = match e {
            imap::Error::No(_) | imap::Error::Bad(_) => ErrorKind::BadCredentials,
            imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_) => {
                ErrorKind::ConnectionLost
            }
            _ => ErrorKind::Protocol,
        };
        ImapError::new(
            side,
            kind,
            format!("login as {} failed: {}", endpoint.user, login_reason(&e)),
        )
    })
}

fn login_reason(err: &imap::Error) -> String {
    match err {
        imap::Error::No(no) => no.information.clone(),
        imap::Error::Bad(bad) => bad.information.clone(),
        other => other.to_string(),
    }
}

/// The upper-case name of a capability (`AUTH=PLAIN` for mechanisms).
fn capability_name(cap: &Capability<'_>) -> String {
    match cap {
        Capability::Imap4rev1 => "IMAP4REV1".to_string(),
        Capability::Auth(mech) => format!("AUTH={}", mech.to_ascii_uppercase()),
        Capability::Atom(atom) => atom.to_ascii_uppercase(),
    }
}

fn is_nonexistent(attr: &NameAttribute<'_>) -> bool {
    matches!(attr, NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent"))
}

fn special_use(attr: &NameAttribute<'_>) -> Option<&'static str> {
    match attr {
        NameAttribute::All => Some("\\All"),
        NameAttribute::Archive => Some("\\Archive"),
        NameAttribute::Drafts => Some("\\Drafts"),
        NameAttribute::Flagged => Some("\\Flagged"),
        NameAttribute::Junk => Some("\\Junk"),
        NameAttribute::Sent => Some("\\Sent"),
        NameAttribute::Trash => Some("\\Trash"),
        _ => None,
    }
}

/// Parses an IMAP date-time (`01-Jan-2020 10:00:00 +0100`, day possibly space-padded).
fn parse_internal_date(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(text.trim_start(), "%d-%b-%Y %H:%M:%S %z").ok()
}

/// `INBOX<sep>` when at least one folder besides INBOX exists and all of them are below
/// INBOX (Courier, Cyrus, Dovecot with an `INBOX.` namespace); empty otherwise.
pub fn guess_prefix(names: &[&str], separator: char) -> String {
    let prefix = format!("INBOX{separator}");
    let others: Vec<&&str> = names
        .iter()
        .filter(|n| !n.eq_ignore_ascii_case("INBOX"))
        .collect();
    if !others.is_empty() && others.iter().all(|n| n.starts_with(&prefix)) {
        prefix
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_guessed_from_the_folder_list() {
        assert_eq!(
            guess_prefix(&["INBOX", "INBOX.Sent", "INBOX.a.b"], '.'),
            "INBOX."
        );
        assert_eq!(guess_prefix(&["INBOX", "Sent", "INBOX/x"], '/'), "");
        assert_eq!(guess_prefix(&["INBOX"], '.'), "");
    }
}
