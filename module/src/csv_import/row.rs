//! Checks one data record and turns it into a [`Row`]: every required value present, no line
//! breaks or control characters, credentials and host name short enough for an IMAP login and
//! DNS, a port from 1 to 65535, a known security mode and a local user name the module accepts.
//! Values are trimmed, except the password, which is kept verbatim.

use super::table::{Column, RawRow};
use crate::task_fields::{MAX_CREDENTIAL_CHARS, MAX_HOSTNAME};
use crate::task_ids::{valid_localuser, MAX_LOCALUSER};
use protocol::secret::Secret;

/// Characters of a value quoted back in a message.
const MAX_QUOTED_CHARS: usize = 60;

/// How the remote server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Plain,
    Starttls,
    Tls,
}

impl Security {
    /// The `create-task` value.
    pub fn field(self) -> &'static str {
        match self {
            Security::Plain => "",
            Security::Starttls => "tls",
            Security::Tls => "ssl",
        }
    }

    /// The value as shown to the admin.
    pub fn describe(self) -> &'static str {
        match self {
            Security::Plain => "no encryption",
            other => other.field(),
        }
    }
}

/// A valid row of the CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub localuser: String,
    pub remoteusername: String,
    pub remotepassword: Secret,
    pub remotehostname: String,
    pub remoteport: u16,
    pub security: Security,
}

impl Row {
    /// `<remoteuser>@<host>`, as shown in messages.
    pub fn account(&self) -> String {
        shown_account(&self.remoteusername, &self.remotehostname)
    }

    /// `<remoteuser>@<host>:<port> <security>`.
    pub fn endpoint(&self) -> String {
        format!(
            "{}:{} {}",
            self.account(),
            self.remoteport,
            self.security.describe()
        )
    }

    /// True when the password begins or ends with white space (kept, but worth a warning).
    pub fn password_has_outer_spaces(&self) -> bool {
        let password = self.remotepassword.expose();
        password.trim() != password
    }
}

/// The row, or why it is refused.
pub fn check_row(raw: &RawRow, header_len: usize) -> Result<Row, String> {
    if raw.field_count != header_len {
        return Err(format!(
            "found {} value(s) but the header has {header_len} column(s): put a value that \
             contains a comma in double quotes, e.g. \"pass,word\"",
            raw.field_count
        ));
    }
    let mandatory = [
        Column::LocalUsername,
        Column::RemoteUsername,
        Column::RemotePassword,
        Column::RemoteHostname,
        Column::RemotePort,
    ];
    refuse_columns(raw, &mandatory, "Missing required value(s)", |_, value| {
        value.trim().is_empty()
    })?;
    refuse_columns(
        raw,
        &Column::ALL,
        "Line breaks and control characters are not allowed in",
        |column, value| match column {
            Column::RemotePassword => value.contains(['\n', '\r', '\0']),
            _ => value.chars().any(char::is_control),
        },
    )?;
    refuse_columns(
        raw,
        &[Column::RemoteUsername, Column::RemotePassword],
        &format!("Longer than {MAX_CREDENTIAL_CHARS} characters, too long for an IMAP login"),
        |_, value| value.chars().count() > MAX_CREDENTIAL_CHARS,
    )?;
    let localuser = raw.value(Column::LocalUsername).trim();
    let remotehostname = raw.value(Column::RemoteHostname).trim();
    let port = parse_port(raw.value(Column::RemotePort).trim());
    let security = parse_security(raw.value(Column::Security).trim());
    let user_ok = if valid_localuser(localuser) {
        Ok(())
    } else {
        Err(format!(
            "Invalid local user name: '{}' (use letters, digits, '.', '_' and '-', starting with \
             a letter or digit, at most {MAX_LOCALUSER} characters)",
            quoted(localuser)
        ))
    };
    let host_ok = if remotehostname.chars().count() <= MAX_HOSTNAME {
        Ok(())
    } else {
        Err(format!(
            "Invalid remote host name: '{}' (a host name has at most {MAX_HOSTNAME} characters)",
            quoted(remotehostname)
        ))
    };
    match (user_ok, host_ok, port, security) {
        (Ok(()), Ok(()), Ok(remoteport), Ok(security)) => Ok(Row {
            line: raw.line,
            localuser: localuser.to_string(),
            remoteusername: raw.value(Column::RemoteUsername).trim().to_string(),
            remotepassword: Secret::new(raw.value(Column::RemotePassword)),
            remotehostname: remotehostname.to_string(),
            remoteport,
            security,
        }),
        (user_ok, host_ok, port, security) => {
            let errors: Vec<String> = [user_ok.err(), host_ok.err(), port.err(), security.err()]
                .into_iter()
                .flatten()
                .collect();
            Err(errors.join("; "))
        }
    }
}

fn parse_port(value: &str) -> Result<u16, String> {
    value
        .parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| {
            format!(
                "Invalid port number: '{}' (use a number from 1 to 65535)",
                quoted(value)
            )
        })
}

fn parse_security(value: &str) -> Result<Security, String> {
    match value.to_ascii_lowercase().as_str() {
        "" => Ok(Security::Plain),
        "tls" => Ok(Security::Starttls),
        "ssl" => Ok(Security::Tls),
        _ => Err(format!(
            "Invalid security: '{}' (use tls for STARTTLS, ssl for implicit TLS, or leave it \
             empty for no encryption, in upper or lower case)",
            quoted(value)
        )),
    }
}

/// Refuses the row when any of `columns` has a value `bad` picks, naming them after `reason`.
fn refuse_columns(
    raw: &RawRow,
    columns: &[Column],
    reason: &str,
    bad: impl Fn(Column, &str) -> bool,
) -> Result<(), String> {
    let named: Vec<&str> = columns
        .iter()
        .filter(|c| bad(**c, raw.value(**c)))
        .map(|c| c.name())
        .collect();
    if named.is_empty() {
        Ok(())
    } else {
        Err(format!("{reason}: {}", named.join(", ")))
    }
}

/// `<remoteuser>@<host>` for a message, each part cut to its first characters.
pub fn shown_account(remoteusername: &str, remotehostname: &str) -> String {
    format!("{}@{}", quoted(remoteusername), quoted(remotehostname))
}

/// The start of a value, safe to print (control characters were refused earlier).
fn quoted(value: &str) -> String {
    let mut shown: String = value.chars().take(MAX_QUOTED_CHARS).collect();
    if value.chars().count() > MAX_QUOTED_CHARS {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_import::table::read_table;

    const HEADER: &str =
        "localusername,remoteusername,remotepassword,remotehostname,remoteport,security\n";

    fn check(line: &str) -> Result<Row, String> {
        let table = read_table(&format!("{HEADER}{line}\n")).unwrap();
        check_row(&table.rows[0], table.columns.len())
    }

    #[test]
    fn values_are_trimmed_but_the_password_is_kept_verbatim() {
        let row =
            check(" u1 , user1@example.org ,\" p\"\"a,s\\s \", imap.example.org , 0143 , TLS ")
                .unwrap();
        assert_eq!(row.localuser, "u1");
        assert_eq!(row.remoteusername, "user1@example.org");
        assert_eq!(row.remotehostname, "imap.example.org");
        assert_eq!(row.remotepassword.expose(), " p\"a,s\\s ");
        assert!(row.password_has_outer_spaces());
        assert_eq!(row.remoteport, 143);
        assert_eq!(row.security, Security::Starttls);
        assert_eq!(row.endpoint(), "user1@example.org@imap.example.org:143 tls");
    }

    #[test]
    fn security_is_case_insensitive_and_may_be_empty() {
        assert_eq!(check("u,r,p,h,993,Ssl").unwrap().security, Security::Tls);
        let plain = check("u,r,p,h,143,").unwrap();
        assert_eq!(plain.security, Security::Plain);
        assert_eq!(plain.endpoint(), "r@h:143 no encryption");
        let err = check("u,r,p,h,143,starttls").unwrap_err();
        assert!(err.starts_with("Invalid security: 'starttls'"), "{err}");
        assert!(err.contains("upper or lower case"), "{err}");
    }

    #[test]
    fn missing_values_are_named() {
        assert_eq!(
            check("u1,, ,h,,tls").unwrap_err(),
            "Missing required value(s): remoteusername, remotepassword, remoteport"
        );
    }

    #[test]
    fn ports_outside_1_to_65535_are_invalid() {
        for port in ["notaport", "0", "65536", "-1", "14 3"] {
            let err = check(&format!("u,r,p,h,{port},tls")).unwrap_err();
            assert!(
                err.starts_with(&format!("Invalid port number: '{port}'")),
                "{err}"
            );
        }
        assert_eq!(check("u,r,p,h,65535,").unwrap().remoteport, 65535);
    }

    #[test]
    fn local_users_that_are_not_safe_file_names_are_refused() {
        let err = check("../etc,r,p,h,143,tls").unwrap_err();
        assert!(
            err.starts_with("Invalid local user name: '../etc'"),
            "{err}"
        );
        let all = check("a/b,r,p,h,x,bad").unwrap_err();
        for part in [
            "Invalid local user name: 'a/b'",
            "Invalid port number: 'x'",
            "Invalid security: 'bad'",
        ] {
            assert!(all.contains(part), "{all}");
        }
    }

    #[test]
    fn long_values_are_cut_in_messages_and_too_long_ones_refused() {
        let long_user = "u".repeat(MAX_CREDENTIAL_CHARS);
        let row = check(&format!("u1,{long_user},p,h,143,tls")).unwrap();
        assert_eq!(row.remoteusername, long_user, "the value itself is kept");
        let shown = format!("{}…@h:143 tls", "u".repeat(MAX_QUOTED_CHARS));
        assert_eq!(row.endpoint(), shown);
        let long_password = "\u{e9}".repeat(MAX_CREDENTIAL_CHARS);
        let row = check(&format!("u1,r,{long_password},h,143,tls")).unwrap();
        assert_eq!(row.remotepassword.expose(), long_password);
        let err = check(&format!("u1,{long_user}u,{long_password}x,h,143,tls")).unwrap_err();
        assert_eq!(
            err,
            "Longer than 1000 characters, too long for an IMAP login: remoteusername, remotepassword"
        );
        let host = "h".repeat(MAX_HOSTNAME);
        let row = check(&format!("u1,r,p,{host},143,tls")).unwrap();
        assert_eq!(row.remotehostname, host);
        let err = check(&format!("u1,r,p,{host}h,143,tls")).unwrap_err();
        let start = format!(
            "Invalid remote host name: '{}…'",
            "h".repeat(MAX_QUOTED_CHARS)
        );
        assert!(err.starts_with(&start), "{err}");
        assert!(err.contains("at most 253 characters"), "{err}");
    }

    #[test]
    fn wrong_value_counts_and_line_breaks_are_refused() {
        let err = check("u,r,pass,word,h,143,tls").unwrap_err();
        assert!(
            err.starts_with("found 7 value(s) but the header has 6"),
            "{err}"
        );
        let err = check("u,r,\"pass\nword\",h,143,tls").unwrap_err();
        assert_eq!(
            err,
            "Line breaks and control characters are not allowed in: remotepassword"
        );
        assert!(check("u,r,\"pa\tss\",h,143,tls").is_ok());
        assert!(check("u,\"r\tx\",p,h,143,tls").is_err());
    }
}
