//! The supervisor's settings, from flags or environment variables, with the container's
//! defaults.

use clap::Parser;
use std::path::PathBuf;

/// `imapsync-supervisor`: PID 1 of the imapsync container.
#[derive(Debug, Clone, Parser)]
#[command(name = "imapsync-supervisor", version, about)]
pub struct Config {
    /// Directory of the task files (`<task>.env`, `.pwd`, `.log`, ...) and `vmail.pwd`.
    #[arg(long, env = "IMAPSYNC_STATE_DIR", default_value = "/etc/imapsync")]
    pub state_dir: PathBuf,
    /// Directory of the cron files (`*.cron`, `*.custom`).
    #[arg(long, env = "IMAPSYNC_CRON_DIR", default_value = "/etc/cron.d")]
    pub cron_dir: PathBuf,
    /// The control socket (created with owner-only permissions).
    #[arg(
        long,
        env = "IMAPSYNC_CONTROL_SOCKET",
        default_value = protocol::control::CONTAINER_SOCKET
    )]
    pub socket: PathBuf,
    /// Workers running at once; further starts wait in a queue.
    #[arg(long, env = "IMAPSYNC_MAX_WORKERS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_workers: u32,
    /// User id the workers run as (ignored when the supervisor is not root).
    #[arg(long, env = "IMAPSYNC_WORKER_UID", default_value_t = 65534)]
    pub worker_uid: u32,
    /// Group id the workers run as (ignored when the supervisor is not root).
    #[arg(long, env = "IMAPSYNC_WORKER_GID", default_value_t = 65534)]
    pub worker_gid: u32,
    /// The worker executable; by default `imapsync-worker` beside this program.
    #[arg(long, env = "IMAPSYNC_WORKER_BIN")]
    pub worker_bin: Option<PathBuf>,
    /// Address space limit of one worker, in MiB (0: no limit).
    #[arg(long, env = "IMAPSYNC_WORKER_MEMORY_MIB", default_value_t = 4096)]
    pub worker_memory_mib: u64,
    /// The local Dovecot (the Mail module's IMAP host).
    #[arg(long, env = "MAIL_HOST", default_value = "127.0.0.1")]
    pub mail_host: String,
    /// Its IMAP port (STARTTLS).
    #[arg(long, env = "MAIL_PORT", default_value_t = 143)]
    pub mail_port: u16,
    /// Seconds a run waits on a silent server before giving up.
    #[arg(long, env = "IMAPSYNC_TIMEOUT", default_value_t = 120)]
    pub timeout_secs: u32,
    /// Seconds `validate` and `sizes` wait on a silent server.
    #[arg(long, env = "IMAPSYNC_CHECK_TIMEOUT", default_value_t = 10)]
    pub check_timeout_secs: u32,
    /// Seconds a running worker may stay completely silent (no log, progress or map change)
    /// before it is considered hung and killed.
    #[arg(long, env = "IMAPSYNC_WORKER_SILENCE", default_value_t = 900)]
    pub worker_silence_secs: u64,
    /// Seconds between two looks at the cron directory.
    #[arg(long, env = "IMAPSYNC_CRON_RESCAN_SECS", default_value_t = 30)]
    pub cron_rescan_secs: u64,
}

impl Config {
    /// The worker executable to run.
    pub fn worker_path(&self) -> PathBuf {
        if let Some(path) = &self.worker_bin {
            return path.clone();
        }
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("imapsync-worker")))
            .unwrap_or_else(|| PathBuf::from("/usr/local/bin/imapsync-worker"))
    }

    /// Path of the Dovecot master password.
    pub fn vmail_password_path(&self) -> PathBuf {
        self.state_dir.join("vmail.pwd")
    }
}
