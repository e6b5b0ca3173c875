//! Folder names across servers: which host1 folders take part (explicit list, exclusion
//! regexes on raw and decoded names), and how a host1 name becomes a host2 name (namespace
//! prefix, hierarchy separator, special-use roles). Names stay in modified UTF-7 on the wire;
//! decoding is for people and for regexes.

use crate::imap::mutf7;
use crate::imap::session::{ListedFolder, Namespace};
use protocol::spec::Selection;
use regex::Regex;
use std::collections::{HashMap, HashSet};

/// A host1 folder name decoded for people (`Données/Été`, not `Donn&AOk-es/&AMk-t&AOk-`).
pub fn decode(raw: &str) -> String {
    mutf7::decode(raw)
}

/// Encodes a UTF-8 folder name given by a user into the server's modified UTF-7.
pub fn encode(name: &str) -> String {
    mutf7::encode(name)
}

fn is_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case("INBOX")
}

/// The hierarchy levels of a raw name, with the namespace prefix removed.
fn levels<'a>(raw: &'a str, ns: &Namespace) -> Vec<&'a str> {
    if is_inbox(raw) {
        return vec!["INBOX"];
    }
    let inner = raw.strip_prefix(ns.prefix.as_str()).unwrap_or(raw);
    inner.split(ns.separator).collect()
}

/// A host1 name as a path with `/` separators and no prefix, for matching and display.
pub fn logical_name(raw: &str, ns: &Namespace) -> String {
    decode(&levels(raw, ns).join("/"))
}

/// Translates a host1 name to host2: prefix stripped and added, separator swapped; a host2
/// separator inside one level becomes `_` so it does not create hierarchy.
pub fn map_name(raw1: &str, ns1: &Namespace, ns2: &Namespace) -> String {
    if is_inbox(raw1) {
        return "INBOX".to_string();
    }
    let sep2 = ns2.separator.to_string();
    let levels: Vec<String> = levels(raw1, ns1)
        .into_iter()
        .map(|level| {
            if ns1.separator == ns2.separator {
                level.to_string()
            } else {
                level.replace(ns2.separator, "_")
            }
        })
        .collect();
    let joined = levels.join(&sep2);
    if levels.first().is_some_and(|l| is_inbox(l)) && ns2.prefix.starts_with("INBOX") {
        return joined;
    }
    format!("{}{}", ns2.prefix, joined)
}

/// The host1 folders a run takes part in.
pub struct FolderFilter {
    wanted: Vec<String>,
    excludes: Vec<Regex>,
}

/// An exclusion regex that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("invalid folder regex {pattern:?}: {reason}")]
pub struct BadRegex {
    pub pattern: String,
    pub reason: String,
}

impl FolderFilter {
    pub fn new(selection: &Selection) -> Result<Self, BadRegex> {
        let excludes = selection
            .effective_excludes()
            .map(|p| {
                Regex::new(p).map_err(|e| BadRegex {
                    pattern: p.to_string(),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(FolderFilter {
            wanted: selection.folders.clone(),
            excludes,
        })
    }

    /// True when the folder is excluded by a regex (on its raw or decoded name).
    pub fn excluded(&self, raw: &str) -> bool {
        let decoded = decode(raw);
        self.excludes
            .iter()
            .any(|re| re.is_match(raw) || re.is_match(&decoded))
    }

    /// True when the folder is in the explicit list (or there is none).
    fn wanted(&self, raw: &str, ns: &Namespace) -> bool {
        self.wanted.is_empty()
            || self.wanted.iter().any(|w| {
                w == raw
                    || (is_inbox(w) && is_inbox(raw))
                    || encode(w) == raw
                    || logical_name(raw, ns) == *w
            })
    }

    /// Selectable host1 folders that take part, sorted, and the ones excluded by a regex.
    pub fn select<'a>(
        &self,
        listed: &'a [ListedFolder],
        ns: &Namespace,
    ) -> (Vec<&'a ListedFolder>, Vec<&'a ListedFolder>) {
        let mut chosen = Vec::new();
        let mut excluded = Vec::new();
        for folder in listed.iter().filter(|f| f.selectable) {
            if !self.wanted(&folder.raw, ns) {
                continue;
            }
            if self.excluded(&folder.raw) {
                excluded.push(folder);
            } else {
                chosen.push(folder);
            }
        }
        chosen.sort_by(|a, b| a.raw.cmp(&b.raw));
        (chosen, excluded)
    }
}

/// The host2 folder of every host1 folder: the translated name when it exists on host2,
/// otherwise host2's folder with the same special use (`Sent Items` -> `Sent`), otherwise the
/// translated name (to be created). The mapping stays one-to-one: a special-use folder is
/// only borrowed when no other host1 folder maps to it, so two host1 folders never share (and
/// never delete each other's messages in) one host2 folder.
pub fn destinations(
    listed1: &[ListedFolder],
    ns1: &Namespace,
    ns2: &Namespace,
    listed2: &[ListedFolder],
) -> HashMap<String, String> {
    let mut sorted: Vec<&ListedFolder> = listed1.iter().collect();
    sorted.sort_by(|a, b| a.raw.cmp(&b.raw));
    let plain: Vec<String> = sorted.iter().map(|f| map_name(&f.raw, ns1, ns2)).collect();
    let mut taken: HashSet<String> = plain.iter().cloned().collect();
    let mut out = HashMap::new();
    for (folder, mapped) in sorted.into_iter().zip(plain) {
        let exists = listed2.iter().any(|f| f.raw == mapped);
        let borrowed = folder
            .special_use
            .filter(|_| !exists)
            .and_then(|role| listed2.iter().find(|f| f.special_use == Some(role)))
            .map(|f| f.raw.clone())
            .filter(|target| taken.insert(target.clone()));
        out.insert(folder.raw.clone(), borrowed.unwrap_or(mapped));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slash() -> Namespace {
        Namespace {
            prefix: String::new(),
            separator: '/',
        }
    }

    fn dot() -> Namespace {
        Namespace {
            prefix: "INBOX.".into(),
            separator: '.',
        }
    }

    #[test]
    fn names_map_both_ways_between_personalities() {
        assert_eq!(
            map_name("Archive/2020/Q1", &slash(), &dot()),
            "INBOX.Archive.2020.Q1"
        );
        assert_eq!(
            map_name("INBOX.Archive.2020.Q1", &dot(), &slash()),
            "Archive/2020/Q1"
        );
        assert_eq!(map_name("INBOX", &slash(), &dot()), "INBOX");
        assert_eq!(map_name("inbox", &dot(), &slash()), "INBOX");
        assert_eq!(map_name("v1.2/notes", &slash(), &dot()), "INBOX.v1_2.notes");
        assert_eq!(map_name("a/b", &slash(), &slash()), "a/b");
    }

    #[test]
    fn modified_utf7_names_decode_and_encode() {
        assert_eq!(decode("Donn&AOk-es/&AMk-t&AOk-"), "Données/Été");
        assert_eq!(encode("Données"), "Donn&AOk-es");
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(logical_name("INBOX.Donn&AOk-es", &dot()), "Données");
    }

    fn listed(raw: &str) -> ListedFolder {
        ListedFolder {
            raw: raw.into(),
            selectable: true,
            special_use: None,
        }
    }

    #[test]
    fn exclusions_match_raw_or_decoded_and_ignore_empty_entries() {
        let sel = Selection {
            exclude: vec![
                protocol::spec::SHARED_PUBLIC_EXCLUSION.into(),
                "".into(),
                "^Été$".into(),
            ],
            ..Selection::default()
        };
        let filter = FolderFilter::new(&sel).unwrap();
        let all = [
            listed("INBOX"),
            listed("Shared/x/y"),
            listed("Public"),
            listed("&AMk-t&AOk-"),
            listed("Sent"),
        ];
        let (chosen, excluded) = filter.select(&all, &slash());
        let names: Vec<_> = chosen.iter().map(|f| f.raw.as_str()).collect();
        assert_eq!(names, ["INBOX", "Sent"]);
        assert_eq!(excluded.len(), 3);
    }

    #[test]
    fn bad_regex_is_reported() {
        let sel = Selection {
            exclude: vec!["(".into()],
            ..Selection::default()
        };
        assert!(FolderFilter::new(&sel).is_err());
    }

    #[test]
    fn special_use_picks_the_host2_role_folder_when_the_name_is_missing() {
        let mut sent_items = listed("Sent Items");
        sent_items.special_use = Some("\\Sent");
        let mut sent2 = listed("Sent");
        sent2.special_use = Some("\\Sent");
        let map = destinations(&[sent_items.clone()], &slash(), &slash(), &[sent2.clone()]);
        assert_eq!(map["Sent Items"], "Sent");
        let map = destinations(
            &[sent_items.clone()],
            &slash(),
            &slash(),
            &[sent2.clone(), listed("Sent Items")],
        );
        assert_eq!(map["Sent Items"], "Sent Items");
        // host1 has both: each keeps its own host2 folder.
        let map = destinations(&[sent_items, listed("Sent")], &slash(), &slash(), &[sent2]);
        assert_eq!(map["Sent Items"], "Sent Items");
        assert_eq!(map["Sent"], "Sent");
    }
}
