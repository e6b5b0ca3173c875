//! The cron files of one directory (the container's `/etc/cron.d`): which files count, loading
//! them, noticing when they change, and picking the entries due at a given minute.
//!
//! The files read are those named `*.cron` (the module's task schedules) and `*.custom` (the
//! administrator's), in name order; dot files and any other name (`x.cron.rollback`, `x.cron~`)
//! are ignored.

use super::file::{self, Entry};
use super::schedule::Schedule;
use chrono::{DateTime, TimeZone};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The entries of every cron file of a directory, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct CronTable {
    files: Vec<CronFile>,
    errors: Vec<String>,
}

/// One loaded file.
#[derive(Debug, Clone)]
struct CronFile {
    name: String,
    entries: Vec<Entry>,
}

/// What [`CronTable::fingerprint`] sees of a directory: compare two to know whether to reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Option<Vec<Stamp>>);

/// The name and metadata of one cron file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    name: String,
    metadata: Option<FileMetadata>,
}

/// The metadata of a file that changes when it is rewritten or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileMetadata {
    size: u64,
    inode: u64,
    modified: (i64, i64),
}

impl CronTable {
    /// Reads every `*.cron` and `*.custom` file in `dir`, in name order.
    ///
    /// Nothing fails: an unreadable directory gives an empty table, and a file that cannot be
    /// read or a bad line is left out; each is described in [`CronTable::errors`].
    pub fn load(dir: &Path) -> CronTable {
        let names = match cron_file_names(dir) {
            Ok(names) => names,
            Err(e) => {
                return CronTable {
                    files: Vec::new(),
                    errors: vec![format!("{}: cannot list the directory: {e}", dir.display())],
                }
            }
        };
        let mut table = CronTable::default();
        for name in names {
            let bytes = match fs::read(dir.join(&name)) {
                Ok(bytes) => bytes,
                Err(e) => {
                    table.errors.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let (entries, errors) = file::parse(&String::from_utf8_lossy(&bytes));
            table.errors.extend(
                errors
                    .iter()
                    .map(|error| format!("{name}:{}: {}", error.line, error.reason)),
            );
            table.files.push(CronFile { name, entries });
        }
        table
    }

    /// A cheap fingerprint of the cron files in `dir`: their names, sizes, inode numbers and
    /// modification times (to the nanosecond). When it differs from the one taken before the
    /// last [`CronTable::load`], something changed and the table should be loaded again.
    ///
    /// A file rewritten in place with the same size within the file system's timestamp
    /// granularity (a few milliseconds) goes unnoticed; replacing it by a rename does not.
    pub fn fingerprint(dir: &Path) -> Fingerprint {
        let stamps = cron_file_names(dir).ok().map(|names| {
            names
                .into_iter()
                .map(|name| Stamp {
                    metadata: fs::metadata(dir.join(&name)).ok().map(|m| FileMetadata {
                        size: m.size(),
                        inode: m.ino(),
                        modified: (m.mtime(), m.mtime_nsec()),
                    }),
                    name,
                })
                .collect()
        });
        Fingerprint(stamps)
    }

    /// What could not be loaded: `<file name>:<line>: <reason>` for a bad line,
    /// `<file name>: <error>` for a file that could not be read, or one message for a directory
    /// that could not be listed.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// How many files were loaded (including those with no entry).
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// How many entries were loaded, `@reboot` ones included.
    pub fn entries(&self) -> usize {
        self.files.iter().map(|file| file.entries.len()).sum()
    }

    /// The entries due in the minute of `now` (its seconds are ignored), each with the name of
    /// its file, in file name then line order.
    pub fn due<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> Vec<(&str, &Entry)> {
        self.select(|entry| entry.schedule.matches(now))
    }

    /// The `@reboot` entries, to run once when the supervisor starts, each with the name of its
    /// file.
    pub fn at_reboot(&self) -> Vec<(&str, &Entry)> {
        self.select(|entry| matches!(entry.schedule, Schedule::Reboot))
    }

    /// The entries that satisfy `wanted`, with their file names, in order.
    fn select(&self, wanted: impl Fn(&Entry) -> bool) -> Vec<(&str, &Entry)> {
        self.files
            .iter()
            .flat_map(|file| file.entries.iter().map(|entry| (file.name.as_str(), entry)))
            .filter(|(_, entry)| wanted(entry))
            .collect()
    }
}

/// Whether a directory entry named `name` is a cron file to load.
fn is_cron_file_name(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".cron") || name.ends_with(".custom"))
}

/// The names of the cron files in `dir`, sorted.
fn cron_file_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        if let Some(name) = entry?.file_name().to_str() {
            if is_cron_file_name(name) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::Command;
    use chrono::{NaiveDate, Utc};
    use std::fs::File;
    use std::time::{Duration, SystemTime};

    /// The UTC time `y-m-d h:min:s`.
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, s))
            .expect("valid test time")
            .and_utc()
    }

    /// Writes `text` to `dir/name`.
    fn write(dir: &Path, name: &str, text: &str) {
        fs::write(dir.join(name), text).expect("write test file");
    }

    /// `(file name, line)` of each selected entry.
    fn places<'a>(selected: &[(&'a str, &Entry)]) -> Vec<(&'a str, usize)> {
        selected
            .iter()
            .map(|(name, entry)| (*name, entry.line))
            .collect()
    }

    #[test]
    fn loads_only_cron_and_custom_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            "a.cron",
            "*/5 * * * * root syncctl start u2_a\n",
        );
        write(
            dir.path(),
            "b.custom",
            "@reboot root /bin/true\n0 * * * * root echo hourly\n",
        );
        for ignored in [
            "c.cron.rollback",
            ".hidden.cron",
            "d.cron~",
            "e.txt",
            "cron",
        ] {
            write(dir.path(), ignored, "* * * * * root echo ignored\n");
        }
        fs::create_dir(dir.path().join("f.cron.d")).expect("sub dir");

        let table = CronTable::load(dir.path());
        assert_eq!(table.errors(), [] as [String; 0]);
        assert_eq!(table.files(), 2);
        assert_eq!(table.entries(), 3);

        let due = table.due(&at(2025, 3, 4, 10, 0, 42));
        assert_eq!(places(&due), [("a.cron", 1), ("b.custom", 2)]);
        assert_eq!(due[0].1.command, Command::StartTask("u2_a".to_string()));

        assert_eq!(
            places(&table.due(&at(2025, 3, 4, 10, 5, 0))),
            [("a.cron", 1)]
        );
        assert_eq!(places(&table.due(&at(2025, 3, 4, 10, 7, 0))), []);
        assert_eq!(places(&table.at_reboot()), [("b.custom", 1)]);
    }

    #[test]
    fn files_load_in_name_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["z.cron", "m.custom", "a.cron"] {
            write(dir.path(), name, "* * * * * root true\n");
        }
        let table = CronTable::load(dir.path());
        let names: Vec<&str> = places(&table.due(&at(2025, 1, 1, 0, 0, 0)))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["a.cron", "m.custom", "z.cron"]);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            "a.cron",
            "# schedules\n61 * * * * root cmd\n0 0 * * * root ok\n",
        );
        write(dir.path(), "b.custom", "@sometimes root x\n");
        write(dir.path(), "c.cron", "# nothing yet\n");

        let table = CronTable::load(dir.path());
        assert_eq!(
            table.errors(),
            [
                "a.cron:2: bad minute `61`: 61 is out of range 0-59",
                "b.custom:1: unknown time shortcut `@sometimes`",
            ]
        );
        assert_eq!(table.files(), 3);
        assert_eq!(table.entries(), 1);
    }

    #[test]
    fn an_unreadable_file_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "a.cron", "0 0 * * * root ok\n");
        fs::create_dir(dir.path().join("b.cron")).expect("dir named like a cron file");

        let table = CronTable::load(dir.path());
        assert_eq!(table.files(), 1);
        assert_eq!(table.entries(), 1);
        assert_eq!(table.errors().len(), 1);
        assert!(
            table.errors()[0].starts_with("b.cron: "),
            "{:?}",
            table.errors()
        );
    }

    #[test]
    fn invalid_utf8_does_not_hide_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(
            dir.path().join("a.custom"),
            b"# caf\xe9\n0 0 * * * root echo ok\n",
        )
        .expect("write test file");
        let table = CronTable::load(dir.path());
        assert_eq!(table.errors(), [] as [String; 0]);
        assert_eq!(table.entries(), 1);
    }

    #[test]
    fn a_missing_directory_is_empty_with_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("cron.d");
        let table = CronTable::load(&missing);
        assert_eq!(table.files(), 0);
        assert_eq!(table.entries(), 0);
        assert_eq!(places(&table.due(&at(2025, 1, 1, 0, 0, 0))), []);
        assert_eq!(places(&table.at_reboot()), []);
        assert_eq!(table.errors().len(), 1);
        assert!(
            table.errors()[0].starts_with(&format!("{}: cannot list", missing.display())),
            "{:?}",
            table.errors()
        );

        assert_eq!(
            CronTable::fingerprint(&missing),
            CronTable::fingerprint(&missing)
        );
        fs::create_dir(&missing).expect("create dir");
        assert_ne!(
            CronTable::fingerprint(&missing),
            Fingerprint(None),
            "an empty directory differs from a missing one"
        );
    }

    #[test]
    fn the_fingerprint_follows_the_cron_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path();
        write(path, "a.cron", "0 0 * * * root syncctl start u2_a\n");
        let first = CronTable::fingerprint(path);
        assert_eq!(CronTable::fingerprint(path), first);

        // Ignored names do not count.
        write(path, "a.cron.rollback", "anything\n");
        write(path, ".b.cron", "anything\n");
        assert_eq!(CronTable::fingerprint(path), first);

        // Rewritten in place with the same size, a new modification time.
        let file = File::options()
            .write(true)
            .open(path.join("a.cron"))
            .expect("open");
        fs::write(path.join("a.cron"), "0 1 * * * root syncctl start u2_a\n").expect("rewrite");
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123))
            .expect("set mtime");
        let rewritten = CronTable::fingerprint(path);
        assert_ne!(rewritten, first);

        // Only the nanoseconds of the modification time change.
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 456))
            .expect("set mtime");
        let touched = CronTable::fingerprint(path);
        assert_ne!(touched, rewritten);

        // Replaced by a rename, same size and modification time: a new inode.
        write(path, "a.cron.new", "0 2 * * * root syncctl start u2_a\n");
        File::options()
            .write(true)
            .open(path.join("a.cron.new"))
            .and_then(|f| {
                f.set_modified(SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 456))
            })
            .expect("set mtime");
        fs::rename(path.join("a.cron.new"), path.join("a.cron")).expect("rename");
        let replaced = CronTable::fingerprint(path);
        assert_ne!(replaced, touched);

        write(path, "b.custom", "");
        let added = CronTable::fingerprint(path);
        assert_ne!(added, replaced);

        fs::remove_file(path.join("b.custom")).expect("remove");
        assert_eq!(CronTable::fingerprint(path), replaced);
        fs::remove_file(path.join("a.cron")).expect("remove");
        assert_ne!(CronTable::fingerprint(path), replaced);
    }
}
