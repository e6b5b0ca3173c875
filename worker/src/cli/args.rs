//! imapsync-compatible command-line flags and their translation into a [`SyncSpec`]. Flags the
//! Perl tool had and that have no meaning here are accepted and ignored; anything else is a
//! usage error.

use clap::Parser;
use protocol::secret::Secret;
use protocol::spec::{Actions, Endpoint, Security, Selection, SyncSpec};
use std::path::PathBuf;

/// imapsync-compatible flags. Single-dash spellings (`-host1`) are accepted too.
#[derive(Debug, Parser)]
#[command(
    name = "imapsync",
    about = "Copy one mailbox from host1 to host2 over IMAP (imapsync-compatible flags)",
    disable_version_flag = true
)]
pub struct Args {
    #[arg(long)]
    pub host1: Option<String>,
    #[arg(long)]
    pub port1: Option<u16>,
    #[arg(long)]
    pub user1: Option<String>,
    /// Prefer --passfile1: a password here is visible to every local user.
    #[arg(long)]
    pub password1: Option<String>,
    #[arg(long)]
    pub passfile1: Option<PathBuf>,
    #[arg(long)]
    pub ssl1: bool,
    #[arg(long)]
    pub tls1: bool,
    #[arg(long)]
    pub authuser1: Option<String>,
    #[arg(long)]
    pub timeout1: Option<u32>,
    /// `SSL_verify_mode=1` turns certificate verification on.
    #[arg(long)]
    pub sslargs1: Vec<String>,

    #[arg(long)]
    pub host2: Option<String>,
    #[arg(long)]
    pub port2: Option<u16>,
    #[arg(long)]
    pub user2: Option<String>,
    #[arg(long)]
    pub password2: Option<String>,
    #[arg(long)]
    pub passfile2: Option<PathBuf>,
    #[arg(long)]
    pub ssl2: bool,
    #[arg(long)]
    pub tls2: bool,
    #[arg(long)]
    pub authuser2: Option<String>,
    #[arg(long)]
    pub timeout2: Option<u32>,
    #[arg(long)]
    pub sslargs2: Vec<String>,

    /// Seconds to wait for any server reply, both sides.
    #[arg(long)]
    pub timeout: Option<u32>,
    /// Sync only this host1 folder (repeatable).
    #[arg(long)]
    pub folder: Vec<String>,
    /// Skip host1 folders matching this regex (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    #[arg(long)]
    pub search1: Option<String>,
    #[arg(long)]
    pub maxage: Option<f64>,
    #[arg(long)]
    pub minage: Option<f64>,
    #[arg(long)]
    pub delete1: bool,
    #[arg(long)]
    pub delete1older: Option<u32>,
    #[arg(long)]
    pub delete2: bool,
    #[arg(long)]
    pub delete2folders: bool,
    /// Set this flag on host1 after each copy (`Seen` means `\Seen`).
    #[arg(long)]
    pub setflag1: Option<String>,
    #[arg(long)]
    pub sievedelivery2: bool,
    #[arg(long)]
    pub noresyncflags: bool,
    #[arg(long)]
    pub justlogin: bool,
    #[arg(long)]
    pub justfoldersizes: bool,
    #[arg(long)]
    pub dry: bool,
    #[arg(long)]
    pub nolog: bool,
    #[arg(long)]
    pub pidfile: Option<PathBuf>,
    /// Keep the UID map in this file between runs (re-runs cost O(new messages)).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Parallel folder connections per side.
    #[arg(long, default_value_t = 3)]
    pub connections: u8,

    #[arg(long, hide = true)]
    pub noauthmd5: bool,
    #[arg(long, hide = true)]
    pub noreleasecheck: bool,
    #[arg(long, hide = true)]
    pub allowsizemismatch: bool,
    #[arg(long, hide = true)]
    pub skipsize: bool,
    #[arg(long, hide = true)]
    pub nofoldersizes: bool,
    #[arg(long, hide = true)]
    pub fastio1: bool,
    #[arg(long, hide = true)]
    pub fastio2: bool,
    #[arg(long, hide = true)]
    pub noexpungeaftereach: bool,
    #[arg(long, hide = true)]
    pub buffersize: Option<u64>,
}

/// A flag combination that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Rewrites `-flag` to `--flag` (imapsync accepts both spellings) for known flags in flag
/// position only: the value after a flag that takes one (a password such as `-Secret`) is
/// never touched.
pub fn normalise_dashes(argv: impl IntoIterator<Item = String>) -> Vec<String> {
    use clap::CommandFactory;
    let command = Args::command();
    let takes_value = |name: &str| {
        command
            .get_arguments()
            .find(|a| a.get_long() == Some(name))
            .map(|a| a.get_action().takes_values())
    };
    let mut out = Vec::new();
    let mut value_expected = false;
    for (i, arg) in argv.into_iter().enumerate() {
        if i == 0 {
            out.push(arg);
            continue;
        }
        if value_expected {
            // Joined as `--flag=value` so that a value starting with `-` stays a value.
            value_expected = false;
            if let Some(flag) = out.last_mut() {
                flag.push('=');
                flag.push_str(&arg);
            }
            continue;
        }
        let long = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|_| arg.len() > 2);
        let Some(long) = long else {
            out.push(arg);
            continue;
        };
        let (name, inline_value) = match long.split_once('=') {
            Some((name, _)) => (name, true),
            None => (long, false),
        };
        match takes_value(name) {
            Some(takes) => {
                value_expected = takes && !inline_value;
                out.push(format!("--{long}"));
            }
            None => out.push(arg),
        }
    }
    out
}

fn password(
    inline: &Option<String>,
    file: &Option<PathBuf>,
    env_var: &str,
    side: &str,
) -> Result<Secret, UsageError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("--passfile{side} {}: {e}", path.display())))?;
        let first = text.lines().next().unwrap_or("");
        return Ok(Secret::new(first));
    }
    if let Some(p) = inline {
        return Ok(Secret::new(p.clone()));
    }
    match std::env::var(env_var) {
        Ok(p) => Ok(Secret::new(p)),
        Err(_) => Err(UsageError(format!(
            "missing password for host{side}: give --passfile{side} (or --password{side}, or {env_var})"
        ))),
    }
}

fn verify_requested(sslargs: &[String]) -> bool {
    sslargs
        .iter()
        .any(|a| a.replace(' ', "").eq_ignore_ascii_case("SSL_verify_mode=1"))
}

struct Side<'a> {
    n: &'a str,
    host: &'a Option<String>,
    port: Option<u16>,
    user: &'a Option<String>,
    password: &'a Option<String>,
    passfile: &'a Option<PathBuf>,
    ssl: bool,
    tls: bool,
    authuser: &'a Option<String>,
    timeout: Option<u32>,
    sslargs: &'a [String],
}

fn endpoint(side: Side<'_>, default_timeout: u32) -> Result<Endpoint, UsageError> {
    let n = side.n;
    let host = side
        .host
        .clone()
        .ok_or_else(|| UsageError(format!("--host{n} is required")))?;
    let user = side
        .user
        .clone()
        .ok_or_else(|| UsageError(format!("--user{n} is required")))?;
    if side.ssl && side.tls {
        return Err(UsageError(format!(
            "--ssl{n} and --tls{n} exclude each other"
        )));
    }
    let security = if side.ssl {
        Security::Tls
    } else if side.tls {
        Security::Starttls
    } else {
        Security::Plain
    };
    let port = side.port.unwrap_or(if side.ssl { 993 } else { 143 });
    Ok(Endpoint {
        host,
        port,
        security,
        verify_tls: verify_requested(side.sslargs),
        user,
        auth_user: side.authuser.clone(),
        password: password(
            side.password,
            side.passfile,
            &format!("IMAPSYNC_PASSWORD{n}"),
            n,
        )?,
        timeout_secs: side.timeout.unwrap_or(default_timeout),
        addresses: Vec::new(),
    })
}

impl Args {
    /// The sync this command line asks for.
    pub fn to_spec(&self) -> Result<SyncSpec, UsageError> {
        let timeout = self.timeout.unwrap_or(120);
        let host1 = endpoint(
            Side {
                n: "1",
                host: &self.host1,
                port: self.port1,
                user: &self.user1,
                password: &self.password1,
                passfile: &self.passfile1,
                ssl: self.ssl1,
                tls: self.tls1,
                authuser: &self.authuser1,
                timeout: self.timeout1,
                sslargs: &self.sslargs1,
            },
            timeout,
        )?;
        let host2 = endpoint(
            Side {
                n: "2",
                host: &self.host2,
                port: self.port2,
                user: &self.user2,
                password: &self.password2,
                passfile: &self.passfile2,
                ssl: self.ssl2,
                tls: self.tls2,
                authuser: &self.authuser2,
                timeout: self.timeout2,
                sslargs: &self.sslargs2,
            },
            timeout,
        )?;
        let set_seen = match self.setflag1.as_deref() {
            None => false,
            Some(f) if f.trim_start_matches('\\').eq_ignore_ascii_case("Seen") => true,
            Some(other) => {
                return Err(UsageError(format!(
                    "--setflag1 {other}: only Seen is supported"
                )))
            }
        };
        if self.connections == 0 {
            return Err(UsageError("--connections must be at least 1".into()));
        }
        Ok(SyncSpec {
            host1,
            host2,
            select: Selection {
                folders: self.folder.clone(),
                exclude: self.exclude.clone(),
                search1: self.search1.clone(),
                max_age_days: self.maxage,
                min_age_days: self.minage,
            },
            actions: Actions {
                resync_flags: !self.noresyncflags,
                set_seen_on_host1: set_seen,
                sieve_delivery: self.sievedelivery2,
                delete_host2_messages: self.delete2,
                delete_host2_folders: self.delete2folders,
                delete_host1: self.delete1,
                delete_host1_older_days: self.delete1older,
                dry_run: self.dry,
            },
            connections: self.connections,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        let mut argv: Vec<String> = [
            "imapsync",
            "--host1",
            "a",
            "--user1",
            "u",
            "--password1",
            "p",
            "--host2",
            "b",
            "--user2",
            "v",
            "--password2",
            "q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        argv.extend(extra.iter().map(|s| s.to_string()));
        Args::try_parse_from(normalise_dashes(argv))
    }

    #[test]
    fn module_command_line_is_accepted() {
        let args = parse(&[
            "--nolog",
            "--noauthmd5",
            "--noreleasecheck",
            "--allowsizemismatch",
            "--skipsize",
            "--nofoldersizes",
            "--fastio1",
            "--fastio2",
            "--buffersize",
            "8192000",
            "--delete1older=30",
            "--noexpungeaftereach",
            "--tls2",
            "--port2",
            "143",
            "--ssl1",
            "--folder",
            "INBOX",
            "--search1=UNSEEN",
            "--setflag1=Seen",
            "--noresyncflags",
            "--sievedelivery2",
            "--exclude",
            "^Shared(/.*)?$|^Public(/.*)?$",
        ])
        .unwrap();
        let spec = args.to_spec().unwrap();
        assert_eq!(spec.host1.security, Security::Tls);
        assert_eq!(spec.host1.port, 993);
        assert_eq!(spec.host2.security, Security::Starttls);
        assert_eq!(spec.actions.delete_host1_older_days, Some(30));
        assert!(
            spec.actions.set_seen_on_host1
                && spec.actions.sieve_delivery
                && !spec.actions.resync_flags
        );
        assert_eq!(spec.select.folders, ["INBOX"]);
        assert_eq!(spec.host1.password.expose(), "p");
    }

    #[test]
    fn values_that_start_with_a_dash_are_kept() {
        let argv = ["imapsync", "--password1", "-delete2", "-dry"].map(String::from);
        let args = Args::try_parse_from(normalise_dashes(argv)).unwrap();
        assert_eq!(args.password1.as_deref(), Some("-delete2"));
        assert!(args.dry && !args.delete2);
        let argv = normalise_dashes(
            ["imapsync", "-password2", "-Secret", "-folder=INBOX"].map(String::from),
        );
        assert_eq!(argv, ["imapsync", "--password2=-Secret", "--folder=INBOX"]);
    }

    #[test]
    fn single_dash_spellings_work_and_unknown_flags_fail() {
        assert!(parse(&["-delete2", "-dry"]).unwrap().delete2);
        assert!(parse(&["--bogus"]).is_err());
    }

    #[test]
    fn conflicting_or_missing_settings_are_usage_errors() {
        assert!(parse(&["--ssl1", "--tls1"]).unwrap().to_spec().is_err());
        assert!(parse(&["--setflag1", "Flagged"])
            .unwrap()
            .to_spec()
            .is_err());
        let no_host = Args::try_parse_from(["imapsync", "--user1", "u"]).unwrap();
        assert!(no_host.to_spec().is_err());
    }
}
