//! The edge-case corpus: about sixty messages covering awkward folder names, every
//! flag kind, INTERNALDATEs from 2009 to 2025, and messages that trip up naive
//! synchronisers (no Message-Id, duplicated Message-Id, raw 8-bit headers, empty body).

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::mime::{
    base64_block, base64_text, crlf, date_header, encoded_word, multipart_mixed, prose,
    MessageBuilder,
};
use super::rng::Rng;
use super::CorpusMessage;

const EDGE_SEED: u64 = 0x5eed_0edc;
const DUPLICATE_ID: &str = "<duplicate-id@corpus.example>";
/// UTC offsets (minutes) cycled through the INTERNALDATEs.
const OFFSETS: &[i32] = &[0, 60, -300, 540, 330, -180, 120];

/// How the ordinary messages of a folder look.
#[derive(Clone, Copy)]
enum Style {
    Plain,
    French,
    Japanese,
}

/// A run of ordinary messages in one folder.
struct Plan {
    folder: &'static str,
    count: usize,
    from: (i32, u32, u32),
    to: (i32, u32, u32),
    flag_sets: &'static [&'static [&'static str]],
    style: Style,
}

const PLANS: &[Plan] = &[
    Plan {
        folder: "INBOX",
        count: 6,
        from: (2021, 1, 1),
        to: (2025, 6, 30),
        flag_sets: &[
            &["\\Seen"],
            &["\\Seen", "\\Answered"],
            &["\\Flagged"],
            &["$Forwarded", "\\Seen"],
            &["Junk", "custom_kw"],
            &[
                "\\Seen",
                "\\Answered",
                "\\Flagged",
                "$Forwarded",
                "custom_kw",
            ],
        ],
        style: Style::Plain,
    },
    Plan {
        folder: "Sent",
        count: 7,
        from: (2010, 3, 1),
        to: (2025, 11, 30),
        flag_sets: &[
            &["\\Seen"],
            &["\\Seen", "\\Answered"],
            &["\\Seen", "$Forwarded"],
        ],
        style: Style::Plain,
    },
    Plan {
        folder: "Drafts",
        count: 4,
        from: (2024, 1, 1),
        to: (2025, 12, 1),
        flag_sets: &[&["\\Draft"], &["\\Draft", "\\Seen"]],
        style: Style::Plain,
    },
    Plan {
        folder: "Archive/2019",
        count: 6,
        from: (2019, 1, 1),
        to: (2019, 12, 31),
        flag_sets: &[&["\\Seen"], &["\\Seen", "\\Answered"], &[]],
        style: Style::Plain,
    },
    Plan {
        folder: "Archive/2020/Q1",
        count: 6,
        from: (2020, 1, 1),
        to: (2020, 3, 31),
        flag_sets: &[&["\\Seen"], &["\\Seen", "\\Flagged"]],
        style: Style::Plain,
    },
    Plan {
        folder: "Project Plans",
        count: 6,
        from: (2011, 1, 1),
        to: (2018, 12, 31),
        flag_sets: &[
            &["custom_kw"],
            &["\\Flagged", "custom_kw"],
            &["\\Seen", "custom_kw"],
        ],
        style: Style::Plain,
    },
    Plan {
        folder: "Données/Été",
        count: 6,
        from: (2012, 6, 1),
        to: (2016, 8, 31),
        flag_sets: &[&["\\Seen"], &[], &["\\Flagged"]],
        style: Style::French,
    },
    Plan {
        folder: "日本語",
        count: 5,
        from: (2013, 1, 1),
        to: (2017, 12, 31),
        flag_sets: &[&["\\Seen"], &["$Forwarded"]],
        style: Style::Japanese,
    },
    Plan {
        folder: "Trash",
        count: 5,
        from: (2009, 2, 1),
        to: (2012, 12, 31),
        flag_sets: &[&["\\Seen", "Junk"], &["Junk"], &["\\Seen"]],
        style: Style::Plain,
    },
];

/// All edge-case messages, in a fixed order.
pub(crate) fn edge_messages() -> Vec<CorpusMessage> {
    let mut rng = Rng::new(EDGE_SEED);
    let mut messages = special_messages(&mut rng);
    let mut serial = 0;
    for plan in PLANS {
        for index in 0..plan.count {
            serial += 1;
            messages.push(ordinary(&mut rng, plan, index, serial));
        }
    }
    messages
}

/// A fixed UTC offset given in minutes (always within a day here).
fn offset(minutes: i32) -> FixedOffset {
    FixedOffset::east_opt(minutes * 60).expect("offsets are within a day")
}

/// A date given in UTC, expressed with a UTC offset in minutes.
fn at(ymd: (i32, u32, u32), hms: (u32, u32, u32), offset_minutes: i32) -> DateTime<FixedOffset> {
    Utc.with_ymd_and_hms(ymd.0, ymd.1, ymd.2, hms.0, hms.1, hms.2)
        .single()
        .expect("corpus dates are valid")
        .with_timezone(&offset(offset_minutes))
}

fn flags(list: &[&str]) -> Vec<String> {
    list.iter().map(|f| f.to_string()).collect()
}

fn message(
    folder: &str,
    raw: Vec<u8>,
    flag_list: &[&str],
    date: DateTime<FixedOffset>,
) -> CorpusMessage {
    CorpusMessage {
        folder: folder.to_string(),
        raw,
        flags: flags(flag_list),
        internal_date: date,
    }
}

/// Common header block: Received, addresses, subject, date and Message-Id.
fn headed(subject: &str, date: DateTime<FixedOffset>, message_id: &str) -> MessageBuilder {
    MessageBuilder::new()
        .header(
            "Received",
            &format!(
                "from mx.corpus.example (mx.corpus.example [192.0.2.25])\r\n\tby mail.corpus.example with ESMTPS; {}",
                date_header(date)
            ),
        )
        .header("From", "Alice Example <alice@corpus.example>")
        .header("To", "Bob Example <bob@corpus.example>")
        .header("Subject", subject)
        .header("Date", &date_header(date))
        .header("Message-ID", message_id)
        .header("MIME-Version", "1.0")
}

/// Spreads `index` of `count` evenly between the plan's dates.
fn plan_date(plan: &Plan, index: usize, rng: &mut Rng) -> DateTime<FixedOffset> {
    let start = at(plan.from, (8, 0, 0), 0).timestamp();
    let end = at(plan.to, (18, 0, 0), 0).timestamp();
    let step = (end - start) / (plan.count as i64 + 1);
    let jitter = rng.below(3600) as i64;
    let ts = start + step * (index as i64 + 1) + jitter;
    DateTime::from_timestamp(ts, 0)
        .expect("corpus dates are valid")
        .with_timezone(&offset(*rng.pick(OFFSETS)))
}

fn ordinary(rng: &mut Rng, plan: &Plan, index: usize, serial: usize) -> CorpusMessage {
    let date = plan_date(plan, index, rng);
    let id = format!("<edge-{serial}@corpus.example>");
    let builder = match plan.style {
        Style::Plain => {
            let subject = format!("{} note {}", plan.folder, index + 1);
            let size = rng.between(200, 3000) as usize;
            headed(&subject, date, &id)
                .header("Content-Type", "text/plain; charset=us-ascii")
                .body(prose(rng, size))
        }
        Style::French => headed(
            &encoded_word(&format!("Été n°{} — réunion à Genève", index + 1)),
            date,
            &id,
        )
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Content-Transfer-Encoding", "8bit")
        .body(crlf(
            "Bonjour Élodie,\nLe café est prêt ; à bientôt.\nFrançois\n",
        )),
        Style::Japanese => headed(
            &encoded_word(&format!("会議の議題 {}", index + 1)),
            date,
            &id,
        )
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Content-Transfer-Encoding", "base64")
        .body(base64_text(
            "お疲れ様です。\n明日の会議の資料を送ります。\nよろしくお願いします。\n",
        )),
    };
    let flag_list = plan.flag_sets[index % plan.flag_sets.len()];
    message(plan.folder, builder.build(), flag_list, date)
}

/// The odd messages, all in INBOX.
fn special_messages(rng: &mut Rng) -> Vec<CorpusMessage> {
    vec![
        without_message_id(
            "First message without Message-Id",
            at((2009, 1, 1), (0, 0, 0), 60),
            &[],
        ),
        without_message_id(
            "Second message without Message-Id",
            at((2025, 12, 31), (20, 0, 0), -300),
            &["\\Seen"],
        ),
        duplicate_id(
            "Same Message-Id, first body",
            "This is the first of two different messages.\n",
            &[],
        ),
        duplicate_id(
            "Same Message-Id, second body",
            "This is the second one, with another body.\n",
            &["\\Seen"],
        ),
        eight_bit_headers(),
        empty_body(),
        alternative(),
        attachment(rng),
        folded_subject(),
    ]
}

fn without_message_id(
    subject: &str,
    date: DateTime<FixedOffset>,
    flag_list: &[&str],
) -> CorpusMessage {
    let raw = MessageBuilder::new()
        .header("From", "legacy@corpus.example")
        .header("To", "bob@corpus.example")
        .header("Subject", subject)
        .header("Date", &date_header(date))
        .body(crlf(
            "Imported from an old client that wrote no Message-Id.\n",
        ))
        .build();
    message("INBOX", raw, flag_list, date)
}

fn duplicate_id(subject: &str, body: &str, flag_list: &[&str]) -> CorpusMessage {
    let date = at((2016, 2, 29), (12, 0, 0), 60);
    let raw = headed(subject, date, DUPLICATE_ID)
        .header("Content-Type", "text/plain; charset=us-ascii")
        .body(crlf(body))
        .build();
    message("INBOX", raw, flag_list, date)
}

fn eight_bit_headers() -> CorpusMessage {
    let date = at((2014, 7, 14), (9, 30, 0), 120);
    let raw = MessageBuilder::new()
        .header("From", "Jérôme Müller <jerome@corpus.example>")
        .header("To", "Zoë Ñúñez <zoe@corpus.example>")
        .header("Subject", "Café ☕ — raw 8-bit header 日本")
        .header("Date", &date_header(date))
        .header("Message-ID", "<eight-bit@corpus.example>")
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Content-Transfer-Encoding", "8bit")
        .body(crlf("Ünïcödé body too.\n"))
        .build();
    message("INBOX", raw, &["\\Seen"], date)
}

fn empty_body() -> CorpusMessage {
    let date = at((2017, 5, 5), (5, 5, 5), 0);
    let raw = headed("Empty body", date, "<empty-body@corpus.example>").build();
    message("INBOX", raw, &[], date)
}

fn alternative() -> CorpusMessage {
    let date = at((2018, 10, 1), (16, 45, 0), -180);
    let body = crlf(
        "--alt-boundary\nContent-Type: text/plain; charset=us-ascii\n\nPlain part.\n\
         --alt-boundary\nContent-Type: text/html; charset=us-ascii\n\n<p>HTML part.</p>\n\
         --alt-boundary--\n",
    );
    let raw = headed("Alternative parts", date, "<alternative@corpus.example>")
        .header(
            "Content-Type",
            "multipart/alternative; boundary=\"alt-boundary\"",
        )
        .body(body)
        .build();
    message("INBOX", raw, &["\\Seen", "\\Answered"], date)
}

fn attachment(rng: &mut Rng) -> CorpusMessage {
    let date = at((2022, 3, 15), (10, 0, 0), 60);
    let data = base64_block(rng, 40_000);
    let raw = headed(
        "Report with attachment",
        date,
        "<attachment@corpus.example>",
    )
    .header(
        "Content-Type",
        "multipart/mixed; boundary=\"mixed-boundary\"",
    )
    .body(multipart_mixed(
        "mixed-boundary",
        "See the attached report.\r\n",
        "report.bin",
        &data,
    ))
    .build();
    message("INBOX", raw, &["\\Flagged", "$Forwarded"], date)
}

fn folded_subject() -> CorpusMessage {
    let date = at((2023, 8, 8), (8, 8, 8), 330);
    let subject = "A very long subject line that keeps going and going so that it has to be\r\n \
                   folded over several physical lines according to RFC 5322 section 2.2.3\r\n \
                   and still be one logical header";
    let raw = headed(subject, date, "<folded@corpus.example>")
        .header("Content-Type", "text/plain; charset=us-ascii")
        .body(crlf("Short body.\n"))
        .build();
    message("INBOX", raw, &[], date)
}
