//! The module `environment` file as the Python agent and the Go agent see it: exact bytes, sorted
//! lines, kept permissions, no lost update under concurrent writers (threads and processes).

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::thread;

use ns8::envfile::{read_envfile, EnvError, ModuleEnvironment};

/// Environment variable that turns the process test below into one of its writer children.
const CHILD_SPEC_VAR: &str = "NS8_TEST_ENV_WRITER";
const KEYS_PER_WRITER: usize = 25;

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o7777
}

#[test]
fn writes_python_byte_format_with_whole_lines_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let env = ModuleEnvironment::new(dir.path());
    env.set("MAIL_SERVER", "2f3c-uuid").unwrap();
    env.mset(&[
        ("MAIL_HOST", "10.5.4.1"),
        ("A", "x"),
        ("A1", "y"),
        ("EMPTY", ""),
    ])
    .unwrap();
    env.set("WITH_SPACES", " a = b # c ").unwrap();

    assert_eq!(
        fs::read_to_string(env.path()).unwrap(),
        "A1=y\nA=x\nEMPTY=\nMAIL_HOST=10.5.4.1\nMAIL_SERVER=2f3c-uuid\nWITH_SPACES= a = b # c \n"
    );
    assert_eq!(
        env.get("WITH_SPACES").unwrap().as_deref(),
        Some(" a = b # c ")
    );
    assert_eq!(env.get("MISSING").unwrap(), None);
    // Only the environment file and the lock are left: no temporary file.
    assert_eq!(
        file_names(dir.path()),
        vec![".environment.lock", "environment"]
    );
}

#[test]
fn unset_keeps_the_others_and_an_empty_map_is_a_single_newline() {
    let dir = tempfile::tempdir().unwrap();
    let env = ModuleEnvironment::new(dir.path());
    env.mset(&[("A", "1"), ("B", "2"), ("C", "3")]).unwrap();
    env.unset("B").unwrap();
    env.unset("NOT_THERE").unwrap();
    assert_eq!(fs::read_to_string(env.path()).unwrap(), "A=1\nC=3\n");
    env.munset(&["A", "C"]).unwrap();
    assert_eq!(fs::read(env.path()).unwrap(), b"\n");
    assert!(env.read().unwrap().is_empty());
}

#[test]
fn existing_mode_is_kept_and_a_new_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let env = ModuleEnvironment::new(dir.path());
    env.set("A", "1").unwrap();
    assert_eq!(mode(&env.path()), 0o600);

    fs::set_permissions(env.path(), fs::Permissions::from_mode(0o640)).unwrap();
    env.set("B", "2").unwrap();
    assert_eq!(mode(&env.path()), 0o640);
    assert!(dir.path().join(".environment.lock").is_file());
}

#[test]
fn values_that_would_break_the_format_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let env = ModuleEnvironment::new(dir.path());
    env.set("KEEP", "1").unwrap();
    let before = fs::read(env.path()).unwrap();

    for (key, value) in [
        ("A", "line1\nline2"),
        ("A", "x\r"),
        ("A", "nul\0"),
        ("", "v"),
        ("K=V", "v"),
        ("#K", "v"),
    ] {
        let err = env.mset(&[("OK", "fine"), (key, value)]).unwrap_err();
        assert!(matches!(err, EnvError::Unwritable { .. }), "{key:?}: {err}");
        // The value may be a secret stored by mistake: it never shows in the message.
        assert!(!err.to_string().contains("line2"), "{err}");
    }
    assert_eq!(fs::read(env.path()).unwrap(), before);
}

#[test]
fn reads_files_written_by_other_tools_with_python_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("task.env");
    fs::write(
        &path,
        "# imapsync task\r\nUSER=a@b\r\n\nPASS_FILE=x=y\nbroken line\n#X=1\nUSER=c@d ",
    )
    .unwrap();
    let map = read_envfile(&path).unwrap();
    let expected: BTreeMap<String, String> = [("PASS_FILE", "x=y"), ("USER", "c@d ")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(map, expected);

    let err = read_envfile(&dir.path().join("missing")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(ModuleEnvironment::new(dir.path())
        .read()
        .unwrap()
        .is_empty());
}

#[test]
fn concurrent_threads_lose_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let state = dir.path().to_path_buf();
            thread::spawn(move || {
                let env = ModuleEnvironment::new(state);
                for n in 0..KEYS_PER_WRITER {
                    env.set(&format!("T{writer}_K{n}"), &n.to_string()).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let map = ModuleEnvironment::new(dir.path()).read().unwrap();
    assert_eq!(map.len(), 8 * KEYS_PER_WRITER);
    assert_eq!(map.get("T7_K24").map(String::as_str), Some("24"));
}

/// Runs itself as several writer processes: in a child (spec in the environment) it only writes.
#[test]
fn concurrent_processes_lose_no_key() {
    if let Ok(spec) = std::env::var(CHILD_SPEC_VAR) {
        let (state, writer) = spec.rsplit_once(':').unwrap();
        let env = ModuleEnvironment::new(state);
        for n in 0..KEYS_PER_WRITER {
            env.set(&format!("P{writer}_K{n}"), &n.to_string()).unwrap();
        }
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|writer| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "concurrent_processes_lose_no_key",
                    "--test-threads=1",
                    "--quiet",
                ])
                .env(CHILD_SPEC_VAR, format!("{}:{writer}", dir.path().display()))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (writer, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "writer {writer}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let map = ModuleEnvironment::new(dir.path()).read().unwrap();
    assert_eq!(map.len(), 4 * KEYS_PER_WRITER, "{map:?}");
}
