//! Deterministic message corpora and seeding them into an account.
//!
//! [`Corpus::edge_cases`] is the correctness corpus; [`Corpus::bulk`] is the benchmark
//! corpus. Both are generated from fixed seeds, so the same call always yields the
//! same bytes.

mod bulk;
mod edge;
mod mime;
mod rng;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use crate::account::{ancestors, Account, INBOX};
use crate::error::Result;
use crate::snapshot::{MessageRecord, Snapshot};
use mime::{base64_block, date_header, multipart_mixed, MessageBuilder};
use rng::Rng;

/// One message to put into an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusMessage {
    /// Logical folder name (UTF-8, `/` separator).
    pub folder: String,
    /// Full RFC 5322 bytes with CRLF line endings.
    pub raw: Vec<u8>,
    /// System flags and keywords to set on APPEND.
    pub flags: Vec<String>,
    /// INTERNALDATE to set on APPEND.
    pub internal_date: DateTime<FixedOffset>,
}

/// A list of messages with the folders they live in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corpus {
    /// The messages, in seeding order.
    pub messages: Vec<CorpusMessage>,
}

impl Corpus {
    /// About sixty messages covering awkward names, flags, dates and message shapes.
    ///
    /// Folders: INBOX, Sent, Drafts, Archive/2019, Archive/2020/Q1, Project Plans,
    /// Données/Été, 日本語 and Trash (plus the empty parents Archive, Archive/2020 and
    /// Données).
    pub fn edge_cases() -> Self {
        Corpus {
            messages: edge::edge_messages(),
        }
    }

    /// Adds one INBOX message of about `bytes` bytes (a base64 attachment).
    pub fn with_large(mut self, bytes: usize) -> Self {
        self.messages.push(large_message(bytes));
        self
    }

    /// `count` benchmark messages from `seed`, with `large_fraction` of them 1-5 MB.
    pub fn bulk(seed: u64, count: usize, large_fraction: f64) -> Self {
        Corpus {
            messages: bulk::bulk_messages(seed, count, large_fraction),
        }
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True when there is no message.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Sum of the raw message sizes.
    pub fn total_bytes(&self) -> u64 {
        self.messages.iter().map(|m| m.raw.len() as u64).sum()
    }

    /// Every folder the corpus needs, parents included, sorted (INBOX excluded).
    pub fn folders(&self) -> Vec<String> {
        let mut folders = BTreeSet::new();
        for message in &self.messages {
            folders.extend(ancestors(&message.folder));
            folders.insert(message.folder.clone());
        }
        folders.remove(INBOX);
        folders.into_iter().collect()
    }

    /// The snapshot of an empty account after seeding this corpus into it (folders the
    /// server creates by itself, such as Junk on the rig, come on top).
    pub fn expected_snapshot(&self) -> Snapshot {
        let mut folders: BTreeMap<String, Vec<MessageRecord>> = self
            .folders()
            .into_iter()
            .chain([INBOX.to_string()])
            .map(|f| (f, Vec::new()))
            .collect();
        for m in &self.messages {
            let record = MessageRecord::new(&m.raw, m.flags.clone(), m.internal_date.timestamp());
            folders.entry(m.folder.clone()).or_default().push(record);
        }
        folders.values_mut().for_each(|records| records.sort());
        Snapshot { folders }
    }
}

fn large_message(bytes: usize) -> CorpusMessage {
    let mut rng = Rng::new(bytes as u64);
    let date = Utc
        .with_ymd_and_hms(2024, 2, 29, 13, 37, 0)
        .single()
        .expect("valid date")
        .fixed_offset();
    let data = base64_block(&mut rng, bytes.saturating_sub(1200));
    let raw = MessageBuilder::new()
        .header("From", "Big Sender <big@corpus.example>")
        .header("To", "bob@corpus.example")
        .header("Subject", "Large attachment")
        .header("Date", &date_header(date))
        .header("Message-ID", "<large@corpus.example>")
        .header("MIME-Version", "1.0")
        .header(
            "Content-Type",
            "multipart/mixed; boundary=\"large-boundary\"",
        )
        .body(multipart_mixed(
            "large-boundary",
            "Big file attached.\r\n",
            "large.bin",
            &data,
        ))
        .build();
    CorpusMessage {
        folder: INBOX.to_string(),
        raw,
        flags: vec!["\\Seen".to_string()],
        internal_date: date,
    }
}

/// Creates the corpus folders and appends every message over one connection.
pub fn seed(account: &Account, corpus: &Corpus) -> Result<()> {
    let mut imap = account.connect()?;
    let mut existing: BTreeSet<String> = imap.list_folders()?.into_iter().collect();
    for folder in corpus.folders() {
        imap.create_missing(&folder, &mut existing)?;
    }
    for message in &corpus.messages {
        imap.append(
            &message.folder,
            &message.raw,
            &message.flags,
            message.internal_date,
        )?;
    }
    imap.logout()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_cases_cover_the_brief() {
        let corpus = Corpus::edge_cases();
        assert!((55..=65).contains(&corpus.len()), "{}", corpus.len());
        let folders = corpus.folders();
        for name in [
            "Archive",
            "Archive/2020",
            "Archive/2020/Q1",
            "Données/Été",
            "日本語",
            "Project Plans",
        ] {
            assert!(
                folders.contains(&name.to_string()),
                "{name} missing from {folders:?}"
            );
        }
        let no_id = corpus
            .messages
            .iter()
            .filter(|m| !contains(&m.raw, b"Message-ID:") && !contains(&m.raw, b"Received:"))
            .count();
        assert!(no_id >= 2);
        let dup = corpus
            .messages
            .iter()
            .filter(|m| contains(&m.raw, b"<duplicate-id@corpus.example>"))
            .count();
        assert_eq!(dup, 2);
        assert!(corpus.messages.iter().any(|m| m.raw.ends_with(b"\r\n\r\n")));
        assert!(corpus
            .messages
            .iter()
            .all(|m| !m.flags.contains(&"\\Deleted".to_string())));
        let years: BTreeSet<i32> = corpus
            .messages
            .iter()
            .map(|m| chrono::Datelike::year(&m.internal_date.naive_utc()))
            .collect();
        assert!(years.contains(&2009) && years.contains(&2025), "{years:?}");
    }

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(Corpus::edge_cases(), Corpus::edge_cases());
        assert_eq!(Corpus::bulk(4, 50, 0.02), Corpus::bulk(4, 50, 0.02));
        assert_ne!(Corpus::bulk(4, 50, 0.02), Corpus::bulk(5, 50, 0.02));
    }

    #[test]
    fn large_message_has_requested_size() {
        let corpus = Corpus::edge_cases().with_large(2 << 20);
        let large = corpus.messages.last().map(|m| m.raw.len()).unwrap_or(0);
        assert!(large.abs_diff(2 << 20) < 2000, "{large}");
    }

    #[test]
    fn bulk_sizes_are_realistic() {
        let corpus = Corpus::bulk(1, 400, 0.005);
        let sizes: Vec<usize> = corpus.messages.iter().map(|m| m.raw.len()).collect();
        let large = sizes.iter().filter(|s| **s > 1 << 20).count();
        assert_eq!(large, 2);
        assert!(sizes
            .iter()
            .filter(|s| **s < 1 << 20)
            .all(|s| (1500..=21 << 10).contains(s)));
        assert!(corpus
            .messages
            .iter()
            .all(|m| contains(&m.raw, b"Message-ID:")));
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }
}
