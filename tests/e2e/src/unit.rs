//! Reading a systemd unit file the way systemd does for the parts the stand-in needs:
//! `[Service]` settings, specifiers (`%E`, `%t`, `%N`, ...), `${VAR}` expansion and the
//! quoting rules of `Exec*=` lines.

use std::collections::BTreeMap;

/// The `[Service]` settings of a unit, in file order.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Full unit name (`imapsync.service`).
    pub name: String,
    settings: Vec<(String, String)>,
}

/// Values of the specifiers a user unit may use.
#[derive(Clone, Debug)]
pub struct Specifiers {
    /// `%E`: `$XDG_CONFIG_HOME`.
    pub config_home: String,
    /// `%t`: `$XDG_RUNTIME_DIR`.
    pub runtime_dir: String,
    /// `%h`: the home directory.
    pub home: String,
    /// `%u`: the user name.
    pub user: String,
    /// `%S`: `$XDG_STATE_HOME`.
    pub state_home: String,
}

/// One `Exec*=` line, expanded and split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecLine {
    /// `-` prefix: a failure is ignored.
    pub ignore_failure: bool,
    /// The program and its arguments.
    pub argv: Vec<String>,
}

impl Unit {
    /// Parses the text of unit `name`.
    pub fn parse(name: &str, text: &str) -> Unit {
        let mut settings = Vec::new();
        let mut section = String::new();
        let mut pending = String::new();
        for raw in text.lines() {
            let line = raw.trim();
            if pending.is_empty() && (line.starts_with('#') || line.starts_with(';')) {
                continue;
            }
            if let Some(continued) = line.strip_suffix('\\') {
                pending.push_str(continued);
                pending.push(' ');
                continue;
            }
            let full = format!("{pending}{line}");
            pending.clear();
            if full.starts_with('[') && full.ends_with(']') {
                section = full[1..full.len() - 1].to_string();
                continue;
            }
            if section != "Service" {
                continue;
            }
            if let Some((key, value)) = full.split_once('=') {
                settings.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        Unit {
            name: name.to_string(),
            settings,
        }
    }

    /// Every value of a `[Service]` key, in order.
    pub fn values(&self, key: &str) -> Vec<&str> {
        self.settings
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The last value of a key.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values(key).pop()
    }

    /// The unit name without its suffix (`%N`).
    pub fn prefix_name(&self) -> &str {
        self.name.strip_suffix(".service").unwrap_or(&self.name)
    }

    /// Replaces the specifiers of `text`.
    pub fn expand_specifiers(&self, text: &str, specifiers: &Specifiers) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('E') => out.push_str(&specifiers.config_home),
                Some('t') => out.push_str(&specifiers.runtime_dir),
                Some('h') => out.push_str(&specifiers.home),
                Some('u') => out.push_str(&specifiers.user),
                Some('S') => out.push_str(&specifiers.state_home),
                Some('N') | Some('p') => out.push_str(self.prefix_name()),
                Some('n') => out.push_str(&self.name),
                Some('%') => out.push('%'),
                Some(other) => {
                    out.push('%');
                    out.push(other);
                }
                None => out.push('%'),
            }
        }
        out
    }

    /// An `Exec*=` value with specifiers replaced, split into words, `${VAR}` and `$VAR`
    /// replaced from `env` (unset variables become empty).
    pub fn exec_line(
        &self,
        value: &str,
        specifiers: &Specifiers,
        env: &BTreeMap<String, String>,
    ) -> ExecLine {
        let mut rest = value.trim_start();
        let mut ignore_failure = false;
        while let Some(prefix) = rest.chars().next().filter(|c| "-@+!:".contains(*c)) {
            ignore_failure |= prefix == '-';
            rest = &rest[1..];
        }
        let expanded = self.expand_specifiers(rest, specifiers);
        let argv = split_words(&expanded)
            .into_iter()
            .map(|word| expand_variables(&word, env))
            .collect();
        ExecLine {
            ignore_failure,
            argv,
        }
    }
}

/// Splits a command line on whitespace; single and double quotes group, a backslash
/// escapes the next character.
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '"') | (None, '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Replaces `${NAME}` and `$NAME` with values from `env` (empty when unset).
pub fn expand_variables(word: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            if let Some(end) = braced.find('}') {
                out.push_str(env.get(&braced[..end]).map(String::as_str).unwrap_or(""));
                rest = &braced[end + 1..];
                continue;
            }
        }
        let name_len = after
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map(|(i, _)| i)
            .unwrap_or(after.len());
        if name_len == 0 {
            out.push('$');
            rest = after;
        } else {
            out.push_str(
                env.get(&after[..name_len])
                    .map(String::as_str)
                    .unwrap_or(""),
            );
            rest = &after[name_len..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: &str = "[Unit]\nDescription=x\n\n[Service]\nEnvironment=PODMAN_SYSTEMD_UNIT=%n\n\
        EnvironmentFile=%E/state/environment\nWorkingDirectory=%E/state\n\
        ExecStartPre=/bin/rm -f %t/imapsync.pid %t/imapsync.ctr-id\n\
        ExecStartPre=-runagent reveal-master-secret\n\
        ExecStart=/usr/bin/podman run --detach \\\n  --name=%N --env MAIL_HOST=${MAIL_HOST} \\\n  ${IMAPSYNC_BINARY_IMAGE} \"a b\"\n\
        [Install]\nWantedBy=default.target\n";

    fn specifiers() -> Specifiers {
        Specifiers {
            config_home: "/h/.config".into(),
            runtime_dir: "/run/u".into(),
            home: "/h".into(),
            user: "imapsync1".into(),
            state_home: "/h/.local/state".into(),
        }
    }

    #[test]
    fn service_settings_and_specifiers() {
        let unit = Unit::parse("imapsync.service", UNIT);
        assert_eq!(unit.values("ExecStartPre").len(), 2);
        assert_eq!(
            unit.expand_specifiers(unit.value("WorkingDirectory").unwrap(), &specifiers()),
            "/h/.config/state"
        );
        assert_eq!(
            unit.expand_specifiers("%n %N 100%%", &specifiers()),
            "imapsync.service imapsync 100%"
        );
        assert!(unit.value("WantedBy").is_none());
    }

    #[test]
    fn exec_lines_are_split_and_expanded() {
        let unit = Unit::parse("imapsync.service", UNIT);
        let mut env = BTreeMap::new();
        env.insert("MAIL_HOST".to_string(), "10.5.4.1".to_string());
        env.insert("IMAPSYNC_BINARY_IMAGE".to_string(), "img:1".to_string());
        let start = unit.exec_line(unit.value("ExecStart").unwrap(), &specifiers(), &env);
        assert_eq!(
            start.argv,
            vec![
                "/usr/bin/podman",
                "run",
                "--detach",
                "--name=imapsync",
                "--env",
                "MAIL_HOST=10.5.4.1",
                "img:1",
                "a b"
            ]
        );
        let pre = unit.exec_line(unit.values("ExecStartPre")[1], &specifiers(), &env);
        assert!(pre.ignore_failure);
        assert_eq!(pre.argv, vec!["runagent", "reveal-master-secret"]);
    }

    #[test]
    fn variables_expand_inside_words() {
        let mut env = BTreeMap::new();
        env.insert("A".to_string(), "x".to_string());
        assert_eq!(expand_variables("pre${A}post-$A.$B$", &env), "prexpost-x.$");
    }
}
