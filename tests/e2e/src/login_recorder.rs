//! A plain-text IMAP server that records the credentials of every `LOGIN` and refuses it
//! (`NO [AUTHENTICATIONFAILED]`) only when the test says so: while a login is held, the
//! test can look at what the module wrote before its credential check.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a login is held when the test never answers it.
const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// The arguments of one `LOGIN` command, unquoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The user name.
    pub user: Vec<u8>,
    /// The password.
    pub password: Vec<u8>,
}

/// The running server (its threads end with the test process).
pub struct LoginRecorder {
    port: u16,
    logins: Receiver<Login>,
    verdicts: Sender<()>,
}

impl LoginRecorder {
    /// Listens on a free `127.0.0.1` port.
    pub fn start() -> LoginRecorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the login recorder");
        let port = listener.local_addr().expect("local address").port();
        let (login_sender, logins) = mpsc::channel();
        let (verdicts, verdict_receiver) = mpsc::channel::<()>();
        let verdict_receiver = Arc::new(Mutex::new(verdict_receiver));
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let sender = login_sender.clone();
                let verdict = verdict_receiver.clone();
                std::thread::spawn(move || serve(stream, &sender, &verdict));
            }
        });
        LoginRecorder {
            port,
            logins,
            verdicts,
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The next login received within `limit`; it stays unanswered until [`Self::refuse`].
    pub fn next_login(&self, limit: Duration) -> Option<Login> {
        self.logins.recv_timeout(limit).ok()
    }

    /// Answers one held login with `NO [AUTHENTICATIONFAILED]`.
    pub fn refuse(&self) {
        let _ = self.verdicts.send(());
    }
}

fn serve(stream: TcpStream, logins: &Sender<Login>, verdict: &Mutex<Receiver<()>>) {
    let _ = stream.set_read_timeout(Some(HOLD_LIMIT));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    if writer
        .write_all(b"* OK IMAP4rev1 login recorder ready\r\n")
        .is_err()
    {
        return;
    }
    while let Some(words) = read_command(&mut reader, &mut writer) {
        let [tag, command, args @ ..] = words.as_slice() else {
            continue;
        };
        let tag = String::from_utf8_lossy(tag).into_owned();
        let command = String::from_utf8_lossy(command).to_ascii_uppercase();
        let reply = match (command.as_str(), args) {
            ("CAPABILITY", _) => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
            ("LOGIN", [user, password]) => {
                let login = Login {
                    user: user.clone(),
                    password: password.clone(),
                };
                if logins.send(login).is_err() {
                    return;
                }
                if let Ok(receiver) = verdict.lock() {
                    let _ = receiver.recv_timeout(HOLD_LIMIT);
                }
                format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
            }
            ("LOGOUT", _) => {
                let _ = writer.write_all(format!("* BYE\r\n{tag} OK bye\r\n").as_bytes());
                return;
            }
            _ => format!("{tag} BAD unexpected command\r\n"),
        };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// One command split into its words (atoms, quoted strings unescaped, literals read);
/// `None` at the end of the connection.
fn read_command(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) -> Option<Vec<Vec<u8>>> {
    let mut words = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let line = line
            .strip_suffix(b"\r\n")
            .or_else(|| line.strip_suffix(b"\n"))
            .unwrap_or(&line);
        let literal = split_words(line, &mut words);
        let Some((len, synchronising)) = literal else {
            return Some(words);
        };
        if synchronising {
            writer.write_all(b"+ go ahead\r\n").ok()?;
        }
        let mut bytes = vec![0; len];
        reader.read_exact(&mut bytes).ok()?;
        words.push(bytes);
    }
}

/// Adds the words of one line to `words`; the length of the literal announced at its end
/// and whether it waits for a continuation, if there is one.
fn split_words(mut rest: &[u8], words: &mut Vec<Vec<u8>>) -> Option<(usize, bool)> {
    while let Some(&first) = rest.first() {
        match first {
            b' ' => rest = &rest[1..],
            b'"' => {
                let mut word = Vec::new();
                let mut index = 1;
                while index < rest.len() && rest[index] != b'"' {
                    if rest[index] == b'\\' && index + 1 < rest.len() {
                        index += 1;
                    }
                    word.push(rest[index]);
                    index += 1;
                }
                words.push(word);
                rest = &rest[(index + 1).min(rest.len())..];
            }
            b'{' if rest.ends_with(b"}") => {
                let inner = &rest[1..rest.len() - 1];
                let (digits, synchronising) = match inner.strip_suffix(b"+") {
                    Some(digits) => (digits, false),
                    None => (inner, true),
                };
                let len = std::str::from_utf8(digits).ok()?.parse().ok()?;
                return Some((len, synchronising));
            }
            _ => {
                let end = rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
                words.push(rest[..end].to_vec());
                rest = &rest[end..];
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_are_unescaped_and_literals_announced() {
        let mut words = Vec::new();
        let literal = split_words(br#"a1 LOGIN "us er" "p\"w\\d""#, &mut words);
        assert_eq!(literal, None);
        assert_eq!(
            words,
            vec![
                b"a1".to_vec(),
                b"LOGIN".to_vec(),
                b"us er".to_vec(),
                br#"p"w\d"#.to_vec()
            ]
        );
        let mut words = Vec::new();
        assert_eq!(
            split_words(b"a2 LOGIN user {12}", &mut words),
            Some((12, true))
        );
        assert_eq!(split_words(b"{3+}", &mut Vec::new()), Some((3, false)));
    }
}
