//! `Rig`: a private Dovecot started by `scripts/dovecot-rig` in a temporary directory,
//! stopped and removed when the value is dropped.
//!
//! Set `TESTKIT_KEEP_RIG=1` to keep the directory (configs, logs, mail) after the
//! rig stops; its path is printed on stderr.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::account::{Account, Personality};
use crate::error::{Error, Result};

/// Users created when none is specified.
pub const DEFAULT_USERS: usize = 4;

/// A running rig and everything its `rig.env` says about it.
#[derive(Debug)]
pub struct Rig {
    dir: Option<TempDir>,
    /// Address of the main and dot listeners (`127.0.0.1`).
    pub host: String,
    /// Main personality, plain IMAP offering STARTTLS.
    pub imap_port: u16,
    /// Main personality, implicit TLS.
    pub imaps_port: u16,
    /// Address of the listener without STARTTLS.
    pub notls_host: String,
    /// Main personality, plain IMAP without STARTTLS.
    pub notls_port: u16,
    /// Dot personality, plain IMAP offering STARTTLS.
    pub dot_imap_port: u16,
    /// Dot personality, implicit TLS.
    pub dot_imaps_port: u16,
    /// Number of users (`user1` ..= `userN`).
    pub users: usize,
    /// Password of every user.
    pub user_password: String,
    /// Master user name (`vmail`).
    pub master_user: String,
    /// Master user password.
    pub master_password: String,
    /// Separator between user and master user in a login (`*`).
    pub master_separator: String,
    /// Self-signed PEM certificate of every TLS listener.
    pub cert: PathBuf,
    /// Root of the per-user Sieve directories.
    pub sieve_dir: PathBuf,
    /// Config of the main instance, for `doveadm -c`.
    pub doveadm_conf: PathBuf,
    /// Config of the dot instance, for `doveadm -c`.
    pub dot_doveadm_conf: PathBuf,
    /// Log file of the main instance.
    pub main_log: PathBuf,
    /// Log file of the dot instance.
    pub dot_log: PathBuf,
    /// Owner of the mail files.
    pub mail_uid: u32,
    /// Group of the mail files.
    pub mail_gid: u32,
    /// Every `rig.env` entry, including the ones above.
    pub env: BTreeMap<String, String>,
}

impl Rig {
    /// Starts a rig with [`DEFAULT_USERS`] users.
    pub fn start() -> Result<Self> {
        Self::start_with_users(DEFAULT_USERS)
    }

    /// Starts a rig with `users` users in a fresh temporary directory.
    pub fn start_with_users(users: usize) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("rig-").tempdir()?;
        let users_arg = users.to_string();
        if let Err(e) = run_script(&["start", path_str(dir.path())?, "--users", &users_arg]) {
            let _ = run_script(&["stop", path_str(dir.path())?]);
            return Err(e);
        }
        let text = fs::read_to_string(dir.path().join("rig.env"))?;
        Self::from_env(dir, parse_env(&text))
    }

    /// Path of the `dovecot-rig` script.
    pub fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/dovecot-rig")
    }

    /// Directory holding configs, logs and mail of this rig.
    pub fn dir(&self) -> &Path {
        self.dir
            .as_ref()
            .map(TempDir::path)
            .unwrap_or(Path::new(""))
    }

    /// Login name of the n-th user (`user1` for 1).
    pub fn user(&self, n: usize) -> String {
        format!("user{n}")
    }

    /// Plain IMAP (STARTTLS offered) port of a personality.
    pub fn port(&self, personality: Personality) -> u16 {
        match personality {
            Personality::Main => self.imap_port,
            Personality::Dot => self.dot_imap_port,
        }
    }

    /// Implicit TLS port of a personality.
    pub fn tls_port(&self, personality: Personality) -> u16 {
        match personality {
            Personality::Main => self.imaps_port,
            Personality::Dot => self.dot_imaps_port,
        }
    }

    /// `user` logging in with the user password on the plain port of `personality`.
    pub fn account(&self, personality: Personality, user: &str) -> Account {
        Account::new(
            &self.host,
            self.port(personality),
            personality,
            user,
            &self.user_password,
        )
    }

    /// `user` on the main personality's listener that offers no STARTTLS.
    pub fn notls_account(&self, user: &str) -> Account {
        Account::new(
            &self.notls_host,
            self.notls_port,
            Personality::Main,
            user,
            &self.user_password,
        )
    }

    /// `user*vmail` logging in with the master password on the plain port of `personality`.
    pub fn master_account(&self, personality: Personality, user: &str) -> Account {
        let login = format!("{user}{}{}", self.master_separator, self.master_user);
        Account::new(
            &self.host,
            self.port(personality),
            personality,
            login,
            &self.master_password,
        )
    }

    /// Installs `script` as the active Sieve script of `user` (main personality).
    pub fn install_sieve(&self, user: &str, script: &str) -> Result<()> {
        let dir = self.sieve_dir.join(user);
        if !dir.is_dir() {
            fs::create_dir_all(&dir)?;
            std::os::unix::fs::chown(&dir, Some(self.mail_uid), Some(self.mail_gid))?;
        }
        let staged = dir.join("active.sieve.new");
        fs::write(&staged, script)?;
        fs::rename(&staged, dir.join("active.sieve"))?;
        match fs::remove_file(dir.join("active.svbin")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn from_env(dir: TempDir, env: BTreeMap<String, String>) -> Result<Self> {
        let text = |key: &str| -> Result<String> {
            env.get(key)
                .cloned()
                .ok_or_else(|| Error::Rig(format!("rig.env lacks {key}")))
        };
        let number = |key: &str| -> Result<u32> {
            text(key)?
                .parse()
                .map_err(|_| Error::Rig(format!("rig.env {key} is not a number")))
        };
        let port = |key: &str| -> Result<u16> {
            u16::try_from(number(key)?)
                .map_err(|_| Error::Rig(format!("rig.env {key} is not a port")))
        };
        Ok(Rig {
            host: text("RIG_HOST")?,
            imap_port: port("RIG_IMAP_PORT")?,
            imaps_port: port("RIG_IMAPS_PORT")?,
            notls_host: text("RIG_NOTLS_HOST")?,
            notls_port: port("RIG_NOTLS_PORT")?,
            dot_imap_port: port("RIG_DOT_IMAP_PORT")?,
            dot_imaps_port: port("RIG_DOT_IMAPS_PORT")?,
            users: number("RIG_USERS")? as usize,
            user_password: text("RIG_USER_PASSWORD")?,
            master_user: text("RIG_MASTER_USER")?,
            master_password: text("RIG_MASTER_PASSWORD")?,
            master_separator: text("RIG_MASTER_SEPARATOR")?,
            cert: text("RIG_CERT")?.into(),
            sieve_dir: text("RIG_SIEVE_DIR")?.into(),
            doveadm_conf: text("RIG_DOVEADM_CONF")?.into(),
            dot_doveadm_conf: text("RIG_DOT_DOVEADM_CONF")?.into(),
            main_log: text("RIG_MAIN_LOG")?.into(),
            dot_log: text("RIG_DOT_LOG")?.into(),
            mail_uid: number("RIG_MAIL_UID")?,
            mail_gid: number("RIG_MAIL_GID")?,
            env,
            dir: Some(dir),
        })
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        if let Ok(path) = path_str(dir.path()) {
            let _ = run_script(&["stop", path]);
        }
        if std::env::var_os("TESTKIT_KEEP_RIG").is_some() {
            eprintln!("testkit: rig kept in {}", dir.keep().display());
        }
    }
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| Error::Rig(format!("non UTF-8 path {}", path.display())))
}

fn run_script(args: &[&str]) -> Result<()> {
    let output = Command::new(Rig::script()).args(args).output()?;
    if output.status.success() {
        return Ok(());
    }
    Err(Error::Rig(format!(
        "dovecot-rig {} failed ({}): {}{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

/// Parses `KEY=VALUE` lines, ignoring blank lines and comments.
fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_parse() {
        let env = parse_env("A=1\n\n# note\nB=x=y\nbroken\n");
        assert_eq!(env.get("A").map(String::as_str), Some("1"));
        assert_eq!(env.get("B").map(String::as_str), Some("x=y"));
        assert_eq!(env.len(), 2);
    }

    #[test]
    fn script_exists() {
        assert!(Rig::script().is_file());
    }
}
