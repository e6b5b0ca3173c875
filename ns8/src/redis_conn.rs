//! Redis connections like the Python `agent.redis_connect()` (ns8-runtime §2.1): read-only as the
//! anonymous `default` user to the leader (`REDIS_ADDRESS`) or the local replica
//! (`REDIS_REPLICA_ADDRESS`), or privileged to the leader with the module's own
//! `REDIS_USER`/`REDIS_PASSWORD`. Database 0, with bounded connect and I/O timeouts.

use std::time::Duration;

use redis::{
    Client, ConnectionAddr, ErrorKind, IntoConnectionInfo, RedisConnectionInfo, RedisResult,
};

/// Leader address when `REDIS_ADDRESS` is unset (the value of `/etc/nethserver/agent.env`).
pub const DEFAULT_LEADER_ADDRESS: &str = "cluster-leader:6379";
/// Replica address when `REDIS_REPLICA_ADDRESS` is unset.
pub const DEFAULT_REPLICA_ADDRESS: &str = "127.0.0.1:6379";
/// Longest wait for the TCP connection and the handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for one command to be sent or answered.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The module's Redis password: a secret that never shows in `Debug` or `Display` output.
pub use protocol::secret::Secret as Password;

/// Invalid Redis settings in the environment.
#[derive(Debug, thiserror::Error)]
pub enum RedisConfigError {
    /// An address variable is not `host:port`.
    #[error("{var}={value:?} is not a host:port address")]
    BadAddress {
        /// The environment variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// Leader `host:port` (`REDIS_ADDRESS`).
    pub leader: String,
    /// Local replica `host:port` (`REDIS_REPLICA_ADDRESS`).
    pub replica: String,
    /// The module's Redis user, `module/<id>` (`REDIS_USER`).
    pub user: Option<String>,
    /// The module's Redis password (`REDIS_PASSWORD`).
    pub password: Option<Password>,
}

impl RedisSettings {
    /// Reads `REDIS_ADDRESS` (default `cluster-leader:6379`), `REDIS_REPLICA_ADDRESS` (default
    /// `127.0.0.1:6379`), `REDIS_USER` and `REDIS_PASSWORD`; empty variables count as unset.
    pub fn from_env() -> Result<Self, RedisConfigError> {
        let non_empty = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        let address = |var: &'static str, default: &str| {
            let value = non_empty(var).unwrap_or_else(|| default.to_owned());
            match parse_address(&value) {
                Some(_) => Ok(value),
                None => Err(RedisConfigError::BadAddress { var, value }),
            }
        };
        Ok(Self {
            leader: address("REDIS_ADDRESS", DEFAULT_LEADER_ADDRESS)?,
            replica: address("REDIS_REPLICA_ADDRESS", DEFAULT_REPLICA_ADDRESS)?,
            user: non_empty("REDIS_USER"),
            password: non_empty("REDIS_PASSWORD").map(Password::new),
        })
    }
}

/// A read-only connection as the `default` user (no AUTH), to the leader or, with `use_replica`,
/// to the local replica (which answers even while the leader is down).
pub fn connect_readonly(
    settings: &RedisSettings,
    use_replica: bool,
) -> RedisResult<redis::Connection> {
    let address = if use_replica {
        &settings.replica
    } else {
        &settings.leader
    };
    connect(address, RedisConnectionInfo::default())
}

/// A connection to the leader authenticated as `REDIS_USER` with `REDIS_PASSWORD` (`AUTH user
/// password`; the user name contains `/`, so no URL is involved). Fails with an
/// `InvalidClientConfig` error when either is missing.
pub fn connect_privileged(settings: &RedisSettings) -> RedisResult<redis::Connection> {
    let (Some(user), Some(password)) = (&settings.user, &settings.password) else {
        return Err(redis::RedisError::from((
            ErrorKind::InvalidClientConfig,
            "missing credentials",
            "REDIS_USER and REDIS_PASSWORD are needed for a privileged Redis connection; \
             they come from the module's state/agent.env (run helpers through runagent)"
                .to_owned(),
        )));
    };
    let auth = RedisConnectionInfo::default()
        .set_username(user)
        .set_password(password.expose());
    connect(&settings.leader, auth)
}

fn connect(address: &str, auth: RedisConnectionInfo) -> RedisResult<redis::Connection> {
    let Some((host, port)) = parse_address(address) else {
        return Err(redis::RedisError::from((
            ErrorKind::InvalidClientConfig,
            "bad Redis address",
            format!("{address:?} is not host:port"),
        )));
    };
    let info = ConnectionAddr::Tcp(host, port)
        .into_connection_info()?
        .set_redis_settings(auth.set_db(0));
    let connection = Client::open(info)?.get_connection_with_timeout(CONNECT_TIMEOUT)?;
    connection.set_read_timeout(Some(IO_TIMEOUT))?;
    connection.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(connection)
}

/// Splits `host:port` at the last colon; an IPv6 host may be bracketed (`[::1]:6379`).
fn parse_address(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port = port.parse().ok()?;
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("cluster-leader:6379"),
            Some(("cluster-leader".into(), 6379))
        );
        assert_eq!(parse_address("[::1]:6380"), Some(("::1".into(), 6380)));
        assert_eq!(parse_address("cluster-leader"), None);
        assert_eq!(parse_address(":6379"), None);
        assert_eq!(parse_address("host:port"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        let password = Password::new("s3cret");
        assert_eq!(password.expose(), "s3cret");
        assert!(!format!("{password} {password:?}").contains("s3cret"));
        let settings = RedisSettings {
            leader: "a:1".into(),
            replica: "b:2".into(),
            user: Some("module/imapsync1".into()),
            password: Some(password),
        };
        assert!(!format!("{settings:?}").contains("s3cret"));
    }

    #[test]
    fn privileged_needs_credentials() {
        let settings = RedisSettings {
            leader: "127.0.0.1:1".into(),
            replica: "127.0.0.1:1".into(),
            user: Some("module/imapsync1".into()),
            password: None,
        };
        let err = connect_privileged(&settings).err().expect("must fail");
        assert_eq!(err.kind(), ErrorKind::InvalidClientConfig);
        assert!(err.to_string().contains("REDIS_PASSWORD"), "{err}");
    }
}
