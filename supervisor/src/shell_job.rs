//! A cron line that is not `syncctl start <task>`: run through `/bin/sh -c` (or the file's
//! `SHELL`) as the line's user, with cron's environment and the file's variables, output to
//! the container log.

use crate::cron::{Command as CronCommand, Entry};
use crate::shared::Shared;
use nix::unistd::{getgrouplist, setgid, setgroups, setsid, setuid, Gid, Uid, User};
use std::ffi::CString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;

/// Who a job runs as.
struct Identity {
    uid: Uid,
    gid: Gid,
    groups: Vec<Gid>,
    home: String,
    name: String,
}

fn identity(user: &str) -> Result<Identity, String> {
    let found = User::from_name(user)
        .map_err(|e| format!("cannot look up user {user}: {e}"))?
        .ok_or_else(|| format!("no such user {user}"))?;
    let groups = CString::new(user)
        .ok()
        .and_then(|name| getgrouplist(&name, found.gid).ok())
        .unwrap_or_else(|| vec![found.gid]);
    Ok(Identity {
        uid: found.uid,
        gid: found.gid,
        groups,
        home: found.dir.display().to_string(),
        name: found.name,
    })
}

/// Starts the job of `entry` (from `file`) and logs how it ends; returns at once.
pub fn launch(shared: &Arc<Shared>, file: &str, entry: &Entry) {
    let CronCommand::Shell { command, stdin } = &entry.command else {
        return;
    };
    let origin = format!("cron {file}:{}", entry.line);
    let who = match identity(&entry.user) {
        Ok(who) => who,
        Err(e) => {
            log_err!("{origin}: not run: {e}");
            return;
        }
    };
    let me = nix::unistd::geteuid();
    if !me.is_root() && me != who.uid {
        log_err!(
            "{origin}: not run: the supervisor is not root and cannot run jobs as {}",
            who.name
        );
        return;
    }
    // As in cronie: the file may choose the shell; LOGNAME and USER always name the user.
    let shell = entry
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "SHELL")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "/bin/sh".to_string());
    let mut job = Command::new(&shell);
    job.arg("-c")
        .arg(command)
        .env_clear()
        .env("SHELL", &shell)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", &who.home)
        .env("IMAPSYNC_CONTROL_SOCKET", &shared.config.socket)
        .envs(entry.env.iter().map(|(k, v)| (k, v)))
        .env("LOGNAME", &who.name)
        .env("USER", &who.name)
        .current_dir(if std::path::Path::new(&who.home).is_dir() {
            who.home.as_str()
        } else {
            "/"
        })
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let switch = me.is_root();
    let (uid, gid, groups) = (who.uid, who.gid, who.groups);
    // SAFETY: only async-signal-safe system calls between fork and exec.
    unsafe {
        job.pre_exec(move || {
            setsid()?;
            nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
            if switch {
                setgroups(&groups)?;
                setgid(gid)?;
                setuid(uid)?;
            }
            Ok(())
        });
    }
    let (mut child, mut exit) = match shared.reaper.spawn(&mut job) {
        Ok(spawned) => spawned,
        Err(e) => {
            log_err!("{origin}: cannot start {shell}: {e}");
            return;
        }
    };
    if let (Some(text), Some(mut input)) = (stdin.clone(), child.stdin.take()) {
        let writer = std::thread::Builder::new().spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
        if let Err(e) = writer {
            log_err!("{origin}: cannot feed its input: {e}");
        }
    }
    tokio::spawn(async move {
        let status = exit.wait().await;
        if status.as_code() != 0 {
            log_err!("{origin}: ended with {status}");
        }
    });
}
