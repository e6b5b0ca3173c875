//! The three NS8 modes and the deletion options, with the meaning of the current module:
//! inbox mode (UNSEEN only, `\Seen` on host1, Sieve at delivery), exclusions, `--delete2`
//! with folders, `--delete1` and `--delete1older`, and a dry run that changes nothing.

mod common;

use common::*;
use protocol::spec::SHARED_PUBLIC_EXCLUSION;
use protocol::state::SyncState;
use testkit::{seed, Corpus, FlagAction, Personality, Rig};

fn date(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn msg(n: u32, subject: &str) -> Vec<u8> {
    format!("Message-Id: <n{n}@example.org>\r\nSubject: {subject}\r\n\r\nbody {n}\r\n").into_bytes()
}

fn inbox_mode(spec: &mut protocol::spec::SyncSpec, sieve: bool) {
    spec.select.folders = vec!["INBOX".into()];
    spec.select.search1 = Some("UNSEEN".into());
    spec.actions.set_seen_on_host1 = true;
    spec.actions.resync_flags = false;
    spec.actions.sieve_delivery = sieve;
}

#[test]
fn inbox_mode_copies_unseen_inbox_mail_once_and_marks_it_seen_remotely() {
    let rig = Rig::start().unwrap();
    let mut remote = rig.account(Personality::Main, "user1").connect().unwrap();
    let d = date("2023-03-01T08:00:00+00:00");
    remote
        .append("INBOX", &msg(1, "read"), &["\\Seen".into()], d)
        .unwrap();
    remote.append("INBOX", &msg(2, "new"), &[], d).unwrap();
    remote
        .append("INBOX", &msg(3, "new too"), &["\\Flagged".into()], d)
        .unwrap();
    remote.create_folder("Other").unwrap();
    remote
        .append("Other", &msg(4, "elsewhere"), &[], d)
        .unwrap();
    let mut spec = spec(&rig);
    inbox_mode(&mut spec, false);

    let (first, state, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(first.transferred, 2);
    let mut local = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    assert_eq!(local.count("INBOX").unwrap(), 2);
    assert!(!local.list_folders().unwrap().contains(&"Other".to_string()));
    let remote_flags: Vec<_> = remote
        .records("INBOX")
        .unwrap()
        .iter()
        .map(|r| r.flags.contains(&"\\Seen".to_string()))
        .collect();
    assert_eq!(
        remote_flags,
        [true, true, true],
        "every INBOX message is \\Seen on host1 now"
    );
    let local_flags: Vec<_> = local
        .records("INBOX")
        .unwrap()
        .iter()
        .map(|r| r.flags.join(" "))
        .collect();
    assert!(
        local_flags.iter().all(|f| f.contains("\\Seen")),
        "{local_flags:?}"
    );

    // The user marks one copy unread and deletes the other locally; remotely one message is
    // marked unread again. Nothing is copied twice.
    local
        .store_flags("INBOX", "1", FlagAction::Remove, &["\\Seen"])
        .unwrap();
    remote
        .store_flags("INBOX", "2", FlagAction::Remove, &["\\Seen"])
        .unwrap();
    let (second, _, _) = run_ok(&spec, &state);
    assert_eq!(second.transferred, 0);
    assert_eq!(local.count("INBOX").unwrap(), 2);
}

#[test]
fn inbox_mode_with_sieve_files_copied_mail_as_at_delivery() {
    let rig = Rig::start().unwrap();
    rig.install_sieve(
        "user2",
        "require [\"fileinto\"];\nif header :contains \"subject\" \"invoice\" { fileinto \"Trash\"; }\n",
    )
    .unwrap();
    let mut remote = rig.account(Personality::Main, "user1").connect().unwrap();
    let d = date("2023-03-01T08:00:00+00:00");
    remote
        .append("INBOX", &msg(1, "invoice 42"), &[], d)
        .unwrap();
    remote.append("INBOX", &msg(2, "hello"), &[], d).unwrap();
    let mut spec = spec(&rig);
    inbox_mode(&mut spec, true);
    let (summary, _, logs) = run_ok(&spec, &SyncState::default());
    assert_eq!(summary.transferred, 2);
    assert!(
        logs.iter()
            .any(|l| l
                .starts_with("Host2: Running FILTER SIEVE DELIVERY UID 1:2 with EXPUNGE on INBOX")),
        "{logs:?}"
    );
    let mut local = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    assert_eq!(local.count("INBOX").unwrap(), 1, "the invoice left INBOX");
    assert_eq!(
        local.count("Trash").unwrap(),
        1,
        "and was filed by the script"
    );
}

#[test]
fn exclusions_skip_matching_folders_and_ignore_empty_entries() {
    let rig = Rig::start().unwrap();
    let source = rig.account(Personality::Main, "user1");
    seed(&source, &Corpus::edge_cases()).unwrap();
    let mut remote = source.connect().unwrap();
    remote.create_folder("Public/news").unwrap();
    remote
        .append(
            "Public/news",
            &msg(9, "shared"),
            &[],
            date("2022-01-01T00:00:00+00:00"),
        )
        .unwrap();
    let mut spec = spec(&rig);
    spec.select.exclude = vec![
        SHARED_PUBLIC_EXCLUSION.into(),
        "^Archive".into(),
        "".into(),
        "Été".into(),
    ];
    let (_, _, logs) = run_ok(&spec, &SyncState::default());
    let folders = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap()
        .list_folders()
        .unwrap();
    for gone in [
        "Archive/2019",
        "Archive/2020/Q1",
        "Public/news",
        "Données/Été",
    ] {
        assert!(
            !folders.contains(&gone.to_string()),
            "{gone} must be excluded: {folders:?}"
        );
    }
    for kept in ["INBOX", "Sent", "Project Plans", "日本語"] {
        assert!(
            folders.contains(&kept.to_string()),
            "{kept} must be synced: {folders:?}"
        );
    }
    assert!(
        logs.iter()
            .any(|l| l == "Excluding folder [Public/news] (matches an exclusion)"),
        "{logs:?}"
    );
}

#[test]
fn delete_local_removes_host2_messages_and_folders_host1_lacks() {
    let rig = Rig::start().unwrap();
    let source = rig.account(Personality::Main, "user1");
    let mut remote = source.connect().unwrap();
    let d = date("2021-06-01T00:00:00+00:00");
    for n in 1..=4 {
        remote.append("INBOX", &msg(n, "m"), &[], d).unwrap();
    }
    let mut local = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    local
        .append("INBOX", &msg(50, "local only"), &[], d)
        .unwrap();
    local.create_folder("Old/Stuff").unwrap();
    local.append("Old/Stuff", &msg(51, "old"), &[], d).unwrap();
    let mut spec = spec(&rig);
    spec.actions.delete_host2_messages = true;
    spec.actions.delete_host2_folders = true;
    let (first, state, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(first.deleted_host2, 1);
    assert_eq!(first.folders_deleted_host2, 2, "Old/Stuff and Old");
    // A message deleted remotely disappears locally on the next run.
    remote
        .store_flags("INBOX", "2", FlagAction::Add, &["\\Deleted"])
        .unwrap();
    remote.expunge("INBOX").unwrap();
    let (second, _, _) = run_ok(&spec, &state);
    assert_eq!(second.deleted_host2, 1);
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );
}

#[test]
fn delete_remote_empties_host1_after_a_verified_copy() {
    let corpus = Corpus::edge_cases();
    let rig = rig_with(&corpus);
    let before = snapshot(&rig, Personality::Main, "user1");
    let mut spec = spec(&rig);
    spec.actions.delete_host1 = true;
    let (summary, state, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(summary.deleted_host1, corpus.len() as u64);
    assert_eq!(
        snapshot(&rig, Personality::Main, "user1").message_count(),
        0
    );
    assert_same(&before, &snapshot(&rig, Personality::Main, "user2"));
    let (again, _, _) = run_ok(&spec, &state);
    assert_eq!(again.transferred, 0);
    assert_same(&before, &snapshot(&rig, Personality::Main, "user2"));
}

#[test]
fn delete_remote_older_keeps_recent_mail_on_host1() {
    let rig = Rig::start().unwrap();
    let mut remote = rig.account(Personality::Main, "user1").connect().unwrap();
    remote
        .append(
            "INBOX",
            &msg(1, "old"),
            &[],
            date("2015-01-01T00:00:00+00:00"),
        )
        .unwrap();
    remote
        .append(
            "INBOX",
            &msg(2, "recent"),
            &[],
            chrono::Utc::now().fixed_offset(),
        )
        .unwrap();
    let mut spec = spec(&rig);
    spec.actions.delete_host1_older_days = Some(30);
    let (summary, _, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(summary.deleted_host1, 1);
    assert_eq!(remote.count("INBOX").unwrap(), 1);
    assert_eq!(
        rig.master_account(Personality::Main, "user2")
            .connect()
            .unwrap()
            .count("INBOX")
            .unwrap(),
        2
    );
}

#[test]
fn dry_run_changes_nothing() {
    let rig = rig_with(&Corpus::edge_cases());
    let before2 = snapshot(&rig, Personality::Main, "user2");
    let mut spec = spec(&rig);
    spec.actions.dry_run = true;
    spec.actions.delete_host1 = true;
    let (summary, state, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(summary.transferred, 0);
    assert_eq!(summary.would_transfer, Corpus::edge_cases().len() as u64);
    assert_eq!(state, SyncState::default());
    assert_same(&before2, &snapshot(&rig, Personality::Main, "user2"));
    assert_eq!(
        snapshot(&rig, Personality::Main, "user1").message_count(),
        Corpus::edge_cases().len()
    );
}

#[test]
fn delete_remote_with_delete_local_keeps_the_copies_of_what_it_deleted() {
    let rig = Rig::start().unwrap();
    let mut remote = rig.account(Personality::Main, "user1").connect().unwrap();
    let d = date("2022-02-02T00:00:00+00:00");
    for n in 1..=3 {
        remote.append("INBOX", &msg(n, "m"), &[], d).unwrap();
    }
    let mut spec = spec(&rig);
    spec.actions.delete_host1 = true;
    spec.actions.delete_host2_messages = true;
    let (first, state, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(first.deleted_host1, 3);
    remote.append("INBOX", &msg(4, "later"), &[], d).unwrap();
    let (second, _, logs) = run_ok(&spec, &state);
    assert_eq!(second.deleted_host2, 0, "{logs:?}");
    assert_eq!(second.transferred, 1);
    let mut local = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    assert_eq!(
        local.count("INBOX").unwrap(),
        4,
        "every message survives on host2"
    );
    assert_eq!(remote.count("INBOX").unwrap(), 0);
}

#[test]
fn delete_remote_spares_messages_whose_copy_is_gone_from_host2() {
    let rig = Rig::start().unwrap();
    let mut remote = rig.account(Personality::Main, "user1").connect().unwrap();
    let d = date("2022-02-02T00:00:00+00:00");
    for n in 1..=3 {
        remote.append("INBOX", &msg(n, "m"), &[], d).unwrap();
    }
    let spec_copy = spec(&rig);
    let (_, state, _) = run_ok(&spec_copy, &SyncState::default());
    let mut local = rig
        .master_account(Personality::Main, "user2")
        .connect()
        .unwrap();
    local
        .store_flags("INBOX", "1", FlagAction::Add, &["\\Deleted"])
        .unwrap();
    local.expunge("INBOX").unwrap();
    remote.append("INBOX", &msg(4, "new"), &[], d).unwrap();
    let mut spec = spec_copy.clone();
    spec.actions.delete_host1 = true;
    let (summary, _, _) = run_ok(&spec, &state);
    assert_eq!(
        summary.deleted_host1, 3,
        "the message whose copy the user deleted stays remotely"
    );
    assert_eq!(remote.count("INBOX").unwrap(), 1);
}

#[test]
fn a_changed_selection_re_examines_unchanged_folders() {
    let rig = Rig::start().unwrap();
    let mut remote = rig.account(Personality::Main, "user1").connect().unwrap();
    let old = "Message-Id: <old@x>\r\nDate: Mon, 1 Jan 2018 10:00:00 +0000\r\nSubject: old\r\n\r\nold\r\n";
    let new = format!(
        "Message-Id: <new@x>\r\nDate: {}\r\nSubject: new\r\n\r\nnew\r\n",
        chrono::Utc::now().to_rfc2822()
    );
    let d = chrono::Utc::now().fixed_offset();
    remote.append("INBOX", old.as_bytes(), &[], d).unwrap();
    remote
        .append("INBOX", new.as_bytes(), &["a[b".to_string()], d)
        .unwrap();
    let mut spec = spec(&rig);
    spec.select.max_age_days = Some(30.0);
    let (recent_only, state, _) = run_ok(&spec, &SyncState::default());
    assert_eq!(
        recent_only.transferred, 1,
        "--maxage works on the Date header"
    );
    spec.select.max_age_days = None;
    let (all, _, _) = run_ok(&spec, &state);
    assert_eq!(
        all.transferred, 1,
        "without --maxage the older message comes too"
    );
    assert_same(
        &snapshot(&rig, Personality::Main, "user1"),
        &snapshot(&rig, Personality::Main, "user2"),
    );
}
