//! The remote account's mail for a demo or a browser run: many small messages spread over
//! INBOX and three folders, appended over one IMAP connection.

use chrono::{FixedOffset, TimeZone};
use testkit::Account;

/// Folders and their share of the messages (percent).
pub const FOLDERS: &[(&str, usize)] = &[
    ("INBOX", 50),
    ("Sent", 20),
    ("Archive", 20),
    ("Projects", 10),
];

/// How many of `total` messages go to each folder (the remainder to INBOX).
pub fn plan(total: usize) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = FOLDERS
        .iter()
        .map(|(folder, share)| (*folder, total * share / 100))
        .collect();
    let planned: usize = counts.iter().map(|(_, n)| n).sum();
    counts[0].1 += total - planned;
    counts
}

/// A text message of about 1 kB.
fn message(folder: &str, n: usize) -> Vec<u8> {
    let line = "The quarterly figures are attached below; please check them before Friday.";
    let body: Vec<String> = (1..=12).map(|i| format!("{i:02} {line}")).collect();
    crate::mail::message(
        &format!("{folder} message {n}"),
        &format!("Message {n} of {folder}.\r\n{}", body.join("\r\n")),
    )
}

/// Appends `total` messages to `account` following [`plan`], calling `progress` with the
/// number appended so far every 100 messages; returns the plan.
pub fn seed(
    account: &Account,
    total: usize,
    mut progress: impl FnMut(usize),
) -> testkit::Result<Vec<(&'static str, usize)>> {
    let counts = plan(total);
    let mut imap = account.connect()?;
    let date = FixedOffset::east_opt(0)
        .and_then(|tz| tz.with_ymd_and_hms(2025, 3, 3, 10, 0, 0).single())
        .expect("a fixed date");
    let seen = vec!["\\Seen".to_string()];
    let mut done = 0;
    for (folder, count) in &counts {
        if *folder != "INBOX" {
            imap.create_folder(folder)?;
        }
        for n in 1..=*count {
            imap.append(folder, &message(folder, n), &seen, date)?;
            done += 1;
            if done % 100 == 0 {
                progress(done);
            }
        }
    }
    imap.logout()?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_places_every_message() {
        for total in [0, 1, 7, 2000, 2999] {
            let counts = plan(total);
            assert_eq!(counts.iter().map(|(_, n)| n).sum::<usize>(), total);
            assert_eq!(counts.len(), FOLDERS.len());
        }
        assert_eq!(plan(2000)[0], ("INBOX", 1000));
    }

    #[test]
    fn messages_are_small_and_distinct() {
        let (a, b) = (message("INBOX", 1), message("INBOX", 2));
        assert!((800..1600).contains(&a.len()), "{}", a.len());
        assert_ne!(a, b);
    }
}
