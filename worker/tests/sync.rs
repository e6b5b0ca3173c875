//! The engine against a real Dovecot: a full copy equals the source, re-runs copy nothing,
//! identity without a map, the flag merge, name mapping between personalities, host2 folders
//! that exist only as parents, and copies an interrupted run committed late.

mod common;

use common::*;
use protocol::state::SyncState;
use std::time::{Duration, Instant};
use testkit::fault_proxy::FaultProxy;
use testkit::{Corpus, FlagAction, Personality, Rig};

#[test]
fn first_run_copies_everything_and_the_second_copies_nothing() {
    let corpus = Corpus::edge_cases().with_large(20 * 1024 * 1024);
    let rig = rig_with(&corpus);
    let spec = spec(&rig);

    let (first, state, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(first.transferred, corpus.len() as u64);
    let source = snapshot(&rig, Personality::Main, "user1");
    assert_same(&source, &snapshot(&rig, Personality::Main, "user2"));
    assert_eq!(state.pair_count(), corpus.len());
    assert_eq!(first.host1.messages, corpus.len() as u64);
    assert_eq!(first.host2.messages, corpus.len() as u64);

    let (second, state2, _) = run_ok(&spec, &state);
    assert_eq!(second.transferred, 0);
    assert_eq!(second.skipped, corpus.len() as u64);
    assert_eq!(state2, state, "a no-op run leaves the map as it was");
    assert_same(&source, &snapshot(&rig, Personality::Main, "user2"));
}

#[test]
fn without_a_map_mail_already_on_host2_is_recognised_and_not_duplicated() {
    let corpus = Corpus::edge_cases();
    let rig = rig_with(&corpus);
    let spec = spec(&rig);
    run_ok(&spec, &SyncState::default());
    // Lose the map (as after an upgrade from the Perl module) and add one new message.
    let mut imap = rig.account(Personality::Main, "user1").connect().unwrap();
    let extra = b"Message-Id: <late@example.org>\r\nSubject: late\r\n\r\nlate\r\n";
    imap.append(
        "INBOX",
        extra,
        &[],
        chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00").unwrap(),
    )
    .unwrap();
    let (rerun, state, logs) = run_ok(&spec, &SyncState::default());
    assert_eq!(
        rerun.transferred,
        1,
        "only the new message is copied; log:\n{}",
        logs.join("\n")
    );
    assert_eq!(state.pair_count(), corpus.len() + 1);
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );
}

#[test]
fn host1_flag_changes_reach_host2_and_local_changes_are_kept() {
    let rig = Rig::start().unwrap();
    let mut imap = rig.account(Personality::Main, "user1").connect().unwrap();
    let date = chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00+00:00").unwrap();
    for n in 1..=3 {
        let raw = format!("Message-Id: <m{n}@x>\r\nSubject: {n}\r\n\r\nbody {n}\r\n");
        imap.append("INBOX", raw.as_bytes(), &["\\Seen".to_string()], date)
            .unwrap();
    }
    let spec = spec(&rig);
    let (_, state, _) = run_ok(&spec, &SyncState::default());

    // Remotely: message 1 gets flagged, message 2 loses \Seen. Locally: message 3 is
    // marked unread and gets a keyword.
    imap.store_flags("INBOX", "1", FlagAction::Add, &["\\Flagged"])
        .unwrap();
    imap.store_flags("INBOX", "2", FlagAction::Remove, &["\\Seen"])
        .unwrap();
    let mut local = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    local
        .store_flags("INBOX", "3", FlagAction::Remove, &["\\Seen"])
        .unwrap();
    local
        .store_flags("INBOX", "3", FlagAction::Add, &["todo"])
        .unwrap();

    let (summary, _, _) = run_ok(&spec, &state);
    assert_eq!(summary.transferred, 0);
    let mut all: Vec<String> = local
        .records("INBOX")
        .unwrap()
        .iter()
        .map(|r| r.flags.join(" "))
        .collect();
    all.sort();
    assert_eq!(
        all,
        vec!["", "\\Flagged \\Seen", "todo"],
        "host2 flags after the merge"
    );
}

#[test]
fn names_map_between_slash_and_dot_personalities_both_ways() {
    let corpus = Corpus::edge_cases();
    let rig = rig_with(&corpus);
    let mut to_dot = spec(&rig);
    to_dot.host2 = host2(&rig, Personality::Dot, "user2");
    run_ok(&to_dot, &SyncState::default());
    let source = snapshot(&rig, Personality::Main, "user1");
    assert_same(&source, &snapshot(&rig, Personality::Dot, "user2"));

    let mut back = spec(&rig);
    back.host1 = host1(&rig, Personality::Dot, "user2");
    back.host2 = host2(&rig, Personality::Main, "user3");
    run_ok(&back, &SyncState::default());
    assert_same(&source, &snapshot(&rig, Personality::Main, "user3"));
}

#[test]
fn a_host2_folder_listed_only_as_a_parent_is_created_and_filled() {
    let corpus = Corpus::edge_cases();
    let rig = rig_with(&corpus);
    let mut source = rig.account(Personality::Main, "user1").connect().unwrap();
    let in_parent = b"Message-Id: <parent@example.org>\r\nSubject: parent\r\n\r\nparent\r\n";
    let date = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00").unwrap();
    source.append("Archive", in_parent, &[], date).unwrap();
    // As when a run stopped after creating `Archive/2020/Q1` but before `Archive`: host2
    // lists the parents only as `\Noselect`.
    let mut target = rig.account(Personality::Main, "user2").connect().unwrap();
    target.session().create("Archive/2020/Q1").unwrap();
    let listed = target.session().list(Some(""), Some("Archive")).unwrap();
    assert_eq!(
        listed.iter().map(|n| n.name()).collect::<Vec<_>>(),
        ["Archive"]
    );
    assert!(!target
        .list_folders()
        .unwrap()
        .contains(&"Archive".to_string()));

    run_ok(&spec(&rig), &SyncState::default());
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );
}

/// An earlier run killed right after sending an APPEND: Dovecot commits it only after this
/// run listed host2, so this run copies those messages too. The second copies must go; mail
/// delivered to host2 meanwhile, even of the same size as a copy, must stay.
#[test]
fn copies_an_interrupted_run_commits_during_the_next_run_are_not_kept_twice() {
    let mut corpus = Corpus::bulk(23, 1000, 0.0);
    corpus.messages.retain(|m| m.folder == "INBOX");
    let rig = rig_with(&corpus);
    // host1 at 1 MB/s, so the copy spans several append batches and a few seconds.
    let target = format!("{}:{}", rig.host, rig.port(Personality::Main));
    let proxy = FaultProxy::start(target.parse().unwrap(), Duration::from_secs(30)).unwrap();
    proxy.throttle(1 << 20);
    let mut spec = spec(&rig);
    spec.host1.port = proxy.port();
    let late = &corpus.messages[..10];
    let delivered = other_message_of_the_same_size(&corpus.messages[10].raw);

    let (logs, on_host2_before, delivered_uid) = std::thread::scope(|scope| {
        let appender = scope.spawn(|| {
            let mut imap = rig
                .master_account(Personality::Main, "user2")
                .connect()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut count = 0;
            while count == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
                count = imap.count("INBOX").unwrap_or(0);
            }
            for m in late {
                imap.append("INBOX", &m.raw, &m.flags, m.internal_date)
                    .unwrap();
            }
            let date = corpus.messages[10].internal_date;
            let uid = imap.append("INBOX", &delivered, &[], date).unwrap();
            (count, uid.expect("APPENDUID"))
        });
        let (_, _, logs) = run_ok(&spec, &SyncState::default());
        let (count, uid) = appender.join().unwrap();
        (logs, count, uid)
    });
    assert!(
        on_host2_before > 0 && (on_host2_before as usize) < corpus.len(),
        "the late copies must land while the run copies ({on_host2_before} of {} there)",
        corpus.len()
    );
    let mut target = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    assert!(
        target.uids("INBOX").unwrap().contains(&delivered_uid),
        "the mail delivered during the run was deleted"
    );
    assert!(
        logs.iter()
            .any(|l| l.contains("10 message(s) stored by another session")),
        "{}",
        logs.join("\n")
    );
    target
        .store_flags(
            "INBOX",
            &delivered_uid.to_string(),
            FlagAction::Add,
            &["\\Deleted"],
        )
        .unwrap();
    target.expunge("INBOX").unwrap();
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );
}

/// `raw` with another Message-ID of the same length: a different message of the same size.
fn other_message_of_the_same_size(raw: &[u8]) -> Vec<u8> {
    let header = b"Message-ID: <";
    let start = raw.windows(header.len()).position(|w| w == header).unwrap();
    let domain = b"@example.com>";
    let at = start
        + raw[start..]
            .windows(domain.len())
            .position(|w| w == domain)
            .unwrap();
    let mut other = raw.to_vec();
    other[at..at + domain.len()].copy_from_slice(b"@example.net>");
    other
}
