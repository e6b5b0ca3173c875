//! The bulk corpus for benchmarks: many realistic messages of 2-20 KB, a small share
//! of 1-5 MB attachments, spread over about ten folders with INBOX the biggest.

use chrono::{DateTime, FixedOffset};

use super::mime::{base64_block, date_header, multipart_mixed, prose, MessageBuilder};
use super::rng::Rng;
use super::CorpusMessage;

/// Folders with their relative weights.
const FOLDERS: &[(&str, u64)] = &[
    ("INBOX", 40),
    ("Sent", 15),
    ("Archive/2022", 8),
    ("Archive/2023", 8),
    ("Archive/2024", 7),
    ("Newsletters", 6),
    ("Projects", 6),
    ("Projects/Alpha", 5),
    ("Trash", 3),
    ("Drafts", 2),
];

const PEOPLE: &[(&str, &str)] = &[
    ("Alice Martin", "alice.martin@example.com"),
    ("Bruno Rossi", "bruno.rossi@example.org"),
    ("Chen Wei", "chen.wei@example.net"),
    ("Dana Kovač", "dana.kovac@example.com"),
    ("Emeka Obi", "emeka.obi@example.org"),
    ("Fatima Zahra", "fatima.zahra@example.net"),
    ("Gustav Berg", "gustav.berg@example.com"),
];

const TOPICS: &[&str] = &[
    "Quarterly report",
    "Meeting notes",
    "Invoice",
    "Release planning",
    "Re: Budget review",
    "Fwd: Contract draft",
    "Weekly newsletter",
    "Backup status",
    "Customer question",
    "Schedule update",
];

/// 2015-01-01T00:00:00Z and 2025-12-31T23:59:59Z.
const FIRST_DATE: i64 = 1_420_070_400;
const LAST_DATE: i64 = 1_767_225_599;

/// `count` messages from `seed`; every `1/large_fraction`-th one is 1-5 MB.
pub(crate) fn bulk_messages(seed: u64, count: usize, large_fraction: f64) -> Vec<CorpusMessage> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|index| {
            let large = is_large(index, large_fraction);
            bulk_message(&mut rng, seed, index, large)
        })
        .collect()
}

/// Spreads large messages evenly: exactly `floor(count * fraction)` of them.
fn is_large(index: usize, fraction: f64) -> bool {
    let fraction = fraction.clamp(0.0, 1.0);
    ((index + 1) as f64 * fraction).floor() > (index as f64 * fraction).floor()
}

fn pick_folder(rng: &mut Rng) -> &'static str {
    let total: u64 = FOLDERS.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (folder, weight) in FOLDERS {
        if roll < *weight {
            return folder;
        }
        roll -= weight;
    }
    FOLDERS[0].0
}

fn random_date(rng: &mut Rng) -> DateTime<FixedOffset> {
    let ts = FIRST_DATE + rng.below((LAST_DATE - FIRST_DATE) as u64) as i64;
    let offset_hours = rng.between(0, 20) as i32 - 8;
    let offset = FixedOffset::east_opt(offset_hours * 3600).expect("offsets are within a day");
    DateTime::from_timestamp(ts, 0)
        .expect("bulk dates are valid")
        .with_timezone(&offset)
}

fn flags_for(rng: &mut Rng, folder: &str) -> Vec<String> {
    let mut flags = Vec::new();
    let mut add = |flag: &str, yes: bool| {
        if yes {
            flags.push(flag.to_string());
        }
    };
    match folder {
        "Sent" => add("\\Seen", true),
        "Drafts" => add("\\Draft", true),
        _ => {
            add("\\Seen", rng.chance(0.75));
            add("\\Answered", rng.chance(0.10));
            add("\\Flagged", rng.chance(0.05));
            add("$Forwarded", rng.chance(0.03));
        }
    }
    flags
}

fn received(rng: &mut Rng, hop: u64, date: DateTime<FixedOffset>) -> String {
    format!(
        "from relay{hop}.example.net (relay{hop}.example.net [198.51.100.{}])\r\n\
         \tby mx.example.com (Postfix) with ESMTPS id {:010X}\r\n\
         \tfor <user@example.com>; {}",
        rng.between(1, 254),
        rng.next_u64() & 0xff_ffff_ffff,
        date_header(date)
    )
}

fn bulk_message(rng: &mut Rng, seed: u64, index: usize, large: bool) -> CorpusMessage {
    let folder = pick_folder(rng);
    let date = random_date(rng);
    let (from_name, from_addr) = *rng.pick(PEOPLE);
    let (to_name, to_addr) = *rng.pick(PEOPLE);
    let subject = format!("{} #{}", rng.pick(TOPICS), index + 1);
    let mut builder = MessageBuilder::new().header("Return-Path", &format!("<{from_addr}>"));
    for hop in 0..rng.between(1, 2) {
        builder = builder.header("Received", &received(rng, hop + 1, date));
    }
    builder = builder
        .header("Date", &date_header(date))
        .header("From", &format!("{from_name} <{from_addr}>"))
        .header("To", &format!("{to_name} <{to_addr}>"))
        .header("Subject", &subject)
        .header(
            "Message-ID",
            &format!(
                "<{seed:x}.{index}.{:08x}@example.com>",
                rng.next_u64() as u32
            ),
        )
        .header("MIME-Version", "1.0")
        .header("X-Mailer", "testkit corpus");
    let builder = if large {
        with_attachment(rng, builder, index)
    } else {
        let size = rng.between(2 << 10, 20 << 10) as usize - 600;
        builder
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Transfer-Encoding", "7bit")
            .body(prose(rng, size))
    };
    CorpusMessage {
        folder: folder.to_string(),
        raw: builder.build(),
        flags: flags_for(rng, folder),
        internal_date: date,
    }
}

fn with_attachment(rng: &mut Rng, builder: MessageBuilder, index: usize) -> MessageBuilder {
    let size = rng.between(1 << 20, 5 << 20) as usize;
    let boundary = format!("bulk-{index}-{:x}", rng.next_u64());
    let text = prose(rng, 800);
    let data = base64_block(rng, size);
    builder
        .header(
            "Content-Type",
            &format!("multipart/mixed; boundary=\"{boundary}\""),
        )
        .body(multipart_mixed(
            &boundary,
            &text,
            &format!("data-{index}.bin"),
            &data,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_share_is_exact() {
        let large = (0..10_000).filter(|i| is_large(*i, 0.005)).count();
        assert_eq!(large, 50);
        assert_eq!((0..10).filter(|i| is_large(*i, 0.0)).count(), 0);
    }

    #[test]
    fn folders_follow_weights() {
        let mut rng = Rng::new(9);
        let inbox = (0..1000)
            .filter(|_| pick_folder(&mut rng) == "INBOX")
            .count();
        assert!((300..500).contains(&inbox), "{inbox}");
    }
}
