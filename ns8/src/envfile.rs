//! The module `environment` file (`${AGENT_STATE_DIR}/environment`), read and written exactly like
//! the Python agent's `read_envfile`, `set_env`, `mset_env`, `unset_env` and `munset_env`
//! (ns8-runtime §1.7, §2.2): `KEY=VALUE` lines without quoting, changed under an exclusive `flock`
//! on `.environment.lock` and replaced atomically with the lines sorted.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::log;
use protocol::atomic_file::{with_path, write_durable};

/// File name of the environment file inside the state directory.
const ENVIRONMENT_FILE: &str = "environment";
/// Lock file serialising every change of the environment file (shared with the Python agent).
const LOCK_FILE: &str = ".environment.lock";
/// Mode of the lock file when this code creates it.
const LOCK_FILE_MODE: u32 = 0o644;
/// Mode of a new environment file: what Python's `mkstemp` gives when there is no old file to copy.
const NEW_FILE_MODE: u32 = 0o600;

/// Why the environment file could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// Reading, locking or writing a file failed; the message names the file.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The key or its value cannot be stored in the line format (empty key, `=` in the key, a
    /// leading `#`, or a newline, carriage return or NUL in either). The value is not shown: it
    /// may be a secret someone tried to store by mistake.
    #[error(
        "cannot store the environment variable {key:?}: keys must be non-empty, must not start with \
         '#' or contain '=', and neither keys nor values may contain a newline, carriage return or NUL"
    )]
    Unwritable {
        /// The rejected key, as given.
        key: String,
    },
}

/// Reads an environment file with the Python agent's rules: universal newlines, blank lines and
/// lines starting with `#` skipped, each other line split at its first `=`, key and value kept
/// verbatim (no trimming, no unquoting); a line without `=` is skipped with a warning on stderr; a
/// later line wins over an earlier one with the same key. A missing file is an
/// [`io::ErrorKind::NotFound`] error.
pub fn read_envfile(path: &Path) -> io::Result<BTreeMap<String, String>> {
    let bytes = fs::read(path).map_err(|err| with_path(err, path))?;
    let text = String::from_utf8(bytes).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not UTF-8 text: {err}", path.display()),
        )
    })?;
    Ok(parse_envfile(&text, path))
}

/// The module's state directory: `AGENT_STATE_DIR`, or the current directory when it is unset
/// (steps and `runagent` helpers start with their cwd in the state directory).
pub fn state_dir() -> PathBuf {
    match std::env::var_os("AGENT_STATE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}

/// The environment file of one module state directory.
#[derive(Debug, Clone)]
pub struct ModuleEnvironment {
    state_dir: PathBuf,
}

impl ModuleEnvironment {
    /// The environment file of `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            state_dir: state_dir.into(),
        }
    }

    /// The environment file of the module's [`state_dir`].
    pub fn from_env() -> Self {
        Self::new(state_dir())
    }

    /// `<state>/environment`.
    pub fn path(&self) -> PathBuf {
        self.state_dir.join(ENVIRONMENT_FILE)
    }

    /// Every variable of the file; a missing file reads as an empty map.
    pub fn read(&self) -> Result<BTreeMap<String, String>, EnvError> {
        match read_envfile(&self.path()) {
            Ok(map) => Ok(map),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(err) => Err(EnvError::Io(err)),
        }
    }

    /// The current value of `key` in the file (not in the process environment).
    pub fn get(&self, key: &str) -> Result<Option<String>, EnvError> {
        Ok(self.read()?.remove(key))
    }

    /// Sets one variable (Python `agent.set_env`).
    pub fn set(&self, key: &str, value: &str) -> Result<(), EnvError> {
        self.mset(&[(key, value)])
    }

    /// Sets several variables in one locked rewrite (Python `agent.mset_env`); a key given twice
    /// takes its last value. Nothing is written if any pair is unwritable.
    pub fn mset(&self, pairs: &[(&str, &str)]) -> Result<(), EnvError> {
        for (key, value) in pairs {
            check_writable(key, value)?;
        }
        self.update(|map| {
            for (key, value) in pairs {
                map.insert((*key).to_owned(), (*value).to_owned());
            }
        })
    }

    /// Removes one variable, if present (Python `agent.unset_env`).
    pub fn unset(&self, key: &str) -> Result<(), EnvError> {
        self.munset(&[key])
    }

    /// Removes several variables in one locked rewrite (Python `agent.munset_env`).
    pub fn munset(&self, keys: &[&str]) -> Result<(), EnvError> {
        self.update(|map| {
            for key in keys {
                map.remove(*key);
            }
        })
    }

    /// Lock, read, change, write back, unlock (the lock is released when the guard drops).
    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<(), EnvError> {
        let _lock = self.lock()?;
        let mut map = self.read()?;
        change(&mut map);
        let path = self.path();
        let mode = match fs::metadata(&path) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(err) if err.kind() == io::ErrorKind::NotFound => NEW_FILE_MODE,
            Err(err) => return Err(EnvError::Io(with_path(err, &path))),
        };
        write_durable(&path, serialize(&map).as_bytes(), mode)?;
        Ok(())
    }

    fn lock(&self) -> Result<Flock<File>, EnvError> {
        let lock_path = self.state_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(LOCK_FILE_MODE)
            .open(&lock_path)
            .map_err(|err| with_path(err, &lock_path))?;
        loop {
            match Flock::lock(file, FlockArg::LockExclusive) {
                Ok(guard) => return Ok(guard),
                Err((returned, Errno::EINTR)) => file = returned,
                Err((_, errno)) => {
                    return Err(EnvError::Io(with_path(io::Error::from(errno), &lock_path)))
                }
            }
        }
    }
}

/// The file body: `"\n".join(sorted("K=V")) + "\n"`. The whole `K=V` strings are sorted (by code
/// point, which is byte order for UTF-8), not the keys, so `A1=…` comes before `A=…`; an empty map
/// gives a single newline.
fn serialize(map: &BTreeMap<String, String>) -> String {
    let mut lines: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
    lines.sort();
    lines.join("\n") + "\n"
}

fn check_writable(key: &str, value: &str) -> Result<(), EnvError> {
    let breaks_line = |s: &str| s.contains(['\n', '\r', '\0']);
    if key.is_empty()
        || key.starts_with('#')
        || key.contains('=')
        || breaks_line(key)
        || breaks_line(value)
    {
        return Err(EnvError::Unwritable {
            key: key.to_owned(),
        });
    }
    Ok(())
}

/// Python text-mode reading: `\r\n` and lone `\r` end lines like `\n`.
fn parse_envfile(text: &str, path: &Path) -> BTreeMap<String, String> {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut map = BTreeMap::new();
    for (index, record) in normalized.split('\n').enumerate() {
        if record.is_empty() || record.starts_with('#') {
            continue;
        }
        match record.split_once('=') {
            Some((key, value)) => {
                map.insert(key.to_owned(), value.to_owned());
            }
            None => log::warning(format!(
                "read_envfile: Cannot parse line {} in {}",
                index + 1,
                path.display()
            )),
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(String, String)> {
        parse_envfile(text, Path::new("test")).into_iter().collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn python_reader_rules() {
        assert_eq!(
            parse("# comment\n\nA=1\nB==x= \n no-equal\nC=\n#D=2\nA=3"),
            vec![pair("A", "3"), pair("B", "=x= "), pair("C", "")]
        );
    }

    #[test]
    fn universal_newlines() {
        assert_eq!(
            parse("A=1\r\nB=2\rC=3\n"),
            vec![pair("A", "1"), pair("B", "2"), pair("C", "3")]
        );
    }

    #[test]
    fn leading_space_is_part_of_the_key() {
        assert_eq!(parse(" A=1\n"), vec![pair(" A", "1")]);
    }

    #[test]
    fn serialization_sorts_whole_lines() {
        let map = BTreeMap::from([pair("A", "x"), pair("A1", "y"), pair("B", "")]);
        assert_eq!(serialize(&map), "A1=y\nA=x\nB=\n");
        assert_eq!(serialize(&BTreeMap::new()), "\n");
    }

    #[test]
    fn writability_rules() {
        assert!(check_writable("MAIL_HOST", "10.5.4.1 = x # y").is_ok());
        for (key, value) in [
            ("", "v"),
            ("A=B", "v"),
            ("#A", "v"),
            ("A\nB", "v"),
            ("A", "1\n2"),
            ("A", "1\r"),
            ("A", "\0"),
        ] {
            assert!(
                matches!(check_writable(key, value), Err(EnvError::Unwritable { .. })),
                "{key:?}={value:?}"
            );
        }
    }
}
