//! Test mail: small RFC 5322 messages appended to the rig's accounts, and counts.

use chrono::{FixedOffset, TimeZone};
use testkit::{Account, TestImap};

/// A small text message with a unique Message-Id.
pub fn message(subject: &str, body: &str) -> Vec<u8> {
    let id = crate::ids::alphanumeric(16);
    format!(
        "From: Sender <sender@remote.example>\r\nTo: Someone <someone@example.org>\r\n\
         Subject: {subject}\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\n\
         Message-Id: <{id}@remote.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Appends `count` messages whose subjects are `<prefix> <n>` to `folder` (created when
/// missing), `\Seen` or not.
pub fn append(account: &Account, folder: &str, prefix: &str, count: usize, seen: bool) {
    let mut imap = connect(account);
    if folder != "INBOX" {
        imap.create_folder(folder).expect("create a folder");
    }
    let flags: Vec<String> = if seen {
        vec!["\\Seen".to_string()]
    } else {
        Vec::new()
    };
    let date = FixedOffset::east_opt(0)
        .and_then(|tz| tz.with_ymd_and_hms(2025, 3, 3, 10, 0, 0).single())
        .expect("a fixed date");
    for n in 1..=count {
        let body = format!("Message {n} of {prefix}.\r\nSome text to move around.");
        imap.append(
            folder,
            &message(&format!("{prefix} {n}"), &body),
            &flags,
            date,
        )
        .expect("append a message");
    }
}

/// Number of messages in a folder (0 when the folder does not exist).
pub fn count(account: &Account, folder: &str) -> u32 {
    let mut imap = connect(account);
    imap.count(folder).unwrap_or(0)
}

/// Number of messages without `\Seen` in a folder.
pub fn unseen(account: &Account, folder: &str) -> u32 {
    let mut imap = connect(account);
    let name = account
        .personality
        .server_name(folder)
        .expect("folder name");
    imap.session()
        .status(&name, "(UNSEEN)")
        .expect("STATUS UNSEEN")
        .unseen
        .unwrap_or(0)
}

/// Logical names of the account's selectable folders.
pub fn folders(account: &Account) -> Vec<String> {
    connect(account).list_folders().expect("LIST")
}

/// A logged-in session.
pub fn connect(account: &Account) -> TestImap {
    account
        .connect()
        .unwrap_or_else(|e| panic!("login as {} failed: {e}", account.user))
}
