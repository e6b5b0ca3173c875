//! The secrets audit's search: each password in every form it could leak in (raw, quoted as
//! in an IMAP `LOGIN` or JSON, `\u`-escaped, base64 at any byte alignment, its random core
//! alone), looked for in captured output, files, Redis values and the command line and
//! environment of every process on the machine. Every hit is kept with its place.

use regex::bytes::Regex;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// One secret and the byte patterns that reveal it.
pub struct Secret {
    name: String,
    forms: Vec<(String, Regex)>,
}

impl Secret {
    /// `value`, named `name` in reports; `core` is a part of it unique to this run, searched
    /// on its own so that a partial or re-encoded copy is caught too.
    pub fn new(name: &str, value: &str, core: &str) -> Secret {
        assert!(value.contains(core), "the core of {name} is part of it");
        let quoted = imap_quoted(value);
        let mut forms: Vec<(String, String)> = vec![
            ("raw".into(), value.into()),
            ("quoted".into(), quoted[1..quoted.len() - 1].to_string()),
            ("\\u-escaped".into(), unicode_escaped(value, false)),
            ("\\u-escaped upper".into(), unicode_escaped(value, true)),
            ("core".into(), core.into()),
        ];
        for shift in 0..3 {
            forms.push((
                format!("base64 at offset {shift}"),
                base64_inner(value.as_bytes(), shift),
            ));
        }
        let mut seen = Vec::new();
        forms.retain(|(_, text)| {
            let fresh = !text.is_empty() && !seen.contains(text);
            seen.push(text.clone());
            fresh
        });
        Secret {
            name: name.to_string(),
            forms: forms
                .into_iter()
                .map(|(form, text)| {
                    let pattern = Regex::new(&regex::escape(&text)).expect("a literal pattern");
                    (form, pattern)
                })
                .collect(),
        }
    }
}

/// `value` as an IMAP quoted string (the form `LOGIN` sends; JSON and Rust's `{:?}` escape
/// quotes and backslashes the same way).
pub fn imap_quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The quoted form with every non-ASCII character as `\uXXXX` UTF-16 units (Python's
/// `json.dumps`).
fn unicode_escaped(value: &str, upper: bool) -> String {
    let quoted = imap_quoted(value);
    let mut out = String::new();
    for c in quoted[1..quoted.len() - 1].chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            if upper {
                out.push_str(&format!("\\u{unit:04X}"));
            } else {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The base64 characters that depend only on `value` when it starts `shift` bytes after a
/// 3-byte boundary of a longer encoded text (the groups shared with its neighbours dropped).
fn base64_inner(value: &[u8], shift: usize) -> String {
    let mut data = vec![0u8; shift];
    data.extend_from_slice(value);
    let encoded = base64(&data);
    let start = if shift > 0 { 4 } else { 0 };
    let end = encoded.len() - if data.len().is_multiple_of(3) { 0 } else { 4 };
    encoded.get(start..end).unwrap_or_default().to_string()
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(group >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A secret found somewhere.
#[derive(Debug)]
pub struct Hit {
    /// Where (a file, a process, an action's output...).
    pub place: String,
    /// Which secret.
    pub secret: String,
    /// In which form.
    pub form: String,
    /// The bytes around it.
    pub context: String,
}

/// What one look at every process read.
#[derive(Debug, Default)]
pub struct ProcessSweep {
    /// Processes whose command line and environment were both read.
    pub read: BTreeMap<i32, Seen>,
    /// Files that exist but could not be read: pid, `comm` and the error.
    pub unreadable: Vec<(i32, String, String)>,
}

/// A process a sweep read.
#[derive(Debug, Default)]
pub struct Seen {
    /// Its `comm` (at most 15 bytes).
    pub comm: String,
    /// The file name of its executable (empty when unknown).
    pub exe: String,
}

/// The secrets, and every hit so far.
pub struct SecretScan {
    secrets: Vec<Secret>,
    hits: Vec<Hit>,
    places: usize,
    bytes: usize,
}

impl SecretScan {
    /// A scan for `secrets`.
    pub fn new(secrets: Vec<Secret>) -> SecretScan {
        SecretScan {
            secrets,
            hits: Vec::new(),
            places: 0,
            bytes: 0,
        }
    }

    /// Searches `data`, found at `place`.
    pub fn bytes(&mut self, place: &str, data: &[u8]) {
        self.search(place, data, true);
    }

    /// Searches `data`; a hit's surroundings are shown only `with_context`.
    fn search(&mut self, place: &str, data: &[u8], with_context: bool) {
        self.places += 1;
        self.bytes += data.len();
        for secret in &self.secrets {
            for (form, pattern) in &secret.forms {
                for found in pattern.find_iter(data) {
                    let from = found.start().saturating_sub(40);
                    let to = (found.end() + 40).min(data.len());
                    let context = if with_context {
                        String::from_utf8_lossy(&data[from..to]).into_owned()
                    } else {
                        format!("bytes {}..{}", found.start(), found.end())
                    };
                    self.hits.push(Hit {
                        place: place.to_string(),
                        secret: secret.name.clone(),
                        form: form.clone(),
                        context,
                    });
                }
            }
        }
    }

    /// Searches `text`, found at `place`.
    pub fn text(&mut self, place: &str, text: &str) {
        self.bytes(place, text.as_bytes());
    }

    /// Searches every regular file under `root` (symbolic links not followed) for which
    /// `include` is true; returns how many were read.
    pub fn tree(&mut self, root: &Path, include: &dyn Fn(&Path) -> bool) -> usize {
        let mut count = 0;
        let Ok(entries) = std::fs::read_dir(root) else {
            return 0;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                count += self.tree(&path, include);
            } else if meta.is_file() && include(&path) {
                let data = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                self.bytes(&path.display().to_string(), &data);
                count += 1;
            }
        }
        count
    }

    /// Searches `/proc/<pid>/cmdline` and `/proc/<pid>/environ` of every process. Nothing
    /// of them is kept, and a hit is reported by place and offset only: other processes'
    /// environments are none of the audit's business beyond the secrets it plants.
    pub fn processes(&mut self) -> ProcessSweep {
        let mut sweep = ProcessSweep::default();
        let entries = std::fs::read_dir("/proc").expect("list /proc");
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<i32>().ok())
            else {
                continue;
            };
            let dir = entry.path();
            let comm = std::fs::read_to_string(dir.join("comm"))
                .map(|c| c.trim_end().to_string())
                .unwrap_or_default();
            let mut read = 0;
            for file in ["cmdline", "environ"] {
                let path = dir.join(file);
                match std::fs::read(&path) {
                    Ok(data) => {
                        let owner = std::fs::metadata(&dir).map(|m| m.uid()).unwrap_or(0);
                        let place = format!("{} ({comm}, uid {owner})", path.display());
                        self.search(&place, &data, false);
                        read += 1;
                    }
                    Err(e) if gone(&e) => {}
                    Err(e) => sweep.unreadable.push((
                        pid,
                        comm.clone(),
                        format!("{}: {e}", path.display()),
                    )),
                }
            }
            if read == 2 {
                let exe = std::fs::read_link(dir.join("exe"))
                    .ok()
                    .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_default();
                sweep.read.insert(pid, Seen { comm, exe });
            }
        }
        sweep
    }

    /// How many places and bytes were searched.
    pub fn searched(&self) -> (usize, usize) {
        (self.places, self.bytes)
    }

    /// Panics listing every hit.
    pub fn assert_clean(&self) {
        let list: Vec<String> = self
            .hits
            .iter()
            .map(|hit| {
                format!(
                    "{} ({}) in {}: ...{}...",
                    hit.secret, hit.form, hit.place, hit.context
                )
            })
            .collect();
        assert!(
            list.is_empty(),
            "{} secret hit(s) in {} places searched:\n{}",
            list.len(),
            self.places,
            list.join("\n")
        );
    }
}

/// The process exited between the listing and the read.
fn gone(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::NotFound || error.raw_os_error() == Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_reference_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn every_form_is_found_and_nothing_else() {
        let value = "p \"q\" \\ \u{fc}\u{20ac} Zx81";
        let mut scan = SecretScan::new(vec![Secret::new("pw", value, "Zx81")]);
        scan.text("clean", "nothing to see here");
        assert!(scan.hits.is_empty());
        for prefix in ["", "a", "ab", "user1\0vmail\0"] {
            let blob = format!("{prefix}{value}tail");
            scan.text(&format!("b64 {prefix:?}"), &base64(blob.as_bytes()));
        }
        scan.text("login", &format!("a1 LOGIN u {}", imap_quoted(value)));
        scan.text("python", "\"p \\\"q\\\" \\\\ \\u00fc\\u20ac Zx81\"");
        scan.text("core", "...Zx81...");
        let places: Vec<&str> = scan.hits.iter().map(|h| h.place.as_str()).collect();
        for place in [
            "b64 \"\"",
            "b64 \"a\"",
            "b64 \"ab\"",
            "b64 \"user1\\0vmail\\0\"",
            "login",
            "python",
            "core",
        ] {
            assert!(places.contains(&place), "{place} not found in {places:?}");
        }
        assert!(!places.contains(&"clean"));
    }
}
