//! Snapshots of whole accounts, to compare a migration's source and destination.
//!
//! A snapshot maps each selectable folder (logical name) to the sorted records of its
//! messages, so two snapshots are equal when both accounts hold the same folders with
//! the same multisets of messages, flags and dates, whatever the server layout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::account::Account;
use crate::error::Result;

/// What identifies one message in a folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MessageRecord {
    /// SHA-256 (hex) of the full RFC 822 bytes.
    pub content_digest: String,
    /// Size of the RFC 822 bytes.
    pub size: u64,
    /// Flags and keywords, sorted, without `\Recent`.
    pub flags: Vec<String>,
    /// INTERNALDATE as unix seconds.
    pub internal_date: i64,
}

impl MessageRecord {
    /// Builds the record of a message from its bytes, flags (any order) and date.
    pub fn new(raw: &[u8], mut flags: Vec<String>, internal_date: i64) -> Self {
        flags.retain(|f| !f.eq_ignore_ascii_case("\\Recent"));
        flags.sort();
        MessageRecord {
            content_digest: sha256_hex(raw),
            size: raw.len() as u64,
            flags,
            internal_date,
        }
    }

    fn describe(&self) -> String {
        let date = chrono::DateTime::from_timestamp(self.internal_date, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| self.internal_date.to_string());
        format!(
            "{} {} bytes, {}, flags [{}]",
            &self.content_digest[..12.min(self.content_digest.len())],
            self.size,
            date,
            self.flags.join(" ")
        )
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// All folders of an account with their message records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Logical folder name to sorted message records.
    pub folders: BTreeMap<String, Vec<MessageRecord>>,
}

impl Snapshot {
    /// Reads every selectable folder of the account.
    pub fn take(account: &Account) -> Result<Self> {
        let mut imap = account.connect()?;
        let mut folders = BTreeMap::new();
        for folder in imap.list_folders()? {
            let records = imap.records(&folder)?;
            folders.insert(folder, records);
        }
        imap.logout()?;
        Ok(Snapshot { folders })
    }

    /// Number of messages over all folders.
    pub fn message_count(&self) -> usize {
        self.folders.values().map(Vec::len).sum()
    }

    /// Sum of message sizes over all folders.
    pub fn total_bytes(&self) -> u64 {
        self.folders.values().flatten().map(|r| r.size).sum()
    }

    /// Human-readable differences from `self` ("left") to `other` ("right"); empty if equal.
    pub fn diff(&self, other: &Snapshot) -> String {
        let mut out = String::new();
        for (folder, left) in &self.folders {
            match other.folders.get(folder) {
                None => push_line(
                    &mut out,
                    format!(
                        "folder {folder:?} only on the left ({} messages)",
                        left.len()
                    ),
                ),
                Some(right) => diff_folder(&mut out, folder, left, right),
            }
        }
        for (folder, right) in &other.folders {
            if !self.folders.contains_key(folder) {
                push_line(
                    &mut out,
                    format!(
                        "folder {folder:?} only on the right ({} messages)",
                        right.len()
                    ),
                );
            }
        }
        out
    }
}

fn push_line(out: &mut String, line: String) {
    out.push_str(&line);
    out.push('\n');
}

/// Describes the multiset difference of two sorted record lists.
fn diff_folder(out: &mut String, folder: &str, left: &[MessageRecord], right: &[MessageRecord]) {
    let (mut only_left, mut only_right) = multiset_difference(left, right);
    if only_left.is_empty() && only_right.is_empty() {
        return;
    }
    push_line(
        out,
        format!(
            "folder {folder:?}: {} messages on the left, {} on the right",
            left.len(),
            right.len()
        ),
    );
    only_left.retain(|l| {
        match only_right
            .iter()
            .position(|r| r.content_digest == l.content_digest)
        {
            Some(i) => {
                let r = only_right.remove(i);
                push_line(
                    out,
                    format!("  changed: {}\n       to: {}", l.describe(), r.describe()),
                );
                false
            }
            None => true,
        }
    });
    for record in only_left {
        push_line(out, format!("  only left:  {}", record.describe()));
    }
    for record in only_right {
        push_line(out, format!("  only right: {}", record.describe()));
    }
}

/// Records of `left` missing from `right` and of `right` missing from `left` (both sorted).
fn multiset_difference<'a>(
    left: &'a [MessageRecord],
    right: &'a [MessageRecord],
) -> (Vec<&'a MessageRecord>, Vec<&'a MessageRecord>) {
    let (mut i, mut j) = (0, 0);
    let (mut only_left, mut only_right) = (Vec::new(), Vec::new());
    while i < left.len() && j < right.len() {
        match left[i].cmp(&right[j]) {
            std::cmp::Ordering::Less => {
                only_left.push(&left[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                only_right.push(&right[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    only_left.extend(&left[i..]);
    only_right.extend(&right[j..]);
    (only_left, only_right)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: &str, flags: &[&str], date: i64) -> MessageRecord {
        MessageRecord::new(
            body.as_bytes(),
            flags.iter().map(|f| f.to_string()).collect(),
            date,
        )
    }

    fn snapshot(folders: &[(&str, Vec<MessageRecord>)]) -> Snapshot {
        let mut map = BTreeMap::new();
        for (name, records) in folders {
            let mut records = records.clone();
            records.sort();
            map.insert(name.to_string(), records);
        }
        Snapshot { folders: map }
    }

    #[test]
    fn records_normalise_flags() {
        let r = record("x", &["\\Seen", "\\Recent", "$Forwarded"], 5);
        assert_eq!(r.flags, vec!["$Forwarded", "\\Seen"]);
        assert_eq!(r.size, 1);
        assert_eq!(r.content_digest.len(), 64);
    }

    #[test]
    fn equal_multisets_have_no_diff() {
        let a = snapshot(&[("INBOX", vec![record("a", &[], 1), record("a", &[], 1)])]);
        assert_eq!(a, a.clone());
        assert!(a.diff(&a.clone()).is_empty());
    }

    #[test]
    fn diff_names_folders_duplicates_and_flag_changes() {
        let left = snapshot(&[
            (
                "INBOX",
                vec![
                    record("a", &[], 1),
                    record("a", &[], 1),
                    record("b", &["\\Seen"], 2),
                ],
            ),
            ("Old", vec![]),
        ]);
        let right = snapshot(&[
            ("INBOX", vec![record("a", &[], 1), record("b", &[], 2)]),
            ("New", vec![record("c", &[], 3)]),
        ]);
        let diff = left.diff(&right);
        assert!(diff.contains("folder \"Old\" only on the left"), "{diff}");
        assert!(diff.contains("folder \"New\" only on the right"), "{diff}");
        assert!(diff.contains("changed:"), "{diff}");
        assert!(diff.contains("only left:"), "{diff}");
        assert_ne!(left, right);
    }
}
